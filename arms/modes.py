"""The ``-m MODE -s SPEC`` pairs: which are available, and the strategy each builds."""

from __future__ import annotations

from arms.strategy import Arm, SingleArm, Strategy
from inputs.errors import InputError
from inputs.run_conf import RunConf
from optimizers.random_search import RandomSearch

AVAILABLE = {"RANDOM": ("RANDOM",)}
ALIASES = {"SOBOL": "RANDOM"}
LATER_MODES = (
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
    "DIV",
    "ADA",
    "BATCH",
)
LATER_SPECS = (
    "EI",
    "PI",
    "UCB",
    "SEQ",
    "HEDGE",
    "BO-HEDGE",
    "BO-HEDGE-T",
    "BO-HEDGE-LE",
    "BO-HEDGE-LET",
    "EG",
    "EG-LE",
    "GT",
    "GT-LE",
    "SKO",
    "SYNC",
    "ASYNC",
)
DEFAULT_MODE = "RANDOM"


def resolve_mode(mode: str | None, spec: str | None) -> tuple[str, str]:
    """Normalised (mode, spec); unknown or not-yet-available values raise an InputError."""
    mode = (mode or DEFAULT_MODE).upper()
    mode = ALIASES.get(mode, mode)
    available = ", ".join(list(AVAILABLE) + list(ALIASES))
    if mode not in AVAILABLE:
        if mode in LATER_MODES:
            raise InputError(f"mode {mode} is not available in this version (available: {available})", key="-m/--mode")
        raise InputError(f"expected one of {available}, got {mode!r}", key="-m/--mode")
    specs = AVAILABLE[mode]
    spec = (spec or specs[0]).upper()
    if spec not in specs:
        if spec in LATER_SPECS:
            raise InputError(
                f"spec {spec} is not available in this version for mode {mode} (available: {', '.join(specs)})",
                key="-s/--spec",
            )
        raise InputError(f"expected one of {', '.join(specs)} for mode {mode}, got {spec!r}", key="-s/--spec")
    return mode, spec


def build_strategy(mode: str, spec: str, run_conf: RunConf) -> Strategy:
    """A fresh strategy (with its arms) for one repetition."""
    if mode == "RANDOM":
        return SingleArm(Arm("RANDOM", RandomSearch()))
    raise InputError(f"mode {mode} is not available in this version", key="-m/--mode")
