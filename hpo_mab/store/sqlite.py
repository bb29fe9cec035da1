"""The SQLite result store: runs, their trials (written as each trial ends) and repetition state.

A trial and the repetition state after it (random state, strategy state) are written in one
transaction, so a run killed at any moment resumes exactly where the last stored trial left it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpo_mab.inputs.errors import InputError
from hpo_mab.store.records import RunRecord, Trial

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    created TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    mode TEXT NOT NULL,
    spec TEXT NOT NULL,
    title TEXT NOT NULL,
    seed INTEGER NOT NULL,
    num_reps INTEGER NOT NULL,
    settings TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_key ON runs (key);
CREATE TABLE IF NOT EXISTS trials (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    rep INTEGER NOT NULL,
    trial INTEGER NOT NULL,
    candidate INTEGER NOT NULL,
    config TEXT NOT NULL,
    error REAL NOT NULL,
    accuracy REAL NOT NULL,
    exec_time REAL NOT NULL,
    opt_time REAL NOT NULL,
    opt_wall_time REAL NOT NULL,
    clock REAL NOT NULL,
    epochs INTEGER NOT NULL,
    best_epoch INTEGER NOT NULL,
    arm TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    selection TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'ok',
    worker INTEGER NOT NULL DEFAULT 0,
    early_terminated INTEGER NOT NULL DEFAULT 0,
    etr TEXT NOT NULL DEFAULT '{}',
    resumed_from INTEGER NOT NULL DEFAULT 0,
    curve TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, rep, trial)
);
CREATE TABLE IF NOT EXISTS reps (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    rep INTEGER NOT NULL,
    num_trials INTEGER NOT NULL,
    state TEXT NOT NULL,
    stop_reason TEXT,
    PRIMARY KEY (run_id, rep)
);
CREATE TABLE IF NOT EXISTS internals (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    rep INTEGER NOT NULL,
    trial INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, rep, trial)
);
"""


ADDED_COLUMNS = {
    "note": "TEXT NOT NULL DEFAULT ''",
    "selection": "TEXT NOT NULL DEFAULT '{}'",
    "status": "TEXT NOT NULL DEFAULT 'ok'",
    "worker": "INTEGER NOT NULL DEFAULT 0",
    "early_terminated": "INTEGER NOT NULL DEFAULT 0",
    "etr": "TEXT NOT NULL DEFAULT '{}'",
    "resumed_from": "INTEGER NOT NULL DEFAULT 0",
    "curve": "TEXT NOT NULL DEFAULT '[]'",
}
TRIAL_COLUMNS = [f.name for f in fields(Trial)]  # the trials table's columns, in Trial's order (after run_id)
JSON_COLUMNS = ("config", "selection", "etr", "curve")


