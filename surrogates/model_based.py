"""Model-based benchmarks: values computed by a model (YAHPO surrogate, analytic function) on demand.

A :class:`CurveModel` maps configurations to per-epoch accuracy curves and training seconds,
vectorised. :class:`ModelBenchmark` samples the candidate pool from the run_conf's pool settings
and evaluates candidates lazily (a run touches a few hundred of 20,000), with the same replay rules
as a lookup table: error = 1 - best accuracy of the epochs trained, time prorated per epoch. So a
table materialised from the model (:func:`ModelBenchmark.as_table`) replays identically.
"""

from __future__ import annotations

import json
from typing import Protocol

import numpy as np
import pandas as pd

from hpo_mab.inputs.hp_conf import HpConf
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.searchspace.space import CandidatePool, SearchSpace
from hpo_mab.surrogates.base import Result, curve_result, tenth_best
from hpo_mab.surrogates.lookup import LookupTable

BATCH_ROWS = 50_000  # model input rows per inference call (larger batches get slower per row)


class CurveModel(Protocol):
    """Per-epoch accuracies and training seconds of configurations."""

    hp_conf: HpConf

    def curves(self, configs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(accuracy (n, E) in [0, 1], seconds to train all E epochs (n,)) of ``configs``."""
        ...

    def fingerprint(self) -> dict[str, str]:
        """What identifies the model's values."""
        ...

    def describe(self) -> dict:
        """How the values are made (for a materialised table's metadata)."""
        ...


class ModelBenchmark:
    """A benchmark whose candidates are sampled and evaluated by a :class:`CurveModel`."""

    simulated = True  # replayed on the simulated clock
    continuous = True  # any configuration of the space can be evaluated (``evaluate_config``)

    def __init__(self, name: str, model: CurveModel, pool: PoolSettings) -> None:
        self.name = name
        self.model = model
        self.hp_conf = model.hp_conf
        self.space = SearchSpace(model.hp_conf.hyperparams)
        self.pool_settings = pool
        self.time_scale = float(model.hp_conf.config.get("time_scale", 1.0))
        self._pool = CandidatePool.sample(
            self.space, pool.num_samples, pool.sample_method, pool.seed, pool.starts_from_default
        )
        self._cache: dict[int, tuple[np.ndarray, float]] = {}
        self._off_pool: dict[str, tuple[np.ndarray, float]] = {}  # configurations off the pool, by their JSON
        self._all: tuple[np.ndarray, np.ndarray] | None = None

    def pool(self) -> CandidatePool:
        """The sampled candidates, all remaining."""
        return self._pool.fresh_copy()

    def _position(self, candidate_id: int) -> int:
        return int(np.searchsorted(self._pool.ids, candidate_id))

    def _curve(self, candidate_id: int) -> tuple[np.ndarray, float]:
        if self._all is not None:
            position = self._position(candidate_id)
            return self._all[0][position], float(self._all[1][position])
        if candidate_id not in self._cache:
            config = self._pool.configs.iloc[[self._position(candidate_id)]].reset_index(drop=True)
            accuracy, seconds = self.model.curves(config)
            self._cache[candidate_id] = (accuracy[0], float(seconds[0]))
        return self._cache[candidate_id]

    def evaluate(self, candidate_id: int, epochs: int | None = None) -> Result:
        """Candidate ``candidate_id`` trained for ``epochs`` (default: all) epochs."""
        curve, seconds = self._curve(candidate_id)
        return curve_result(curve, seconds, epochs, self.time_scale)

    def evaluate_config(self, config: dict, epochs: int | None = None) -> Result:
        """Any configuration of the space (a continuous benchmark), trained for ``epochs`` (default: all)."""
        key = json.dumps(config, sort_keys=True)
        if key not in self._off_pool:
            accuracy, seconds = self.model.curves(pd.DataFrame([config], columns=self.space.names, dtype=object))
            self._off_pool[key] = (accuracy[0], float(seconds[0]))
        curve, seconds = self._off_pool[key]
        return curve_result(curve, seconds, epochs, self.time_scale)

    def evaluate_all(self) -> tuple[np.ndarray, np.ndarray]:
        """Curves and seconds of every pool candidate (batched; computed once)."""
        if self._all is None:
            configs = self._pool.configs
            epochs = self.hp_conf.max_epoch or 1
            step = max(1, BATCH_ROWS // epochs)
            parts = [self.model.curves(configs.iloc[i : i + step]) for i in range(0, len(configs), step)]
            self._all = (np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        return self._all

    def best_accuracies(self) -> np.ndarray:
        """Best-epoch accuracy of every candidate, in descending order (evaluates the whole pool)."""
        return np.sort(self.evaluate_all()[0].max(axis=1))[::-1]

    def best_known(self) -> float | None:
        """The pool's best accuracy once the whole pool has been evaluated (for the default goal), else None."""
        return float(self.evaluate_all()[0].max()) if self._all is not None else None

    def default_goal(self) -> float | None:
        """The 10th-best accuracy of the pool (or ``config.goal``)."""
        if "goal" in self.hp_conf.config:
            return float(self.hp_conf.config["goal"])
        return tenth_best(self.best_accuracies())

    def fingerprint(self) -> dict[str, str]:
        """The model's identity and the pool it samples."""
        return {**self.model.fingerprint(), "pool": json.dumps(self.pool_settings.__dict__, sort_keys=True)}

    def as_table(self) -> LookupTable:
        """The whole pool as a lookup table (rows in pool order)."""
        accuracy, seconds = self.evaluate_all()
        configs = self._pool.configs.reset_index(drop=True)
        return LookupTable(configs, accuracy, seconds, pd.DataFrame(index=configs.index))
