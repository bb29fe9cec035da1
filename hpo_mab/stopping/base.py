"""What an early-termination rule is to the trial loop.

The loop asks the rule, for each trial it submits, which epochs it wants to hear about
(``report_epochs``: ``()`` none, ``None`` every one); each reported epoch goes to ``decide``, whose
verdict (go on, stop, pause) the backend carries out. The rule learns every finished trial's curve
(``observe``) and its state is stored with the repetition, so a resumed run decides the same way.
"""

from __future__ import annotations

from typing import Any, Protocol

from hpo_mab.backends.base import Report, Verdict
from hpo_mab.objectives.base import Outcome


class Rule(Protocol):
    """An early-termination rule of one repetition."""

    name: str

    def report_epochs(self, max_epoch: int | None) -> tuple[int, ...] | None:
        """The epochs of a new trial the rule wants reported (``()``: none; ``None``: all)."""
        ...

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """The verdict on a reported epoch, and its record (checkpoint, statistic, threshold)."""
        ...

    def observe(self, candidate: int, outcome: Outcome) -> None:
        """A trial ended: learn its curve."""
        ...

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state."""
        ...

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore ``get_state``."""
        ...


class NoRule:
    """``None``: every trial trains all its epochs."""

    name = "None"

    def report_epochs(self, max_epoch: int | None) -> tuple[int, ...] | None:
        """Nothing to report."""
        return ()

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Always go on."""
        return Verdict.CONTINUE, {}

    def observe(self, candidate: int, outcome: Outcome) -> None:
        """Nothing to learn."""

    def get_state(self) -> dict[str, Any]:
        """No state."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """No state."""


NO_RULE = NoRule()
