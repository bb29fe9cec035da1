"""Rules that compare a trial with the earlier curves at the same epoch: Tercet, Median/Percentile,
AdaptiveMedian, Interval.

Every statistic is the **best accuracy so far** (max of epochs 1..k) of the trial and of the
earlier curves at the same epoch k, so that like is compared with like (the original compared a
current accuracy with other curves' mean accuracy, and its median rule then reported the
full-curve result). Percentiles are numpy's (linear interpolation). A rule that has not yet seen
``min_curves`` curves at a checkpoint stops nothing there.

**Tercet semantics** (DecaTercet β = 0.1, PentaTercet 0.2, TetraTercet 0.25; the original's two
code paths disagreed): at the first checkpoint, epoch floor(E/2), a trial stops if it is below the
100β-th percentile (the bottom β of the curves that got there are dropped); at the second, epoch
floor((1 - β) E), it stops if it is below the 100(1 - β)-th percentile of the curves that reached
that epoch (only the top β of the survivors train to the end). This is the original remote
trainer's semantics; its emulator used the 100(1 - β)-th percentile at both checkpoints.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_mab.backends.base import Report, Ticket, Verdict
from hpo_mab.stopping.base import Promotion
from hpo_mab.stopping.memory import CurveMemory
from hpo_mab.store.records import Trial


class CurveRule:
    """Common bookkeeping of the rules that learn from stored curves and never pause."""

    name = "rule"

    def __init__(self, max_epoch: int, options: Any) -> None:
        self.max_epoch = max_epoch
        self.options = options
        self.memory = CurveMemory(max_epoch)
        self._best: dict[int, np.ndarray] = {}

    def checkpoints(self) -> tuple[int, ...]:
        """The epochs this rule decides at (before the last)."""
        raise NotImplementedError

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """Report the checkpoints."""
        return tuple(e for e in self.checkpoints() if ticket.resume_from < e < self.max_epoch), {}

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Compare the trial's best accuracy so far with the rule's threshold at this epoch."""
        raise NotImplementedError

    def observe(self, trial: Trial) -> None:
        """Remember the stored trial's curve."""
        self.memory.add(trial)

    def promotion(self) -> Promotion | None:
        """These rules never pause a trial."""
        return None

    def get_state(self) -> dict[str, Any]:
        """Everything is in the stored trials."""
        return {}

    def restore(self, trials: list[Trial], state: dict[str, Any]) -> None:
        """Replay the stored trials."""
        for trial in trials:
            self.observe(trial)

    def _record(self, report: Report, values: np.ndarray) -> dict:
        """What every decision records: the rule, the epoch, the trial's statistic, the curves compared."""
        return {"rule": self.name, "checkpoint": report.epoch, "statistic": report.best, "curves": len(values)}

    def _below(self, report: Report, percentile: float, min_curves: int) -> tuple[Verdict, dict]:
        """Stop when the report's best accuracy so far is below ``percentile`` of the stored curves at its epoch."""
        values = self.memory.at(report.epoch)
        record = self._record(report, values)
        if len(values) < min_curves:
            return Verdict.CONTINUE, {**record, "threshold": None}
        threshold = float(np.percentile(values, percentile))
        record.update(threshold=threshold, percentile=percentile)
        return (Verdict.STOP if report.best < threshold else Verdict.CONTINUE), record


