"""Simulated workers on a lookup or model-based benchmark: an event queue on the simulated clock.

Evaluations take their table time. Events are ordered by time, ties by the order in which they
were queued, so a run is deterministic for a seed. A trial asked to report epochs (for an
early-termination rule) has one event per reported epoch, at its start plus the time of that
many epochs, and a stop after epoch k ends it there: it is charged k epochs and its error is that
of its best epoch so far.
"""

from __future__ import annotations

import heapq
import itertools

from hpo_mab.backends.base import Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import Overhead, SimulatedClock
from hpo_mab.objectives.base import OK, Outcome
from hpo_mab.surrogates.base import Benchmark, Result


def outcome_of(result: Result) -> Outcome:
    """The outcome of a benchmark evaluation."""
    return Outcome(OK, result.error, result.accuracy, result.exec_time, result.epochs, result.best_epoch, result.curve)


class SimulatedBackend:
    """W simulated workers: each submitted ticket is evaluated on the benchmark and finishes at its time."""

    recomputes_submissions = True

    def __init__(self, benchmark: Benchmark, overhead: Overhead, offset: float = 0.0) -> None:
        self.benchmark = benchmark
        self.clock = SimulatedClock(overhead, offset)
        self._events: list[tuple[float, int, Event]] = []
        self._order = itertools.count()
        self._running: dict[int, tuple[Ticket, Result, list[int]]] = {}  # id(ticket) -> epochs left to report

    def _push(self, event: Event) -> None:
        heapq.heappush(self._events, (event.clock, next(self._order), event))

    def _next_report(self, ticket: Ticket, result: Result, pending: list[int]) -> None:
        """Queue the next reported epoch of ``ticket``, or its end."""
        while pending:
            epoch = pending.pop(0)
            if epoch < result.epochs:
                partial = self.benchmark.evaluate(ticket.candidate, epoch)
                self._push(Report(ticket, epoch, partial.curve[-1], ticket.started + partial.exec_time))
                return
        self._running.pop(id(ticket), None)
        self._push(Finished(ticket, outcome_of(result), ticket.started + result.exec_time))

    def submit(self, ticket: Ticket) -> None:
        """Start ``ticket`` at its ``started`` clock."""
        result = self.benchmark.evaluate(ticket.candidate)
        if ticket.report_epochs == ():
            self._push(Finished(ticket, outcome_of(result), ticket.started + result.exec_time))
            return
        epochs = range(1, result.epochs) if ticket.report_epochs is None else sorted(ticket.report_epochs)
        pending = [e for e in epochs if 1 <= e < result.epochs]
        self._running[id(ticket)] = (ticket, result, pending)
        self._next_report(ticket, result, pending)

    def next_event(self) -> Event:
        """The earliest event; the clock moves to it."""
        _, _, event = heapq.heappop(self._events)
        self.clock.advance(event.clock)
        return event

    def answer(self, report: Report, verdict: Verdict) -> None:
        """Continue to the next reported epoch, or end the trial at the reported one."""
        ticket, result, pending = self._running[id(report.ticket)]
        if verdict is Verdict.CONTINUE:
            self._next_report(ticket, result, pending)
            return
        self._running.pop(id(ticket))
        partial = self.benchmark.evaluate(ticket.candidate, report.epoch)
        self._push(Finished(ticket, outcome_of(partial), report.clock))

    def in_flight(self) -> int:
        """Events not handed out yet (one per ticket in flight)."""
        return len(self._events)

    def cancel_all(self) -> None:
        """Drop every unfinished ticket (a GOAL was reached)."""
        self._events.clear()
        self._running.clear()

    def close(self) -> None:
        """Nothing to release."""
