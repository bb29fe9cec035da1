"""Reading the result store (RESULTS/hpo.sqlite) while experiments' processes write it: read-only connections.

Trials are addressed by their row id in the store, which only grows (trials are never deleted),
so it is a stable cursor for incremental listings and for the event streams.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hpo_mab.store.records import RunRecord, Trial
from hpo_mab.store.sqlite import TRIAL_COLUMNS, _trial_of

STORE_NAME = "hpo.sqlite"
RUN_COLUMNS = "id, key, benchmark, mode, spec, title, seed, num_reps, settings, created"
# the sortable fields of the trials listing -> their column
SORT_COLUMNS = {
    "id": "rowid", "rep": "rep", "trial": "trial", "candidate": "candidate", "error": "error",
    "accuracy": "accuracy", "clock_s": "clock", "exec_time_s": "exec_time", "arm": "arm", "train_epoch": "epochs",
    "status": "status",
}  # fmt: skip
STATUS_WHERE = {
    "completed": "status = 'ok' AND early_terminated = 0",
    "early_terminated": "status = 'ok' AND early_terminated = 1",
    "failed": "status != 'ok'",
}


class StoreView:
    """Read-only queries of a results folder's store (nothing when it does not exist yet)."""

    def __init__(self, results_dir: Path) -> None:
        self.results_dir = results_dir
        self.path = results_dir / STORE_NAME

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection | None]:
        if not self.path.is_file():
            yield None
            return
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            db.execute("SELECT 1 FROM trials LIMIT 1")
        except sqlite3.OperationalError:  # the store is being created
            db.close()
            yield None
            return
        try:
            yield db
        finally:
            db.close()

    def max_run_id(self) -> int:
        """The largest run id stored (0 without runs)."""
        with self._db() as db:
            return 0 if db is None else db.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]

    def runs(self) -> list[tuple[RunRecord, str]]:
        """Every stored run with its creation time, oldest first."""
        with self._db() as db:
            rows = [] if db is None else db.execute(f"SELECT {RUN_COLUMNS} FROM runs ORDER BY id").fetchall()
        return [(RunRecord(*row[:8], json.loads(row[8])), row[9]) for row in rows]

    def run(self, run_id: int) -> tuple[RunRecord, str] | None:
        """One run and its creation time."""
        with self._db() as db:
            row = (
                None if db is None else db.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
            )
        return None if row is None else (RunRecord(*row[:8], json.loads(row[8])), row[9])

    def find_run(self, key: str, seed: int, after: int, exclude: set[int]) -> int | None:
        """The first run with this key and seed created after run ``after`` and not in ``exclude``."""
        with self._db() as db:
            if db is None:
                return None
            rows = db.execute(
                "SELECT id FROM runs WHERE key = ? AND seed = ? AND id > ? ORDER BY id", (key, seed, after)
            ).fetchall()
        return next((r[0] for r in rows if r[0] not in exclude), None)

    def reps(self, run_id: int) -> dict[int, str | None]:
        """The stop reason of every started repetition (None while it runs)."""
        with self._db() as db:
            if db is None:
                return {}
            rows = db.execute("SELECT rep, stop_reason FROM reps WHERE run_id = ? ORDER BY rep", (run_id,))
            return dict(rows.fetchall())

    def trial_stats(self, run_id: int) -> dict[int, tuple[int, float, float | None]]:
        """Per repetition, in one pass: (stored trials, clock of its last trial, lowest error of its successes)."""
        with self._db() as db:
            if db is None:
                return {}
            rows = db.execute(
                "SELECT rep, COUNT(*), MAX(clock), MIN(CASE WHEN status = 'ok' THEN error END) FROM trials"
                " WHERE run_id = ? GROUP BY rep ORDER BY rep",
                (run_id,),
            ).fetchall()
        return {rep: (count, clock, best) for rep, count, clock, best in rows}

    def best(self, run_id: int) -> Trial | None:
        """The successful trial with the lowest error (first on ties), as the CLI's summary picks it."""
        return next(iter(self._trials(run_id, "status = 'ok'", (), "error, rep, trial", 1, 0)), (None, None))[1]

    def trials_after(self, run_id: int, after: int, limit: int) -> list[tuple[int, Trial]]:
        """Up to ``limit`` trials stored after the cursor ``after`` (a row id), in store order."""
        return self._trials(run_id, "rowid > ?", (after,), "rowid", limit, 0)

    def trials_page(
        self, run_id: int, status: str | None, rep: int | None, sort: str, order: str, offset: int, limit: int
    ) -> tuple[list[tuple[int, Trial]], int]:
        """A sorted, filtered page of trials and the number of trials matching the filter."""
        where, args = ["1 = 1"], []
        if status is not None:
            where.append(STATUS_WHERE[status])
        if rep is not None:
            where.append("rep = ?")
            args.append(rep)
        condition = " AND ".join(where)
        direction = "DESC" if order == "desc" else "ASC"
        rows = self._trials(run_id, condition, tuple(args), f"{SORT_COLUMNS[sort]} {direction}, rowid", limit, offset)
        with self._db() as db:
            total = 0 if db is None else db.execute(
                f"SELECT COUNT(*) FROM trials WHERE run_id = ? AND {condition}", (run_id, *args)
            ).fetchone()[0]  # fmt: skip
        return rows, total

    def trial(self, run_id: int, rep: int, trial: int) -> tuple[int, Trial] | None:
        """One trial by (rep, trial)."""
        rows = self._trials(run_id, "rep = ? AND trial = ?", (rep, trial), "rowid", 1, 0)
        return rows[0] if rows else None

    def _trials(
        self, run_id: int, condition: str, args: tuple[Any, ...], order: str, limit: int, offset: int
    ) -> list[tuple[int, Trial]]:
        with self._db() as db:
            if db is None:
                return []
            rows = db.execute(
                f"SELECT rowid, {', '.join(TRIAL_COLUMNS)} FROM trials WHERE run_id = ? AND {condition}"
                f" ORDER BY {order} LIMIT ? OFFSET ?",
                (run_id, *args, limit, offset),
            ).fetchall()
        return [(row[0], _trial_of(row[1:])) for row in rows]
