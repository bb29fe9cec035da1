"""One hyperparameter of an hp_conf: its values, its mapping from [0, 1] and its model encoding.

Mapping of a unit coordinate u (documented in the README, stable across library versions so
that pools and generated tables are byte-identical):

* categorical / preordered: level index ``min(floor(u * n), n - 1)``;
* discrete (int): ``lo + min(floor(u * (hi - lo + 1)), hi - lo)`` (every integer equally likely);
* continuous (float): ``lo + u * (hi - lo)``;
* with ``power_of: b`` the range holds exponents and the value is ``b ** x`` (``int`` for int
  types), so such parameters are sampled log-uniformly and encoded in log space;
* with ``log: true`` the range holds values (both > 0) and the value is
  ``exp(log lo + u * (log hi - log lo))``, rounded for int types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

CHOICE_KINDS = ("categorical", "preordered")
NUMERIC_KINDS = ("discrete", "continuous")
VALUE_KINDS = NUMERIC_KINDS + CHOICE_KINDS
TYPES = ("int", "float", "str", "bool")


@dataclass(frozen=True)
class HyperParameter:
    """A validated hyperparameter specification (see ``inputs.hp_conf`` for validation)."""

    name: str
    type: str
    value_type: str
    range: tuple
    power_of: float | None = None
    default: Any = None
    log: bool = False

    @property
    def is_choice(self) -> bool:
        """True for categorical and preordered parameters (a finite list of levels)."""
        return self.value_type in CHOICE_KINDS

    @property
    def is_power(self) -> bool:
        """True when the range holds exponents of ``power_of``."""
        return self.power_of is not None and not self.is_choice

    @property
    def is_log(self) -> bool:
        """True when values are sampled and encoded in log space (``power_of`` or ``log: true``)."""
        return self.is_power or (self.log and not self.is_choice)

    @property
    def bounds(self) -> tuple[float, float]:
        """Bounds in value space (after the power transform) of a numeric parameter."""
        lo, hi = self.range
        if self.is_power:
            return self._power(lo), self._power(hi)
        return lo, hi

    @property
    def width(self) -> int:
        """Number of model features: one per level for categorical, else one."""
        return len(self.range) if self.value_type == "categorical" else 1

    def _power(self, exponent: float) -> float:
        value = float(self.power_of) ** exponent
        return round(value) if self.type == "int" else value

    def from_unit(self, u: np.ndarray) -> list:
        """Map unit coordinates to values (Python scalars), as documented above."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.is_choice:
            n = len(self.range)
            idx = np.minimum(np.floor(u * n).astype(int), n - 1)
            return [self.range[i] for i in idx]
        lo, hi = self.range
        if self.log and not self.is_power:
            x = np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
            if self.type == "int":
                return [int(e) for e in np.clip(np.round(x), lo, hi)]
            return [float(e) for e in np.clip(x, lo, hi)]
        if self.type == "int":
            span = int(hi) - int(lo)
            x = int(lo) + np.minimum(np.floor(u * (span + 1)).astype(int), span)
            if self.is_power:
                return [self._power(int(e)) for e in x]
            return [int(e) for e in x]
        x = lo + u * (hi - lo)
        if self.is_power:
            return [self._power(float(e)) for e in x]
        return [float(e) for e in x]

    def to_unit(self, values: list) -> np.ndarray:
        """Scalar position in [0, 1] of each value (log space for ``power_of``; level index for choices)."""
        if self.is_choice:
            lookup = {_key(v): i for i, v in enumerate(self.range)}
            n = len(self.range)
            idx = np.array([lookup[_key(v)] for v in values], dtype=float)
            return idx / (n - 1) if n > 1 else np.zeros(len(values))
        lo, hi = self.range
        x = np.asarray(values, dtype=float)
        if self.is_power:
            x = np.log(x) / math.log(float(self.power_of))
        elif self.log:
            x, lo, hi = np.log(x), math.log(lo), math.log(hi)
        if hi == lo:
            return np.zeros(len(x))
        return np.clip((x - lo) / (hi - lo), 0.0, 1.0)

    def encode(self, values: list) -> np.ndarray:
        """Model features of shape (n, width): one-hot for categorical, else ``to_unit``."""
        if self.value_type == "categorical":
            lookup = {_key(v): i for i, v in enumerate(self.range)}
            out = np.zeros((len(values), len(self.range)))
            out[np.arange(len(values)), [lookup[_key(v)] for v in values]] = 1.0
            return out
        return self.to_unit(values).reshape(-1, 1)

    def levels(self) -> tuple:
        """The finite list of values of a choice or of an int ``power_of`` parameter (else empty)."""
        if self.is_choice:
            return self.range
        if self.is_power and self.type == "int":
            return tuple(self._power(e) for e in range(int(self.range[0]), int(self.range[1]) + 1))
        return ()

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in the parameter's domain (levels, integers or value-space bounds)."""
        levels = self.levels()
        if levels:
            return _key(value) in {_key(v) for v in levels}
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.type == "int" and not float(value).is_integer():
            return False
        lo, hi = self.bounds
        return lo <= value <= hi

    def contains_each(self, values: list) -> np.ndarray:
        """Vectorised ``contains``: a boolean mask over ``values``."""
        if self.type in ("int", "float") and all(_is_number(v) for v in values):
            x = np.asarray(values, dtype=float)
            levels = self.levels()
            if levels:
                return np.isin(x, np.asarray(levels, dtype=float))
            lo, hi = self.bounds
            ok = (x >= lo) & (x <= hi)
            return ok & (x == np.round(x)) if self.type == "int" else ok
        keys = [_key(v) for v in values]
        verdict: dict = {}
        for key, value in zip(keys, values, strict=True):
            if key not in verdict:  # each distinct value once (a table's column repeats a few levels)
                verdict[key] = self.contains(value)
        return np.array([verdict[key] for key in keys], dtype=bool)

    def describe_domain(self) -> str:
        """The domain for messages: ``['relu', 'tanh']``, ``integers in [1, 3]`` or ``[0.0001, 0.1]``."""
        levels = self.levels()
        if levels:
            return repr(list(levels))
        lo, hi = self.bounds
        return f"integers in [{lo}, {hi}]" if self.type == "int" else f"[{lo:g}, {hi:g}]"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _key(value: Any) -> Any:
    """Hashable comparison key that keeps 1 and True apart but treats 1 and 1.0 alike."""
    return (type(value) is bool, value)
