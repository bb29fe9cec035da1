"""The clock of a repetition, owned by its backend: simulated (surrogates) or wall time (real objectives).

The loop never asks which one it has: it reads ``now()``, asks how much of a proposal's measured
wall time to charge (``charge``) and where a new trial starts (``start``). On the simulated clock
the charge is the run's ``--overhead`` policy and trials start after it; on the wall clock time
passes by itself, nothing is charged and trials start now.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Overhead:
    """How measured optimizer wall time is charged to the simulated clock:
    ``measured`` (as measured), ``none`` (not at all) or a fixed number of seconds per trial."""

    mode: str  # "measured" | "none" | "fixed"
    seconds: float = 0.0

    def charge(self, wall_seconds: float) -> float:
        """Seconds added to the clock for one proposal."""
        if self.mode == "measured":
            return wall_seconds
        return self.seconds if self.mode == "fixed" else 0.0

    def __str__(self) -> str:
        return f"{self.seconds:g}" if self.mode == "fixed" else self.mode


class Clock(Protocol):
    """Seconds of a repetition."""

    def now(self) -> float:
        """The current time."""
        ...

    def charge(self, wall_seconds: float) -> float:
        """Seconds of a proposal's measured wall time charged to this clock."""
        ...

    def start(self, after: float, charged: float) -> float:
        """When a trial proposed at ``after`` (the last event) with ``charged`` seconds starts."""
        ...

    def restart(self, started: float) -> float:
        """When a trial that was in flight at a kill starts again on resume."""
        ...


class SimulatedClock:
    """Time advanced by the backend to each event; proposals cost what the overhead policy charges."""

    def __init__(self, overhead: Overhead, offset: float = 0.0) -> None:
        self.overhead = overhead
        self._now = offset

    def now(self) -> float:
        """The time of the last event."""
        return self._now

    def advance(self, to: float) -> None:
        """Move to the time of an event (never back)."""
        self._now = max(self._now, to)

    def charge(self, wall_seconds: float) -> float:
        """The overhead policy's charge."""
        return self.overhead.charge(wall_seconds)

    def start(self, after: float, charged: float) -> float:
        """After the proposal's charged time."""
        return after + charged

    def restart(self, started: float) -> float:
        """A simulated trial restarts where it started (its events are recomputed)."""
        return started


class WallClock:
    """Seconds since the repetition (re)started, continuing the stored clock."""

    def __init__(self, offset: float = 0.0) -> None:
        self._start = time.perf_counter() - offset

    def now(self) -> float:
        """Current clock."""
        return time.perf_counter() - self._start

    def charge(self, wall_seconds: float) -> float:
        """Nothing: the proposal's time has passed on this clock already."""
        return 0.0

    def start(self, after: float, charged: float) -> float:
        """Now."""
        return self.now()

    def restart(self, started: float) -> float:
        """Now."""
        return self.now()
