"""The run_conf options of the DIV strategies (declared apart from them: reading a run_conf imports no numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import AllOf, AtMost, Interval, Number, OneOf, option

TIME_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0}
MAX_ETA = 1000.0  # eta * gains stays far from float overflow in exp (README "Limits")


@dataclass(frozen=True)
class HedgeOptions:
    """run_conf ``eta`` and ``discount`` of GP-Hedge."""

    SECTION: ClassVar[str | None] = None
    eta: float = option(1.0, AllOf((Number(positive=True), AtMost(MAX_ETA))), "p_i proportional to exp(eta * g_i)")
    discount: float = option(1.0, Interval(0, 1, high_open=False), "gains are multiplied by it every step")


@dataclass(frozen=True)
class EpsilonGreedyOptions:
    """run_conf ``init_eps``, ``decay_factor`` (EG) and ``time_unit`` (GT)."""

    SECTION: ClassVar[str | None] = None
    init_eps: float = option(1.0, Interval(0, 1, low_open=False, high_open=False), "EG: epsilon at step 0")
    decay_factor: float = option(5, Number(positive=True), "EG: epsilon drops 0.1 every K * decay_factor steps")
    time_unit: str = option("H", OneOf(tuple(TIME_UNITS)), "GT: epsilon = 1/sqrt(t + 1), t in this unit")


@dataclass(frozen=True)
class KnockOutOptions:
    """run_conf ``knockout_period`` of SKO."""

    SECTION: ClassVar[str | None] = None
    knockout_period: int = option(10, Number(positive=True, integer=True), "knock out an arm every K * this steps")


@dataclass(frozen=True)
class ThompsonOptions:
    """run_conf ``top_share`` and ``ts_discount`` of TS."""

    SECTION: ClassVar[str | None] = None
    top_share: float = option(
        0.25, Interval(0, 1, high_open=False), "a trial succeeds when its error is in this best share of the earlier"
    )  # 0.25 and 0.99 measured against 0.1 and 0.95 on the quality suite (README "Quality suite")
    ts_discount: float = option(0.99, Interval(0, 1, high_open=False), "TS: evidence is multiplied by it every trial")
