"""A report of a tidy frame: summary tables as CSV / JSON, and an HTML page with plots."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hpo_mab.reporting.html import Block, write_html
from hpo_mab.reporting.plots import anytime_plot, arm_share_plot, rank_plot, success_plot
from hpo_mab.reporting.summary import (
    arm_shares,
    checkpoint_table,
    friedman_test,
    goal_table,
    overview_table,
    pairwise_tests,
    rank_table,
)
from hpo_mab.terminal.text_table import aligned_table

FORMATS = frozenset({"csv", "json", "html"})


def comparison_time(tidy: pd.DataFrame, checkpoints: Sequence[float]) -> float:
    """Time of the statistical tests: the last checkpoint, or the largest clock without checkpoints."""
    if len(checkpoints):
        return float(max(checkpoints))
    return float(tidy["clock"].max()) if not tidy.empty else 0.0


def summary_tables(
    tidy: pd.DataFrame, goals: dict[str, float], checkpoints: Sequence[float], horizon: float | None = None
) -> dict[str, pd.DataFrame]:
    """All summary tables by name: overview, checkpoints, goals, ranks, pairwise, friedman, arm_shares.

    With a ``horizon`` (the TIME budget), success counts only trials that ended by it, as the
    checkpoints count trials that ended by their time.
    """
    at = comparison_time(tidy, checkpoints)
    return {
        "overview": overview_table(tidy),
        "checkpoints": checkpoint_table(tidy, checkpoints),
        "goals": goal_table(tidy, goals, horizon),
        "ranks": rank_table(tidy, checkpoints),
        "pairwise": pairwise_tests(tidy, at),
        "friedman": friedman_test(tidy, at),
        "arm_shares": arm_shares(tidy),
    }


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)) or "_"


def write_plots(tidy: pd.DataFrame, goals: dict[str, float], plot_dir: Path) -> dict[str, list[Path]]:
    """PNG plots per benchmark: anytime, rank (2+ strategies), success (with a goal), arm shares (2+ arms)."""
    plots: dict[str, list[Path]] = {}
    for benchmark, bench in tidy.groupby("benchmark", sort=True):
        stem = plot_dir / _safe(benchmark)
        paths = [anytime_plot(tidy, benchmark, stem.with_name(f"{stem.name}-anytime.png"))]
        if bench["strategy"].nunique() > 1:
            paths.append(rank_plot(tidy, benchmark, stem.with_name(f"{stem.name}-rank.png")))
        if benchmark in goals:
            paths.append(success_plot(tidy, benchmark, goals[benchmark], stem.with_name(f"{stem.name}-success.png")))
        for strategy, group in bench.groupby("strategy", sort=True):
            if group["arm"].nunique() > 1:
                path = stem.with_name(f"{stem.name}-{_safe(strategy)}-arms.png")
                paths.append(arm_share_plot(tidy, benchmark, strategy, path))
        plots[benchmark] = paths
    return plots


def _json_value(value: object) -> object:
    """Plain JSON: numpy scalars as Python values, NaN as null, infinities as "inf" / "-inf"."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _records(table: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): _json_value(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def build_report(
    tidy: pd.DataFrame,
    goals: dict[str, float],
    checkpoints: list[float],
    out_dir: Path,
    formats: set[str],
    horizon: float | None = None,
) -> dict[str, Path]:
    """Write the report in ``formats`` to ``out_dir``; returns what was written, keyed by path in ``out_dir``.

    "csv": ``tidy.csv`` and ``<table>.csv`` per summary table; "json": ``summary.json`` (tables as records,
    NaN as null, infinities as "inf"); "html": ``plots/*.png`` and the self-contained ``report.html``.
    The pairwise and Friedman tests are at :func:`comparison_time`.
    """
    unknown = set(formats) - FORMATS
    if unknown:
        raise ValueError(f"unknown report format(s) {sorted(unknown)}; known: {sorted(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = summary_tables(tidy, goals, checkpoints, horizon)
    at = comparison_time(tidy, checkpoints)
    written: dict[str, Path] = {}
    if "csv" in formats:
        for name, table in {"tidy": tidy, **tables}.items():
            path = out_dir / f"{name}.csv"
            table.to_csv(path, index=False)
            written[path.name] = path
    if "json" in formats:
        content = {
            "checkpoints": [float(c) for c in checkpoints],
            "goals": {str(k): float(v) for k, v in goals.items()},
            "comparison_time": at,
            "tables": {name: _records(table) for name, table in tables.items()},
        }
        path = out_dir / "summary.json"
        path.write_text(json.dumps(content, indent=1, allow_nan=False))
        written[path.name] = path
    if "html" in formats:
        plots = write_plots(tidy, goals, out_dir / "plots")
        for paths in plots.values():
            written.update({p.relative_to(out_dir).as_posix(): p for p in paths})
        sections: list[tuple[str, list[Block]]] = [
            ("Overview", [tables["overview"]]),
            ("Best error at checkpoints (median and quartiles over repetitions)", [tables["checkpoints"]]),
            ("Goals: success rate and median time to goal (seconds)", [tables["goals"]]),
            ("Mean rank over repetitions at checkpoints", [tables["ranks"]]),
            (f"Wilcoxon signed-rank tests at {at:.6g} s", [tables["pairwise"]]),
            (f"Friedman tests at {at:.6g} s", [tables["friedman"]]),
            ("Arm shares over time", [tables["arm_shares"]]),
        ]
        sections += [(f"Benchmark {benchmark}", list(paths)) for benchmark, paths in plots.items()]
        written["report.html"] = write_html(out_dir / "report.html", "HPO report", sections)
    return written


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def summary_text(tables: dict[str, pd.DataFrame]) -> str:
    """Plain-text tables for the terminal, one titled block per table."""
    blocks = []
    for name, table in tables.items():
        rows = [[_plain(v) for v in row] for row in table.itertuples(index=False, name=None)]
        blocks.append(f"{name}\n{aligned_table([str(c) for c in table.columns], rows)}")
    return "\n\n".join(blocks)
