"""Cost transforms applied to the errors a model sees (never to traces): none, LE and HLE.

* ``LE`` (log error): ``(log10(max(e, 1e-5)) + 5) / 5``, in [0, 1] for e in [1e-5, 1].
* ``HLE`` (hybrid log error, alpha = 0.3 by default): ``e`` above alpha, below it
  ``log10(max(e, 1e-5)) + alpha - log10(alpha)``; continuous and increasing, linear above alpha,
  logarithmic below, so small differences among good configurations stay visible to the model.
Both are invertible for errors >= 1e-5 (below that they are clipped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hpo_mab.optimizers.options import SHAPING

FLOOR = 1e-5


@dataclass(frozen=True)
class Transform:
    """A monotone map of errors, with its inverse where defined (errors >= 1e-5)."""

    name: str  # "", "LE" or "HLE"
    alpha: float = 0.3

    def forward(self, errors: np.ndarray) -> np.ndarray:
        """Transformed errors."""
        e = np.asarray(errors, dtype=float)
        if self.name == "LE":
            return (np.log10(np.maximum(e, FLOOR)) + 5.0) / 5.0
        if self.name == "HLE":
            shifted = np.log10(np.maximum(e, FLOOR)) + self.alpha - math.log10(self.alpha)
            return np.where(e > self.alpha, e, shifted)
        return e

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Errors of transformed values (exact for errors >= 1e-5)."""
        y = np.asarray(values, dtype=float)
        if self.name == "LE":
            return 10.0 ** (5.0 * y - 5.0)
        if self.name == "HLE":
            return np.where(y > self.alpha, y, 10.0 ** (y - self.alpha + math.log10(self.alpha)))
        return y


def transform_of(model_name: str, alpha: float = 0.3, shaping: str = "none") -> Transform:
    """The transform of an arm: from its model name (``GP-LE`` -> LE, ``RF-HLE`` -> HLE), else the
    run_conf's ``response_shaping`` (``log_err``, ``hybrid_log``; default none)."""
    suffix = model_name.rsplit("-", 1)[-1] if "-" in model_name else ""
    return Transform(suffix if suffix in ("LE", "HLE") else SHAPING[shaping], alpha)
