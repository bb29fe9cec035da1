"""What early termination saved and what it wrongly stopped, measured exactly on lookup tables.

A candidate counts as **stopped** when its last trial of a repetition trained fewer epochs than a
full training (stopped or paused by a rule and never promoted to the end, or trained on a smaller
budget): every mechanism is judged by what it left unfinished. Its full curve is in the table, so:

* **false stops**: stopped candidates whose full training would have reached the goal, as a share
  of the evaluated candidates that would have;
* **top-10 stops**: stopped candidates among the table's ten best, as a share of those evaluated;
* **before the goal**: the same two counts for the stops made before the repetition first reached
  the goal (a stop made later cannot delay the goal: it can only tie what was found), as a share
  of the same evaluated candidates;
* **time saved**: 1 - (training time charged) / (full training time of every candidate evaluated).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from hpo_mab.reporting.summary import GOAL_TOLERANCE

STOP_COLUMNS = [
    "strategy", "benchmark", "rep", "trial", "candidate", "clock", "exec_time", "epochs", "early_terminated",
    "resumed_from",
]  # fmt: skip


def candidate_outcomes(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (strategy, benchmark, rep, candidate): epochs and end clock of its last trial, time charged."""
    grouped = rows.groupby(["strategy", "benchmark", "rep", "candidate"], sort=True)
    return grouped.agg(epochs=("epochs", "last"), clock=("clock", "last"), charged=("exec_time", "sum")).reset_index()


def stop_table(
    rows: pd.DataFrame,
    tidy: pd.DataFrame,
    goals: dict[str, float],
    truth: Callable[[str], tuple[np.ndarray, np.ndarray, int]],
) -> pd.DataFrame:
    """Per (benchmark, strategy): success, median time to goal, evaluations, time saved, false and top-10 stops.

    ``truth(benchmark)`` gives (best accuracy of every candidate's full curve, its full training
    seconds, the number of epochs E), indexed by candidate id.
    """
    out = []
    per_candidate = candidate_outcomes(rows)
    for (benchmark, strategy), group in per_candidate.groupby(["benchmark", "strategy"], sort=True):
        best, seconds, max_epoch = truth(benchmark)
        goal_accuracy = 1.0 - goals[benchmark] if benchmark in goals else np.nan
        top10 = set(np.argsort(-best, kind="stable")[:10].tolist())
        candidates = group["candidate"].to_numpy()
        stopped = group["epochs"].to_numpy() < max_epoch
        would_reach = best[candidates] >= goal_accuracy - GOAL_TOLERANCE
        in_top = np.array([c in top10 for c in candidates], dtype=bool)
        full_time = float(seconds[candidates].sum())
        saved = 1.0 - float(group["charged"].sum()) / full_time if full_time > 0 else 0.0
        bench_tidy = tidy[(tidy["benchmark"] == benchmark) & (tidy["strategy"] == strategy)]
        times = time_to_goal(bench_tidy, goals.get(benchmark))
        reps = np.sort(bench_tidy["rep"].unique())
        goal_clock = dict(zip(reps, times, strict=True)) if len(times) == len(reps) else {}  # {}: no goal
        early = group["clock"].to_numpy() < group["rep"].map(goal_clock).fillna(np.inf).to_numpy()
        trials = rows[(rows["benchmark"] == benchmark) & (rows["strategy"] == strategy)]
        out.append(
            {
                "benchmark": benchmark,
                "strategy": strategy,
                "reps": len(times),
                "success_rate": float(np.isfinite(times).mean()) if len(times) else np.nan,
                "median_time_to_goal": float(np.median(times)) if len(times) else np.nan,
                "evaluations": float(trials.groupby("rep").size().median()),
                "time_saved": saved,
                "stopped": int(stopped.sum()),
                **stop_counts("false_stop", stopped, would_reach, early),
                **stop_counts("top10_stop", stopped, in_top, early),
            }
        )
    return pd.DataFrame(out)


def stop_counts(name: str, stopped: np.ndarray, among: np.ndarray, early: np.ndarray) -> dict[str, float]:
    """``{name}s``/``{name}_rate``: stopped candidates ``among`` those evaluated (count, share of ``among``), and
    ``..._before_goal``: those whose last trial ended before the repetition reached the goal (same share)."""
    hit, early_hit = stopped & among, stopped & among & early
    return {
        f"{name}s": int(hit.sum()),
        f"{name}_rate": float(hit.sum() / max(1, among.sum())),
        f"{name}s_before_goal": int(early_hit.sum()),
        f"{name}_rate_before_goal": float(early_hit.sum() / max(1, among.sum())),
    }


def time_to_goal(tidy: pd.DataFrame, goal_error: float | None) -> np.ndarray:
    """Per repetition, the clock of the first trial reaching the goal (+inf if none)."""
    if goal_error is None or tidy.empty:
        return np.zeros(0)
    reps = np.sort(tidy["rep"].unique())
    hits = tidy[tidy["error"] <= goal_error + GOAL_TOLERANCE].groupby("rep")["clock"].min()
    return np.array([hits.get(r, np.inf) for r in reps], dtype=float)


def time_to_goal_test(tidy: pd.DataFrame, goal_error: float, a: str, b: str, budget: float) -> tuple[float, float]:
    """(median ratio a/b of times to goal, two-sided Wilcoxon p) over the reps both ran; a miss counts as 2x budget."""
    ta = time_to_goal(tidy[tidy["strategy"] == a], goal_error)
    tb = time_to_goal(tidy[tidy["strategy"] == b], goal_error)
    n = min(len(ta), len(tb))
    ta, tb = np.minimum(ta[:n], 2 * budget), np.minimum(tb[:n], 2 * budget)
    ratio = float(np.median(ta) / np.median(tb)) if np.median(tb) > 0 else np.nan
    if n < 2 or np.all(ta == tb):
        return ratio, np.nan
    return ratio, float(stats.wilcoxon(ta, tb).pvalue)
