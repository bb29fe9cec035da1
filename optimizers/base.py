"""The common interface of optimizers, and the history they learn from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from hpo_mab.searchspace.space import CandidatePool, SearchSpace


@dataclass
class History:
    """Evaluated candidates of one repetition, in order (what every optimizer sees).

    ``lineage`` identifies the sequence of entries: adding an entry keeps it (so optimizers that
    sync incrementally tell only the new ones), replacing one (a promoted trial's longer
    training) or making a view with pending entries (trials in flight, ``with_pending``) gives a
    new one, after which incremental consumers start over.
    """

    positions: list[int] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    exec_times: list[float] = field(default_factory=list)
    lineage: object = field(default_factory=object, repr=False, compare=False)

    def add(self, position: int, error: float, exec_time: float) -> None:
        """Record one finished evaluation."""
        self.positions.append(position)
        self.errors.append(error)
        self.exec_times.append(exec_time)

    def record(self, position: int, error: float, exec_time: float) -> None:
        """Record an evaluation, replacing an earlier entry of the same candidate (a promoted trial)."""
        if position in self.positions:
            index = self.positions.index(position)
            self.errors[index] = error
            self.exec_times[index] = exec_time
            self.lineage = object()
        else:
            self.add(position, error, exec_time)

    def with_pending(self, entries: list[tuple[int, float, float]]) -> History:
        """A copy with (position, error, exec_time) of pending evaluations appended (a new lineage)."""
        view = History(list(self.positions), list(self.errors), list(self.exec_times))
        for position, error, exec_time in entries:
            view.record(position, error, exec_time)
        return view

    def extends(self, lineage: object, length: int) -> bool:
        """True when this history is the one of ``lineage`` grown from ``length`` entries (append-only)."""
        return lineage is self.lineage and length <= len(self)

    def __len__(self) -> int:
        return len(self.positions)

    def features(self, pool: CandidatePool, kind: str = "unit") -> np.ndarray:
        """Encoded features of the evaluated candidates (see ``CandidatePool.encoding``)."""
        return pool.rows(self.positions, kind)


@dataclass(frozen=True)
class Proposal:
    """The optimizer's choice: a pool position, plus what it computed on the way (for ``-p``).

    ``max_epochs``: train at most this many epochs (a multi-fidelity optimizer's budget); None: all.
    ``config``: a configuration off the pool (a continuous pool, see ``CandidatePool.add``);
    ``position`` is then -1 until the loop adds it.
    """

    position: int
    internals: dict[str, Any] = field(default_factory=dict)
    max_epochs: int | None = None
    config: dict | None = None

    @property
    def off_pool(self) -> bool:
        """True when the proposal is a configuration off the pool."""
        return self.config is not None


class Optimizer(Protocol):
    """Proposes the next candidate among the remaining ones of the pool."""

    name: str

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Choose one remaining candidate; must not change ``history`` or ``pool``."""
        ...


def prepare(optimizer: Optimizer, pool: CandidatePool) -> None:
    """Have ``optimizer`` do ahead what its first proposal of any repetition would do once (imports, the
    pool's encodings), if it has such work (an optional ``prepare(pool)``)."""
    hook = getattr(optimizer, "prepare", None)
    if hook is not None:
        hook(pool)


def nearest_remaining(space: SearchSpace, pool: CandidatePool, config: dict) -> Proposal:
    """The remaining candidate nearest (in the model encoding) to a configuration proposed off the pool,
    or the configuration itself where the pool is continuous."""
    import pandas as pd

    if pool.continuous:
        return Proposal(-1, {"proposed": config}, config=config)
    remaining = pool.remaining_positions()
    if len(remaining) == 0:
        raise LookupError("the candidate pool is exhausted")
    target = space.encode(pd.DataFrame([config], dtype=object))[0]
    distances = np.sum((pool.features[remaining] - target) ** 2, axis=1)
    choice = int(np.argmin(distances))
    return Proposal(int(remaining[choice]), {"proposed": config, "distance": float(np.sqrt(distances[choice]))})
