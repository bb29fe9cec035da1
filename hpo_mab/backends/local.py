"""Real objectives in this process, one trial at a time (the default for real objectives)."""

from __future__ import annotations

from collections.abc import Callable

from hpo_mab.backends.base import Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import WallClock
from hpo_mab.objectives.base import Outcome


class InProcessBackend:
    """Evaluate each ticket when it is submitted; its end is the next event."""

    recomputes_submissions = False

    def __init__(self, objective: Callable[[dict], Outcome], offset: float = 0.0) -> None:
        self.objective = objective
        self.clock = WallClock(offset)
        self._done: list[Finished] = []

    def submit(self, ticket: Ticket) -> None:
        """Evaluate now."""
        outcome = self.objective(ticket.config)
        self._done.append(Finished(ticket, outcome, self.clock.now()))

    def next_event(self) -> Event:
        """The trial evaluated last."""
        return self._done.pop(0)

    def answer(self, report: Report, verdict: Verdict) -> None:
        """This backend does not report epochs."""
        raise TypeError("the in-process backend does not report epochs")

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """Nothing reported yet."""
        return None

    def in_flight(self) -> int:
        """Evaluated trials not yet collected."""
        return len(self._done)

    def cancel_all(self) -> None:
        """Nothing runs in the background: forget what was not collected."""
        self._done.clear()

    def close(self) -> None:
        """Nothing to release."""
