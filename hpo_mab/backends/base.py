"""Where trials run: simulated workers on the clock, this process, or Dask workers.

Every backend takes submitted tickets and hands back finished ones, with the clock at which they
finished. The simulated backend is an event queue ordered by finish time (ties by submission), so
it is deterministic for a seed; the real backends measure wall time since the repetition started.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hpo_mab.objectives.base import OK, Outcome, failed
from hpo_mab.surrogates.base import Benchmark


@dataclass
class Ticket:
    """A configuration handed to a worker: what was proposed, where, when."""

    candidate: int
    position: int
    worker: int
    started: float
    config: dict
    decision: dict = field(default_factory=dict)  # arm index, label, note, record (JSON-safe)
    opt_time: float = 0.0  # proposal time charged to the simulated clock
    opt_wall_time: float = 0.0  # proposal time measured
    attempts: int = 0

    def as_state(self) -> dict:
        """JSON-safe form stored with the repetition state (resume re-submits it)."""
        kept = ("candidate", "position", "worker", "started", "config", "decision", "opt_time", "opt_wall_time")
        return {k: getattr(self, k) for k in kept}


class Backend(Protocol):
    """Runs submitted tickets and hands back finished ones with the clock at which they finished."""

    def submit(self, ticket: Ticket) -> None:
        """Start ``ticket``."""
        ...

    def next_finished(self) -> tuple[Ticket, Outcome, float]:
        """Wait for the next ticket to finish: (ticket, outcome, finish clock)."""
        ...

    def in_flight(self) -> int:
        """Tickets submitted and not collected yet."""
        ...

    def cancel_all(self) -> None:
        """Stop and forget every unfinished ticket."""
        ...

    def close(self) -> None:
        """Release what the backend holds."""
        ...


class SimulatedBackend:
    """W simulated workers on a lookup or model-based benchmark: evaluations take their table time."""

    def __init__(self, benchmark: Benchmark) -> None:
        self.benchmark = benchmark
        self._events: list[tuple[float, int, Ticket, Outcome]] = []
        self._order = itertools.count()

    def submit(self, ticket: Ticket) -> None:
        """Start ``ticket`` at its ``started`` clock."""
        result = self.benchmark.evaluate(ticket.candidate)
        outcome = Outcome(
            OK, result.error, result.accuracy, result.exec_time, result.epochs, result.best_epoch, result.curve
        )
        heapq.heappush(self._events, (ticket.started + result.exec_time, next(self._order), ticket, outcome))

    def next_finished(self) -> tuple[Ticket, Outcome, float]:
        """The earliest finishing ticket."""
        finish, _, ticket, outcome = heapq.heappop(self._events)
        return ticket, outcome, finish

    def in_flight(self) -> int:
        """Tickets not finished yet."""
        return len(self._events)

    def cancel_all(self) -> None:
        """Drop every unfinished ticket (a GOAL was reached)."""
        self._events.clear()

    def close(self) -> None:
        """Nothing to release."""


class WallClock:
    """Seconds since the repetition (re)started, continuing the stored clock."""

    def __init__(self, offset: float) -> None:
        self._start = time.perf_counter() - offset

    def now(self) -> float:
        """Current clock."""
        return time.perf_counter() - self._start


class InProcessBackend:
    """Run the objective here, one trial at a time (the default for real objectives)."""

    def __init__(self, objective: Callable[[dict], Outcome], clock: WallClock) -> None:
        self.objective, self.clock = objective, clock
        self._done: list[tuple[Ticket, Outcome, float]] = []

    def submit(self, ticket: Ticket) -> None:
        """Evaluate now."""
        outcome = self.objective(ticket.config)
        self._done.append((ticket, outcome, self.clock.now()))

    def next_finished(self) -> tuple[Ticket, Outcome, float]:
        """The trial evaluated last."""
        return self._done.pop(0)

    def in_flight(self) -> int:
        """Evaluated trials not yet collected."""
        return len(self._done)

    def cancel_all(self) -> None:
        """Nothing runs in the background: forget what was not collected."""
        self._done.clear()

    def close(self) -> None:
        """Nothing to release."""


LOST_WORKER_ERRORS = ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError")


class DaskBackend:
    """Trials as Dask tasks: on a LocalCluster or a running scheduler's (GPU) workers.

    A trial whose worker dies is re-submitted (to any other worker) up to ``max_retries`` times,
    then recorded failed. ``resources`` ({"GPU": 1}) is asked of the worker for each trial.
    """

    def __init__(
        self,
        client: Any,
        objective: Callable[[dict], Outcome],
        clock: WallClock,
        resources: dict[str, float] | None = None,
        max_retries: int = 2,
    ) -> None:
        self.client, self.objective, self.clock = client, objective, clock
        self.resources = resources or None
        self.max_retries = max_retries
        self._futures: dict[Any, Ticket] = {}
        self._order = itertools.count()
        self._rank: dict[Any, int] = {}

    def submit(self, ticket: Ticket) -> None:
        """Submit the trial as a task (a fresh key per attempt)."""
        future = self.client.submit(self.objective, ticket.config, pure=False, resources=self.resources)
        self._futures[future] = ticket
        self._rank[future] = next(self._order)

    def next_finished(self) -> tuple[Ticket, Outcome, float]:
        """Wait for a task to end; a lost worker means a retry, or a failed trial after max_retries."""
        from distributed import wait

        while True:
            done, _ = wait(list(self._futures), return_when="FIRST_COMPLETED")
            future = min(done, key=self._rank.__getitem__)
            ticket = self._futures.pop(future)
            self._rank.pop(future)
            if future.status == "finished":
                return ticket, future.result(), self.clock.now()
            exc = future.exception()
            name = type(exc).__name__
            if name in LOST_WORKER_ERRORS and ticket.attempts < self.max_retries:
                ticket.attempts += 1
                self.submit(ticket)
                continue
            reason = (
                f"worker lost {ticket.attempts + 1} times (max_retries {self.max_retries})"
                if name in LOST_WORKER_ERRORS
                else f"task error {name}: {exc}"
            )
            return ticket, failed(reason), self.clock.now()

    def in_flight(self) -> int:
        """Tasks not collected yet."""
        return len(self._futures)

    def cancel_all(self) -> None:
        """Cancel every running task."""
        self.client.cancel(list(self._futures))
        self._futures.clear()
        self._rank.clear()

    def close(self) -> None:
        """Cancel what is left."""
        if self._futures:
            self.cancel_all()
