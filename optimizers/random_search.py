"""Random search: a uniform pick among the remaining candidates (the pool is Sobol by default)."""

from __future__ import annotations

import numpy as np

from hpo_mab.optimizers.base import History, Proposal
from hpo_mab.searchspace.space import CandidatePool


class RandomSearch:
    """Uniform choice over the remaining candidates of the pool."""

    name = "RANDOM"

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Pick one remaining candidate uniformly at random."""
        remaining = pool.remaining_positions()
        if len(remaining) == 0:
            raise LookupError("the candidate pool is exhausted")
        position = int(remaining[rng.integers(len(remaining))])
        return Proposal(position, {"num_candidates": len(remaining)})
