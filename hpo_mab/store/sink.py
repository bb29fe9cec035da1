"""Where the trial loop writes a repetition: the SQLite store, or memory (compare cells).

A sink holds one repetition: its trials, the state after the last one (random state, strategy
states, tickets in flight) and, once it has stopped, the reason. The loop writes a trial and the
state after it together, so a killed run resumes exactly where the last stored trial left it.
"""

from __future__ import annotations

import copy
from typing import Protocol

from hpo_mab.store.records import Trial
from hpo_mab.store.sqlite import ResultStore


class RepetitionSink(Protocol):
    """One repetition's trials and state."""

    def trials(self) -> list[Trial]:
        """Stored trials, in order."""
        ...

    def state(self) -> tuple[dict | None, str | None]:
        """(state after the last write, stop reason)."""
        ...

    def add_trial(self, trial: Trial, state: dict, internals: dict | None = None) -> None:
        """Store a finished trial and the state after it, atomically."""
        ...

    def save_state(self, state: dict) -> None:
        """Store the state between trials (a submission changed it)."""
        ...

    def finish(self, reason: str, state: dict) -> None:
        """The repetition stopped."""
        ...


class StoredRepetition:
    """Repetition ``rep`` of run ``run_id`` in the SQLite store."""

    def __init__(self, store: ResultStore, run_id: int, rep: int) -> None:
        self.store, self.run_id, self.rep = store, run_id, rep

    def trials(self) -> list[Trial]:
        """Stored trials, in order."""
        return self.store.trials(self.run_id, self.rep)

    def state(self) -> tuple[dict | None, str | None]:
        """(state, stop reason) as stored."""
        return self.store.rep_state(self.run_id, self.rep)

    def add_trial(self, trial: Trial, state: dict, internals: dict | None = None) -> None:
        """One transaction: the trial, the state after it, its internals."""
        self.store.add_trial(self.run_id, trial, state, internals)

    def save_state(self, state: dict) -> None:
        """Store the state."""
        self.store.save_state(self.run_id, self.rep, state)

    def finish(self, reason: str, state: dict) -> None:
        """Store the stop reason."""
        self.store.finish_rep(self.run_id, self.rep, reason, state)


class MemoryRepetition:
    """A repetition kept in memory (a compare cell is stored whole once it ends)."""

    def __init__(self) -> None:
        self._trials: list[Trial] = []
        self._state: dict | None = None
        self._reason: str | None = None
        self.internals: list[dict] = []

    def trials(self) -> list[Trial]:
        """Trials so far."""
        return list(self._trials)

    def state(self) -> tuple[dict | None, str | None]:
        """(state, stop reason)."""
        return copy.deepcopy(self._state), self._reason

    def add_trial(self, trial: Trial, state: dict, internals: dict | None = None) -> None:
        """Keep the trial and the state."""
        self._trials.append(trial)
        self._state = state
        if internals is not None:
            self.internals.append(internals)

    def save_state(self, state: dict) -> None:
        """Keep the state."""
        self._state = state

    def finish(self, reason: str, state: dict) -> None:
        """Keep the reason."""
        self._reason, self._state = reason, state
