"""Strategies choose which arm proposes the next configuration; their state survives resume."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from optimizers.base import Optimizer
from optimizers.bayes import ModelCache


@dataclass(frozen=True)
class Arm:
    """One arm of the bandit: a named optimizer (surrogate model + acquisition + transform)."""

    name: str
    optimizer: Optimizer


class Strategy(Protocol):
    """Chooses an arm index each step and learns from the outcome."""

    name: str
    arms: list[Arm]

    def select(self, step: int, rng: np.random.Generator) -> int:
        """Index of the arm that proposes at ``step``."""
        ...

    def update(self, arm_index: int, error: float) -> None:
        """Learn from the error of the configuration the arm proposed."""
        ...

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state, stored after every trial."""
        ...

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a state produced by ``get_state``."""
        ...


class SingleArm:
    """The single-arm modes (``-m RANDOM``, ``-m GP -s EI``, ...): always the same arm."""

    name = "SINGLE"

    def __init__(self, arm: Arm, models: ModelCache | None = None) -> None:
        self.arms = [arm]
        self.models = models

    def select(self, step: int, rng: np.random.Generator) -> int:
        """Always arm 0."""
        return 0

    def update(self, arm_index: int, error: float) -> None:
        """Nothing to learn."""

    def get_state(self) -> dict[str, Any]:
        """The models' warm starts (no choice state)."""
        return {"models": self.models.get_state()} if self.models is not None else {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore the models' warm starts."""
        if self.models is not None and "models" in state:
            self.models.set_state(state["models"])
