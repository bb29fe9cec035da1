"""Trials of external experiments as leases in SQLite (``RESULTS/workers.sqlite``).

A submitted trial is a row ``pending``; a worker's claim makes it ``running`` under a new
attempt (a row of ``attempts``, unique per trial and attempt number) with a lease that expires
``lease_ttl_s`` after the claim or the last heartbeat. Claims are compare-and-set updates in one
transaction, so two workers never hold the same trial, and the partial unique index
``one_lease_per_worker`` keeps a worker to one running trial (asking again returns it). There is
no monitor: a claim first takes over an expired lease (attempt + 1); from then on the superseded
attempt's reports and results are refused (``Conflict``, HTTP 409). Every report, answer and
result is written here before it is answered, so a killed server loses nothing: a resumed
experiment finds its trials, their reports and their results.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STORE_NAME = "workers.sqlite"
ACTIVE = ("pending", "running")
ENDED = ("completed", "failed", "stopped", "cancelled")

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, heartbeat_s REAL NOT NULL, lease_ttl_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY, experiment TEXT NOT NULL, rep INTEGER NOT NULL, candidate INTEGER NOT NULL,
    resume_from INTEGER NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
    worker TEXT, expires REAL, result TEXT, created REAL NOT NULL,
    UNIQUE (experiment, rep, candidate, resume_from)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_lease_per_worker ON trials (experiment, worker) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS trials_by_status ON trials (experiment, status, created);
CREATE TABLE IF NOT EXISTS attempts (
    trial TEXT NOT NULL, attempt INTEGER NOT NULL, worker TEXT NOT NULL, claimed REAL NOT NULL,
    PRIMARY KEY (trial, attempt)
);
CREATE TABLE IF NOT EXISTS reports (
    trial TEXT NOT NULL, attempt INTEGER NOT NULL, epoch INTEGER NOT NULL, accuracy REAL NOT NULL,
    metrics TEXT NOT NULL, answer TEXT, PRIMARY KEY (trial, attempt, epoch)
);
"""


class LeaseError(Exception):
    """A request the leases refuse: ``status`` is its HTTP status, the message its one-line detail."""

    status = 400


class NotFound(LeaseError):
    """No such experiment or trial."""

    status = 404


class Conflict(LeaseError):
    """A superseded attempt, or a trial that has ended otherwise."""

    status = 409


class Gone(LeaseError):
    """The experiment is over."""

    status = 410


@dataclass(frozen=True)
class TrialRow:
    """A trial as stored."""

    id: str
    experiment: str
    rep: int
    candidate: int
    resume_from: int
    params: dict
    status: str
    attempt: int
    worker: str | None
    expires: float | None
    result: dict | None


@dataclass(frozen=True)
class Lease:
    """A claimed trial: what the worker runs and how often it must show it is alive."""

    trial: TrialRow
    heartbeat_s: float
    lease_ttl_s: float

    def as_json(self) -> dict:
        """The claim's answer (``trial`` of ``POST .../trials:claim``)."""
        t = self.trial
        return {
            "id": t.id,
            "attempt": t.attempt,
            "params": t.params,
            "lease_ttl_s": self.lease_ttl_s,
            "heartbeat_s": self.heartbeat_s,
            "rep": t.rep,
            "candidate": t.candidate,
        }


TRIAL_COLUMNS = "id, experiment, rep, candidate, resume_from, params, status, attempt, worker, expires, result"


def _row(values: tuple) -> TrialRow:
    *head, params, status, attempt, worker, expires, result = values
    return TrialRow(*head, json.loads(params), status, attempt, worker, expires, json.loads(result) if result else None)


