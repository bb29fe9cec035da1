"""What a backend is: it runs submitted tickets and hands back events on its own clock.

A trial is a stream of events: zero or more ``Report`` (an epoch's value, while the trial runs)
and one ``Finished``. After a report the loop answers with a ``Verdict``: go on, stop the trial
now (its outcome is what it trained so far) or pause it (promotion-type early termination; it may
be resumed later). Backends only report the epochs they are asked for (``Ticket.report_epochs``;
``None`` means every epoch), so a run without early termination pays nothing for the channel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from hpo_mab.backends.clock import Clock
from hpo_mab.objectives.base import Outcome


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
    internals: dict | None = None  # the proposal's internals (``-p``)
    report_epochs: tuple[int, ...] | None = ()  # epochs to report while running (None: all)
    resume_from: int = 0  # epochs the candidate trained before (a promoted trial continues from there)
    reported: int = 0  # the last epoch reported and answered "go on" (a resumed ticket reports later ones)
    max_epochs: int | None = None  # train at most this many epochs (a budget), None: all
    etr: dict = field(default_factory=dict)  # the early-termination rule's record of this trial
    verdict: str | None = None  # "stop" or "pause" once the rule said so
    off_pool: bool = False  # a configuration proposed off the candidate pool (evaluated by its values)

    OPTIONAL = ("internals", "resume_from", "reported", "max_epochs", "etr", "verdict", "off_pool")

    def as_state(self) -> dict:
        """JSON-safe form stored with the repetition state (resume re-submits it)."""
        kept = ("candidate", "position", "worker", "started", "config", "decision", "opt_time", "opt_wall_time")
        state = {k: getattr(self, k) for k in kept}
        defaults = Ticket(0, 0, 0, 0.0, {})
        for k in self.OPTIONAL:  # only what differs from the default, so that stored states stay as before
            if getattr(self, k) != getattr(defaults, k):
                state[k] = getattr(self, k)
        return state

    @classmethod
    def from_state(cls, state: dict) -> Ticket:
        """Inverse of ``as_state``."""
        return cls(**state)


class BackendLost(RuntimeError):
    """The backend cannot go on (a Dask scheduler went away); the finished trials are stored."""


class Verdict(enum.Enum):
    """The loop's answer to a report."""

    CONTINUE = "continue"
    STOP = "stop"
    PAUSE = "pause"


@dataclass(frozen=True)
class Report:
    """An epoch of a running trial at ``clock``: ``curve`` holds the accuracy of epochs 1..epoch."""

    ticket: Ticket
    epoch: int
    curve: tuple[float, ...]
    clock: float

    @property
    def accuracy(self) -> float:
        """The accuracy of the reported epoch."""
        return self.curve[-1]

    @property
    def best(self) -> float:
        """The best accuracy of epochs 1..epoch (the statistic of the rules)."""
        return max(self.curve)


@dataclass(frozen=True)
class Finished:
    """A trial ended (completed, failed, or stopped after a verdict) at ``clock``."""

    ticket: Ticket
    outcome: Outcome
    clock: float


Event = Report | Finished


class Backend(Protocol):
    """Runs submitted tickets and hands back their events in the order of its clock.

    ``recomputes_submissions``: a resumed repetition proposes and submits again exactly what was
    in flight (a simulated backend is deterministic), so submissions need not be stored; real
    backends store each one, to re-submit the same ticket after a kill.
    """

    clock: Clock
    recomputes_submissions: bool

    def submit(self, ticket: Ticket) -> None:
        """Start ``ticket``."""
        ...

    def next_event(self) -> Event:
        """Wait for the next event of a ticket in flight."""
        ...

    def answer(self, report: Report, verdict: Verdict) -> None:
        """The loop's verdict on ``report`` (a stop or pause ends the trial with a ``Finished``)."""
        ...

    def interim(self, ticket: Ticket) -> tuple[int, float] | None:
        """(epochs trained, error so far) of a ticket in flight, or None if it has not reported an epoch."""
        ...

    def in_flight(self) -> int:
        """Tickets submitted and not finished yet."""
        ...

    def cancel_all(self) -> None:
        """Stop and forget every unfinished ticket."""
        ...

    def close(self) -> None:
        """Release what the backend holds."""
        ...
