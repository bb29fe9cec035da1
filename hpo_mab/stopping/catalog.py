"""The early-termination rules a run may use (``-etr`` and run_conf ``early_term_rule``, options in ``etr``).

Every rule's factory takes (its name, the number of epochs E of a full training, its options, a
seed sequence of its own) and returns a fresh rule for one repetition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from hpo_mab.inputs.errors import InputError, show
from hpo_mab.inputs.options import Section, option
from hpo_mab.registry import Entry, Registry

OPTIONS = "hpo_mab.stopping.options:"


def _none(name: str, max_epoch: int | None, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.base import NO_RULE

    return NO_RULE


def _tercet(beta: float) -> Callable[..., Any]:
    def build(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
        from hpo_mab.stopping.thresholds import Tercet

        return Tercet(max_epoch, options, beta, name)

    return build


def _median(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.thresholds import Percentile

    return Percentile(max_epoch, options, 50.0, name)


def _percentile(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.thresholds import Percentile

    return Percentile(max_epoch, options, None, name)


def _adaptive_median(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.thresholds import AdaptiveMedian

    return AdaptiveMedian(max_epoch, options)


def _interval(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.thresholds import IntervalRule

    return IntervalRule(max_epoch, options)


def _asha(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.halving import ASHA

    return ASHA(max_epoch, options)


def _promoting(brackets: bool) -> Callable[..., Any]:
    def build(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
        from hpo_mab.stopping.halving import PromotingHalving

        return PromotingHalving(max_epoch, options, seeds, brackets, name)

    return build


def _curve_nn(name: str, max_epoch: int, options: Any, seeds: Any) -> Any:
    from hpo_mab.stopping.extrapolation import CurveNN

    return CurveNN(max_epoch, options)


PAUSES = {"pauses": True}  # promotion type: trials pause and may be resumed
RULES: Registry = Registry(
    "early-termination rule",
    [
        Entry("None", _none, None, "train every trial fully", ("none",)),
        Entry("DecaTercet", _tercet(0.1), OPTIONS + "TercetOptions", "two checkpoints, survive ratio 0.1"),
        Entry("PentaTercet", _tercet(0.2), OPTIONS + "TercetOptions", "two checkpoints, survive ratio 0.2"),
        Entry("TetraTercet", _tercet(0.25), OPTIONS + "TercetOptions", "two checkpoints, survive ratio 0.25"),
        Entry("Median", _median, OPTIONS + "MedianOptions", "median stopping rule", ("VizMedian",)),
        Entry("Percentile", _percentile, OPTIONS + "PercentileOptions", "stop below a percentile of earlier curves"),
        Entry(
            "AdaptiveMedian",
            _adaptive_median,
            OPTIONS + "AdaptiveMedianOptions",
            "median rule from the earliest epoch that kept the run's best complete curves",
        ),
        Entry("Interval", _interval, OPTIONS + "IntervalOptions", "stop diverged or chance-level curves"),
        Entry("ASHA", _asha, OPTIONS + "HalvingOptions", "asynchronous successive halving, stopping type"),
        Entry("ASHA-PROMOTE", _promoting(False), OPTIONS + "HalvingOptions", "ASHA, promotion type", facts=PAUSES),
        Entry("Hyperband", _promoting(True), OPTIONS + "HalvingOptions", "asynchronous Hyperband", facts=PAUSES),
        Entry("CurveNN", _curve_nn, OPTIONS + "CurveNNOptions", "nearest-curve extrapolation vs the incumbent"),
    ],
    case_insensitive=True,  # -etr median, as -m gp -s ei
)


@dataclass(frozen=True)
class _RuleName:
    """The name of a registered rule (or an alias of one)."""

    def check(self, value: Any, source: str | None, path: str) -> Any:
        """Accept a registered rule; return its registered name."""
        if value is None:
            value = "None"
        if not isinstance(value, str) or value not in RULES:
            raise InputError(f"expected one of {', '.join(RULES.names())}, got {show(value)}", source, path)
        return RULES.canonical(value)

    def describe(self) -> str:
        """``one of ...``."""
        return "one of " + ", ".join(RULES.names())

    def schema(self) -> dict:
        """A string enum."""
        return {"type": "string", "enum": RULES.names()}


RULE_NAME = _RuleName()


@dataclass(frozen=True)
class RuleChoice:
    """run_conf ``early_term_rule`` (``-etr`` wins) and ``etr`` (the chosen rule's options)."""

    SECTION: ClassVar[str | None] = None
    early_term_rule: str = option("None", RULE_NAME, "early-termination rule")
    etr: dict | None = option(None, Section(), "options of the chosen rule (see `etr` in the README)")


def rule_name(value: Any, key: str, source: str | None = None) -> str:
    """A rule named on the command line or in a run_conf, validated."""
    return RULE_NAME.check(value, source, key)
