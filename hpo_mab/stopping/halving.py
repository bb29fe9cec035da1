"""Successive halving: ASHA (stopping type), ASHA-PROMOTE (promotion type) and Hyperband (brackets).

Rungs are at ``min_epochs * eta**k`` epochs, below the last epoch E. The statistic at a rung is a
trial's best accuracy so far there.

* **ASHA** (stopping type, as Syne Tune's and Ray's default): a trial reaching a rung goes on if its
  value is at least the (1 - 1/eta) quantile of every value recorded at that rung so far, its own
  included; otherwise it stops there. Nothing is ever resumed.
* **ASHA-PROMOTE** (promotion type, Li et al. 2020): every trial pauses at its rung. When a worker is
  free, the highest rung with a paused trial among its top floor(n/eta) (n: trials that reached
  the rung) that has not been promoted yet sends that trial on to the next rung; otherwise the
  strategy proposes a new configuration, which starts at the first rung. On benchmarks a
  promoted trial continues where it paused: its epochs so far are not charged again.
* **Hyperband** (promotion type with brackets, as asynchronous Hyperband): each new trial is
  assigned a bracket s in 0..s_max with probability proportional to (s_max + 1) / (s + 1) *
  eta**s (the number of configurations of bracket s in Li et al.'s Hyperband); bracket s starts at
  E * eta**-s epochs (s = 0 trains fully) and promotes within its own rungs as ASHA-PROMOTE.
  The draws come from the rule's own random stream, stored with the repetition.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np

from hpo_mab.backends.base import Report, Ticket, Verdict
from hpo_mab.stopping.base import Promotion
from hpo_mab.store.records import Trial


def rungs(min_epochs: int, eta: float, max_epoch: int) -> tuple[int, ...]:
    """The rung epochs below the last epoch: min_epochs * eta**k, rounded, distinct."""
    out: list[int] = []
    k = 0
    while True:
        epoch = round(min_epochs * eta**k)
        if epoch >= max_epoch:
            return tuple(out)
        if not out or epoch > out[-1]:
            out.append(epoch)
        k += 1


class ASHA:
    """Asynchronous successive halving, stopping type."""

    name = "ASHA"

    def __init__(self, max_epoch: int, options: Any) -> None:
        self.max_epoch, self.options = max_epoch, options
        self.eta = float(options.eta)
        self.rungs = rungs(int(options.min_epochs), self.eta, max_epoch)
        self._values: dict[int, dict[int, float]] = {r: {} for r in self.rungs}  # rung -> candidate -> value
        self._pending: dict[int, dict[int, float]] = {}  # candidate in flight -> rung -> value

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """Report every rung."""
        return tuple(r for r in self.rungs if r > ticket.resume_from), {}

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Record the value at the rung; stop unless it is in the top 1/eta of the rung."""
        recorded = self._values[report.epoch]
        recorded[report.ticket.candidate] = report.best
        self._pending.setdefault(report.ticket.candidate, {})[report.epoch] = report.best
        values = np.fromiter(recorded.values(), float)
        threshold = float(np.quantile(values, 1.0 - 1.0 / self.eta))
        record = {
            "rule": self.name,
            "checkpoint": report.epoch,
            "statistic": report.best,
            "threshold": threshold,
            "rung_size": len(values),
        }
        return (Verdict.CONTINUE if report.best >= threshold else Verdict.STOP), record

    def observe(self, trial: Trial) -> None:
        """Every rung the stored trial reached has its value (idempotent)."""
        self._pending.pop(trial.candidate, None)
        if trial.status != "ok" or not trial.curve:
            return
        best = np.maximum.accumulate(np.asarray(trial.curve, dtype=float))
        for rung in self.rungs:
            if rung <= len(best):
                self._values[rung][trial.candidate] = float(best[rung - 1])

    def promotion(self) -> Promotion | None:
        """Nothing is paused."""
        return None

    def get_state(self) -> dict[str, Any]:
        """The rung values of trials still running (the stored trials hold the others)."""
        return {"pending": {str(c): {str(r): v for r, v in vals.items()} for c, vals in self._pending.items()}}

    def restore(self, trials: list[Trial], state: dict[str, Any]) -> None:
        """Replay the stored trials, then the values recorded by trials that were in flight."""
        for trial in trials:
            self.observe(trial)
        for candidate, values in state.get("pending", {}).items():
            for rung, value in values.items():
                self._values[int(rung)][int(candidate)] = float(value)
                self._pending.setdefault(int(candidate), {})[int(rung)] = float(value)


class RankedRung:
    """The values recorded at one rung of a bracket, kept ranked (best first, then the lower candidate)."""

    def __init__(self) -> None:
        self.values: dict[int, float] = {}
        self.ranked: list[tuple[float, int]] = []  # (-value, candidate), ascending

    def record(self, candidate: int, value: float) -> None:
        """Record (or replace) the candidate's value."""
        old = self.values.get(candidate)
        if old is not None:
            if old == value:
                return
            del self.ranked[bisect.bisect_left(self.ranked, (-old, candidate))]
        self.values[candidate] = value
        bisect.insort(self.ranked, (-value, candidate))

    def best(self, count: int) -> Iterator[int]:
        """The ``count`` best candidates, in rank order."""
        return (candidate for _, candidate in islice(self.ranked, count))

    def __len__(self) -> int:
        return len(self.values)


