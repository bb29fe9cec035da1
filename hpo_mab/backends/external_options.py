"""What an external experiment's assembly holds without importing the server: its options and its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import Interval, option
from hpo_mab.objectives.base import Outcome, failed


@dataclass(frozen=True)
class LeaseOptions:
    """run_conf ``heartbeat`` and ``lease_ttl`` (seconds) of external experiments' pull workers."""

    SECTION: ClassVar[str | None] = None
    heartbeat: float = option(10.0, Interval(0.01, 3600, low_open=False, high_open=False), "seconds between heartbeats")
    lease_ttl: float = option(
        60.0, Interval(0.05, 86400, low_open=False, high_open=False), "seconds a claim lives without a heartbeat"
    )


class ExternalTarget:
    """What an external experiment evaluates: nothing here (its pull workers do); ``metric`` reads results."""

    def __init__(self, metric: str = "accuracy") -> None:
        self.metric = metric

    def __call__(self, config: dict) -> Outcome:
        """Not callable here: the trials of an external experiment run on pull workers."""
        return failed("an external experiment's trials are run by pull workers, not here")
