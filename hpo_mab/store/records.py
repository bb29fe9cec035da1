"""The records of the store: a run and its trials, as stored and as the loop produces them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Trial:
    """One finished evaluation as stored. ``opt_time`` is what the clock was charged."""

    rep: int
    trial: int
    candidate: int
    config: dict
    error: float
    accuracy: float
    exec_time: float
    opt_time: float
    opt_wall_time: float
    clock: float
    epochs: int
    best_epoch: int
    arm: str
    note: str = ""
    selection: dict = field(default_factory=dict)
    status: str = "ok"  # or "failed" (kept out of the models and of the best)
    worker: int = 0
    early_terminated: bool = False  # stopped or paused by the early-termination rule
    etr: dict = field(default_factory=dict)  # the rule's record: bracket; if stopped, checkpoint, statistic, threshold
    resumed_from: int = 0  # a promoted trial continues its candidate from this epoch
    curve: tuple = ()  # the accuracy of each epoch trained (from epoch 1)


@dataclass(frozen=True)
class RunRecord:
    """A run as stored."""

    id: int
    key: str
    benchmark: str
    mode: str
    spec: str
    title: str
    seed: int
    num_reps: int
    settings: dict
