"""What the user sees while a run goes: one line per trial (``-l log``), a progress bar, or nothing."""

from __future__ import annotations

import sys
from typing import TextIO

from hpo_mab.assembly.observer import Reporter
from hpo_mab.engine.criteria import StopCriterion
from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.inputs.timestr import format_seconds
from hpo_mab.store.records import RunRecord, Trial


def _first_line(note: str, limit: int = 120) -> str:
    """The first line of a failure note, at most ``limit`` characters."""
    line = note.strip().splitlines()[0] if note.strip() else "no reason recorded"
    line = line.removeprefix("failed: ")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def stop_text(trial: Trial) -> str:
    """`` stopped by ASHA at epoch 3 (0.9512 < 0.9630)``, ``paused ...``, ``resumed from epoch 3``, or nothing."""
    etr, text = trial.etr, ""
    if trial.resumed_from:
        text += f" resumed from epoch {trial.resumed_from}"
    if trial.early_terminated:
        verb = "paused" if etr.get("verdict") == "pause" else "stopped"
        text += f" {verb} by {etr.get('rule', '?')} at epoch {etr.get('checkpoint', trial.epochs)}"
        statistic, threshold = etr.get("statistic"), etr.get("threshold")
        if isinstance(statistic, float) and isinstance(threshold, float):
            text += f" ({statistic:.4f} < {threshold:.4f})"
        elif isinstance(statistic, float) and isinstance(threshold, list):
            text += f" ({statistic:.4f} in ({threshold[0]:g}, {threshold[1]:g}))"
    return text


class LineReporter(Reporter):
    """One line per trial: repetition, trial, arm, error, best so far, clock."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        """The output stream (standard output unless given)."""
        return self._stream or sys.stdout

    def start(self, run: RunRecord, num_reps: int, criterion: StopCriterion) -> None:
        """Print the run header."""
        print(
            f"run #{run.id} {run.benchmark} {run.mode}-{run.spec} seed {run.seed}, {num_reps} repetition(s)",
            file=self.stream,
            flush=True,
        )

    def trial(self, trial: Trial, best_error: float) -> None:
        """Print one trial line (a failed trial's with its reason instead of an error)."""
        result = f"failed: {_first_line(trial.note)}" if trial.status == "failed" else f"error {trial.error:.6f}"
        print(
            f"rep {trial.rep} trial {trial.trial:4d} {trial.arm:<12} {result} "
            f"best {best_error:.6f} clock {format_seconds(trial.clock)}" + stop_text(trial),
            file=self.stream,
            flush=True,
        )

    def rep_end(self, outcome: RepetitionOutcome) -> None:
        """Print why the repetition stopped."""
        print(
            f"rep {outcome.rep} stopped: {outcome.stop_reason} after {len(outcome.trials)} trials",
            file=self.stream,
            flush=True,
        )


class BarReporter(Reporter):
    """A rich progress bar over repetitions, advancing with the clock (TIME) or trials (GOAL)."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            transient=False,
            console=console or Console(stderr=True),
        )
        self._task = None
        self._criterion: StopCriterion | None = None

    def start(self, run: RunRecord, num_reps: int, criterion: StopCriterion) -> None:
        """Start the bar."""
        self._criterion = criterion
        total = num_reps * (criterion.budget if criterion.kind == "TIME" else 1.0)
        self._progress.start()
        self._task = self._progress.add_task(f"{run.benchmark} {run.mode}-{run.spec}", total=total, status="")
        self._reps_done = 0
        self._within: dict[int, float] = {}  # clock of each running repetition (several with -j)

    def _completed(self) -> float:
        unit = self._criterion.budget if self._criterion.kind == "TIME" else 1.0
        return self._reps_done * unit + sum(self._within.values())

    def trial(self, trial: Trial, best_error: float) -> None:
        """Advance to the trial's clock."""
        within = min(trial.clock, self._criterion.budget) if self._criterion.kind == "TIME" else 0.0
        self._within[trial.rep] = within
        self._progress.update(
            self._task, completed=self._completed(), status=f"rep {trial.rep} trial {trial.trial} best {best_error:.5f}"
        )

    def rep_end(self, outcome: RepetitionOutcome) -> None:
        """Count a finished repetition."""
        self._reps_done += 1
        self._within.pop(outcome.rep, None)
        self._progress.update(self._task, completed=self._completed())

    def close(self) -> None:
        """Stop the bar."""
        self._progress.stop()
