"""What the experiment page draws: the anytime curve (median and IQR over repetitions) and arm shares over time.

Both are computed from the store's trials with the report's own functions (``checkpoint_table``,
``strategy_arm_shares``), so the page shows what ``hpo-runner report`` would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_mab.reporting.summary import checkpoint_table, strategy_arm_shares

GRID_POINTS = 200
ARM_BINS = 12


def _read(store: Path, query: str, args: tuple) -> list[tuple]:
    """Rows of a read-only query of the store ([] while it does not exist or is being created)."""
    if not store.is_file():
        return []
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(query, args).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def newest_cursor(store: Path, run_id: int | None) -> int:
    """The cursor (row id) of the run's newest stored trial, 0 without any."""
    if run_id is None:
        return 0
    rows = _read(store, "SELECT MAX(rowid) FROM trials WHERE run_id = ?", (run_id,))
    return (rows[0][0] or 0) if rows else 0


def successful_trials(store: Path, run_id: int) -> pd.DataFrame:
    """The run's successful trials as a tidy frame (strategy and benchmark constant), read-only."""
    query = "SELECT rep, trial, clock, error, arm FROM trials WHERE run_id = ? AND status = 'ok' ORDER BY rep, trial"
    frame = pd.DataFrame(_read(store, query, (run_id,)), columns=["rep", "trial", "clock", "error", "arm"])
    frame["strategy"] = "run"
    frame["benchmark"] = "run"
    return frame


def _plain(values: Any) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def anytime(frame: pd.DataFrame, horizon: float | None = None, points: int = GRID_POINTS) -> dict[str, Any]:
    """Median, q25 and q75 over repetitions of the best error so far, on ``points`` times from 0 to the horizon.

    The horizon is the largest clock (or the budget given, when it is larger: a running experiment's
    curve then ends where it is, with the axis to the budget).
    """
    if frame.empty:
        return {"time": [], "median": [], "q25": [], "q75": [], "reps": []}
    top = float(frame["clock"].max())
    grid = np.linspace(0.0, top, points)
    table = checkpoint_table(frame, grid).sort_values("checkpoint")
    return {
        "time": _plain(table["checkpoint"]),
        "median": _plain(table["median"]),
        "q25": _plain(table["q25"]),
        "q75": _plain(table["q75"]),
        "reps": [int(r) for r in table["reps"]],
        "horizon": max(top, horizon or 0.0),
    }


def arm_shares(frame: pd.DataFrame, bins: int = ARM_BINS) -> dict[str, Any]:
    """Share of each arm among the trials of each of ``bins`` equal time bins (every repetition together)."""
    if frame.empty or frame["arm"].nunique() < 1:
        return {"bin_start": [], "bin_end": [], "arms": {}}
    table = strategy_arm_shares(frame, bins)
    starts = sorted(table["bin_start"].unique())
    ends = [float(table.loc[table["bin_start"] == s, "bin_end"].iloc[0]) for s in starts]
    arms = {
        str(arm): [float(rows.loc[rows["bin_start"] == s, "share"].sum()) for s in starts]
        for arm, rows in table.groupby("arm", sort=True)
    }
    return {"bin_start": [float(s) for s in starts], "bin_end": ends, "arms": arms}


def experiment_curves(store: Path, run_id: int | None, horizon: float | None = None) -> dict[str, Any]:
    """Both summaries of a run (empty ones before the run has a store id)."""
    frame = successful_trials(store, run_id) if run_id is not None else pd.DataFrame(columns=["clock", "arm"])
    return {"anytime": anytime(frame, horizon), "arm_shares": arm_shares(frame)}
