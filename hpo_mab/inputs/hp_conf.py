"""hp_conf: the hyperparameter configuration of a benchmark or objective (original format).

Top level: ``dataset``, ``model``, ``config`` {``max_epoch``, ``surrogate``, ...}, ``hyperparams``
{name: {``type``, ``value_type``, ``range``, ``power_of``, ``log``, ``default``}}, ``param_order``.
Every violation raises an InputError naming the file and the key path.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_mab.inputs import checks
from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.files import load_mapping
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.searchspace.hyperparams import CHOICE_KINDS, TYPES, VALUE_KINDS, HyperParameter

TOP_KEYS = ("dataset", "model", "config", "hyperparams", "param_order", "metric", "num_epoch")
CONFIG_KEYS = (
    "max_epoch",
    "surrogate",
    "num_samples",
    "ffr",
    "metric",
    "epoch_column_prefix",
    "time_column",
    "time_scale",
    "goal",
    "description",
    "cost",
)
SPEC_KEYS = ("type", "value_type", "range", "power_of", "log", "default")
METRICS = ("accuracy", "error", "perplexity")
# Limits (README "Limits"): the pool is encoded as (candidates x model features) float64 numbers,
# so features x PoolSettings.MAX_SAMPLES bounds its memory (1,000 x 50,000 x 8 B = 400 MB).
MAX_HYPERPARAMS = 100
MAX_LEVELS = 1000  # values of a categorical or preordered parameter
MAX_FEATURES = 1000  # model features: one per categorical level, one per other parameter
MAX_EPOCHS = 10_000  # config.max_epoch: a table has one column per epoch
MAX_TIME_SCALE = 1e6  # simulated seconds per table second
MAX_INT = 2**53  # integer values pass through float64 (unit mapping, models, ConfigSpace): exact up to 2**53


@dataclass(frozen=True)
class HpConf:
    """A validated hp_conf."""

    name: str
    source: str
    dataset: str
    model: str
    hyperparams: tuple[HyperParameter, ...]
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def max_epoch(self) -> int | None:
        """Number of epochs of a full training, if known."""
        return self.config.get("max_epoch")

    @property
    def param_names(self) -> list[str]:
        """Hyperparameter names in column order."""
        return [hp.name for hp in self.hyperparams]

    @property
    def directory(self) -> Path:
        """Folder of the file, against which relative ``surrogate`` paths resolve."""
        return Path(self.source).parent


def load_hp_conf(path: Path) -> HpConf:
    """Read and validate an hp_conf file (JSON or YAML)."""
    return parse_hp_conf(load_mapping(path), str(path), Path(path).stem)


def parse_hp_conf(data: dict, source: str, name: str) -> HpConf:
    """Validate an hp_conf mapping read from ``source``."""
    checks.check_keys(data, source, "", TOP_KEYS, required=("hyperparams",))
    dataset = checks.string(data.get("dataset", name), source, "dataset")
    model = checks.string(data.get("model", ""), source, "model")
    config = dict(_parse_config(data.get("config", {}), source))
    if "metric" in data:
        config.setdefault("metric", checks.string(data["metric"], source, "metric", METRICS))
    if "num_epoch" in data:
        config["max_epoch"] = checks.number(data["num_epoch"], source, "num_epoch", positive=True, integer=True)
        checks.at_most(config["max_epoch"], MAX_EPOCHS, source, "num_epoch")
    specs = data["hyperparams"]
    if not isinstance(specs, dict) or not specs:
        raise InputError(f"expected a non-empty mapping of hyperparameters, got {show(specs)}", source, "hyperparams")
    if len(specs) > MAX_HYPERPARAMS:
        raise InputError(f"at most {MAX_HYPERPARAMS} hyperparameters, got {len(specs)}", source, "hyperparams")
    parsed = {n: _parse_spec(str(n), spec, source, f"hyperparams.{n}") for n, spec in specs.items()}
    hyperparams = tuple(parsed[n] for n in _param_order(data.get("param_order"), specs, source))
    features = sum(hp.width for hp in hyperparams)
    if features > MAX_FEATURES:
        raise InputError(
            f"at most {MAX_FEATURES} model features (one per categorical level, one per other parameter), "
            f"got {features}",
            source,
            "hyperparams",
        )
    return HpConf(name, source, dataset, model, hyperparams, config)


def _parse_config(config: Any, source: str) -> dict:
    checks.check_keys(config, source, "config", CONFIG_KEYS)
    for key, most in (("max_epoch", MAX_EPOCHS), ("num_samples", PoolSettings.MAX_SAMPLES)):
        if key in config:
            checks.number(config[key], source, f"config.{key}", positive=True, integer=True)
            checks.at_most(config[key], most, source, f"config.{key}")
    for key in ("ffr", "time_scale"):
        if key in config:
            checks.number(config[key], source, f"config.{key}", positive=True)
    if "time_scale" in config:
        checks.at_most(config["time_scale"], MAX_TIME_SCALE, source, "config.time_scale")
    for key in ("surrogate", "epoch_column_prefix", "time_column", "description"):
        if key in config:
            checks.string(config[key], source, f"config.{key}")
    if "metric" in config:
        checks.string(config["metric"], source, "config.metric", METRICS)
    if "goal" in config:
        goal = checks.number(config["goal"], source, "config.goal")
        if not 0 <= goal <= 1:
            raise InputError(f"expected an accuracy in [0, 1], got {show(goal)}", source, "config.goal")
    return config


def _param_order(order: Any, specs: dict, source: str) -> list[str]:
    if order is None:
        return sorted(specs)
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise InputError(f"expected a list of hyperparameter names, got {show(order)}", source, "param_order")
    if len(set(order)) != len(order):
        dup = next(n for n in order if order.count(n) > 1)
        raise InputError(f"{dup!r} is listed twice", source, "param_order")
    missing = [n for n in specs if n not in order]
    unknown = [n for n in order if n not in specs]
    if unknown:
        raise InputError(f"{unknown[0]!r} is not in hyperparams", source, "param_order")
    if missing:
        raise InputError(f"{missing[0]!r} of hyperparams is missing", source, "param_order")
    return order


def _parse_spec(name: str, spec: Any, source: str, path: str) -> HyperParameter:
    checks.check_keys(spec, source, path, SPEC_KEYS, required=("type", "value_type", "range"))
    kind = spec["type"]
    kind = "str" if kind == "unicode" else kind
    checks.string(kind, source, f"{path}.type", TYPES)
    value_type = checks.string(spec["value_type"], source, f"{path}.value_type", VALUE_KINDS)
    power_of = spec.get("power_of")
    log = checks.boolean(spec.get("log", False), source, f"{path}.log")
    rng = spec["range"]
    if value_type in CHOICE_KINDS:
        levels = _parse_levels(rng, kind, source, f"{path}.range")
        for key, present in (("power_of", power_of is not None), ("log", log)):
            if present:
                raise InputError(f"applies to discrete/continuous only, not {value_type}", source, f"{path}.{key}")
        hp = HyperParameter(name, kind, value_type, levels)
    else:
        if kind not in ("int", "float"):
            raise InputError(
                f"expected int or float for a {value_type} parameter, got {kind!r}", source, f"{path}.type"
            )
        lo, hi = _parse_bounds(rng, kind, power_of is not None, source, f"{path}.range")
        if power_of is not None:
            if not checks.is_number(power_of) or not _finite(power_of) or power_of <= 1:
                what = "a finite base" if checks.is_number(power_of) and not _finite(power_of) else "a base"
                raise InputError(f"expected {what} > 1, got {show(power_of)}", source, f"{path}.power_of")
            _check_powers(power_of, lo, hi, kind, source, path)
            if log:
                raise InputError(
                    "use either power_of (range of exponents) or log (range of values)", source, f"{path}.log"
                )
        if log and lo <= 0:
            raise InputError(f"log scale needs bounds > 0, got {show(rng)}", source, f"{path}.range")
        hp = HyperParameter(name, kind, value_type, (lo, hi), power_of, None, log)
        if (
            kind == "int"
            and power_of is not None
            and not all(math.isclose(power_of**e, round(power_of**e)) for e in range(int(lo), int(hi) + 1))
        ):
            raise InputError(
                f"int values {power_of}**k must be whole numbers, got range {show(rng)}", source, f"{path}.power_of"
            )
    if "default" in spec:
        default = spec["default"]
        problem = _default_problem(hp, default)
        if problem:
            raise InputError(problem, source, f"{path}.default")
        hp = HyperParameter(name, kind, value_type, hp.range, hp.power_of, default, log)
    return hp


def _default_problem(hp: HyperParameter, default: Any) -> str | None:
    """Why ``default`` is no value of ``hp`` (None when it is one): the wrong kind of value, or outside the domain."""
    if not isinstance(default, (str, int, float)):  # lists and mappings are no values
        return f"expected one value in {hp.describe_domain()}, got {show(default)}"
    numeric = not hp.levels()
    if numeric and not checks.is_number(default):
        hint = f"; write {default.strip()} without quotes" if isinstance(default, str) and _parses(default) else ""
        return f"expected a number, got {type(default).__name__} {show(default)}{hint}"
    if numeric and hp.type == "int" and isinstance(default, float) and default.is_integer():
        return f"expected an integer, got float {show(default)}; write {int(default)}"
    if not hp.contains(default):
        return f"default {show(default)} is outside {hp.describe_domain()}"
    return None


def _parses(text: str) -> bool:
    """Whether ``text`` reads as a finite number (the quoted '0.5' a user meant as 0.5)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_powers(base: float, lo: float, hi: float, kind: str, source: str, path: str) -> None:
    """``base ** lo`` and ``base ** hi`` must be normal positive floats (ints: at most 2**53), before any use."""
    limit = float(MAX_INT) if kind == "int" else sys.float_info.max
    for exponent in (lo, hi):
        try:
            value = float(base) ** exponent
        except OverflowError:
            value = math.inf
        if not sys.float_info.min <= value <= limit:
            bound = "2**53" if kind == "int" else "the float range"
            raise InputError(
                f"{base:g}**{exponent:g} is outside {bound}; narrow the range of exponents {show([lo, hi])}",
                source,
                f"{path}.range",
            )


