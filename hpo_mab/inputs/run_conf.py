"""run_conf: how a run is carried out (arm set, strategy parameters, candidate pool, model options).

Original keys are kept (``title``, ``arms``, ``eta``, ``init_eps``, ``decay_factor``, ``time_unit``,
``response_shaping``, ``alpha``, ``gp``, ``rf``, ``search_space``, legacy ``grid``, ...). Every
violation raises an InputError naming the file and the key path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_mab.inputs import checks
from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.files import load_mapping
from hpo_mab.searchspace.space import SAMPLE_METHODS

MODELS = (
    "RANDOM",
    "SOBOL",
    "NONE",
    "GP",
    "GP-NM",
    "GP-LE",
    "GP-HLE",
    "RF",
    "RF-LE",
    "RF-HLE",
    "TPE",
    "TPE-LE",
    "TPE-HLE",
)
ACQUISITIONS = ("EI", "PI", "UCB", "RANDOM")
TOP_KEYS = (
    "title",
    "arms",
    "bandits",
    "eta",
    "init_eps",
    "decay_factor",
    "time_unit",
    "response_shaping",
    "alpha",
    "gp",
    "rf",
    "search_space",
    "grid",
    "early_term_rule",
    "failover",
    "resources",
    "max_retries",
    "max_failures",
    "kappa",
    "tpe",
    "discount",
    "knockout_period",
    "description",
)
SEARCH_SPACE_KEYS = ("num_samples", "seed", "sample_method", "starts_from_default")
GRID_KEYS = ("num_samples", "grid_seed", "one_hot", "order")
GP_KEYS = ("mcmc_iters", "noiseless", "max_obs", "covar", "restarts")
RF_KEYS = ("n_trees", "max_depth", "min_samples_split", "min_samples_leaf", "max_features")
TPE_KEYS = ("n_startup_jobs", "gamma", "n_ei_candidates")
ARM_ACQUISITIONS = {
    "RANDOM": ("RANDOM",),
    "GP": ("EI", "PI", "UCB"),
    "RF": ("EI", "PI", "UCB"),
    "TPE": ("EI", "RANDOM"),
}
ARM_KEYS = ("model", "acq_func")
BANDIT_KEYS = ("mode", "spec", "config")
TITLE_PATTERN = re.compile(r"^[A-Za-z0-9_.+-]+$")
DEFAULT_ARMS = tuple((m, a) for m in ("GP-HLE", "RF-HLE") for a in ("EI", "PI", "UCB"))


@dataclass(frozen=True)
class PoolSettings:
    """Candidate pool of a benchmark without a lookup table."""

    num_samples: int = 20000
    seed: int = 1
    sample_method: str = "sobol"
    starts_from_default: bool = False


@dataclass(frozen=True)
class RunConf:
    """A validated run_conf."""

    title: str = "default"
    source: str = "<defaults>"
    arms: tuple[tuple[str, str], ...] = DEFAULT_ARMS
    pool: PoolSettings = PoolSettings()
    options: dict[str, Any] = field(default_factory=dict)


def load_run_conf(path: Path) -> RunConf:
    """Read and validate a run_conf file (JSON or YAML)."""
    return parse_run_conf(load_mapping(path), str(path))


def parse_run_conf(data: dict, source: str) -> RunConf:
    """Validate a run_conf mapping read from ``source``."""
    checks.check_keys(data, source, "", TOP_KEYS)
    title = checks.string(data.get("title", "default"), source, "title")
    if not TITLE_PATTERN.match(title):
        raise InputError(f"expected letters, digits and . _ + - only (it names files), got {title!r}", source, "title")
    arms = _parse_arms(data.get("arms"), source) if "arms" in data else DEFAULT_ARMS
    if "bandits" in data:
        _parse_bandits(data["bandits"], source)
    for key in ("eta", "decay_factor", "alpha", "kappa"):
        if key in data:
            checks.number(data[key], source, key, positive=True)
    if "alpha" in data and data["alpha"] >= 1:
        raise InputError(f"expected a number in (0, 1), got {show(data['alpha'])}", source, "alpha")
    if "init_eps" in data:
        eps = checks.number(data["init_eps"], source, "init_eps")
        if not 0 <= eps <= 1:
            raise InputError(f"expected a number in [0, 1], got {show(eps)}", source, "init_eps")
    if "time_unit" in data:
        checks.string(data["time_unit"], source, "time_unit", ("H", "M", "S"))
    if "description" in data:
        checks.string(data["description"], source, "description")
    if "response_shaping" in data:
        checks.string(data["response_shaping"], source, "response_shaping", ("none", "log_err", "hybrid_log"))
    if "discount" in data:
        value = checks.number(data["discount"], source, "discount")
        if not 0 < value <= 1:
            raise InputError(f"expected a number in (0, 1], got {show(value)}", source, "discount")
    if "knockout_period" in data:
        checks.number(data["knockout_period"], source, "knockout_period", positive=True, integer=True)
    for key in ("max_retries", "max_failures"):
        if key in data:
            checks.number(data[key], source, key, integer=True)
            if data[key] < 0:
                raise InputError(f"expected an integer >= 0, got {show(data[key])}", source, key)
    if "gp" in data:
        _parse_gp(data["gp"], source)
    if "rf" in data:
        _parse_rf(data["rf"], source)
    if "tpe" in data:
        _parse_tpe(data["tpe"], source)
    if "resources" in data:
        if not isinstance(data["resources"], dict):
            raise InputError(f"expected a mapping like {{GPU: 1}}, got {show(data['resources'])}", source, "resources")
        for name, amount in data["resources"].items():
            checks.number(amount, source, f"resources.{name}", positive=True)
    etr = data.get("early_term_rule")
    if etr not in (None, "None", "none"):
        raise InputError(
            f"early termination rules are not available yet; expected None, got {show(etr)}", source, "early_term_rule"
        )
    if "failover" in data:
        checks.string(data["failover"], source, "failover", ("None", "random", "next_candidate", "premature"))
    pool = _parse_pool(data, source)
    options = {k: v for k, v in data.items() if k not in ("title", "arms", "search_space", "grid")}
    try:
        json.dumps(options)
    except TypeError as exc:
        raise InputError(f"values must be plain numbers, strings, lists or mappings ({exc})", source) from None
    return RunConf(title, source, arms, pool, options)


def _parse_arms(arms: Any, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(arms, list) or not arms:
        raise InputError(f"expected a non-empty list of {{model, acq_func}}, got {show(arms)}", source, "arms")
    parsed = []
    for i, arm in enumerate(arms):
        path = f"arms[{i}]"
        checks.check_keys(arm, source, path, ARM_KEYS, required=("model",))
        model = checks.string(arm["model"], source, f"{path}.model", MODELS)
        model = "RANDOM" if model in ("SOBOL", "NONE") else model
        allowed = ARM_ACQUISITIONS[model.split("-")[0]]
        acq = checks.string(arm.get("acq_func", allowed[0]), source, f"{path}.acq_func", ACQUISITIONS)
        if acq not in allowed:
            raise InputError(
                f"expected one of {', '.join(allowed)} for model {model}, got {acq!r}", source, f"{path}.acq_func"
            )
        parsed.append((model, acq))
    return tuple(parsed)


def _parse_bandits(bandits: Any, source: str) -> None:
    if not isinstance(bandits, list) or not bandits:
        raise InputError(f"expected a non-empty list of {{mode, spec}}, got {show(bandits)}", source, "bandits")
    for i, bandit in enumerate(bandits):
        checks.check_keys(bandit, source, f"bandits[{i}]", BANDIT_KEYS, required=("mode", "spec"))
        checks.string(bandit["mode"], source, f"bandits[{i}].mode")
        checks.string(bandit["spec"], source, f"bandits[{i}].spec")


def _parse_gp(gp: Any, source: str) -> None:
    checks.check_keys(gp, source, "gp", GP_KEYS)
    for key in ("mcmc_iters", "max_obs", "restarts"):
        if key in gp:
            checks.number(gp[key], source, f"gp.{key}", integer=True)
            if gp[key] < (0 if key != "max_obs" else 1):
                raise InputError(
                    f"expected an integer >= {0 if key != 'max_obs' else 1}, got {show(gp[key])}", source, f"gp.{key}"
                )
    if "noiseless" in gp and gp["noiseless"] not in (0, 1, True, False):
        raise InputError(f"expected true/false or 0/1, got {show(gp['noiseless'])}", source, "gp.noiseless")
    if "covar" in gp:
        checks.string(gp["covar"], source, "gp.covar", ("Matern52",))


def _parse_rf(rf: Any, source: str) -> None:
    checks.check_keys(rf, source, "rf", RF_KEYS)
    for key in ("n_trees", "min_samples_split", "min_samples_leaf"):
        if key in rf:
            checks.number(rf[key], source, f"rf.{key}", positive=True, integer=True)
    if rf.get("max_depth") is not None:
        checks.number(rf["max_depth"], source, "rf.max_depth", positive=True, integer=True)
    if "max_features" in rf:
        value = rf["max_features"]
        if not (checks.is_number(value) and 0 < value <= 1):
            raise InputError(f"expected a fraction in (0, 1], got {show(value)}", source, "rf.max_features")


def _parse_tpe(tpe: Any, source: str) -> None:
    checks.check_keys(tpe, source, "tpe", TPE_KEYS)
    for key in ("n_startup_jobs", "n_ei_candidates"):
        if key in tpe:
            checks.number(tpe[key], source, f"tpe.{key}", positive=True, integer=True)
    if "gamma" in tpe:
        value = tpe["gamma"]
        if not (checks.is_number(value) and 0 < value < 1):
            raise InputError(f"expected a number in (0, 1), got {show(value)}", source, "tpe.gamma")


def _parse_pool(data: dict, source: str) -> PoolSettings:
    if "search_space" in data and "grid" in data:
        raise InputError("give either search_space or the legacy grid, not both", source, "grid")
    if "grid" in data:
        grid = checks.check_keys(data["grid"], source, "grid", GRID_KEYS)
        spec = {"num_samples": grid.get("num_samples", 20000), "seed": grid.get("grid_seed", 1)}
        if "one_hot" in grid:
            checks.boolean(grid["one_hot"], source, "grid.one_hot")
        if grid.get("order") not in (None, "shuffle"):
            raise InputError(f"expected null or 'shuffle', got {show(grid['order'])}", source, "grid.order")
        prefix, keys = "grid", {"num_samples": "num_samples", "seed": "grid_seed"}
    else:
        spec = checks.check_keys(data.get("search_space", {}), source, "search_space", SEARCH_SPACE_KEYS)
        prefix, keys = "search_space", {k: k for k in SEARCH_SPACE_KEYS}
    num = checks.number(
        spec.get("num_samples", 20000), source, f"{prefix}.{keys['num_samples']}", positive=True, integer=True
    )
    seed = spec.get("seed", 1)
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise InputError(f"expected an integer >= 0, got {show(seed)}", source, f"{prefix}.{keys['seed']}")
    method = spec.get("sample_method", "sobol")
    if not isinstance(method, str) or method.lower() not in SAMPLE_METHODS:
        raise InputError(
            f"expected one of Sobol, uniform, latin, got {show(method)}", source, f"{prefix}.sample_method"
        )
    start = spec.get("starts_from_default", False)
    checks.boolean(start, source, f"{prefix}.starts_from_default")
    return PoolSettings(num, seed, method.lower(), start)
