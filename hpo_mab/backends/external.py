"""Trials run by pull workers elsewhere (external experiments of ``hpo-runner serve``).

The repetition's loop runs in a thread of the server. ``submit`` makes a ticket a pending trial
in the lease store (``hpo_mab.store.leases``), which a worker claims over HTTP. The API handlers
call ``report``, ``complete`` and ``fail`` from their own threads: each is written to the store
first, then becomes an event on a thread-safe queue that ``next_event`` hands to the loop. An
awaited report waits for the loop's verdict (the early-termination rule), which is stored before
it is answered; a report the rule did not ask for is answered "go on" at once. A stop ends the
trial at once with what it trained (the worker is told and ends its command). A repeated report
(same attempt and epoch) gets the stored answer again; a repeated result is not counted twice.

On resume (``-r`` semantics after a killed server) the loop submits its in-flight tickets again:
a trial that ended meanwhile is handed back from its stored result, a running one keeps its
attempt and its stored reports. The clock is wall time, continuing the stored clock.
"""

from __future__ import annotations

import collections
import queue
import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from hpo_mab.backends.base import BackendLost, Event, Finished, Report, Ticket, Verdict
from hpo_mab.backends.clock import WallClock
from hpo_mab.backends.external_options import ExternalTarget, LeaseOptions  # noqa: F401 - re-exported
from hpo_mab.objectives.base import Outcome, failed, outcome_from_result
from hpo_mab.objectives.streams import stopped_outcome
from hpo_mab.store.leases import Conflict, LeaseStore, TrialRow

POLL = 0.1  # seconds between looks at the stop flag while no event comes
VERDICT_TIMEOUT = 60.0  # a report waits at most this long for the loop's verdict, then goes on (the API's)
CONTINUE = {"stop": False, "rule": None, "reason": None}


class ExperimentStopped(BackendLost):
    """The experiment was stopped (``:stop`` or the server's shutdown); its finished trials are stored."""


@dataclass
class _Live:
    """A submitted ticket and what its current attempt reported."""

    ticket: Ticket
    attempt: int = 0
    curve: list[float] = field(default_factory=list)  # accuracies of epochs 1..n of the current attempt


