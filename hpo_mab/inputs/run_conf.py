"""run_conf: how a run is carried out (arm set, strategy parameters, candidate pool, model options).

Original keys are kept (``title``, ``arms``, ``eta``, ``init_eps``, ``decay_factor``, ``time_unit``,
``response_shaping``, ``alpha``, ``gp``, ``rf``, ``search_space``, legacy ``grid``, ...). This module
reads the structure (title, arms, bandits, pool); the options of plug-ins are declared by the
plug-ins themselves (typed dataclasses, see ``hpo_mab.inputs.options``) and handed in as a
``RunConfSchema`` by the assembly, so that this module never imports a plug-in. Every violation
raises an InputError naming the file and the key path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from hpo_mab.inputs import checks
from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.files import load_mapping
from hpo_mab.inputs.options import INT64_MAX, option_fields, parse_options, section_of
from hpo_mab.searchspace.space import SAMPLE_METHODS

STRUCTURE_KEYS = ("title", "description", "arms", "bandits")
POOL_KEYS = ("search_space", "grid")
SEARCH_SPACE_KEYS = ("num_samples", "seed", "sample_method", "starts_from_default")
GRID_KEYS = ("num_samples", "grid_seed", "one_hot", "order")
ARM_KEYS = ("model", "acq_func")
BANDIT_KEYS = ("mode", "spec")
TITLE_PATTERN = re.compile(r"^[A-Za-z0-9_.+-]+$")
MAX_TITLE = 100  # the title is part of trace file names, which the OS limits to 255 bytes
MAX_BANDITS = 1000  # BATCH workers, one per bandits entry (as --workers)
ORIGINAL_ARMS = tuple((m, a) for m in ("GP-HLE", "RF-HLE") for a in ("EI", "PI", "UCB"))  # run_conf/arms.yaml
DEFAULT_ARMS = (*ORIGINAL_ARMS, ("OTPE", "EI"))  # the original six and Optuna's TPE (README "Quality suite")


@dataclass(frozen=True)
class PoolSettings:
    """Candidate pool of a benchmark without a lookup table."""

    MAX_SAMPLES: ClassVar[int] = 50_000  # candidates (see MAX_FEATURES of hp_conf: bounds the pool's memory)
    num_samples: int = 20000
    seed: int = 1
    sample_method: str = "sobol"
    starts_from_default: bool = False


@dataclass(frozen=True)
class RunConfSchema:
    """What a run_conf may hold beyond its structure, as declared by the registered plug-ins.

    ``options``: the options classes (top-level keys for ``SECTION = None``, else a sub-mapping);
    ``models``: arm model name -> the acquisitions it accepts (aliases included, in message order);
    ``model_aliases``: alias -> model; ``extra_keys``: top-level keys read elsewhere, in key order.
    """

    options: tuple[type, ...]
    models: dict[str, tuple[str, ...]]
    model_aliases: dict[str, str] = field(default_factory=dict)
    extra_keys: tuple[str, ...] = ()

    def top_keys(self) -> tuple[str, ...]:
        """Every top-level key, in the order of the unknown-key message."""
        keys: list[str] = list(STRUCTURE_KEYS)
        for cls in self.options:
            section = section_of(cls)
            names = [section] if section else [f.key for f in option_fields(cls)]
            keys += [k for k in names if k not in keys]
        keys += [k for k in (*POOL_KEYS, *self.extra_keys) if k not in keys]
        return tuple(keys)


@dataclass(frozen=True)
class RunConf:
    """A validated run_conf: its structure, the typed options of the plug-ins, and the keys as given."""

    title: str = "default"
    source: str = "<defaults>"
    arms: tuple[tuple[str, str], ...] = DEFAULT_ARMS
    bandits: tuple[tuple[str, str], ...] = ()
    pool: PoolSettings = PoolSettings()
    given: dict[str, Any] = field(default_factory=dict)  # every key but title/arms/pool, as written
    parsed: dict[type, Any] = field(default_factory=dict, compare=False)

    def get(self, cls: type) -> Any:
        """The options of class ``cls`` (the defaults unless the run_conf gave some)."""
        found = self.parsed.get(cls)
        return found if found is not None else cls()


def load_run_conf(path: Path, schema: RunConfSchema) -> RunConf:
    """Read and validate a run_conf file (JSON or YAML)."""
    return parse_run_conf(load_mapping(path), str(path), schema)


def parse_run_conf(data: dict, source: str, schema: RunConfSchema) -> RunConf:
    """Validate a run_conf mapping read from ``source``."""
    checks.check_keys(data, source, "", schema.top_keys())
    title = checks.string(data.get("title", "default"), source, "title")
    if not TITLE_PATTERN.match(title):
        raise InputError(
            f"expected letters, digits and . _ + - only (it names files), got {show(title)}", source, "title"
        )
    if len(title) > MAX_TITLE:
        raise InputError(f"expected at most {MAX_TITLE} characters (it names files), got {len(title)}", source, "title")
    if "description" in data:
        checks.string(data["description"], source, "description")
    arms = _parse_arms(data.get("arms"), source, schema) if "arms" in data else DEFAULT_ARMS
    bandits = _parse_bandits(data["bandits"], source) if "bandits" in data else ()
    parsed = {}
    for cls in schema.options:
        section = section_of(cls)
        if section is None:
            parsed[cls] = parse_options(cls, data, source)
        elif section in data:
            keys = tuple(f.key for f in option_fields(cls))
            parsed[cls] = parse_options(cls, checks.check_keys(data[section], source, section, keys), source, section)
    pool = _parse_pool(data, source)
    given = {k: v for k, v in data.items() if k not in ("title", "arms", "search_space", "grid")}
    try:
        json.dumps(given)
    except TypeError as exc:
        raise InputError(f"values must be plain numbers, strings, lists or mappings ({exc})", source) from None
    return RunConf(title, source, arms, bandits, pool, given, parsed)


def _parse_arms(arms: Any, source: str, schema: RunConfSchema) -> tuple[tuple[str, str], ...]:
    if not isinstance(arms, list) or not arms:
        raise InputError(f"expected a non-empty list of {{model, acq_func}}, got {show(arms)}", source, "arms")
    parsed = []
    acquisitions = tuple(dict.fromkeys(a for allowed in schema.models.values() for a in allowed))
    for i, arm in enumerate(arms):
        path = f"arms[{i}]"
        checks.check_keys(arm, source, path, ARM_KEYS, required=("model",))
        model = checks.string(arm["model"], source, f"{path}.model", tuple(schema.models))
        model = schema.model_aliases.get(model, model)
        allowed = schema.models[model]
        acq = checks.string(arm.get("acq_func", allowed[0]), source, f"{path}.acq_func", acquisitions)
        if acq not in allowed:
            raise InputError(
                f"expected one of {', '.join(allowed)} for model {model}, got {acq!r}", source, f"{path}.acq_func"
            )
        parsed.append((model, acq))
    return tuple(parsed)


def _parse_bandits(bandits: Any, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(bandits, list) or not bandits:
        raise InputError(f"expected a non-empty list of {{mode, spec}}, got {show(bandits)}", source, "bandits")
    if len(bandits) > MAX_BANDITS:
        raise InputError(f"at most {MAX_BANDITS} entries, got {len(bandits)}", source, "bandits")
    out = []
    for i, bandit in enumerate(bandits):
        checks.check_keys(bandit, source, f"bandits[{i}]", BANDIT_KEYS, required=("mode", "spec"))
        out.append(
            (
                checks.string(bandit["mode"], source, f"bandits[{i}].mode"),
                checks.string(bandit["spec"], source, f"bandits[{i}].spec"),
            )
        )
    return tuple(out)


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
    checks.at_most(num, PoolSettings.MAX_SAMPLES, source, f"{prefix}.{keys['num_samples']}")
    seed = spec.get("seed", 1)
    if not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= INT64_MAX):
        raise InputError(f"expected an integer >= 0, got {show(seed)}", source, f"{prefix}.{keys['seed']}")
    method = spec.get("sample_method", "sobol")
    if not isinstance(method, str) or method.lower() not in SAMPLE_METHODS:
        raise InputError(
            f"expected one of Sobol, uniform, latin, got {show(method)}", source, f"{prefix}.sample_method"
        )
    start = spec.get("starts_from_default", False)
    checks.boolean(start, source, f"{prefix}.starts_from_default")
    return PoolSettings(num, seed, method.lower(), start)
