"""Typed options of plug-ins: frozen dataclasses whose fields carry their defaults and constraints.

A plug-in (a model, a strategy, a backend, ...) declares its options once::

    @dataclass(frozen=True)
    class HedgeOptions:
        SECTION: ClassVar[str | None] = None         # keys at the top level of a run_conf
        eta: float = option(1.0, Number(positive=True), help="learning rate of the gains")

``parse_options(HedgeOptions, mapping, source, prefix)`` validates the keys it owns and returns an
instance; every violation is one ``InputError`` naming the file and the key path. The same
declarations give the CLI help and the API's option schemas (``describe``, ``json_schema``), as
scikit-learn's ``_parameter_constraints`` do for its estimators.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hpo_mab.inputs.errors import InputError, show


class Constraint(Protocol):
    """Checks one value; returns it (possibly normalised) or raises a located InputError."""

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """The accepted value."""
        ...

    def describe(self) -> str:
        """What is accepted, for help texts."""
        ...

    def schema(self) -> dict:
        """The JSON schema of the accepted values."""
        ...


INT64_MAX = 2**63 - 1  # the largest integer an option (or a seed) may hold: SQLite's and numpy's int64


def is_number(value: Any) -> bool:
    """True for int and float, not bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite(value: Any) -> bool:
    """True for a finite float and for an int within int64 (NaN, infinities and huge ints are not)."""
    if isinstance(value, int):
        return -INT64_MAX - 1 <= value <= INT64_MAX
    return math.isfinite(value)


def check_finite(value: Any, desc: str, source: str | None, path: str) -> None:
    """Refuse NaN, infinities and integers beyond int64 with ``expected <desc>, got ...``."""
    if not is_finite(value):
        what = "an integer within int64" if isinstance(value, int) else f"a finite {desc.split(' ', 1)[1]}"
        raise InputError(f"expected {what}, got {show(value)}", source, path)


@dataclass(frozen=True)
class Number:
    """A number (int or float), optionally positive, optionally an integer."""

    positive: bool = False
    integer: bool = False

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a (positive) number or integer."""
        desc = ("a positive " if self.positive else "an " if self.integer else "a ") + (
            "integer" if self.integer else "number"
        )
        ok = isinstance(value, int) if self.integer else is_number(value)
        if not ok or isinstance(value, bool):
            raise InputError(f"expected {desc}, got {show(value)}", source, path)
        check_finite(value, desc, source, path)
        if self.positive and value <= 0:
            raise InputError(f"expected {desc}, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``positive integer``, ``number``, ..."""
        return ("positive " if self.positive else "") + ("integer" if self.integer else "number")

    def schema(self) -> dict:
        """integer or number, exclusive minimum 0 when positive."""
        out: dict = {"type": "integer" if self.integer else "number"}
        if self.positive:
            out["exclusiveMinimum"] = 0
        return out


@dataclass(frozen=True)
class AtLeast:
    """An integer >= ``low`` (the message of a non-integer comes first)."""

    low: int

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept an integer >= low."""
        Number(integer=True).check(value, source, path)
        if value < self.low:
            raise InputError(f"expected an integer >= {self.low}, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``integer >= low``."""
        return f"integer >= {self.low}"

    def schema(self) -> dict:
        """integer with a minimum."""
        return {"type": "integer", "minimum": self.low}


@dataclass(frozen=True)
class AtMost:
    """A number <= ``high``: a documented limit (README "Limits"); after a type check, e.g.
    ``AllOf((AtLeast(0), AtMost(100)))``."""

    high: float

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a number <= high."""
        Number().check(value, source, path)
        if value > self.high:
            raise InputError(f"expected at most {self.high:g}, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``at most high``."""
        return f"at most {self.high:g}"

    def schema(self) -> dict:
        """A maximum."""
        return {"maximum": self.high}


