"""What an early-termination rule is to the trial loop.

For every trial it submits, the loop asks the rule which epochs it wants to hear about
(``plan``: ``()`` none, ``None`` every one; the rule may also tag the trial, e.g. with its
Hyperband bracket); each reported epoch goes to ``decide``, whose verdict (go on, stop, pause) the
backend carries out. A promotion-type rule hands paused trials back (``promotion``) before the
strategy is asked for a new configuration. The rule learns from every stored trial (``observe``),
and on resume it is rebuilt from the stored trials plus its small state (``get_state``: what no
stored trial holds, such as the records of trials in flight and its random state), so a resumed
run decides exactly as the uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from hpo_mab.backends.base import Report, Ticket, Verdict
from hpo_mab.store.records import Trial


@dataclass(frozen=True)
class Promotion:
    """A paused candidate to resume: it has trained ``from_epoch`` epochs; ``record`` goes with it."""

    candidate: int
    from_epoch: int
    record: dict


class Rule(Protocol):
    """An early-termination rule of one repetition."""

    name: str

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """(epochs of ``ticket`` to report, the rule's record of the trial) for a trial about to start."""
        ...

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """The verdict on a reported epoch, and its record (checkpoint, statistic, threshold)."""
        ...

    def observe(self, trial: Trial) -> None:
        """A trial was stored: learn its curve."""
        ...

    def promotion(self) -> Promotion | None:
        """A paused trial to continue now, if any (promotion-type rules)."""
        ...

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state that the stored trials do not hold."""
        ...

    def restore(self, trials: list[Trial], state: dict[str, Any]) -> None:
        """Rebuild from the stored trials (in order) and ``get_state``."""
        ...


class NoRule:
    """``None``: every trial trains all its epochs."""

    name = "None"

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """Nothing to report."""
        return (), {}

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Always go on."""
        return Verdict.CONTINUE, {}

    def observe(self, trial: Trial) -> None:
        """Nothing to learn."""

    def promotion(self) -> Promotion | None:
        """Nothing is paused."""
        return None

    def get_state(self) -> dict[str, Any]:
        """No state."""
        return {}

    def restore(self, trials: list[Trial], state: dict[str, Any]) -> None:
        """No state."""


NO_RULE = NoRule()
