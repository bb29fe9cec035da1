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

from hpo_mab.optimizers.acquisitions import acquisition, upper_bound
from hpo_mab.optimizers.base import History, Proposal
from hpo_mab.optimizers.refine import Refined, Refiner
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.searchspace.space import CandidatePool

INITIAL_RANDOM = 2  # the first proposals of a repetition are random, as in the original
LAZY_BLOCK = 64  # candidates whose variance is computed at once in the bounded argmax
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


class Prediction:
    """A surrogate's mean over every candidate of the pool; variances computed when first asked for.

    Surrogates with ``predict_mean``/``predict_var`` (the MAP GP) are evaluated lazily: acquisitions
    first bound their values with ``var_bound`` (per candidate) and compute exact variances only where the bound can
    still beat the best exact value, so the argmax is exact at a fraction of the cost.
    """

    def __init__(
        self, surrogate: Surrogate, x: np.ndarray, kind: str = "unit", active: np.ndarray | None = None
    ) -> None:
        self._x = x
        self._rows = None
        self._surrogate, self._kind = surrogate, kind
        if getattr(surrogate, "supports_lazy_variance", False):  # NaN where not kept (rows not ``active``)
            self.mean, self.var_bound = surrogate.predict_mean(x, active)
            self._var = np.full(len(x), np.nan)
            self._compute = surrogate.predict_var
            self._rows = getattr(surrogate, "predict_var_rows", None)
            self._partial = bool(np.isnan(self.mean).any())  # the surrogate kept the active rows only
        else:
            self.mean, self._var = surrogate.predict(x)
            self._compute = None
            self.var_bound = None
            self._partial = False

    def variance(self, positions: np.ndarray) -> np.ndarray:
        """Variances at ``positions`` (computed and kept if not yet)."""
        missing = positions[np.isnan(self._var[positions])]
        if len(missing):
            by_rows = self._rows(missing) if self._rows is not None else None
            self._var[missing] = by_rows if by_rows is not None else self._compute(self._x[missing])
        return self._var[positions]

    @property
    def var(self) -> np.ndarray:
        """Variances of every candidate."""
        return self.variance(np.arange(len(self._var)))

    def covers(self, active: np.ndarray) -> bool:
        """True when every ``active`` candidate has its mean (a pool too large to keep whole keeps fewer rows)."""
        return not self._partial or not np.isnan(self.mean[active]).any()

    def mean_at(self, pool: CandidatePool, nominee: int | dict) -> float:
        """The mean at a pool position, or at a configuration off the pool (predicted by the same fit)."""
        if not isinstance(nominee, dict):
            value = float(self.mean[nominee])
            return value if not math.isnan(value) else float(self._surrogate.predict(self._x[[nominee]])[0][0])
        return float(self._surrogate.predict(pool.encode_configs([nominee], self._kind))[0][0])


@dataclass
class Posterior:
    """A prediction over the pool and the best transformed error observed."""

    prediction: Prediction
    best: float

    @property
    def mean(self) -> np.ndarray:
        """Posterior means over the pool."""
        return self.prediction.mean


@dataclass(frozen=True)
class ModelKey:
    """Which surrogate a prediction comes from: a model fitted to (transformed) errors, or to log training time."""

    model: str  # a name of ``ModelCache.factories`` ("GP", "GP-NM", "RF")
    transform: Transform = Transform("")
    target: str = "error"  # or "log_time" (the time model of -tp)

    def as_state(self) -> dict:
        """JSON form (stored with the repetition state)."""
        t = self.transform
        return {"model": self.model, "transform": t.name, "alpha": t.alpha, "target": self.target}

    @classmethod
    def from_state(cls, state: dict) -> ModelKey:
        """Inverse of ``as_state``."""
        return cls(state["model"], Transform(state["transform"], state["alpha"]), state["target"])

    @classmethod
    def from_legacy(cls, text: str) -> ModelKey:
        """A key of stores written before typed keys: ``GP|HLE|0.3`` or ``time|log``."""
        if text.startswith("time|"):
            return cls(TIME_MODEL, Transform(""), "log_time")
        model, name, alpha = text.split("|")
        return cls(model, Transform(name, float(alpha)))


@dataclass
class ModelCache:
    """Surrogates by key; each fitted at most once per history length, predictions shared."""

    factories: dict[str, Callable[[], Surrogate]]
    models: dict[ModelKey, Surrogate] = field(default_factory=dict)
    _predictions: dict[ModelKey, tuple[int, object, Prediction]] = field(default_factory=dict)
    fits: int = 0

    def posterior(
        self, model: str, transform: Transform, history: History, pool: CandidatePool, rng: np.random.Generator
    ) -> Posterior:
        """The posterior of ``model`` on ``transform``ed errors, fitted on ``history`` if not yet."""
        targets = transform.forward(np.asarray(history.errors))
        key = ModelKey(model, transform)
        return Posterior(self.predict(key, targets, history, pool, rng), float(targets.min()))

    def predict(
        self,
        key: ModelKey,
        targets: np.ndarray,
        history: History,
        pool: CandidatePool,
        rng: np.random.Generator,
    ) -> Prediction:
        """The prediction over the pool of surrogate ``key`` fitted to ``targets``."""
        cached = self._predictions.get(key)
        fitted = cached is not None and cached[0] == len(history) and cached[1] is history.lineage
        if fitted and cached[2].covers(pool.remaining):
            return cached[2]
        surrogate = self.models.get(key)
        if surrogate is None:
            surrogate = self.models[key] = self.factories[key.model]()
        kind = getattr(surrogate, "representation", "unit")
        if not fitted:  # else a candidate came back to the pool that the prediction did not keep: predict again
            surrogate.fit(history.features(pool, kind), targets, rng)
            self.fits += 1
        prediction = Prediction(surrogate, pool.encoding(kind), kind, pool.remaining)
        self._predictions[key] = (len(history), history.lineage, prediction)
        return prediction

    def prepare(self, pool: CandidatePool, model: str) -> None:
        """Build one surrogate ``model`` (its imports and inputs) and the pool's encoding it reads; nothing is
        kept but what the pool shares with its copies."""
        pool.encoding(getattr(self.factories[model](), "representation", "unit"))

    def get_state(self) -> list[dict]:
        """States of the surrogates (warm starts), to survive resume."""
        return [{**key.as_state(), "state": model.get_state()} for key, model in self.models.items()]

    def set_state(self, state: list[dict] | dict) -> None:
        """Restore the surrogates' states (also the string-keyed form of earlier stores)."""
        items = (
            [(ModelKey.from_legacy(k), v) for k, v in state.items()]
            if isinstance(state, dict)
            else [(ModelKey.from_state(item), item["state"]) for item in state]
        )
        for key, model_state in items:
            self.models[key] = self.factories[key.model]()
            self.models[key].set_state(model_state)


