"""The compare page's content: the report's summary tables and plot data of several experiments, or of a compare folder.

Experiments are read from the store (each one a strategy of the report, labelled by its name);
a folder written by ``hpo-runner compare`` (its ``compare.sqlite``) is read as ``hpo-runner report``
reads it. Either way the tables are the report's own (``summary_tables``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_mab.reporting.plots import time_grid
from hpo_mab.reporting.summary import checkpoint_table, rank_table, strategy_arm_shares
from hpo_mab.reporting.tidy import add_best_so_far
from hpo_mab.server.web.curves import successful_trials
from hpo_mab.server.web.labels import experiment_label

COMPARE_STORE = "compare.sqlite"
MAX_DEPTH = 3
TABLES = (
    ("overview", "Overview"),
    ("checkpoints", "Best error at checkpoints (median and quartiles over repetitions)"),
    ("goals", "Goals: success rate and median time to goal (seconds)"),
    ("ranks", "Mean rank over repetitions at checkpoints"),
    ("pairwise", "Wilcoxon signed-rank tests"),
    ("friedman", "Friedman tests"),
)


def compare_folders(results_dir: Path) -> list[str]:
    """Folders of the results folder (relative, a few levels deep) holding a compare store."""
    found = []
    for depth in range(MAX_DEPTH + 1):
        for path in sorted(results_dir.glob("/".join(["*"] * depth + [COMPARE_STORE]))):
            found.append(path.parent.relative_to(results_dir).as_posix())
    return found


def _unique_labels(experiments: list[dict[str, Any]]) -> list[str]:
    labels = [experiment_label(e) for e in experiments]
    pairs = zip(labels, experiments, strict=True)
    return [f"{label} [{e['id']}]" if labels.count(label) > 1 else label for label, e in pairs]


Summarised = tuple[pd.DataFrame, dict[str, float], float | None]
ANYTIME_KEYS = (("time", "checkpoint"), ("median", "median"), ("q25", "q25"), ("q75", "q75"))


def experiments_tidy(results_dir: Path, experiments: list[dict[str, Any]]) -> Summarised:
    """(tidy frame, goals by benchmark, the smallest TIME budget) of the chosen experiments."""
    from hpo_mab.server.routes_meta import benchmarks

    frames = []
    for experiment, label in zip(experiments, _unique_labels(experiments), strict=True):
        if experiment.get("run_id") is None:
            continue
        frame = successful_trials(results_dir / "hpo.sqlite", experiment["run_id"])
        request = experiment.get("request") or {}
        frame["strategy"] = label
        frame["benchmark"] = request.get("benchmark") or "objective"
        frames.append(frame)
    frames = [f for f in frames if not f.empty]
    tidy = add_best_so_far(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame()
    used = set(tidy["benchmark"]) if not tidy.empty else set()
    # the benchmark's default goal is an accuracy; the report's goals are errors (as ``compare`` stores them)
    goals = {b["name"]: 1.0 - float(b["goal"]) for b in benchmarks() if b["name"] in used and b.get("goal") is not None}
    budgets = [e["progress"]["budget_s"] for e in experiments if e.get("progress", {}).get("budget_s")]
    return tidy, goals, min(budgets) if budgets else None


def folder_tidy(folder: Path) -> Summarised:
    """(tidy frame, goals, budget) of a compare folder, as ``hpo-runner report`` reads it."""
    from hpo_mab.commands.compare import load_results, results_budget

    tidy, goals = load_results(folder)
    return tidy, goals, results_budget(folder)


def _plain(values: Any) -> list[Any]:
    out = []
    for v in values:
        if isinstance(v, np.generic):
            v = v.item()
        out.append(None if isinstance(v, float) and not np.isfinite(v) else v)
    return out


def _records(table: pd.DataFrame) -> dict[str, Any]:
    return {"columns": [str(c) for c in table.columns],
            "rows": [_plain(row) for row in table.itertuples(index=False, name=None)]}  # fmt: skip


def plot_data(tidy: pd.DataFrame) -> dict[str, Any]:
    """Per benchmark: the anytime median/IQR and mean rank of each strategy over time, and arm shares."""
    plots: dict[str, Any] = {}
    for benchmark, bench in tidy.groupby("benchmark", sort=True):
        grid = time_grid(bench)
        anytime = checkpoint_table(bench, grid)
        ranks = rank_table(bench, grid) if bench["strategy"].nunique() > 1 else pd.DataFrame()
        entry: dict[str, Any] = {"anytime": {}, "ranks": {}, "arms": {}}
        for strategy, rows in anytime.groupby("strategy", sort=True):
            entry["anytime"][strategy] = {k: _plain(rows[c]) for k, c in ANYTIME_KEYS}
        for strategy, rows in ranks.groupby("strategy", sort=True) if not ranks.empty else []:
            entry["ranks"][strategy] = {"time": _plain(rows["checkpoint"]), "mean_rank": _plain(rows["mean_rank"])}
        for strategy, group in bench.groupby("strategy", sort=True):
            if group["arm"].nunique() > 1:
                shares = strategy_arm_shares(group)
                entry["arms"][strategy] = {
                    str(arm): {"bin_start": _plain(r["bin_start"]), "share": _plain(r["share"])}
                    for arm, r in shares.groupby("arm", sort=True)
                }
        plots[str(benchmark)] = entry
    return plots


def summarise(tidy: pd.DataFrame, goals: dict[str, float], budget: float | None) -> dict[str, Any] | None:
    """The report's tables (``summary_tables`` at the default checkpoints within the budget) and plot data."""
    from hpo_mab.commands.compare import DEFAULT_CHECKPOINTS, within_budget
    from hpo_mab.inputs.timestr import parse_seconds
    from hpo_mab.reporting.report import comparison_time, summary_tables

    if tidy.empty:
        return None
    times = within_budget([parse_seconds(t) for t in DEFAULT_CHECKPOINTS.split(",")], budget, lambda _m: None)
    tables = summary_tables(tidy, goals, times, budget)
    return {
        "comparison_time": comparison_time(tidy, times),
        "tables": [(title, _records(tables[name])) for name, title in TABLES],
        "plots": plot_data(tidy),
    }


def compare_experiments(results_dir: Path, experiments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The compare page's content for the chosen experiments (None when none has a successful trial)."""
    return summarise(*experiments_tidy(results_dir, experiments))