class Tercet(CurveRule):
    """Two checkpoints with survive ratio ``beta`` (see the module's docstring)."""

    def __init__(self, max_epoch: int, options: Any, beta: float, name: str) -> None:
        super().__init__(max_epoch, options)
        self.beta, self.name = beta, name
        first = max(1, max_epoch // 2)
        self.first, self.second = first, max(first + 1, math.floor((1 - beta) * max_epoch))

    def checkpoints(self) -> tuple[int, ...]:
        """floor(E/2) and floor((1 - beta) E)."""
        return (self.first, self.second)

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Drop the bottom beta at the first checkpoint; keep the top beta at the second."""
        percentile = 100 * self.beta if report.epoch == self.first else 100 * (1 - self.beta)
        return self._below(report, percentile, self.options.min_curves)


class Percentile(CurveRule):
    """Stop a trial whose best accuracy so far is below a percentile of the earlier curves (Median: the 50th)."""

    def __init__(self, max_epoch: int, options: Any, percentile: float | None = None, name: str = "Percentile"):
        super().__init__(max_epoch, options)
        self.percentile = float(percentile if percentile is not None else options.percentile)
        self.name = name
        self.warmup = options.warmup_epochs or max(1, math.ceil(max_epoch / 4))

    def checkpoints(self) -> tuple[int, ...]:
        """Every ``interval`` epochs from the warm-up on."""
        return tuple(range(self.warmup, self.max_epoch, self.options.interval))

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Below the percentile: stop."""
        return self._below(report, self.percentile, self.options.min_curves)


class AdaptiveMedian(CurveRule):
    """The median rule, checked from an epoch learned from this run's complete curves (ours).

    Median waits a fixed warm-up W (a quarter of the epochs) because early epochs may rank curves
    wrongly; how early they rank them well depends on the problem. Once ``min_complete`` curves
    have trained to the end, the rule looks at the best ``top_share`` of them (by final best
    accuracy) and starts at the earliest epoch s <= W from which none of them was below the median
    of the stored curves at any epoch s..W-1: had it checked there, it would have stopped none of
    the run's best curves. Before that it is Median. The start is recomputed whenever a curve is
    stored; every decision records it (``start``). Its evidence is censored: once the start is
    early, a curve below the median there is stopped and never completes, so a late bloomer cannot
    move the start back (measured: too early on breast-cancer-gbm, README "Early termination").
    """

    name = "AdaptiveMedian"

    def __init__(self, max_epoch: int, options: Any) -> None:
        super().__init__(max_epoch, options)
        self.warmup = options.warmup_epochs or max(1, math.ceil(max_epoch / 4))  # Median's
        self._observed = 0  # trials stored so far: a new one (or a longer curve) may move the start
        self._start: tuple[int, int] | None = None  # (trials stored, start) of the last computation

    def checkpoints(self) -> tuple[int, ...]:
        """Every epoch: the start moves as curves complete."""
        return tuple(range(1, self.max_epoch))

    def observe(self, trial: Trial) -> None:
        """Remember the curve; the start is recomputed at the next decision."""
        super().observe(trial)
        self._observed += 1

    def start(self) -> int:
        """The first epoch checked now (see the class docstring)."""
        if self._start is None or self._start[0] != self._observed:
            self._start = (self._observed, self._earliest_safe_epoch())
        return self._start[1]

    def _earliest_safe_epoch(self) -> int:
        complete = self.memory.complete()
        if len(complete) < self.options.min_complete:
            return self.warmup
        finals = complete[:, -1]
        best = complete[finals >= np.quantile(finals, 1.0 - float(self.options.top_share))]
        start = self.warmup
        for epoch in range(min(self.warmup, self.max_epoch) - 1, 0, -1):  # a warm-up past E: from E - 1 down
            values = self.memory.at(epoch)
            if len(values) < self.options.min_curves or (best[:, epoch - 1] < np.median(values)).any():
                break
            start = epoch
        return start

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Before the start: continue; from it on, Median."""
        start = self.start()
        if report.epoch < start:
            record = self._record(report, self.memory.at(report.epoch))
            return Verdict.CONTINUE, {**record, "threshold": None, "start": start}
        verdict, record = self._below(report, 50.0, self.options.min_curves)
        return verdict, {**record, "start": start}


class IntervalRule(CurveRule):
    """Stop at the first epoch whose accuracy lies strictly between ``low`` and ``high`` (diverged or chance)."""

    name = "Interval"

    def checkpoints(self) -> tuple[int, ...]:
        """Every epoch from ``after_epoch`` on."""
        return tuple(range(self.options.after_epoch, self.max_epoch))

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Inside (low, high): stop."""
        low, high = self.options.low, self.options.high
        record = {"rule": self.name, "checkpoint": report.epoch, "statistic": report.accuracy, "threshold": [low, high]}
        return (Verdict.STOP if low < report.accuracy < high else Verdict.CONTINUE), record
