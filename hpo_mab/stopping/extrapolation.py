"""CurveNN: a model-based rule of our own, extrapolating a partial curve by its nearest complete curves.

At each checkpoint k (``checkpoints`` epochs spread over the first half of training), a trial's
best-accuracy-so-far curve up to k is compared with the same prefix of every stored curve that
trained all E epochs (root-mean-square distance). Each of the ``neighbours`` nearest ones gained
g = best(E) - best(k) after epoch k; the trial's **optimistic** final accuracy is its best so far
plus the largest of those gains (plus ``margin``). If even that cannot beat the incumbent (the best
final accuracy of the complete curves), the trial stops. Before ``min_curves`` complete curves
exist, nothing stops. The curves are those the run itself produced, so the rule needs no prior
data and adapts to each benchmark's curve shapes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo_mab.backends.base import Report, Verdict
from hpo_mab.stopping.thresholds import CurveRule


class CurveNN(CurveRule):
    """Stop when the optimistic nearest-curve extrapolation cannot beat the incumbent."""

    name = "CurveNN"

    def checkpoints(self) -> tuple[int, ...]:
        """``checkpoints`` epochs, evenly spread over 1..E/2."""
        half = max(1, self.max_epoch // 2)
        count = min(self.options.checkpoints, half)
        return tuple(sorted({max(1, math.ceil(half * (i + 1) / count)) for i in range(count)}))

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Optimistic prediction below the incumbent: stop."""
        complete = self.memory.complete()
        record: dict[str, Any] = {"rule": self.name, "checkpoint": report.epoch, "curves": len(complete)}
        prefix = np.maximum.accumulate(np.asarray(report.curve, dtype=float))
        if len(complete) < self.options.min_curves or len(prefix) < report.epoch:
            return Verdict.CONTINUE, {**record, "statistic": report.best, "threshold": None}
        k = report.epoch
        distances = np.sqrt(np.mean((complete[:, :k] - prefix[:k]) ** 2, axis=1))
        nearest = np.argsort(distances, kind="stable")[: self.options.neighbours]
        gains = complete[nearest, -1] - complete[nearest, k - 1]
        optimistic = float(report.best + gains.max() + self.options.margin)
        incumbent = float(complete[:, -1].max())
        record.update(statistic=optimistic, threshold=incumbent, best_so_far=report.best)
        return (Verdict.STOP if optimistic < incumbent else Verdict.CONTINUE), record