@dataclass(frozen=True)
class Interval:
    """A number in an interval, e.g. (0, 1) or (0, 1]; ``what`` names it in messages ("a fraction")."""

    low: float
    high: float
    low_open: bool = True
    high_open: bool = True
    what: str = "a number"
    number_first: bool = True  # the message of a non-number is "expected a number" (else the interval's)

    def _text(self) -> str:
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a number inside the interval."""
        if self.number_first:
            Number().check(value, source, path)
        inside = is_number(value) and (value > self.low if self.low_open else value >= self.low)
        inside = inside and (value < self.high if self.high_open else value <= self.high)
        if not inside:
            raise InputError(f"expected {self.what} in {self._text()}, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``number in (0, 1]``."""
        return f"{self.what.split(' ', 1)[1]} in {self._text()}"

    def schema(self) -> dict:
        """number with bounds."""
        low = "exclusiveMinimum" if self.low_open else "minimum"
        high = "exclusiveMaximum" if self.high_open else "maximum"
        return {"type": "number", low: self.low, high: self.high}


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of strings."""

    choices: tuple[str, ...]

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept one of the choices."""
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {show(value)}", source, path)
        if value not in self.choices:
            raise InputError(f"expected one of {', '.join(self.choices)}, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``one of A, B``."""
        return "one of " + ", ".join(self.choices)

    def schema(self) -> dict:
        """A string enum."""
        return {"type": "string", "enum": list(self.choices)}


@dataclass(frozen=True)
class Text:
    """Any string."""

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a string."""
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``string``."""
        return "string"

    def schema(self) -> dict:
        """A string."""
        return {"type": "string"}


@dataclass(frozen=True)
class Flag:
    """true/false; with ``numeric`` also 0/1 (as the original's ``noiseless: 1``)."""

    numeric: bool = False

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a boolean (or 0/1)."""
        if self.numeric:
            if value not in (0, 1, True, False) or not isinstance(value, (bool, int)):
                raise InputError(f"expected true/false or 0/1, got {show(value)}", source, path)
            return bool(value)
        if not isinstance(value, bool):
            raise InputError(f"expected true or false, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``true/false``."""
        return "true/false" + (" or 0/1" if self.numeric else "")

    def schema(self) -> dict:
        """A boolean."""
        return {"type": "boolean"}


@dataclass(frozen=True)
class Nullable:
    """``None`` or what ``inner`` accepts."""

    inner: Any

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept None or the inner constraint."""
        return None if value is None else self.inner.check(value, source, path)

    def describe(self) -> str:
        """``inner or null``."""
        return f"{self.inner.describe()} or null"

    def schema(self) -> dict:
        """The inner schema or null."""
        return {"anyOf": [self.inner.schema(), {"type": "null"}]}


@dataclass(frozen=True)
class MappingOf:
    """A mapping of names to values accepted by ``values`` (``example`` shows the form in messages)."""

    values: Any
    example: str

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a mapping whose every value passes."""
        if not isinstance(value, dict):
            raise InputError(f"expected a mapping like {self.example}, got {show(value)}", source, path)
        return {name: self.values.check(amount, source, f"{path}.{name}") for name, amount in value.items()}

    def describe(self) -> str:
        """``mapping like {...}``."""
        return f"mapping like {self.example}"

    def schema(self) -> dict:
        """An object of values."""
        return {"type": "object", "additionalProperties": self.values.schema()}


@dataclass(frozen=True)
class Accepted:
    """What a field accepts, its help text, and the key the user writes (if not the field name)."""

    constraint: Any
    help: str = ""
    key: str | None = None


def option(default: Any, constraint: Any, help: str = "", key: str | None = None) -> Any:
    """A dataclass field with a default and a constraint (``key``: the run_conf name if different)."""
    return dataclasses.field(default=default, metadata={"accepted": Accepted(constraint, help, key)})


@dataclass(frozen=True)
class OptionField:
    """One declared option: the key the user writes, the field, default, constraint and help."""

    key: str
    name: str
    default: Any
    constraint: Any
    help: str


def option_fields(cls: type) -> list[OptionField]:
    """The declared options of an options dataclass, in declaration order."""
    out = []
    for f in dataclasses.fields(cls):
        accepted = f.metadata.get("accepted")
        if accepted is not None:
            out.append(OptionField(accepted.key or f.name, f.name, f.default, accepted.constraint, accepted.help))
    return out


def section_of(cls: type) -> str | None:
    """The run_conf section of an options class (``gp``), or None for top-level keys."""
    return getattr(cls, "SECTION", None)


def parse_options(cls: type, data: Mapping[str, Any], source: str | None, prefix: str = "") -> Any:
    """An instance of ``cls`` from the keys of ``data`` it declares (other keys are not looked at)."""
    values = {}
    for f in option_fields(cls):
        if f.key in data:
            path = f"{prefix}.{f.key}" if prefix else f.key
            values[f.name] = f.constraint.check(data[f.key], source, path)
    return cls(**values)


def describe(cls: type) -> list[tuple[str, Any, str, str]]:
    """(key, default, what is accepted, help) of every option, for help texts."""
    return [(f.key, f.default, f.constraint.describe(), f.help) for f in option_fields(cls)]


def json_schema(cls: type) -> dict:
    """A JSON schema (an object) of the options, defaults included."""
    properties = {}
    for f in option_fields(cls):
        default = f.default if not isinstance(f.default, float) or math.isfinite(f.default) else None
        properties[f.key] = {**f.constraint.schema(), "default": default, "description": f.help}
    return {"type": "object", "properties": properties, "additionalProperties": False}


@dataclass(frozen=True)
class AllOf:
    """Every constraint in turn (the first failing one gives the message)."""

    constraints: tuple

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept what every constraint accepts."""
        for constraint in self.constraints:
            value = constraint.check(value, source, path)
        return value

    def describe(self) -> str:
        """The last (most specific) description, with an upper limit after it."""
        *first, last = self.constraints
        if isinstance(last, AtMost) and first:
            return f"{first[-1].describe()}, {last.describe()}"
        return last.describe()

    def schema(self) -> dict:
        """The last constraint's schema (merged with the one before an upper limit)."""
        *first, last = self.constraints
        if isinstance(last, AtMost) and first:
            return {**first[-1].schema(), **last.schema()}
        return last.schema()


@dataclass(frozen=True)
class Section:
    """A mapping whose keys another declaration validates later (the options of a plug-in chosen elsewhere)."""

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a mapping."""
        if not isinstance(value, dict):
            raise InputError(f"expected a mapping, got {show(value)}", source, path)
        return value

    def describe(self) -> str:
        """``mapping``."""
        return "mapping"

    def schema(self) -> dict:
        """An object."""
        return {"type": "object"}
