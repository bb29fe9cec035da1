"""Small validation helpers shared by the config readers; each raises a located InputError."""

from __future__ import annotations

from typing import Any

from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.options import Number
from hpo_mab.inputs.options import is_number as is_number  # re-exported: the readers call checks.is_number


def join(path: str, key: str | int) -> str:
    """Key path ``a.b`` or ``a[0]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_keys(mapping: Any, source: str, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    """Check that ``mapping`` is a dict with only ``allowed`` keys and all ``required`` ones."""
    if not isinstance(mapping, dict):
        raise InputError(f"expected a mapping, got {show(mapping)}", source, path or None)
    for key in mapping:
        if key not in allowed:
            raise InputError(f"unknown key (expected one of: {', '.join(allowed)})", source, join(path, str(key)))
    for key in required:
        if key not in mapping:
            raise InputError("missing required key", source, join(path, key))
    return mapping


def number(value: Any, source: str, path: str, *, positive: bool = False, integer: bool = False):
    """Check a number (optionally a positive one, optionally an integer): the plug-in options' :class:`Number`."""
    return Number(positive=positive, integer=integer).check(value, source, path)


def at_most(value: Any, high: float, source: str, path: str, why: str = "") -> Any:
    """Refuse a (finite) number above a documented limit ``high``."""
    if value > high:
        raise InputError(f"expected at most {high:g}{why}, got {show(value)}", source, path)
    return value


def string(value: Any, source: str, path: str, choices: tuple[str, ...] | None = None) -> str:
    """Check a string, optionally one of ``choices``."""
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {show(value)}", source, path)
    if choices is not None and value not in choices:
        raise InputError(f"expected one of {', '.join(choices)}, got {show(value)}", source, path)
    return value


def boolean(value: Any, source: str, path: str) -> bool:
    """Check a boolean."""
    if not isinstance(value, bool):
        raise InputError(f"expected true or false, got {show(value)}", source, path)
    return value
