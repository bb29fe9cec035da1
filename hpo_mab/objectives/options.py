"""The run_conf options of real objectives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import Interval, option


@dataclass(frozen=True)
class ObjectiveOptions:
    """run_conf ``stop_grace``: seconds a stopped trial has to end by itself before it is killed."""

    SECTION: ClassVar[str | None] = None
    stop_grace: float = option(
        10.0, Interval(0, 3600, low_open=False, high_open=False), "seconds a stopped trial has to end by itself"
    )
