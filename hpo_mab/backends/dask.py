"""Trials as Dask tasks: on a LocalCluster or a running scheduler's (GPU) workers.

Reports reach the deciding side while the trial runs: the task relays each epoch its objective
reports to a Dask ``Queue`` of the backend (through the scheduler), and for an awaited epoch waits
on a queue of its own for the verdict, which ``answer`` puts there; a stop ends the objective on
the worker (its child process or process group), and the task returns what it trained. Without a
rule (nothing awaited) and without ``failover: premature`` no report is sent at all.
"""

from __future__ import annotations

import itertools
import queue
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any, ClassVar

from hpo_mab.backends.base import BackendLost, Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import WallClock
from hpo_mab.backends.local import start_trial
from hpo_mab.inputs.options import AtLeast, MappingOf, Number, option
from hpo_mab.objectives.base import Outcome, failed

LOST_WORKER_ERRORS = ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError")
VERDICT_TIMEOUT = 600.0  # a trial waiting for a verdict longer than this (the client is gone) goes on
POLL = 0.05  # seconds between looks at the report queue and the tasks


def run_reporting(objective: Any, ticket: Ticket, channel: str, key: str) -> Any:
    """The task on a worker: run the trial, relay its reports to ``channel``, wait for awaited verdicts."""
    from distributed import Queue

    from hpo_mab.objectives import streams

    reports, verdicts = Queue(channel), Queue(f"{channel}-{key}")
    worker = objective.worker() if hasattr(objective, "worker") else None
    stream = start_trial(objective, ticket, worker)
    try:
        while True:
            message = stream.next()
            if isinstance(message, streams.Done):
                return message.outcome
            reports.put({"key": key, "epoch": message.epoch, "accuracy": message.accuracy})
            if ticket.report_epochs is None or message.epoch in ticket.report_epochs:
                try:
                    verdict = verdicts.get(timeout=VERDICT_TIMEOUT)
                except TimeoutError:
                    verdict = "continue"
                stream.answer(verdict != "continue")
    finally:
        if worker is not None:
            worker.close()


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
        self,
        client: Any,
        objective: Callable[[dict], Outcome],
        options: DaskOptions,
        offset: float = 0.0,
        reports: bool = False,
    ) -> None:
        self.client, self.objective = client, objective
        self.clock = WallClock(offset)
        self.resources = dict(options.resources or {}) or None
        self.max_retries = int(options.max_retries)
        self.reports = reports
        self._futures: dict[Any, Ticket] = {}
        self._order = itertools.count()
        self._rank: dict[Any, int] = {}
        self._channel = f"hpo-reports-{uuid.uuid4().hex}"
        self._queue: Any = None
        self._keys: dict[str, Ticket] = {}
        self._curves: dict[int, list[float]] = {}  # id(ticket) -> accuracies reported so far
        self._waiting: dict[int, str] = {}  # id(ticket) -> the key of its task, waiting for a verdict

    def submit(self, ticket: Ticket) -> None:
        """Submit the trial as a task (a fresh key per attempt)."""
        if self.reports or ticket.report_epochs != ():
            from distributed import Queue

            if self._queue is None:
                self._queue = Queue(self._channel, client=self.client)
            key = uuid.uuid4().hex
            self._keys[key] = ticket
            self._curves[id(ticket)] = []
            future = self.client.submit(
                run_reporting, self.objective, ticket, self._channel, key, pure=False, resources=self.resources
            )
            future.hpo_key = key
        else:
            future = self.client.submit(self.objective, ticket.config, pure=False, resources=self.resources)
        self._futures[future] = ticket
        self._rank[future] = next(self._order)

    def _check_connection(self) -> None:
        """Raise ``BackendLost`` (one line for the user) once the client has lost its scheduler."""
        if self.client.status != "running":
            raise BackendLost(self._lost())

    def _lost(self) -> str:
        address = getattr(self.client.scheduler, "address", None) or "the scheduler"
        return (
            f"lost the connection to the Dask scheduler {address}: the finished trials are stored; "
            "run the same command with -r once a scheduler is back"
        )

    def _report(self) -> Event | None:
        """A report from the queue that the rule asked for (others only update the curve), or None."""
        if self._queue is None:
            return None
        while True:
            try:
                message = self._queue.get(timeout=POLL)
            except (TimeoutError, queue.Empty):
                return None
            except OSError as exc:  # CommClosedError and connection errors are OSErrors
                raise BackendLost(self._lost()) from exc
            ticket = self._keys.get(message["key"])
            if ticket is None:
                continue  # a report of a trial that has ended already
            curve = self._curves[id(ticket)]
            curve.append(float(message["accuracy"]))
            if ticket.report_epochs is None or message["epoch"] in ticket.report_epochs:
                self._waiting[id(ticket)] = message["key"]
                return Report(ticket, int(message["epoch"]), tuple(curve), self.clock.now())

    def next_event(self) -> Event:
        """The next awaited report, or a task's end (a lost worker: a retry, or failed after max_retries)."""
        from distributed import wait

        while True:
            report = self._report()
            if report is not None:
                return report
            timeout = POLL if self._queue is not None else None
            try:
                done, _ = wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
            except TimeoutError:
                self._check_connection()
                continue
            except CancelledError as exc:  # distributed raises for any cancelled future
                if "scheduler-connection-lost" in str(exc):
                    raise BackendLost(self._lost()) from None
                self._check_connection()
                done = {f for f in self._futures if f.cancelled()}
            if not done:
                continue
            future = min(done, key=self._rank.__getitem__)
            ticket = self._futures.pop(future)
            self._rank.pop(future)
            key = getattr(future, "hpo_key", None)
            if key is not None:
                self._keys.pop(key, None)
            if future.status == "finished":
                self._curves.pop(id(ticket), None)
                return Finished(ticket, future.result(), self.clock.now())
            exc = None if future.cancelled() else future.exception()
            name = "CancelledError" if exc is None else type(exc).__name__
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
        """Send the verdict to the task waiting for it (a pause stops it: a real trial is not resumed)."""
        from distributed import Queue

        key = self._waiting.pop(id(report.ticket), None)
        if key is not None:
            Queue(f"{self._channel}-{key}", client=self.client).put(
                "continue" if verdict is Verdict.CONTINUE else "stop"
            )

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """The epochs it has reported and its error so far."""
        curve = self._curves.get(id(ticket))
        return (len(curve), 1.0 - max(curve)) if curve else None

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
