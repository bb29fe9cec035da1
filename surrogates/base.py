"""What every benchmark answers: evaluate candidate i for e epochs -> Result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from inputs.hp_conf import HpConf
from searchspace.space import CandidatePool, SearchSpace


@dataclass(frozen=True)
class Result:
    """Outcome of one evaluation: error = 1 - accuracy of the best epoch trained."""

    error: float
    accuracy: float
    exec_time: float
    epochs: int
    best_epoch: int
    curve: tuple[float, ...] = field(default=(), repr=False)


class Benchmark(Protocol):
    """A benchmark evaluated on the simulated clock."""

    name: str
    hp_conf: HpConf
    space: SearchSpace

    def pool(self) -> CandidatePool:
        """The candidate pool of a repetition (fresh copy)."""
        ...

    def evaluate(self, candidate_id: int, epochs: int | None = None) -> Result:
        """Evaluate one candidate (all epochs by default)."""
        ...

    def default_goal(self) -> float | None:
        """The usual GOAL accuracy (the table's 10th-best accuracy), if known."""
        ...
