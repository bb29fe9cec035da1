"""The options of the early-termination rules (run_conf ``etr: {...}``, read for the chosen rule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import AtLeast, Interval, Nullable, Number, option

SECTION = "etr"
# a class's EPOCH_FIELDS name options that are epochs at which the rule first acts: they must lie
# before the last epoch, or the rule could never stop anything


@dataclass(frozen=True)
class TercetOptions:
    """DecaTercet, PentaTercet, TetraTercet: two checkpoints; the survive ratio is in the name."""

    SECTION: ClassVar[str] = SECTION
    min_curves: int = option(5, AtLeast(1), "curves that must have reached a checkpoint before anything stops")


@dataclass(frozen=True)
class MedianOptions:
    """Median: stop when the best accuracy so far is below the median of the earlier curves at that epoch."""

    SECTION: ClassVar[str] = SECTION
    EPOCH_FIELDS: ClassVar[tuple[str, ...]] = ("warmup_epochs",)
    warmup_epochs: int | None = option(
        None, Nullable(AtLeast(1)), "first epoch that may stop a trial (default: a quarter of the epochs)"
    )
    min_curves: int = option(5, AtLeast(1), "earlier curves at an epoch before it can stop anything")
    interval: int = option(1, AtLeast(1), "check every this many epochs after the warm-up")


@dataclass(frozen=True)
class PercentileOptions:
    """Percentile: as Median, at another percentile."""

    SECTION: ClassVar[str] = SECTION
    EPOCH_FIELDS: ClassVar[tuple[str, ...]] = ("warmup_epochs",)
    percentile: float = option(25.0, Interval(0, 100), "stop below this percentile of the earlier curves")
    warmup_epochs: int | None = option(
        None, Nullable(AtLeast(1)), "first epoch that may stop a trial (default: a quarter of the epochs)"
    )
    min_curves: int = option(5, AtLeast(1), "earlier curves at an epoch before it can stop anything")
    interval: int = option(1, AtLeast(1), "check every this many epochs after the warm-up")


@dataclass(frozen=True)
class AdaptiveMedianOptions:
    """AdaptiveMedian: the median rule from the earliest epoch at which the run's best complete curves were safe."""

    SECTION: ClassVar[str] = SECTION
    warmup_epochs: int | None = option(
        None, Nullable(AtLeast(1)), "latest first checked epoch, Median's warm-up (default: a quarter of the epochs)"
    )
    min_curves: int = option(5, AtLeast(1), "earlier curves at an epoch before it can stop anything")
    min_complete: int = option(8, AtLeast(1), "complete curves needed before checks start earlier than the warm-up")
    top_share: float = option(
        0.25, Interval(0, 1, high_open=False), "the share of the complete curves, best finals first, kept safe"
    )


@dataclass(frozen=True)
class IntervalOptions:
    """Interval: stop at the first epoch whose accuracy lies strictly between ``low`` and ``high``."""

    SECTION: ClassVar[str] = SECTION
    EPOCH_FIELDS: ClassVar[tuple[str, ...]] = ("after_epoch",)
    low: float = option(0.0, Interval(0, 1, low_open=False, high_open=False), "lower bound (exclusive)")
    high: float = option(0.2, Interval(0, 1, low_open=False, high_open=False), "upper bound (exclusive)")
    after_epoch: int = option(1, AtLeast(1), "first epoch checked")


@dataclass(frozen=True)
class HalvingOptions:
    """ASHA, ASHA-PROMOTE and Hyperband: rungs at min_epochs * eta**k epochs."""

    SECTION: ClassVar[str] = SECTION
    EPOCH_FIELDS: ClassVar[tuple[str, ...]] = ("min_epochs",)
    eta: float = option(3.0, Interval(1, 100), "reduction factor: the top 1/eta of a rung goes on")
    min_epochs: int = option(1, AtLeast(1), "epochs of the first rung")


@dataclass(frozen=True)
class CurveNNOptions:
    """CurveNN: the optimistic extrapolation of a partial curve by its nearest complete curves."""

    SECTION: ClassVar[str] = SECTION
    min_curves: int = option(8, AtLeast(2), "complete curves needed before anything stops")
    neighbours: int = option(5, AtLeast(1), "nearest complete curves whose gains are borrowed")
    checkpoints: int = option(4, AtLeast(1), "checks, spread over the first half of the epochs")
    margin: float = option(0.0, Number(), "accuracy added to the optimistic prediction before comparing")
