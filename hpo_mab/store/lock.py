"""One writer per run: an exclusive ``flock`` on ``RESULTS/.locks/run-<id>.lock`` while a run is written.

The lock file holds the writer's process id. The operating system releases the lock when that
process ends, however it ends (``kill -9`` included), so the lock of a dead process is simply
taken over; a second writer of a running run is refused with the running process named.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from hpo_mab.inputs.errors import InputError

LOCK_DIR = ".locks"


def lock_path(results_dir: Path, run_id: int) -> Path:
    """The lock file of run ``run_id`` in a results folder."""
    return Path(results_dir) / LOCK_DIR / f"run-{run_id}.lock"


def holder(path: Path) -> int | None:
    """The process id written in a lock file (None if unreadable)."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def is_locked(results_dir: Path, run_id: int) -> int | None:
    """The process id writing run ``run_id`` now, or None when no process holds its lock."""
    path = lock_path(results_dir, run_id)
    if not path.exists():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return holder(path) or -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


class RunLock:
    """Held while this process writes a run; ``acquire`` raises InputError if another process holds it."""

    def __init__(self, results_dir: Path, run_id: int) -> None:
        self.run_id = run_id
        self.path = lock_path(results_dir, run_id)
        self._handle = None

    def acquire(self) -> RunLock:
        """Take the lock (a dead holder's is taken over), write our process id into it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (kept open while the lock is held)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            pid = holder(self.path)
            who = f"process {pid}" if pid else "another process"
            raise InputError(
                f"run #{self.run_id} is being written by {who}; wait for it to end or stop it", key="-r/--rerun"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        """Let go of the lock (the file stays, empty of meaning once unlocked)."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