class ExternalBackend:
    """One repetition's trials as leases claimed by pull workers (thread-safe for the API's handlers)."""

    recomputes_submissions = False

    def __init__(
        self, store: LeaseStore, experiment: str, rep: int, rule: str, metric: str, offset: float,
        stopping: threading.Event,
    ) -> None:  # fmt: skip
        self.store, self.experiment, self.rep, self.rule, self.metric = store, experiment, rep, rule, metric
        self.clock = WallClock(offset)
        self._stopping = stopping
        self._lock = threading.Lock()
        self._events: queue.Queue[Event] = queue.Queue()
        self._ready: collections.deque[Event] = collections.deque()  # ends known at submission (resume)
        self._live: dict[str, _Live] = {}  # trial id -> its ticket, until its Finished is handed to the loop
        self._ids: dict[int, str] = {}  # id(ticket) -> trial id
        self._waiting: dict[tuple[str, int, int], Future] = {}  # (trial, attempt, epoch) -> the verdict

    # the loop's side (Backend)

    def submit(self, ticket: Ticket) -> None:
        """Offer the ticket to the workers (a re-submitted one finds its stored trial)."""
        row = self.store.offer(
            _new_id(), self.experiment, self.rep, ticket.candidate, ticket.resume_from, ticket.config
        )
        with self._lock:
            self._live[row.id] = live = _Live(ticket, row.attempt, [])
            self._ids[id(ticket)] = row.id
            if row.status in ("running", "stopped"):
                answered = self.store.reports(row.id, row.attempt)
                live.curve = [a for _, a, _ in answered]
                ticket.reported = max((e for e, _, x in answered if x and not x["stop"]), default=ticket.reported)
            if row.status in ("completed", "failed", "stopped"):
                self._ready.append(Finished(ticket, self._stored_outcome(row, live), self.clock.now()))

    def _stored_outcome(self, row: TrialRow, live: _Live) -> Outcome:
        """The outcome of a trial that ended before this submission (stored with its result)."""
        result = row.result or {}
        if row.status == "stopped":
            live.ticket.verdict = result.get("verdict", "stop")
            live.ticket.etr = {**live.ticket.etr, **result.get("etr", {})}
            return stopped_outcome(result.get("curve", live.curve), result.get("exec_time", 0.0))
        return _outcome(result)

    def next_event(self) -> Event:
        """The next report awaiting a verdict or trial end (ExperimentStopped once the experiment is stopped)."""
        while True:
            if self._stopping.is_set():
                raise ExperimentStopped(f"experiment {self.experiment} stopped")
            if self._ready:
                event = self._ready.popleft()
            else:
                try:
                    event = self._events.get(timeout=POLL)
                except queue.Empty:
                    continue
            if isinstance(event, Finished):
                with self._lock:
                    trial_id = self._ids.pop(id(event.ticket), None)
                    if trial_id is None or self._live.pop(trial_id, None) is None:
                        continue  # cancelled meanwhile
            return event

    def answer(self, report: Report, verdict: Verdict) -> None:
        """Store the verdict, answer the waiting report; a stop (or pause) ends the trial with what it trained."""
        trial_id = self._ids.get(id(report.ticket))
        if trial_id is None:
            return
        with self._lock:
            live = self._live[trial_id]
            answer = CONTINUE if verdict is Verdict.CONTINUE else self._stop_answer(report.ticket, report.epoch)
            key = (trial_id, live.attempt, report.epoch)
            self.store.answer_report(*key, answer)
            if answer["stop"]:
                self._stop(trial_id, live, report.ticket)
            waiting = self._waiting.pop(key, None)
        if waiting is not None:
            waiting.set_result(answer)

    def _stop_answer(self, ticket: Ticket, epoch: int) -> dict:
        record = ticket.etr
        reason = f"{self.rule} stopped the trial at epoch {epoch}"
        if "statistic" in record and "threshold" in record:
            reason += f" (statistic {_number(record['statistic'])}, threshold {_number(record['threshold'])})"
        return {"stop": True, "rule": self.rule, "reason": reason}

    def _stop(self, trial_id: str, live: _Live, ticket: Ticket) -> None:
        """End a stopped trial now (under the lock): stored as stopped, handed to the loop as finished."""
        seconds = self.store.clock() - self.store.claimed_at(trial_id, live.attempt)
        result = {"verdict": ticket.verdict or "stop", "etr": ticket.etr, "exec_time": seconds, "curve": live.curve}
        try:
            _, ended = self.store.end(trial_id, live.attempt, "stopped", result)
        except Conflict:
            return  # superseded or cancelled meanwhile: its new attempt or the cancel decides
        if not ended:
            return  # its result came first
        self._events.put(Finished(ticket, stopped_outcome(live.curve, seconds), self.clock.now()))

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """The epochs its current attempt reported and its error so far."""
        with self._lock:
            live = self._live.get(self._ids.get(id(ticket), ""))
            if live is None or not live.curve:
                return None
            return len(live.curve), 1.0 - max(live.curve)

    def in_flight(self) -> int:
        """Tickets submitted whose end the loop has not had yet."""
        with self._lock:
            return len(self._live)

    def cancel_all(self) -> None:
        """Cancel every unfinished trial (its worker is told to stop at its next report or heartbeat)."""
        with self._lock:
            ids = list(self._live)
            self.store.cancel(ids)
            self._live.clear()
            self._ids.clear()
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_result(_cancelled())

    def close(self) -> None:
        """Release reports still waiting for a verdict (the trials stay stored for a resume)."""
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_result({"stop": True, "rule": None, "reason": "the experiment is not running"})

    # the workers' side (called from the API's threads)

    def owns(self, trial_id: str) -> bool:
        """True while ``trial_id`` is one of this repetition's trials in flight."""
        with self._lock:
            return trial_id in self._live

    def report(self, row: TrialRow, epoch: int, accuracy: float) -> dict | Future:
        """Answer a stored report of ``row``'s current attempt: go on at once, or a future of the rule's verdict."""
        trial_id, attempt = row.id, row.attempt
        with self._lock:
            live = self._live.get(trial_id)
            key = (trial_id, attempt, epoch)
            future = self._waiting.get(key)
            if future is not None:  # the same report again while the first waits: the same verdict
                return future
            if live is None or row.status != "running":
                answer = ended_answer(row)
            else:
                if live.attempt != attempt:  # a new attempt starts a new curve
                    live.attempt, live.curve = attempt, []
                curve = live.curve
                while len(curve) < epoch - 1:  # epochs not reported: the best so far stands for them
                    curve.append(max(curve, default=0.0))
                curve[epoch - 1 :] = [accuracy]
                ticket = live.ticket
                awaited = ticket.report_epochs is None or epoch in ticket.report_epochs
                if ticket.verdict is None and awaited and epoch > ticket.reported:
                    future = self._waiting[key] = Future()
                    self._events.put(Report(ticket, epoch, tuple(curve), self.clock.now()))
                    return future
                answer = CONTINUE
            self.store.answer_report(trial_id, attempt, epoch, answer)
            return answer

    def finished(self, trial_id: str, outcome: Outcome) -> None:
        """A trial of this repetition ended (its result is stored): hand it to the loop."""
        with self._lock:
            live = self._live.get(trial_id)
            if live is not None:
                self._events.put(Finished(live.ticket, outcome, self.clock.now()))


