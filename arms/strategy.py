"""Strategies choose which arm proposes the next configuration; their state survives resume.

A strategy's ``propose`` returns a ``Decision``: the arm played, its proposal, and a record of why
(probabilities or values of every arm, nominees) that goes to the store and the traces. An arm
whose model fails is replaced by a random candidate (``NONE_RANDOM``), on record, never a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from hpo_mab.optimizers.base import History, Optimizer, Proposal
from hpo_mab.optimizers.bayes import ModelCache
from hpo_mab.optimizers.random_search import RandomSearch
from hpo_mab.searchspace.space import CandidatePool

LOGGER = logging.getLogger("hpo_mab")
FALLBACK = RandomSearch()
FALLBACK_LABEL = "NONE_RANDOM"


@dataclass(frozen=True)
class Arm:
    """One arm of the bandit: a named optimizer (surrogate model + acquisition + transform)."""

    name: str
    optimizer: Optimizer


@dataclass(frozen=True)
class Decision:
    """The arm played at a step, its proposal, and the record of the choice."""

    arm_index: int
    proposal: Proposal
    label: str  # the arm's name, or NONE_RANDOM when its model failed
    note: str = ""
    record: dict[str, Any] = field(default_factory=dict)


def safe_propose(
    arm: Arm, history: History, pool: CandidatePool, rng: np.random.Generator
) -> tuple[Proposal, str, str]:
    """(proposal, label, note): the arm's proposal, or a random candidate if the arm fails."""
    try:
        return arm.optimizer.propose(history, pool, rng), arm.name, ""
    except Exception as exc:  # the failure fallback: a random candidate, on record, never a crash
        note = f"{arm.name} failed ({type(exc).__name__}: {exc}); random candidate instead"
        LOGGER.warning("%s", note)
        return FALLBACK.propose(history, pool, rng), FALLBACK_LABEL, note


class Strategy(Protocol):
    """Chooses the arm that proposes each step and learns from the outcome."""

    name: str
    arms: list[Arm]

    def propose(
        self, step: int, history: History, pool: CandidatePool, rng: np.random.Generator, clock: float
    ) -> Decision:
        """The decision of ``step`` (``clock``: the simulated seconds elapsed)."""
        ...

    def update(self, decision: Decision, error: float, history: History) -> None:
        """Learn from the error of the decision's candidate (``history`` does not contain it yet)."""
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

    def propose(
        self, step: int, history: History, pool: CandidatePool, rng: np.random.Generator, clock: float
    ) -> Decision:
        """Arm 0 proposes."""
        proposal, label, note = safe_propose(self.arms[0], history, pool, rng)
        return Decision(0, proposal, label, note)

    def update(self, decision: Decision, error: float, history: History) -> None:
        """Nothing to learn."""

    def get_state(self) -> dict[str, Any]:
        """The models' warm starts (no choice state)."""
        return {"models": self.models.get_state()} if self.models is not None else {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore the models' warm starts."""
        if self.models is not None and "models" in state:
            self.models.set_state(state["models"])
