"""What a run tells whoever watches it: start, each repetition, each stored trial, the end."""

from __future__ import annotations

from hpo_mab.engine.criteria import StopCriterion
from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.store.records import RunRecord, Trial


class Reporter:
    """Silent reporter; the base of the others."""

    def start(self, run: RunRecord, num_reps: int, criterion: StopCriterion) -> None:
        """A run starts (or resumes)."""

    def rep_start(self, rep: int) -> None:
        """A repetition starts (or resumes)."""

    def trial(self, trial: Trial, best_error: float) -> None:
        """A trial has been stored."""

    def rep_end(self, outcome: RepetitionOutcome) -> None:
        """A repetition has stopped."""

    def close(self) -> None:
        """The run is over."""
