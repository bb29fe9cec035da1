"""A real objective as the runner sees it: an hp_conf's space, a sampled pool, an objective to call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hpo_mab.inputs.hp_conf import HpConf
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.objectives.base import Outcome
from hpo_mab.searchspace.space import CandidatePool, SearchSpace
from hpo_mab.surrogates.base import file_sha256


class ObjectiveTask:
    """Configurations sampled from the hp_conf (run_conf pool settings), evaluated by ``objective``.

    It is not simulated: its trials run on a real backend, on the wall clock.
    """

    simulated = False
    continuous = True  # the objective evaluates any configuration of the space

    def __init__(self, conf: HpConf, objective: Callable[[dict], Outcome], description: str, pool: PoolSettings):
        self.name = conf.name
        self.hp_conf = conf
        self.objective = objective
        self.description = description
        self.space = SearchSpace(conf.hyperparams)
        self.pool_settings = pool
        self._pool = CandidatePool.sample(
            self.space, pool.num_samples, pool.sample_method, pool.seed, pool.starts_from_default
        )

    def pool(self) -> CandidatePool:
        """The sampled candidates, all remaining."""
        return self._pool.fresh_copy()

    def default_goal(self) -> float | None:
        """Unknown: a GOAL run on a real objective needs -eg."""
        return None

    def best_known(self) -> float | None:
        """Unknown: nothing is evaluated before the run."""
        return None

    def fingerprint(self) -> dict[str, str]:
        """The hp_conf file, the objective and the pool."""
        return {
            "hp_conf_sha256": file_sha256(Path(self.hp_conf.source)),
            "objective": self.description,
            "pool": json.dumps(self.pool_settings.__dict__, sort_keys=True),
        }
