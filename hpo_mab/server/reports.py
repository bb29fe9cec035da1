"""An experiment's report, as ``hpo-runner report TRACE`` writes it (summary.json, report.html)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _report(trace: Path, folder: Path, kind: str) -> Path:
    """Write the report of one JSON trace in ``folder`` (the ``report`` command's defaults); returns the file."""
    from hpo_mab.commands.compare import DEFAULT_CHECKPOINTS, load_results, results_budget, within_budget
    from hpo_mab.inputs.timestr import parse_seconds
    from hpo_mab.reporting.report import build_report

    tidy, goals = load_results(trace)
    budget = results_budget(trace)
    times = [parse_seconds(t, "--checkpoints") for t in DEFAULT_CHECKPOINTS.split(",")]
    times = within_budget(times, budget, lambda message: None)
    written = build_report(tidy, goals, times, folder, {kind}, budget)
    return written["summary.json" if kind == "json" else "report.html"]


def report_tables(trace: Path, folder: Path) -> dict[str, Any]:
    """The report's tables as JSON: checkpoints, goals, comparison time and every summary table as records."""
    return json.loads(_report(trace, folder, "json").read_text())


def report_html(trace: Path, folder: Path) -> Path:
    """The report's self-contained HTML page (plots included)."""
    return _report(trace, folder, "html")
