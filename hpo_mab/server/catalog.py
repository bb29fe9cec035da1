"""The server's catalog of experiments in RESULTS/server.sqlite (API-created; CLI runs are read from hpo.sqlite).

One row per experiment: its body as posted, the CLI arguments it runs, its status and, once its
process created it, the id of its run in the result store. A connection per call: the catalog is
used from the request threads and from the threads that wait on the experiments' processes.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hpo_mab.server.settings import ServerSettings

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    name TEXT,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    started TEXT,
    ended TEXT,
    body TEXT NOT NULL,
    args TEXT NOT NULL,
    seed INTEGER NOT NULL,
    run_key TEXT NOT NULL,
    run_floor INTEGER,
    run_id INTEGER,
    trace TEXT NOT NULL,
    pid INTEGER,
    message TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT OR IGNORE INTO counter (id, value) VALUES (1, 0);
"""
STATUSES = ("created", "running", "done", "failed", "stopped")
COLUMNS = ("id", "seq", "name", "status", "created", "started", "ended", "body", "args", "seed", "run_key",
           "run_floor", "run_id", "trace", "pid", "message", "deleted", "updated")  # fmt: skip


@dataclass(frozen=True)
class Experiment:
    """One API experiment as catalogued."""

    id: str
    seq: int
    name: str | None
    status: str
    created: str
    started: str | None
    ended: str | None
    body: dict
    args: list[str]
    seed: int
    run_key: str
    run_floor: int | None
    run_id: int | None
    trace: str
    pid: int | None
    message: str | None
    deleted: bool
    updated: int


def now() -> str:
    """The time of day, ISO 8601 UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalog:
    """The experiments of one server (RESULTS/server.sqlite)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.path = settings.catalog_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def _bump(self, db: sqlite3.Connection) -> int:
        db.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
        return db.execute("SELECT value FROM counter WHERE id = 1").fetchone()[0]

    def create(self, name: str | None, body: dict, args: list[str], seed: int, run_key: str, trace: str,
               experiment_id: str | None = None) -> Experiment:  # fmt: skip
        """Add an experiment in status ``created``."""
        experiment_id = experiment_id or new_id()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            version = self._bump(db)
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM experiments").fetchone()[0]
            db.execute(
                "INSERT INTO experiments (id, seq, name, status, created, body, args, seed, run_key, trace, updated)"
                " VALUES (?, ?, ?, 'created', ?, ?, ?, ?, ?, ?, ?)",
                (experiment_id, seq, name, now(), json.dumps(body), json.dumps(args), seed, run_key, trace, version),
            )
            db.execute("COMMIT")
        return self.get(experiment_id)

    def get(self, experiment_id: str, deleted: bool = False) -> Experiment | None:
        """The experiment, or None (deleted ones only with ``deleted``)."""
        with self._db() as db:
            row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM experiments WHERE id = ?", (experiment_id,)).fetchone()
        experiment = _experiment(row) if row else None
        if experiment is not None and experiment.deleted and not deleted:
            return None
        return experiment

    def all(self, deleted: bool = False) -> list[Experiment]:
        """Every experiment, oldest first."""
        query = f"SELECT {', '.join(COLUMNS)} FROM experiments" + ("" if deleted else " WHERE deleted = 0")
        with self._db() as db:
            rows = db.execute(query + " ORDER BY seq").fetchall()
        return [_experiment(row) for row in rows]

    def update(self, experiment_id: str, **values: Any) -> Experiment:
        """Set columns of an experiment (its ``updated`` version moves on)."""
        names = list(values)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            version = self._bump(db)
            assignments = ", ".join(f"{n} = ?" for n in [*names, "updated"])
            db.execute(
                f"UPDATE experiments SET {assignments} WHERE id = ?",
                [*(values[n] for n in names), version, experiment_id],
            )
            db.execute("COMMIT")
        return self.get(experiment_id, deleted=True)

    def claimed_runs(self) -> set[int]:
        """Run ids of the result store that belong to API experiments (deleted ones included)."""
        with self._db() as db:
            return {r[0] for r in db.execute("SELECT run_id FROM experiments WHERE run_id IS NOT NULL")}

    def version(self) -> int:
        """A number that moves on with every change of the catalog."""
        with self._db() as db:
            return db.execute("SELECT value FROM counter WHERE id = 1").fetchone()[0]


def new_id() -> str:
    """An opaque experiment id."""
    return secrets.token_hex(8)


def _experiment(row: tuple) -> Experiment:
    values = dict(zip(COLUMNS, row, strict=True))
    values["body"] = json.loads(values["body"])
    values["args"] = json.loads(values["args"])
    values["deleted"] = bool(values["deleted"])
    return Experiment(**values)
