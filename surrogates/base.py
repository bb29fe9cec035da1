"""What every benchmark answers: evaluate candidate i for e epochs -> Result."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from hpo_mab.inputs.hp_conf import HpConf
from hpo_mab.searchspace.space import CandidatePool, SearchSpace


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
    simulated: bool  # True: evaluated here, on the simulated clock

    def pool(self) -> CandidatePool:
        """The candidate pool of a repetition (fresh copy)."""
        ...

    def evaluate(self, candidate_id: int, epochs: int | None = None) -> Result:
        """Evaluate one candidate (all epochs by default)."""
        ...

    def default_goal(self) -> float | None:
        """The usual GOAL accuracy (the 10th-best accuracy of the pool), if known."""
        ...

    def best_known(self) -> float | None:
        """The best accuracy of the pool if it is known without evaluating anything new."""
        ...

    def fingerprint(self) -> dict[str, str]:
        """What identifies the benchmark's values (file hashes, model, cost model) in a run's identity."""
        ...


def curve_result(curve: np.ndarray, total_seconds: float, epochs: int | None, time_scale: float = 1.0) -> Result:
    """Result of training for ``epochs`` (default: all) of the per-epoch accuracy ``curve``.

    Error = 1 - best accuracy of the epochs trained; time = ``total_seconds`` prorated per epoch,
    times ``time_scale``.
    """
    total = len(curve)
    k = total if epochs is None else max(1, min(int(epochs), total))
    trained = curve[:k]
    best_epoch = int(np.argmax(trained)) + 1
    accuracy = float(trained[best_epoch - 1])
    exec_time = float(total_seconds) * k / total * time_scale
    return Result(1.0 - accuracy, accuracy, exec_time, k, best_epoch, tuple(float(a) for a in trained))


def tenth_best(best_accuracies: np.ndarray) -> float:
    """The 10th-best accuracy (the usual GOAL), or the worst when there are fewer than 10."""
    return float(best_accuracies[min(9, len(best_accuracies) - 1)])


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