def result_outcome(store: LeaseStore, trial_id: str, attempt: int, metrics: dict, metric: str) -> Outcome:
    """A worker's result as an outcome (its curve from the stored reports); ValueError for a bad result."""
    curve = [a for _, a, _ in store.reports(trial_id, attempt)]
    seconds = store.clock() - store.claimed_at(trial_id, attempt)
    outcome = outcome_from_result(metrics, metric, seconds, list(enumerate(curve, 1)))
    if not outcome.ok:
        raise ValueError(outcome.reason)
    return outcome


def failure_outcome(store: LeaseStore, trial_id: str, attempt: int, reason: str) -> Outcome:
    """A worker's failure as an outcome."""
    return failed(reason, store.clock() - store.claimed_at(trial_id, attempt))


def end_trial(
    store: LeaseStore, trial_id: str, attempt: int, outcome: Outcome, backend: ExternalBackend | None
) -> dict:
    """Store the attempt's end (once: a repeated one is not counted again), then hand it to the loop."""
    row, ended = store.end(trial_id, attempt, "completed" if outcome.ok else "failed", stored_outcome(outcome))
    if ended and backend is not None:
        backend.finished(trial_id, outcome)
    return {"status": api_status(row.status)}


def answer_detached(store: LeaseStore, row: TrialRow, epoch: int, running: bool) -> dict:
    """The answer to a report no live repetition holds: go on while the experiment runs, else stop."""
    answer = CONTINUE if running and row.status == "running" else ended_answer(row, running)
    store.answer_report(row.id, row.attempt, epoch, answer)
    return answer


class ExternalSession:
    """A backend per repetition of an external experiment, sharing its lease store and stop flag."""

    def __init__(self, store: LeaseStore, experiment: str, rule: str, metric: str, stopping: threading.Event) -> None:
        self.store, self.experiment, self.rule, self.metric = store, experiment, rule, metric
        self.stopping = stopping
        self.current: ExternalBackend | None = None
        self._reps = 0

    def backend(self, offset: float) -> ExternalBackend:
        """The next repetition's backend (the session runs repetitions in order, from 0)."""
        self.current = ExternalBackend(
            self.store, self.experiment, self._reps, self.rule, self.metric, offset, self.stopping
        )
        self._reps += 1
        return self.current

    def close(self) -> None:
        """Nothing to release (the lease store belongs to the server)."""


def _number(value: object) -> str:
    """A rule's number (or bounds) for a message."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _new_id() -> str:
    return secrets.token_hex(8)


def stored_outcome(outcome: Outcome) -> dict:
    """An outcome as stored with its trial (``_outcome`` reads it back)."""
    return {
        "status": outcome.status,
        "error": outcome.error,
        "accuracy": outcome.accuracy,
        "exec_time": outcome.exec_time,
        "epochs": outcome.epochs,
        "best_epoch": outcome.best_epoch,
        "curve": list(outcome.curve),
        "reason": outcome.reason,
    }


def _outcome(stored: dict) -> Outcome:
    return Outcome(**{**stored, "curve": tuple(stored.get("curve", ()))})


def api_status(status: str) -> str:
    return {"stopped": "early_terminated"}.get(status, status)


def _cancelled() -> dict:
    return {"stop": True, "rule": None, "reason": "the trial was cancelled (the repetition ended)"}


def ended_answer(row: TrialRow, running: bool = True) -> dict:
    """The answer to a report of a trial that is not running (or of an experiment that is not)."""
    if row.status == "cancelled":
        return _cancelled()
    if row.status == "running" and not running:
        return {"stop": True, "rule": None, "reason": "the experiment is not running"}
    return {"stop": True, "rule": None, "reason": f"the trial is {api_status(row.status)}"}
