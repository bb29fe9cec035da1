"""Per-benchmark statistics on a tidy frame: anytime quantiles, goals, ranks, tests, arm shares.

A repetition that has no trial by a given time has no best error then: ``best_at`` reports NaN for
it, quantiles skip it (their ``reps`` column counts the repetitions that had a value), rankings put
it last (tied with any other such repetition), and the statistical tests leave it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

GOAL_TOLERANCE = 1e-12
_REP_KEYS = ["strategy", "benchmark", "rep"]


def run_horizon(run: pd.DataFrame, horizon: float | None) -> float | None:
    """The time up to which the trials of one run (one strategy label) count.

    Its own TIME budget when the frame has a ``budget`` column (traces of several budgets; NaN for a GOAL
    run), else ``horizon`` (None: no bound).
    """
    if "budget" in run.columns and not np.isnan(budget := float(run["budget"].iloc[0])):
        return budget
    return horizon


def best_at_times(tidy: pd.DataFrame, times: Sequence[float]) -> pd.DataFrame:
    """Best error of each (strategy, benchmark, rep) among trials with ``clock <= time``, for each time.

    Columns strategy, benchmark, rep, time, best_error (NaN when the rep had no trial by then). With a
    ``budget`` column (traces of several TIME budgets), a rep has no row at times beyond its budget: it did
    not run then, so it is neither summarised nor ranked there.
    """
    times = np.asarray(list(times), dtype=float)
    parts: list[pd.DataFrame] = []
    for (strategy, benchmark, rep), group in tidy.groupby(_REP_KEYS, sort=True):
        limit = run_horizon(group, None)
        grid = times if limit is None else times[times <= limit]
        clock = group["clock"].to_numpy(dtype=float)
        order = np.lexsort((group["trial"].to_numpy(), clock))
        running = np.fmin.accumulate(group["error"].to_numpy(dtype=float)[order])
        reached = np.searchsorted(clock[order], grid, side="right")
        best = np.where(reached > 0, running[np.maximum(reached - 1, 0)], np.nan)
        parts.append(
            pd.DataFrame({"strategy": strategy, "benchmark": benchmark, "rep": rep, "time": grid, "best_error": best})
        )
    if not parts:
        return pd.DataFrame(columns=[*_REP_KEYS, "time", "best_error"])
    return pd.concat(parts, ignore_index=True)


def best_at(tidy: pd.DataFrame, seconds: float) -> pd.DataFrame:
    """Best error per (strategy, benchmark, rep) among trials with ``clock <= seconds`` (NaN: no trial yet)."""
    return best_at_times(tidy, [seconds]).drop(columns="time")


def checkpoint_table(tidy: pd.DataFrame, checkpoints: Sequence[float]) -> pd.DataFrame:
    """Per (benchmark, strategy, checkpoint): reps with a value, median, q25, q75 of ``best_at`` over reps.

    Quantiles use numpy's default linear interpolation and skip NaN (reps without a trial yet).
    """
    points = sorted(set(map(float, checkpoints)))
    best = best_at_times(tidy, points)
    rows = []
    for (benchmark, strategy, time), group in best.groupby(["benchmark", "strategy", "time"], sort=True):
        values = group["best_error"].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        median, q25, q75 = np.percentile(values, [50, 25, 75]) if values.size else (np.nan, np.nan, np.nan)
        rows.append((benchmark, strategy, time, values.size, float(median), float(q25), float(q75)))
    return pd.DataFrame(rows, columns=["benchmark", "strategy", "checkpoint", "reps", "median", "q25", "q75"])


def goal_table(tidy: pd.DataFrame, goals: dict[str, float], horizon: float | None = None) -> pd.DataFrame:
    """Per (benchmark, strategy) of the benchmarks in ``goals`` (benchmark -> goal error).

    A rep reaches the goal with a trial of ``error <= goal + 1e-12`` that ended by ``horizon``
    (``clock <= horizon``, the rule of the checkpoints, so the trial that crosses a budget counts in
    neither); its time to goal is the smallest clock of such a trial, +inf if none.
    ``median_time_to_goal`` is the median over all reps (inf when half or more never reached it);
    ``success_rate`` the fraction of reps that reached it. With a ``budget`` column (traces of several
    TIME budgets) each run's own budget is its horizon.
    """
    rows = []
    for (benchmark, strategy), group in tidy.groupby(["benchmark", "strategy"], sort=True):
        if benchmark not in goals:
            continue
        goal = float(goals[benchmark])
        limit = run_horizon(group, horizon)
        within = group if limit is None else group[group["clock"] <= limit]
        hits = within[within["error"] <= goal + GOAL_TOLERANCE]
        first = hits.groupby("rep")["clock"].min()
        reps = np.sort(group["rep"].unique())
        times = np.array([first.get(r, np.inf) for r in reps], dtype=float)
        reached = int(np.isfinite(times).sum())
        rows.append((benchmark, strategy, goal, reps.size, reached / reps.size, float(np.median(times))))
    columns = ["benchmark", "strategy", "goal", "reps", "success_rate", "median_time_to_goal"]
    return pd.DataFrame(rows, columns=columns)


def common_reps(bench: pd.DataFrame) -> list:
    """Rep indices present for every strategy of a one-benchmark tidy frame, sorted."""
    per_strategy = [set(g["rep"]) for _, g in bench.groupby("strategy")]
    return sorted(set.intersection(*per_strategy)) if per_strategy else []


def rank_table(tidy: pd.DataFrame, checkpoints: Sequence[float]) -> pd.DataFrame:
    """Per (benchmark, strategy, checkpoint): mean rank of ``best_at`` over the reps present for all strategies.

    At each checkpoint and rep the strategies are ranked (1 = lowest error, ties share the average rank,
    a rep without a trial yet ranks last); ``reps`` is the number of reps averaged.
    """
    points = sorted(set(map(float, checkpoints)))
    rows = []
    for benchmark, bench in tidy.groupby("benchmark", sort=True):
        strategies = sorted(bench["strategy"].unique())
        reps = common_reps(bench)
        best = best_at_times(bench[bench["rep"].isin(reps)], points)
        for time, at_time in best.groupby("time", sort=True):
            table = at_time.pivot(index="rep", columns="strategy", values="best_error")
            present = [s for s in strategies if s in table.columns]  # a run has no rank beyond its budget
            values = np.nan_to_num(table[present].to_numpy(dtype=float), nan=np.inf)
            means = stats.rankdata(values, axis=1).mean(axis=0)
            rows += [(benchmark, s, time, float(m), len(reps)) for s, m in zip(present, means, strict=True)]
    return pd.DataFrame(rows, columns=["benchmark", "strategy", "checkpoint", "mean_rank", "reps"])


def _best_by_rep(bench: pd.DataFrame, at: float) -> pd.DataFrame:
    """``best_at`` of a one-benchmark frame as a rep x strategy table (NaN: rep absent or no trial yet)."""
    best = best_at(bench, at)
    return best.pivot(index="rep", columns="strategy", values="best_error").sort_index(axis=1)


def pairwise_tests(tidy: pd.DataFrame, at: float) -> pd.DataFrame:
    """Two-sided Wilcoxon signed-rank test of ``best_at(at)`` for each pair of strategies of each benchmark.

    Pairs are reps with a value for both a and b; ``median_diff`` is the median of a - b. ``statistic`` and
    ``p_value`` are NaN with fewer than 2 pairs or when every difference is zero.
    """
    rows = []
    for benchmark, bench in tidy.groupby("benchmark", sort=True):
        table = _best_by_rep(bench, at)
        for a, b in combinations(table.columns, 2):
            paired = table[[a, b]].dropna()
            diffs = (paired[a] - paired[b]).to_numpy(dtype=float)
            median_diff = float(np.median(diffs)) if diffs.size else np.nan
            statistic = p_value = np.nan
            if diffs.size >= 2 and np.any(diffs != 0):
                result = stats.wilcoxon(paired[a].to_numpy(), paired[b].to_numpy())
                statistic, p_value = float(result.statistic), float(result.pvalue)
            rows.append((benchmark, a, b, diffs.size, median_diff, statistic, p_value))
    return pd.DataFrame(rows, columns=["benchmark", "a", "b", "pairs", "median_diff", "statistic", "p_value"])


def friedman_test(tidy: pd.DataFrame, at: float) -> pd.DataFrame:
    """Friedman test of ``best_at(at)`` per benchmark with at least 3 strategies.

    Blocks are the reps with a value for every strategy; ``statistic`` and ``p_value`` are NaN with fewer
    than 2 blocks or when every block is a complete tie.
    """
    rows = []
    for benchmark, bench in tidy.groupby("benchmark", sort=True):
        table = _best_by_rep(bench, at)
        if table.shape[1] < 3:
            continue
        values = table.dropna().to_numpy(dtype=float)
        statistic = p_value = np.nan
        if values.shape[0] >= 2 and np.any(values != values[:, :1]):
            result = stats.friedmanchisquare(*values.T)
            statistic, p_value = float(result.statistic), float(result.pvalue)
        rows.append((benchmark, table.shape[1], values.shape[0], statistic, p_value))
    return pd.DataFrame(rows, columns=["benchmark", "strategies", "blocks", "statistic", "p_value"])


ARM_SHARE_COLUMNS = ["benchmark", "strategy", "bin", "bin_start", "bin_end", "arm", "trials", "share"]


def strategy_arm_shares(group: pd.DataFrame, bins: int = 12) -> pd.DataFrame:
    """Arm shares of one (benchmark, strategy) frame over ``bins`` equal time bins of [0, max clock].

    Bins are [start, end) except the last, which includes the max clock. Only bins with trials appear,
    each with every arm of the strategy (share 0 for an arm without trials there); columns as
    ``ARM_SHARE_COLUMNS``.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if group.empty:
        return pd.DataFrame(columns=ARM_SHARE_COLUMNS)
    clock = group["clock"].to_numpy(dtype=float)
    top = float(clock.max())
    edges = np.linspace(0.0, top, bins + 1)
    index = np.clip(np.searchsorted(edges, clock, side="right") - 1, 0, bins - 1) if top > 0 else np.zeros(len(clock))
    arms = sorted(group["arm"].astype(str).unique())
    counts = pd.crosstab(index.astype(int), group["arm"].astype(str).to_numpy()).reindex(columns=arms, fill_value=0)
    rows = []
    benchmark, strategy = group["benchmark"].iloc[0], group["strategy"].iloc[0]
    for b, counts_in_bin in counts.iterrows():
        total = int(counts_in_bin.sum())
        for arm in arms:
            n = int(counts_in_bin[arm])
            rows.append((benchmark, strategy, int(b), float(edges[b]), float(edges[b + 1]), arm, n, n / total))
    return pd.DataFrame(rows, columns=ARM_SHARE_COLUMNS)


def arm_shares(tidy: pd.DataFrame, bins: int = 12) -> pd.DataFrame:
    """Per (benchmark, strategy, time bin, arm): share of the bin's trials proposed by that arm.

    Only (benchmark, strategy) pairs whose ``arm`` column has more than one distinct value; see
    :func:`strategy_arm_shares` for the bins.
    """
    parts = [
        strategy_arm_shares(group, bins)
        for _, group in tidy.groupby(["benchmark", "strategy"], sort=True)
        if group["arm"].nunique() > 1
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ARM_SHARE_COLUMNS)


def overview_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """Per (benchmark, strategy): number of reps and trials, and the largest clock."""
    grouped = tidy.groupby(["benchmark", "strategy"], sort=True)
    table = grouped.agg(reps=("rep", "nunique"), trials=("trial", "size"), max_clock=("clock", "max"))
    return table.reset_index()
