"""The short summary printed at the end of a run."""

from __future__ import annotations

import statistics

from hpo_mab.assembly.session import RunReport, best_trial
from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.inputs.timestr import format_seconds
from hpo_mab.store.records import RunRecord


def summary_lines(report: RunReport) -> list[str]:
    """Best configuration, its error/accuracy and when it was found; per-repetition bests; the files."""
    lines = outcome_lines(report.run, report.outcomes)
    lines.append(f"trace: {report.trace_path}")
    lines.append(f"trials: {report.csv_path}")
    if report.internals_path:
        lines.append(f"internals: {report.internals_path}")
    return lines


def outcome_lines(run: RunRecord, outcomes: list[RepetitionOutcome]) -> list[str]:
    """The run, each repetition's best and stop reason, the median best, the best trial and configuration."""
    trials = [t for o in outcomes for t in o.trials]
    lines = [
        f"run #{run.id}: {run.benchmark} {run.mode}-{run.spec}, "
        f"seed {run.seed}, {len(outcomes)} repetition(s), {len(trials)} trials"
    ]
    for outcome in outcomes:
        best = best_trial(outcome.trials)
        if best is None:
            failures = [t for t in outcome.trials if t.status != "ok"]
            first = failures[0].note.removeprefix("failed: ") if failures else ""
            what = f"all {len(failures)} trials failed, first: {first}" if failures else "no trial"
            lines.append(f"  rep {outcome.rep}: {what} ({outcome.stop_reason})")
            continue
        lines.append(
            f"  rep {outcome.rep}: best error {best.error:.6f} (accuracy {best.accuracy:.6f}) at trial {best.trial}, "
            f"clock {format_seconds(best.clock)}; {len(outcome.trials)} trials, stopped: {outcome.stop_reason}"
        )
    best = best_trial(trials)
    if best is not None:
        bests = [b.error for b in map(best_trial, (o.trials for o in outcomes)) if b is not None]
        lines.append(f"median best error over repetitions: {statistics.median(bests):.6f}")
        lines.append(
            f"best: error {best.error:.6f}, accuracy {best.accuracy:.6f} (rep {best.rep}, trial {best.trial}, "
            f"candidate {best.candidate}, found at clock {format_seconds(best.clock)})"
        )
        lines.append("best configuration: " + ", ".join(f"{k}={v!r}" for k, v in best.config.items()))
    return lines
