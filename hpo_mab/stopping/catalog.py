"""The early-termination rules a run may use (``-etr`` and run_conf ``early_term_rule``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.options import option
from hpo_mab.registry import Entry, Registry
from hpo_mab.stopping.base import NoRule

RULES: Registry = Registry("early-termination rule", [Entry("None", NoRule, None, "train every trial fully")])


@dataclass(frozen=True)
class _RuleName:
    """The name of a registered rule."""

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a registered rule (``none`` is ``None``)."""
        if value in (None, "none"):
            value = "None"
        if value not in RULES:
            raise InputError(
                f"early termination rules are not available yet; expected None, got {show(value)}", source, path
            )
        return value

    def describe(self) -> str:
        """``one of ...``."""
        return "one of " + ", ".join(RULES.names())

    def schema(self) -> dict:
        """A string enum."""
        return {"type": "string", "enum": RULES.names()}


@dataclass(frozen=True)
class RuleChoice:
    """run_conf ``early_term_rule``."""

    SECTION: ClassVar[str | None] = None
    early_term_rule: str = option("None", _RuleName(), "early-termination rule")
