"""Random-forest surrogate: SMAC3's forest (mean and variance across trees), used through smac.

Inputs are ConfigSpace vectors (``CandidatePool.encoding("configspace")``). Two settings make it
fast without changing the trees: ``max_leaf_nodes=None`` (SMAC's default 2**20 switches
scikit-learn to a best-first builder that pre-allocates ~2M nodes per tree) and ``n_jobs=1``.
Each fit is seeded from the repetition's random stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hpo_mab.optimizers.options import RFOptions


@dataclass
class RandomForestSurrogate:
    """SMAC3 ``RandomForest`` on a ConfigSpace; ``fit(X, y, rng)`` then ``predict(X) -> (mean, var)``."""

    configspace: object
    options: RFOptions = RFOptions()
    representation: str = "configspace"
    _model: object | None = field(default=None, repr=False)

    def fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> RandomForestSurrogate:
        """Train a fresh forest (bootstrapped trees) on ``x``, ``y``."""
        from smac.model.random_forest import RandomForest

        o = self.options
        self._model = RandomForest(
            self.configspace,
            n_trees=int(o.n_trees),
            ratio_features=float(o.max_features),
            min_samples_split=int(o.min_samples_split),
            min_samples_leaf=int(o.min_samples_leaf),
            max_depth=o.max_depth if o.max_depth is not None else 2**20,
            max_leaf_nodes=None,
            bootstrapping=True,
            n_jobs=1,
            seed=int(rng.integers(2**31 - 1)),
        )
        self._model.train(np.asarray(x, dtype=float), np.asarray(y, dtype=float).reshape(-1, 1))
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance across trees (variance floored at 1e-10)."""
        mean, var = self._model.predict_marginalized(np.asarray(x, dtype=float))
        return mean.ravel(), var.ravel()

    def get_state(self) -> dict:
        """No warm start: a forest depends only on the data and its seed."""
        return {}

    def set_state(self, state: dict) -> None:
        """Nothing to restore."""
