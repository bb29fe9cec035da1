"""Real objectives on this machine, one trial at a time (the default for real objectives).

The objective runs in a child process (a Python function) or its own process group (a command),
so that a crash, ``sys.exit`` or a hang ends only the trial. Its per-epoch reports come back as
they are made: the ones the rule asked for become ``Report`` events (the trial waits for the
verdict), the others only update the trial's curve (for ``failover: premature``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpo_mab.backends.base import Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import WallClock
from hpo_mab.objectives import streams


def start_trial(objective: Any, ticket: Ticket, worker: Any, scratch: Path | None = None) -> Any:
    """Start ``ticket`` on ``objective``: a Python function in ``worker``, or a command (files in ``scratch``)."""
    awaited = ticket.report_epochs if ticket.report_epochs is None else tuple(ticket.report_epochs)
    if worker is not None:
        return objective.start(ticket.config, awaited, worker)
    return objective.start(ticket.config, awaited, None if scratch is None else str(scratch))


class LocalBackend:
    """One trial at a time in a child process; its reports and end are the events."""

    recomputes_submissions = False

    def __init__(self, objective: Any, offset: float = 0.0, scratch: Path | None = None) -> None:
        self.objective, self.scratch = objective, scratch
        self.clock = WallClock(offset)
        self._worker = objective.worker() if hasattr(objective, "worker") else None
        self._running: tuple[Ticket, Any, list[float]] | None = None

    def submit(self, ticket: Ticket) -> None:
        """Start the trial now."""
        self._running = (ticket, start_trial(self.objective, ticket, self._worker, self.scratch), [])

    def next_event(self) -> Event:
        """The trial's next awaited report, or its end."""
        ticket, stream, curve = self._running
        awaited = ticket.report_epochs
        while True:
            message = stream.next()
            if isinstance(message, streams.Done):
                self._running = None
                return Finished(ticket, message.outcome, self.clock.now())
            curve.append(message.accuracy)
            if awaited is None or message.epoch in awaited:
                return Report(ticket, message.epoch, tuple(curve), self.clock.now())

    def answer(self, report: Report, verdict: Verdict) -> None:
        """Go on, or stop the trial (a pause stops it too: a real trial is not resumed)."""
        if self._running is not None:
            self._running[1].answer(verdict is not Verdict.CONTINUE)

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """The epochs it has reported and its error so far."""
        if self._running is None or not self._running[2]:
            return None
        curve = self._running[2]
        return len(curve), 1.0 - max(curve)

    def in_flight(self) -> int:
        """One while a trial runs."""
        return int(self._running is not None)

    def cancel_all(self) -> None:
        """End the running trial."""
        if self._running is not None:
            self._running[1].answer(True)
            self._running = None
        if self._worker is not None:
            self._worker.kill()

    def close(self) -> None:
        """End the child process."""
        if self._worker is not None:
            self._worker.close()
