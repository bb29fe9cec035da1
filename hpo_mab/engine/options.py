"""The trial loop's own run_conf options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import AtLeast, OneOf, option

FAILOVERS = ("None", "random", "next_candidate", "premature")


@dataclass(frozen=True)
class LoopOptions:
    """run_conf ``max_failures`` (stop a repetition after that many failed trials) and ``failover``."""

    SECTION: ClassVar[str | None] = None
    failover: str | None = option(None, OneOf(FAILOVERS), "how proposals treat trials in flight")
    max_failures: int | None = option(None, AtLeast(0), "failed trials that stop a repetition")
