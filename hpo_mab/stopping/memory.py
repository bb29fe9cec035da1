"""The learning curves a rule has seen: best-so-far accuracy per epoch of every stored trial.

One row per candidate (a promoted trial's longer curve replaces its shorter one), NaN beyond the
epochs it trained; columns are epochs 1..E. Queries are vectorised over the rows, so a decision
at 1,000 stored curves costs microseconds.
"""

from __future__ import annotations

import numpy as np

from hpo_mab.store.records import Trial


def best_so_far(curve) -> np.ndarray:
    """The running maximum of a curve of accuracies."""
    return np.maximum.accumulate(np.asarray(curve, dtype=float)) if len(curve) else np.zeros(0)


class CurveMemory:
    """Best-so-far curves of the stored trials, by candidate, in the order they were first stored."""

    def __init__(self, max_epoch: int) -> None:
        self.max_epoch = max_epoch
        self._rows: dict[int, int] = {}
        self._values = np.full((64, max_epoch), np.nan)

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, trial: Trial) -> None:
        """Remember (or lengthen) the curve of a successful stored trial."""
        if trial.status != "ok" or not trial.curve:
            return
        curve = best_so_far(trial.curve[: self.max_epoch])
        row = self._rows.get(trial.candidate)
        if row is None:
            row = self._rows[trial.candidate] = len(self._rows)
            if row == len(self._values):
                self._values = np.vstack([self._values, np.full_like(self._values, np.nan)])
        self._values[row, :] = np.nan
        self._values[row, : len(curve)] = curve

    def at(self, epoch: int) -> np.ndarray:
        """Best-so-far accuracy at ``epoch`` of every stored curve that reached it."""
        column = self._values[: len(self._rows), epoch - 1]
        return column[~np.isnan(column)]

    def complete(self) -> np.ndarray:
        """The stored curves that reached the last epoch, (n, E)."""
        values = self._values[: len(self._rows)]
        return values[~np.isnan(values[:, -1])]
