"""Simulated workers on a lookup or model-based benchmark: an event queue on the simulated clock.

Evaluations take their table time. Events are ordered by time, ties by the order in which they
were queued, so a run is deterministic for a seed. A trial asked to report epochs (for an
early-termination rule) has one event per reported epoch, at its start plus the time of the
epochs trained so far; a stop after epoch k ends it there: it is charged k epochs and its error is
that of its best epoch so far. A promoted trial (``resume_from`` r) continues where it paused: it
is charged only the epochs after r, and its result is that of all its epochs. A configuration
proposed off the pool (``Ticket.off_pool``, a continuous benchmark) is evaluated by its values.
"""

from __future__ import annotations

import heapq
import itertools
import math

from hpo_mab.backends.base import Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import Overhead, SimulatedClock
from hpo_mab.objectives.base import OK, Outcome
from hpo_mab.surrogates.base import Benchmark, Result


def outcome_of(result: Result, charged: float | None = None) -> Outcome:
    """The outcome of a benchmark evaluation (``charged``: its exec time, if not the whole result's)."""
    seconds = result.exec_time if charged is None else charged
    return Outcome(OK, result.error, result.accuracy, seconds, result.epochs, result.best_epoch, result.curve)


class SimulatedBackend:
    """W simulated workers: each submitted ticket is evaluated on the benchmark and finishes at its time."""

    recomputes_submissions = True

    def __init__(self, benchmark: Benchmark, overhead: Overhead, offset: float = 0.0) -> None:
        self.benchmark = benchmark
        self.clock = SimulatedClock(overhead, offset)
        self._events: list[tuple[float, int, Event]] = []
        self._order = itertools.count()
        self._running: dict[int, tuple[Ticket, list[int]]] = {}  # id(ticket) -> epochs left to report

    def _evaluate(self, ticket: Ticket, epochs: int | None = None) -> Result:
        """The benchmark's result of the ticket's candidate (by its values if it is off the pool)."""
        if ticket.off_pool:
            return self.benchmark.evaluate_config(ticket.config, epochs)
        return self.benchmark.evaluate(ticket.candidate, epochs)

    def _push(self, event: Event) -> None:
        heapq.heappush(self._events, (event.clock, next(self._order), event))

    def _seconds(self, ticket: Ticket, epochs: int) -> float:
        """Simulated seconds from the ticket's start to the end of epoch ``epochs``."""
        elapsed = self._evaluate(ticket, epochs).exec_time
        if ticket.resume_from:
            elapsed -= self._evaluate(ticket, ticket.resume_from).exec_time
        return elapsed

    def _target(self, ticket: Ticket) -> Result:
        """The result the ticket trains to (all epochs, or its budget)."""
        full = self._evaluate(ticket)
        if ticket.max_epochs is None or ticket.max_epochs >= full.epochs:
            return full
        return self._evaluate(ticket, ticket.max_epochs)

    def _next_report(self, ticket: Ticket, pending: list[int]) -> None:
        """Queue the next reported epoch of ``ticket``, or its end."""
        target = self._target(ticket)
        while pending:
            epoch = pending.pop(0)
            if epoch < target.epochs:
                partial = self._evaluate(ticket, epoch)
                self._push(Report(ticket, epoch, partial.curve, ticket.started + self._seconds(ticket, epoch)))
                return
        self._running.pop(id(ticket), None)
        self._finish(ticket, target, ticket.started + self._seconds(ticket, target.epochs))

    def _finish(self, ticket: Ticket, result: Result, clock: float) -> None:
        charged = None if not ticket.resume_from else self._seconds(ticket, result.epochs)
        self._push(Finished(ticket, outcome_of(result, charged), clock))

    def submit(self, ticket: Ticket) -> None:
        """Start ``ticket`` at its ``started`` clock."""
        if ticket.report_epochs == () and not ticket.resume_from and ticket.max_epochs is None:
            result = self._evaluate(ticket)
            self._push(Finished(ticket, outcome_of(result), ticket.started + result.exec_time))
            return
        target = self._target(ticket)
        epochs = range(1, target.epochs) if ticket.report_epochs is None else sorted(ticket.report_epochs)
        first = max(ticket.resume_from, ticket.reported)
        pending = [e for e in epochs if first < e < target.epochs]
        self._running[id(ticket)] = (ticket, pending)
        self._next_report(ticket, pending)

    def next_event(self) -> Event:
        """The earliest event; the clock moves to it."""
        _, _, event = heapq.heappop(self._events)
        self.clock.advance(event.clock)
        return event

    def answer(self, report: Report, verdict: Verdict) -> None:
        """Continue to the next reported epoch, or end the trial at the reported one."""
        ticket, pending = self._running[id(report.ticket)]
        if verdict is Verdict.CONTINUE:
            self._next_report(ticket, pending)
            return
        self._running.pop(id(ticket))
        self._finish(ticket, self._evaluate(ticket, report.epoch), report.clock)

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """(epochs trained, error so far) of a ticket in flight at the current clock; None before its first epoch."""
        full = self._evaluate(ticket)
        per_epoch = full.exec_time / full.epochs
        elapsed = max(0.0, self.clock.now() - ticket.started)
        done = ticket.resume_from + (math.floor(elapsed / per_epoch) if per_epoch > 0 else full.epochs)
        done = min(done, self._target(ticket).epochs)
        if done <= 0:
            return None
        return done, self._evaluate(ticket, done).error

    def in_flight(self) -> int:
        """Events not handed out yet (one per ticket in flight)."""
        return len(self._events)

    def cancel_all(self) -> None:
        """Drop every unfinished ticket (a GOAL was reached)."""
        self._events.clear()
        self._running.clear()

    def close(self) -> None:
        """Nothing to release."""
