"""Trials as Dask tasks: on a LocalCluster or a running scheduler's (GPU) workers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from hpo_mab.backends.base import Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import WallClock
from hpo_mab.inputs.options import AtLeast, MappingOf, Number, option
from hpo_mab.objectives.base import Outcome, failed

LOST_WORKER_ERRORS = ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError")


@dataclass(frozen=True)
class DaskOptions:
    """run_conf ``resources`` (asked of a worker for each trial) and ``max_retries`` (lost workers)."""

    SECTION: ClassVar[str | None] = None
    resources: dict | None = option(None, MappingOf(Number(positive=True), "{GPU: 1}"), "worker resources per trial")
    max_retries: int = option(2, AtLeast(0), "re-submissions of a trial whose worker died")


class DaskBackend:
    """A trial whose worker dies is re-submitted (to any other worker) up to ``max_retries`` times,
    then recorded failed. ``resources`` ({"GPU": 1}) is asked of the worker for each trial."""

    recomputes_submissions = False

    def __init__(
        self, client: Any, objective: Callable[[dict], Outcome], options: DaskOptions, offset: float = 0.0
    ) -> None:
        self.client, self.objective = client, objective
        self.clock = WallClock(offset)
        self.resources = dict(options.resources or {}) or None
        self.max_retries = int(options.max_retries)
        self._futures: dict[Any, Ticket] = {}
        self._order = itertools.count()
        self._rank: dict[Any, int] = {}

    def submit(self, ticket: Ticket) -> None:
        """Submit the trial as a task (a fresh key per attempt)."""
        future = self.client.submit(self.objective, ticket.config, pure=False, resources=self.resources)
        self._futures[future] = ticket
        self._rank[future] = next(self._order)

    def next_event(self) -> Event:
        """Wait for a task to end; a lost worker means a retry, or a failed trial after max_retries."""
        from distributed import wait

        while True:
            done, _ = wait(list(self._futures), return_when="FIRST_COMPLETED")
            future = min(done, key=self._rank.__getitem__)
            ticket = self._futures.pop(future)
            self._rank.pop(future)
            if future.status == "finished":
                return Finished(ticket, future.result(), self.clock.now())
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
            return Finished(ticket, failed(reason), self.clock.now())

    def answer(self, report: Report, verdict: Verdict) -> None:
        """This backend does not report epochs yet."""
        raise TypeError("the Dask backend does not report epochs")

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """Nothing reported yet."""
        return None

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
