"""Helpers of the tests that start and kill real processes: liveness, waiting on a state, stored rows."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_for(predicate, what: str, limit: float = 120.0) -> None:
    """Poll ``predicate`` until it holds (the deadline only guards against a hang)."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def count_rows(db_path: Path, table: str) -> int:
    """Rows of ``table`` in a store being written by another process (0 before it exists)."""
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0