class LeaseStore:
    """The leases of every external experiment of a results folder (thread-safe: one connection, one lock)."""

    def __init__(self, results_dir: Path, clock: Any = time.time) -> None:
        self.path = Path(results_dir) / STORE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    # experiments

    def open_experiment(self, experiment: str, heartbeat_s: float, lease_ttl_s: float) -> None:
        """Register (or re-open on resume) an experiment whose trials workers may claim."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO experiments VALUES (?, 'running', ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "status = 'running', heartbeat_s = excluded.heartbeat_s, lease_ttl_s = excluded.lease_ttl_s",
                (experiment, heartbeat_s, lease_ttl_s),
            )

    def interrupt_running(self) -> None:
        """Mark the experiments a previous server left running as stopped (until they are started again)."""
        with self._transaction() as db:
            db.execute("UPDATE experiments SET status = 'stopped' WHERE status = 'running'")

    def set_status(self, experiment: str, status: str) -> None:
        """Mark an experiment ``done``, ``failed`` or ``stopped`` (claims then answer 410)."""
        with self._transaction() as db:
            db.execute("UPDATE experiments SET status = ? WHERE id = ?", (status, experiment))

    def experiment(self, experiment: str) -> tuple[str, float, float]:
        """(status, heartbeat_s, lease_ttl_s) of an experiment; NotFound if it never ran."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, heartbeat_s, lease_ttl_s FROM experiments WHERE id = ?", (experiment,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no external experiment {experiment!r} has been started")
        return row

    # the loop's side

    def offer(
        self, trial_id: str, experiment: str, rep: int, candidate: int, resume_from: int, params: dict
    ) -> TrialRow:
        """Make a submitted trial claimable; a trial submitted again (resume) keeps its row, attempt and result."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO trials (id, experiment, rep, candidate, resume_from, params, status, created) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
                (trial_id, experiment, rep, candidate, resume_from, json.dumps(params), self.clock()),
            )
            db.execute(
                "UPDATE trials SET status = 'pending', worker = NULL, expires = NULL "
                "WHERE experiment = ? AND rep = ? AND candidate = ? AND resume_from = ? AND status = 'cancelled'",
                (experiment, rep, candidate, resume_from),
            )
            row = db.execute(
                f"SELECT {TRIAL_COLUMNS} FROM trials WHERE experiment = ? AND rep = ? AND candidate = ? "
                "AND resume_from = ?",
                (experiment, rep, candidate, resume_from),
            ).fetchone()
        return _row(row)

    def end(self, trial_id: str, attempt: int, status: str, result: dict) -> tuple[TrialRow, bool]:
        """End the running ``attempt`` (completed, failed, stopped); (row, True) if this call ended it.

        The same attempt ending it again gets (row, False): a retried result is not counted twice.
        """
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE trials SET status = ?, result = ?, worker = NULL, expires = NULL "
                "WHERE id = ? AND attempt = ? AND status = 'running'",
                (status, json.dumps(result), trial_id, attempt),
            ).rowcount
            row = _fetch(db, trial_id)
        if not changed:
            _check_current(row, attempt)
            if row.status in ACTIVE or row.status == "cancelled":
                raise Conflict(f"trial {trial_id} is {row.status}; attempt {attempt} cannot end it")
        return row, bool(changed)

    def cancel(self, trial_ids: list[str]) -> None:
        """Cancel trials the loop no longer waits for (their workers are told to stop)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE trials SET status = 'cancelled', worker = NULL, expires = NULL WHERE id = ? "
                "AND status IN ('pending', 'running')",
                [(t,) for t in trial_ids],
            )

    # the workers' side

    def claim(self, experiment: str, worker: str) -> Lease | None:
        """The worker's running trial, else an expired lease taken over, else a pending trial; None if none."""
        now = self.clock()
        with self._transaction() as db:
            found = db.execute(
                "SELECT status, heartbeat_s, lease_ttl_s FROM experiments WHERE id = ?", (experiment,)
            ).fetchone()
            if found is None:
                raise NotFound(f"no external experiment {experiment!r} has been started")
            status, heartbeat_s, ttl = found
            if status != "running":
                raise Gone(f"experiment {experiment} is {status}")
            mine = db.execute(
                f"SELECT {TRIAL_COLUMNS} FROM trials WHERE experiment = ? AND worker = ? AND status = 'running'",
                (experiment, worker),
            ).fetchone()
            if mine is not None:  # idempotent: the same worker asking again gets its trial, its lease renewed
                db.execute("UPDATE trials SET expires = ? WHERE id = ?", (now + ttl, mine[0]))
                return Lease(_row(mine), heartbeat_s, ttl)
            candidates = db.execute(
                "SELECT id, attempt, status FROM trials WHERE experiment = ? AND "
                "(status = 'pending' OR (status = 'running' AND expires < ?)) ORDER BY status = 'pending', created",
                (experiment, now),
            ).fetchall()
            for trial_id, attempt, was in candidates:
                taken = db.execute(  # compare-and-set: nobody else took it in between
                    "UPDATE trials SET status = 'running', attempt = ?, worker = ?, expires = ? "
                    "WHERE id = ? AND attempt = ? AND status = ?",
                    (attempt + 1, worker, now + ttl, trial_id, attempt, was),
                ).rowcount
                if taken:
                    db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?)", (trial_id, attempt + 1, worker, now))
                    return Lease(_fetch(db, trial_id), heartbeat_s, ttl)
        return None

    def current(self, trial_id: str, attempt: int) -> TrialRow:
        """The trial if ``attempt`` is its current one (NotFound, or Conflict for a superseded attempt)."""
        with self._lock:
            row = _fetch(self._db, trial_id)
        _check_current(row, attempt)
        return row

    def heartbeat(self, trial_id: str, attempt: int) -> TrialRow:
        """Extend the lease of a running attempt (an ended trial's row is returned as it is)."""
        with self._transaction() as db:
            row = _fetch(db, trial_id)
            _check_current(row, attempt)
            if row.status == "running":
                ttl = db.execute("SELECT lease_ttl_s FROM experiments WHERE id = ?", (row.experiment,)).fetchone()[0]
                db.execute("UPDATE trials SET expires = ? WHERE id = ?", (self.clock() + ttl, trial_id))
        return row

    def claimed_at(self, trial_id: str, attempt: int) -> float:
        """When ``attempt`` was claimed (store clock)."""
        with self._lock:
            row = self._db.execute(
                "SELECT claimed FROM attempts WHERE trial = ? AND attempt = ?", (trial_id, attempt)
            ).fetchone()
        return row[0] if row else self.clock()

    def add_report(
        self, trial_id: str, attempt: int, epoch: int, accuracy: float, metrics: dict
    ) -> tuple[TrialRow, dict | None]:
        """Store a report of the current ``attempt`` before it is answered: (the trial, the stored answer if any).

        The same attempt and epoch again keep the first report and get its answer (None until it is given).
        """
        with self._transaction() as db:
            row = _fetch(db, trial_id)
            _check_current(row, attempt)
            db.execute(
                "INSERT INTO reports VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                (trial_id, attempt, epoch, accuracy, json.dumps(metrics)),
            )
            answer = db.execute(
                "SELECT answer FROM reports WHERE trial = ? AND attempt = ? AND epoch = ?", (trial_id, attempt, epoch)
            ).fetchone()[0]
        return row, json.loads(answer) if answer else None

    def answer_report(self, trial_id: str, attempt: int, epoch: int, answer: dict) -> None:
        """Store the answer to a report (a repeated report gets it again)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE reports SET answer = ? WHERE trial = ? AND attempt = ? AND epoch = ?",
                (json.dumps(answer), trial_id, attempt, epoch),
            )

    def reports(self, trial_id: str, attempt: int) -> list[tuple[int, float, dict | None]]:
        """(epoch, accuracy, answer) of an attempt's reports, in epoch order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT epoch, accuracy, answer FROM reports WHERE trial = ? AND attempt = ? ORDER BY epoch",
                (trial_id, attempt),
            ).fetchall()
        return [(e, a, json.loads(x) if x else None) for e, a, x in rows]

    def trials(self, experiment: str) -> list[TrialRow]:
        """Every trial of an experiment, in the order they were offered."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {TRIAL_COLUMNS} FROM trials WHERE experiment = ? ORDER BY created, rowid", (experiment,)
            ).fetchall()
        return [_row(r) for r in rows]

    def trial(self, trial_id: str) -> TrialRow:
        """One trial (NotFound if there is none)."""
        with self._lock:
            return _fetch(self._db, trial_id)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an error) under the store's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.lock.release()


def _fetch(db: sqlite3.Connection, trial_id: str) -> TrialRow:
    row = db.execute(f"SELECT {TRIAL_COLUMNS} FROM trials WHERE id = ?", (trial_id,)).fetchone()
    if row is None:
        raise NotFound(f"no trial {trial_id!r}")
    return _row(row)


def _check_current(row: TrialRow, attempt: int) -> None:
    if attempt < row.attempt:
        raise Conflict(f"attempt {attempt} of trial {row.id} is superseded (current attempt: {row.attempt})")
    if attempt > row.attempt:
        raise Conflict(f"trial {row.id} has no attempt {attempt} (current attempt: {row.attempt})")