class ResultStore:
    """An SQLite database of runs; one per results folder (``<results>/hpo.sqlite``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"not a result store of hpo-mab ({exc})", str(self.path)) from None

    def _migrate(self) -> None:
        """Add the columns that stores written by earlier versions lack."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
        for column, definition in ADDED_COLUMNS.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE trials ADD COLUMN {column} {definition}")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_run(self, key: str, settings: dict, seed: int, num_reps: int) -> RunRecord:
        """Insert a new run."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        cur = self._db.execute(
            "INSERT INTO runs (key, created, benchmark, mode, spec, title, seed, num_reps, settings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                now,
                settings["benchmark"],
                settings["mode"],
                settings["spec"],
                settings["title"],
                seed,
                num_reps,
                json.dumps(settings, sort_keys=True),
            ),
        )
        return self.run(cur.lastrowid)

    def run(self, run_id: int) -> RunRecord:
        """The run with id ``run_id``."""
        row = self._db.execute(
            "SELECT id, key, benchmark, mode, spec, title, seed, num_reps, settings FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise KeyError(run_id)
        return RunRecord(*row[:-1], json.loads(row[-1]))

    def runs(self) -> list[RunRecord]:
        """Every stored run, oldest first."""
        return [self.run(row[0]) for row in self._db.execute("SELECT id FROM runs ORDER BY id")]

    def created(self, run_id: int) -> str:
        """When the run was created (ISO 8601, UTC)."""
        return self._db.execute("SELECT created FROM runs WHERE id = ?", (run_id,)).fetchone()[0]

    def stop_reasons(self, run_id: int) -> dict[int, str | None]:
        """The stop reason of every started repetition (None while it is not finished)."""
        rows = self._db.execute("SELECT rep, stop_reason FROM reps WHERE run_id = ? ORDER BY rep", (run_id,))
        return dict(rows.fetchall())

    def best_error(self, run_id: int) -> float | None:
        """The lowest error of the run's successful trials (None without any)."""
        row = self._db.execute("SELECT MIN(error) FROM trials WHERE run_id = ? AND status = 'ok'", (run_id,))
        return row.fetchone()[0]

    def latest_run(self, key: str, seed: int | None) -> RunRecord | None:
        """The newest run with these settings (and this seed, if given)."""
        query = (
            "SELECT id FROM runs WHERE key = ?" + (" AND seed = ?" if seed is not None else "") + " ORDER BY id DESC"
        )
        row = self._db.execute(query, (key, seed) if seed is not None else (key,)).fetchone()
        return self.run(row[0]) if row else None

    def set_num_reps(self, run_id: int, num_reps: int) -> None:
        """Extend a run to ``num_reps`` repetitions."""
        self._db.execute("UPDATE runs SET num_reps = ? WHERE id = ?", (num_reps, run_id))

    def add_trial(self, run_id: int, trial: Trial, state: dict, internals: dict | None = None) -> None:
        """Store a finished trial and the repetition state after it, atomically."""
        values = [run_id] + [
            json.dumps(getattr(trial, c)) if c in JSON_COLUMNS else getattr(trial, c) for c in TRIAL_COLUMNS
        ]
        with self._transaction():
            self._db.execute(_INSERT_TRIAL, values)
            self._db.execute(
                "INSERT INTO reps (run_id, rep, num_trials, state) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (run_id, rep) DO UPDATE SET num_trials = excluded.num_trials, state = excluded.state",
                (run_id, trial.rep, trial.trial + 1, json.dumps(state)),
            )
            if internals is not None:
                self._db.execute(
                    "INSERT INTO internals (run_id, rep, trial, data) VALUES (?, ?, ?, ?)",
                    (run_id, trial.rep, trial.trial, json.dumps(internals)),
                )

    def save_state(self, run_id: int, rep: int, state: dict) -> None:
        """Store the repetition state between trials (a submission changed it)."""
        self._db.execute(
            "INSERT INTO reps (run_id, rep, num_trials, state) VALUES (?, ?, 0, ?)"
            " ON CONFLICT (run_id, rep) DO UPDATE SET state = excluded.state",
            (run_id, rep, json.dumps(state)),
        )

    def finish_rep(self, run_id: int, rep: int, reason: str, state: dict) -> None:
        """Mark a repetition finished with its stop reason."""
        self._db.execute(
            "INSERT INTO reps (run_id, rep, num_trials, state, stop_reason) VALUES (?, ?, 0, ?, ?)"
            " ON CONFLICT (run_id, rep) DO UPDATE SET stop_reason = excluded.stop_reason",
            (run_id, rep, json.dumps(state), reason),
        )

    def rep_state(self, run_id: int, rep: int) -> tuple[dict | None, str | None]:
        """(state after the last stored trial, stop reason) of a repetition."""
        row = self._db.execute(
            "SELECT state, stop_reason FROM reps WHERE run_id = ? AND rep = ?", (run_id, rep)
        ).fetchone()
        return (json.loads(row[0]), row[1]) if row else (None, None)

    def trials(self, run_id: int, rep: int | None = None) -> list[Trial]:
        """Stored trials of a run (one repetition, or all), in order."""
        query = f"SELECT {', '.join(TRIAL_COLUMNS)} FROM trials WHERE run_id = ?"
        args: tuple[Any, ...] = (run_id,)
        if rep is not None:
            query += " AND rep = ?"
            args += (rep,)
        rows = self._db.execute(query + " ORDER BY rep, trial", args).fetchall()
        return [_trial_of(row) for row in rows]

    def internals(self, run_id: int) -> dict[int, list[dict]]:
        """Stored optimizer internals (``-p``), per repetition in trial order."""
        out: dict[int, list[dict]] = {}
        rows = self._db.execute("SELECT rep, data FROM internals WHERE run_id = ? ORDER BY rep, trial", (run_id,))
        for rep, data in rows:
            out.setdefault(rep, []).append(json.loads(data))
        return out

    def _transaction(self):
        return _Transaction(self._db)


_INSERT_TRIAL = (
    f"INSERT INTO trials (run_id, {', '.join(TRIAL_COLUMNS)}) VALUES ({', '.join('?' * (len(TRIAL_COLUMNS) + 1))})"
)


def _trial_of(row: tuple) -> Trial:
    """A trial from a row of ``TRIAL_COLUMNS``."""
    values = dict(zip(TRIAL_COLUMNS, row, strict=True))
    for column in JSON_COLUMNS:
        values[column] = json.loads(values[column])
    values["curve"] = tuple(values["curve"])
    values["early_terminated"] = bool(values["early_terminated"])
    return Trial(**values)


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