def _parse_bounds(rng: Any, kind: str, power: bool, source: str, path: str) -> tuple:
    if not isinstance(rng, list) or len(rng) != 2 or not all(checks.is_number(v) for v in rng):
        raise InputError(f"expected [min, max] of two numbers, got {show(rng)}", source, path)
    lo, hi = rng
    if kind == "int" and not all(_is_int(v) for v in rng):
        raise InputError(f"expected integer bounds for an int parameter, got {show(rng)}", source, path)
    if kind == "int" and not all(-MAX_INT <= v <= MAX_INT for v in rng):
        raise InputError(f"expected integer bounds within +-2**53, got {show(rng)}", source, path)
    if not all(_finite(v) for v in rng) or not _finite(float(hi) - float(lo)):
        raise InputError(f"expected finite bounds with a finite width, got {show(rng)}", source, path)
    if lo == hi:
        raise InputError(f"empty range {show(rng)} (min equals max)", source, path)
    if lo > hi:
        raise InputError(f"reversed range {show(rng)} (min > max)", source, path)
    if kind == "float" and not power:
        return float(lo), float(hi)
    return lo, hi


def _finite(value: Any) -> bool:
    """A finite float, or an int that converts to one."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _parse_levels(rng: Any, kind: str, source: str, path: str) -> tuple:
    if not isinstance(rng, list) or not rng:
        raise InputError(f"expected a non-empty list of values, got {show(rng)}", source, path)
    if len(rng) > MAX_LEVELS:
        raise InputError(f"at most {MAX_LEVELS} values, got {len(rng)}", source, path)
    expected = {
        "int": _is_int,
        "float": checks.is_number,
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
    }[kind]
    for i, value in enumerate(rng):
        if not expected(value):
            raise InputError(f"expected a {kind} value, got {show(value)}", source, f"{path}[{i}]")
        if kind in ("int", "float") and not (_finite(value) and -MAX_INT <= value <= MAX_INT):
            raise InputError(
                f"expected a finite {kind} value within +-2**53, got {show(value)}", source, f"{path}[{i}]"
            )
    if len({(type(v) is bool, v) for v in rng}) != len(rng):
        raise InputError(f"values must be distinct, got {show(rng)}", source, path)
    return tuple(rng)
