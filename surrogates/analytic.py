"""Analytic test functions with a known optimum, as benchmarks with a cost model.

Each function is minimised on its usual domain. Its error is the normalised regret
``(g(f) - g(f*)) / (g(f_ref) - g(f*))`` clipped to [0, 1], where ``f*`` is the known minimum,
``f_ref`` the maximum over the domain and ``g`` the identity (or ``log1p(f - f*)`` for functions
spanning several orders of magnitude); accuracy = 1 - error, so the optimum has accuracy 1.

The cost model (``config.cost`` of the hp_conf) gives each evaluation simulated seconds, so TIME
budgets mean something: ``seconds * (1 + spread * (2 * m - 1))`` where ``m`` is the mean unit
coordinate of the configuration (configurations in the upper corner of the domain cost more, as
bigger networks do). ``spread`` in [0, 1), 0 by default: every evaluation costs ``seconds``
(300 by default, so 12 h hold 144 evaluations).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.hp_conf import HpConf, parse_hp_conf

PREFIX = "analytic:"
DEFAULT_COST = {"seconds": 300.0, "spread": 0.0}
MAX_COST_SECONDS = 1e9  # simulated seconds of one evaluation (31 years; README "Limits")

_HARTMANN3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_HARTMANN3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
_HARTMANN6_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann(x: np.ndarray, a: np.ndarray, p: np.ndarray) -> np.ndarray:
    inner = np.sum(a[None] * (x[:, None, :] - p[None]) ** 2, axis=2)
    return -np.sum(_HARTMANN_ALPHA * np.exp(-inner), axis=1)


def branin(x: np.ndarray) -> np.ndarray:
    """Branin-Hoo on [-5, 10] x [0, 15]."""
    x1, x2 = x[:, 0], x[:, 1]
    b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


def six_hump_camel(x: np.ndarray) -> np.ndarray:
    """Six-hump camel on [-3, 3] x [-2, 2]."""
    x1, x2 = x[:, 0], x[:, 1]
    return (4 - 2.1 * x1**2 + x1**4 / 3) * x1**2 + x1 * x2 + (-4 + 4 * x2**2) * x2**2


def goldstein_price(x: np.ndarray) -> np.ndarray:
    """Goldstein-Price on [-2, 2]^2."""
    x1, x2 = x[:, 0], x[:, 1]
    a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1**2 - 14 * x2 + 6 * x1 * x2 + 3 * x2**2)
    b = 30 + (2 * x1 - 3 * x2) ** 2 * (18 - 32 * x1 + 12 * x1**2 + 48 * x2 - 36 * x1 * x2 + 27 * x2**2)
    return a * b


def hartmann3(x: np.ndarray) -> np.ndarray:
    """Hartmann-3 on [0, 1]^3."""
    return _hartmann(x, _HARTMANN3_A, _HARTMANN3_P)


def hartmann6(x: np.ndarray) -> np.ndarray:
    """Hartmann-6 on [0, 1]^6."""
    return _hartmann(x, _HARTMANN6_A, _HARTMANN6_P)


def rosenbrock(x: np.ndarray) -> np.ndarray:
    """Rosenbrock on [-5, 10]^d."""
    return np.sum(100 * (x[:, 1:] - x[:, :-1] ** 2) ** 2 + (1 - x[:, :-1]) ** 2, axis=1)


@dataclass(frozen=True)
class AnalyticFunction:
    """A test function: its domain, known minimum and reference maximum."""

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    bounds: tuple[tuple[float, float], ...]
    minimum: float
    reference_max: float
    log_scale: bool = False

    def error(self, x: np.ndarray) -> np.ndarray:
        """Normalised regret in [0, 1] of the points ``x`` (n, d)."""
        regret = np.maximum(self.function(x) - self.minimum, 0.0)
        span = self.reference_max - self.minimum
        if self.log_scale:
            regret, span = np.log1p(regret), np.log1p(span)
        return np.clip(regret / span, 0.0, 1.0)


FUNCTIONS = {
    f.name: f
    for f in (
        AnalyticFunction("branin", branin, ((-5.0, 10.0), (0.0, 15.0)), 0.397887357729739, 308.129096),
        AnalyticFunction("six-hump-camel", six_hump_camel, ((-3.0, 3.0), (-2.0, 2.0)), -1.031628453489877, 162.9),
        AnalyticFunction("goldstein-price", goldstein_price, ((-2.0, 2.0),) * 2, 3.0, 1015690.28, log_scale=True),
        AnalyticFunction("hartmann3", hartmann3, ((0.0, 1.0),) * 3, -3.86278214782076, 0.0),
        AnalyticFunction("hartmann6", hartmann6, ((0.0, 1.0),) * 6, -3.32236801141551, 0.0),
        AnalyticFunction("rosenbrock4", rosenbrock, ((-5.0, 10.0),) * 4, 0.0, 2722743.0, log_scale=True),
    )
}


def hp_conf_document(function: AnalyticFunction, cost: dict | None = None) -> dict:
    """The hp_conf of a function: parameters x1..xd on its domain, one epoch, the default cost."""
    names = [f"x{i + 1}" for i in range(len(function.bounds))]
    return {
        "dataset": function.name,
        "model": "analytic",
        "config": {
            "max_epoch": 1,
            "surrogate": PREFIX + function.name,
            "cost": dict(cost or DEFAULT_COST),
            "description": f"{function.name} test function, minimum {function.minimum:g}",
        },
        "hyperparams": {
            n: {"type": "float", "value_type": "continuous", "range": list(b)}
            for n, b in zip(names, function.bounds, strict=True)
        },
        "param_order": names,
    }


def function_named(surrogate: str, source: str) -> AnalyticFunction:
    """The function of ``analytic:<name>`` (one line naming the known ones otherwise)."""
    name = surrogate[len(PREFIX) :]
    if name not in FUNCTIONS:
        raise InputError(
            f"unknown analytic function {name!r}; expected one of {', '.join(FUNCTIONS)}", source, "config.surrogate"
        )
    return FUNCTIONS[name]


def parse_cost(conf: HpConf) -> tuple[float, float]:
    """``config.cost`` as (seconds, spread), validated."""
    cost = conf.config.get("cost", DEFAULT_COST)
    if not isinstance(cost, dict):
        raise InputError(f"expected a mapping {{seconds, spread}}, got {show(cost)}", conf.source, "config.cost")
    unknown = [k for k in cost if k not in DEFAULT_COST]
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}; expected seconds, spread", conf.source, "config.cost")
    seconds, spread = cost.get("seconds", 300.0), cost.get("spread", 0.0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise InputError(f"expected a number > 0, got {show(seconds)}", conf.source, "config.cost.seconds")
    if not seconds <= MAX_COST_SECONDS:
        raise InputError(
            f"expected at most {MAX_COST_SECONDS:g}, got {show(seconds)}", conf.source, "config.cost.seconds"
        )
    if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not 0 <= spread < 1:
        raise InputError(f"expected a number in [0, 1), got {show(spread)}", conf.source, "config.cost.spread")
    return float(seconds), float(spread)


class AnalyticModel:
    """Curves (one epoch) and costs of an analytic function over an hp_conf's parameters."""

    def __init__(self, conf: HpConf, document: dict) -> None:
        self.hp_conf = conf
        self.document = document
        self.function = function_named(conf.config["surrogate"], conf.source)
        self.seconds, self.spread = parse_cost(conf)
        _check_parameters(conf, self.function)
        lows = np.array([hp.range[0] for hp in conf.hyperparams], dtype=float)
        highs = np.array([hp.range[1] for hp in conf.hyperparams], dtype=float)
        self._lows, self._spans = lows, highs - lows

    def curves(self, configs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Accuracy 1 - normalised regret (one epoch) and seconds from the cost model."""
        x = configs[self.hp_conf.param_names].to_numpy(dtype=float)
        accuracy = 1.0 - self.function.error(x)
        unit_mean = np.mean((x - self._lows) / self._spans, axis=1)
        seconds = self.seconds * (1.0 + self.spread * (2.0 * unit_mean - 1.0))
        return accuracy[:, None], seconds

    def fingerprint(self) -> dict[str, str]:
        """The hp_conf (function, domain and cost model)."""
        text = json.dumps(self.document, sort_keys=True)
        return {"hp_conf_sha256": hashlib.sha256(text.encode()).hexdigest()}

    def describe(self) -> dict:
        """Metadata of a materialised table."""
        return {
            "description": f"analytic {self.function.name}: accuracy = 1 - normalised regret, "
            f"cost {self.seconds:g} s x (1 + {self.spread:g} (2 m - 1))",
            "optimum_accuracy": 1.0,
        }


def _check_parameters(conf: HpConf, function: AnalyticFunction) -> None:
    if len(conf.hyperparams) != len(function.bounds):
        raise InputError(
            f"{function.name} takes {len(function.bounds)} parameters, got {len(conf.hyperparams)}",
            conf.source,
            "hyperparams",
        )
    for hp, (lo, hi) in zip(conf.hyperparams, function.bounds, strict=True):
        key = f"hyperparams.{hp.name}"
        if hp.is_choice or hp.is_log:
            raise InputError(f"expected a linear numeric parameter, got {hp.describe_domain()}", conf.source, key)
        if hp.range[0] < lo or hp.range[1] > hi:
            raise InputError(f"range must lie within [{lo:g}, {hi:g}], got {list(hp.range)}", conf.source, key)


def load_model(name: str) -> AnalyticModel:
    """The built-in analytic benchmark ``name`` (its generated hp_conf, default cost)."""
    document = hp_conf_document(FUNCTIONS[name])
    return AnalyticModel(parse_hp_conf(document, PREFIX + name, name), document)
