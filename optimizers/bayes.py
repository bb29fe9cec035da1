"""Model-based arms: a surrogate (GP, RF) over transformed errors + an acquisition over the pool.

Arms that share a surrogate and a transform share one fit per step through ``ModelCache``: the
prediction over the whole pool is computed once per (model, transform, history length) and
reused, and a model that did not see new data is not refitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from optimizers.acquisitions import acquisition
from optimizers.base import History, Proposal
from optimizers.transforms import Transform
from searchspace.space import CandidatePool

INITIAL_RANDOM = 2  # the first proposals of a repetition are random, as in the original
TIME_MODEL = "GP"
MIN_SECONDS = 1e-3


class Surrogate(Protocol):
    """A regression model with predictive variance (scikit-learn style, explicit random state)."""

    def fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Any:
        """Fit on features ``x`` (n, d) and targets ``y`` (n,)."""
        ...

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance at ``x``."""
        ...

    def get_state(self) -> dict:
        """JSON-serialisable state that the next fit depends on (e.g. a warm start)."""
        ...

    def set_state(self, state: dict) -> None:
        """Restore ``get_state``."""
        ...


@dataclass
class Posterior:
    """Mean and variance of a fitted surrogate over every candidate of the pool."""

    mean: np.ndarray
    var: np.ndarray
    best: float  # best transformed error observed


@dataclass
class ModelCache:
    """Surrogates by key; each fitted at most once per history length, predictions shared."""

    factories: dict[str, Callable[[], Surrogate]]
    models: dict[str, Surrogate] = field(default_factory=dict)
    _predictions: dict[str, tuple[int, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    fits: int = 0

    def posterior(
        self, model: str, transform: Transform, history: History, pool: CandidatePool, rng: np.random.Generator
    ) -> Posterior:
        """The posterior of ``model`` on ``transform``ed errors, fitted on ``history`` if not yet."""
        targets = transform.forward(np.asarray(history.errors))
        key = f"{model}|{transform.name}|{transform.alpha}"
        mean, var = self.predict(key, model, targets, history, pool, rng)
        return Posterior(mean, var, float(targets.min()))

    def predict(
        self,
        key: str,
        model: str,
        targets: np.ndarray,
        history: History,
        pool: CandidatePool,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance over the pool of surrogate ``key`` (a ``model``) fitted to ``targets``."""
        cached = self._predictions.get(key)
        if cached is not None and cached[0] == len(history):
            return cached[1]
        surrogate = self.models.get(key)
        if surrogate is None:
            surrogate = self.models[key] = self.factories[model]()
        kind = getattr(surrogate, "representation", "unit")
        surrogate.fit(history.features(pool, kind), targets, rng)
        self.fits += 1
        prediction = surrogate.predict(pool.encoding(kind))
        self._predictions[key] = (len(history), prediction)
        return prediction

    def get_state(self) -> dict:
        """States of the surrogates (warm starts), to survive resume."""
        return {key: model.get_state() for key, model in self.models.items()}

    def set_state(self, state: dict) -> None:
        """Restore the surrogates' states."""
        for key, model_state in state.items():
            model = TIME_MODEL if key.startswith("time|") else key.split("|", 1)[0]
            self.models[key] = self.factories[model]()
            self.models[key].set_state(model_state)


def predicted_seconds(cache: ModelCache, history: History, pool: CandidatePool, rng: np.random.Generator) -> np.ndarray:
    """Training seconds of every candidate, predicted by a GP of log time over the history (cached)."""
    log_time = np.log(np.maximum(np.asarray(history.exec_times), MIN_SECONDS))
    mean, _ = cache.predict("time|log", TIME_MODEL, log_time, history, pool, rng)
    return np.exp(np.maximum(mean, math.log(MIN_SECONDS)))


@dataclass
class ModelArmOptimizer:
    """Proposes the remaining candidate that maximises an acquisition of a (shared) surrogate.

    With ``time_penalty`` the acquisition is divided by the predicted training seconds
    (EI per second).
    """

    name: str
    model: str
    transform: Transform
    acquisition: str
    cache: ModelCache
    kappa: float = 1.0
    time_penalty: bool = False

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Random for the first proposals, then the argmax of the acquisition over the remaining pool."""
        remaining = pool.remaining_positions()
        if len(remaining) == 0:
            raise LookupError("the candidate pool is exhausted")
        if len(history) < INITIAL_RANDOM:
            return Proposal(int(remaining[rng.integers(len(remaining))]), {"initial_random": True})
        post = self.cache.posterior(self.model, self.transform, history, pool, rng)
        mu = post.mean[remaining]
        var = post.var[remaining]
        values = acquisition(self.acquisition, mu, np.sqrt(var), post.best, self.kappa)
        if self.time_penalty:
            values = values / predicted_seconds(self.cache, history, pool, rng)[remaining]
        if not np.all(np.isfinite(values)):
            raise FloatingPointError("the acquisition has non-finite values")
        choice = int(np.argmax(values))
        internals = {"acq_value": float(values[choice]), "mean": float(mu[choice]), "var": float(var[choice])}
        return Proposal(int(remaining[choice]), {**internals, "best": post.best})