class PromotingHalving:
    """ASHA-PROMOTE (one bracket) and Hyperband (several): trials pause at rungs and are promoted."""

    def __init__(self, max_epoch: int, options: Any, seed_sequence: Any, brackets: bool, name: str) -> None:
        self.max_epoch, self.options, self.name = max_epoch, options, name
        self.eta = float(options.eta)
        base = rungs(int(options.min_epochs), self.eta, max_epoch)
        if brackets:  # bracket s: rungs from E * eta**-s on (s = 0: no rung, full training)
            self.brackets = [tuple(base[len(base) - s :]) for s in range(len(base) + 1)]
            weights = np.array([(len(base) + 1) / (s + 1) * self.eta**s for s in range(len(base) + 1)])
            self.weights = weights / weights.sum()
        else:
            self.brackets, self.weights = [base], np.ones(1)
        self.rng = np.random.Generator(np.random.PCG64(seed_sequence))
        # (bracket, rung) -> candidate -> value ; candidates paused at a rung, and those already promoted
        self._values: dict[tuple[int, int], RankedRung] = {}
        self._paused: dict[tuple[int, int], set[int]] = {}
        self._promoted: dict[tuple[int, int], set[int]] = {}
        self._pending: dict[int, list] = {}  # candidate in flight -> [bracket, rung, value] recorded at a pause

    def _bracket_of(self, ticket: Ticket) -> int:
        if "bracket" in ticket.etr:
            return int(ticket.etr["bracket"])
        return int(self.rng.choice(len(self.brackets), p=self.weights)) if len(self.brackets) > 1 else 0

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """A new trial gets its bracket; every trial reports the next rung of its bracket (where it pauses)."""
        bracket = self._bracket_of(ticket)
        if ticket.resume_from:  # a promotion in flight: not to be promoted again
            self._promoted.setdefault((bracket, ticket.resume_from), set()).add(ticket.candidate)
        upcoming = tuple(r for r in self.brackets[bracket] if r > ticket.resume_from)
        return upcoming[:1], {"rule": self.name, "bracket": bracket}

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Pause at the rung (and record the value there)."""
        bracket = int(report.ticket.etr.get("bracket", 0))
        key = (bracket, report.epoch)
        self._values.setdefault(key, RankedRung()).record(report.ticket.candidate, report.best)
        self._pending[report.ticket.candidate] = [bracket, report.epoch, report.best]
        return Verdict.PAUSE, {"rule": self.name, "checkpoint": report.epoch, "statistic": report.best,
                               "bracket": bracket, "rung_size": len(self._values[key])}  # fmt: skip

    def observe(self, trial: Trial) -> None:
        """A paused trial waits at its rung; a promoted one leaves the rung it paused at."""
        self._pending.pop(trial.candidate, None)
        if trial.status != "ok" or "bracket" not in trial.etr:
            return
        bracket = int(trial.etr["bracket"])
        if trial.resumed_from:
            key = (bracket, trial.resumed_from)
            self._paused.get(key, set()).discard(trial.candidate)
            self._promoted.setdefault(key, set()).add(trial.candidate)
        if trial.etr.get("verdict") == "pause":
            key = (bracket, trial.epochs)
            self._values.setdefault(key, RankedRung()).record(trial.candidate, float(max(trial.curve)))
            self._paused.setdefault(key, set()).add(trial.candidate)

    def promotion(self) -> Promotion | None:
        """The best paused trial of the highest rung whose top floor(n/eta) it belongs to, not promoted yet."""
        for bracket in range(len(self.brackets)):
            for rung in sorted(self.brackets[bracket], reverse=True):
                key = (bracket, rung)
                values = self._values.get(key)
                top = int(len(values) // self.eta) if values is not None else 0
                if top == 0:
                    continue
                done = self._promoted.get(key, set())
                for candidate in values.best(top):
                    if candidate not in done and candidate in self._paused.get(key, set()):
                        return Promotion(candidate, rung, {"rule": self.name, "bracket": bracket})
        return None

    def get_state(self) -> dict[str, Any]:
        """The random stream, and the values of pauses whose trial is not stored yet."""
        return {"rng": self.rng.bit_generator.state, "pending": {str(c): v for c, v in self._pending.items()}}

    def restore(self, trials: list[Trial], state: dict[str, Any]) -> None:
        """Replay the stored trials, then the pending pauses; the random stream as it was."""
        if "rng" in state:
            self.rng.bit_generator.state = state["rng"]
        for trial in trials:
            self.observe(trial)
        for candidate, (bracket, rung, value) in state.get("pending", {}).items():
            self._values.setdefault((int(bracket), int(rung)), RankedRung()).record(int(candidate), float(value))
            self._pending[int(candidate)] = [bracket, rung, value]