def predicted_seconds(cache: ModelCache, history: History, pool: CandidatePool, rng: np.random.Generator) -> np.ndarray:
    """Training seconds of every candidate, predicted by a GP of log time over the history (cached)."""
    log_time = np.log(np.maximum(np.asarray(history.exec_times), MIN_SECONDS))
    mean = cache.predict(ModelKey(TIME_MODEL, target="log_time"), log_time, history, pool, rng).mean
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
    refiner: Refiner | None = None  # refinement off the pool (run_conf ``refine``), on continuous pools

    def prepare(self, pool: CandidatePool) -> None:
        """The one-off work of this arm's surrogate, and of the time model when it divides by time."""
        self.cache.prepare(pool, self.model)
        if self.time_penalty:
            self.cache.prepare(pool, TIME_MODEL)

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Random for the first proposals, then the argmax of the acquisition over the remaining pool
        (refined off the pool where the pool is continuous and ``refiner`` is set)."""
        remaining = pool.remaining_positions()
        if len(remaining) == 0:
            raise LookupError("the candidate pool is exhausted")
        if len(history) < INITIAL_RANDOM:
            return Proposal(int(remaining[rng.integers(len(remaining))]), {"initial_random": True})
        post = self.cache.posterior(self.model, self.transform, history, pool, rng)
        scale = predicted_seconds(self.cache, history, pool, rng)[remaining] if self.time_penalty else None
        choice, value = self._argmax(post, remaining, scale)
        position = int(remaining[choice])
        var = float(post.prediction.variance(np.array([position]))[0])
        internals = {"acq_value": value, "mean": float(post.mean[position]), "var": var, "best": post.best}
        if self.refiner is not None and pool.continuous and scale is None:
            refined = self._refine(post, history, pool, remaining, rng)
            if refined is not None and refined.value > value:
                extra = {"refined_value": refined.value, "refined_from": refined.start}
                return Proposal(-1, {**internals, **extra}, config=refined.config)
        return Proposal(position, internals)

    def _refine(
        self, post: Posterior, history: History, pool: CandidatePool, remaining: np.ndarray, rng: np.random.Generator
    ) -> Refined | None:
        """The refiner's best configuration from the best remaining candidates and the incumbent."""
        values = self._values(post, remaining, None)
        top = remaining[np.argsort(-values, kind="stable")[: self.refiner.starts]]
        incumbent = history.positions[int(np.argmin(history.errors))]
        starts = [int(p) for p in top] + [int(incumbent)]
        surrogate = self.cache.models[ModelKey(self.model, self.transform)]
        return self.refiner.refine(surrogate, post.best, pool, starts, rng)

    def _values(self, post: Posterior, positions: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
        sigma = np.sqrt(post.prediction.variance(positions))
        values = acquisition(self.acquisition, post.mean[positions], sigma, post.best, self.kappa)
        return values if scale is None else values / scale

    def _argmax(self, post: Posterior, remaining: np.ndarray, scale: np.ndarray | None) -> tuple[int, float]:
        """Exact argmax of the acquisition over ``remaining`` (index into it, value), first index on ties.

        Variances are computed in blocks, in decreasing order of an upper bound of the acquisition
        (its value at the prior variance), until no remaining bound can beat the best value found.
        """
        if post.prediction.var_bound is None:
            values = self._values(post, remaining, scale)
            choice = int(np.argmax(values))
            if not np.all(np.isfinite(values)):
                raise FloatingPointError("the acquisition has non-finite values")
            return choice, float(values[choice])
        mu = post.mean[remaining]
        sigma_max = np.sqrt(post.prediction.var_bound[remaining])
        bound = upper_bound(self.acquisition, mu, sigma_max, post.best, self.kappa)
        if np.isnan(bound).any():  # a candidate without a prediction would be skipped silently
            raise FloatingPointError("the acquisition's bounds have NaN values")
        if scale is not None:
            bound = bound / scale
        order = np.argsort(-bound, kind="stable")
        best_value, best_index, done, block = -math.inf, -1, 0, LAZY_BLOCK
        while done < len(order) and bound[order[done]] >= best_value:
            chunk = order[done : done + block]
            values = self._values(post, remaining[chunk], None if scale is None else scale[chunk])
            if not np.all(np.isfinite(values)):
                raise FloatingPointError("the acquisition has non-finite values")
            top = float(values.max())
            index = int(chunk[values == top].min())
            if top > best_value or (top == best_value and index < best_index):
                best_value, best_index = top, index
            done += len(chunk)
            block *= 2
        return best_index, best_value
