"""An arm of Optuna's TPESampler (multivariate by default): our history told to a study, one ``ask``.

The study holds the history's evaluations as completed trials (told incrementally while the
history only grows, rebuilt when it changed); every proposal uses a fresh sampler seeded from the
repetition's generator, so a proposal depends only on the history and the seed drawn for it: a run
resumed from its store proposes exactly what the uninterrupted run proposed. Trials the sampler
asks are closed as failed (TPE models completed trials only); the proposal is mapped to the
nearest remaining candidate of the pool.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpo_mab.optimizers.base import History, Proposal, nearest_remaining
from hpo_mab.optimizers.options import OptunaTPEOptions
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.searchspace.space import CandidatePool, SearchSpace


def optuna_distributions(space: SearchSpace) -> dict:
    """The space as Optuna distributions (power-of-two ints as categorical levels)."""
    import optuna

    out = {}
    for hp in space.hyperparams:
        if hp.is_choice:
            out[hp.name] = optuna.distributions.CategoricalDistribution(list(hp.range))
        elif hp.type == "int" and not hp.is_power:
            out[hp.name] = optuna.distributions.IntDistribution(*hp.bounds, log=hp.is_log)
        elif hp.type == "int":
            out[hp.name] = optuna.distributions.CategoricalDistribution(list(hp.levels()))
        else:
            out[hp.name] = optuna.distributions.FloatDistribution(*hp.bounds, log=hp.is_log)
    return out


@dataclass
class OptunaTPEOptimizer:
    """Optuna's TPESampler as an arm of the bandit (``-m OTPE``, run_conf ``otpe: {...}``)."""

    name: str
    space: SearchSpace
    transform: Transform
    options: OptunaTPEOptions = field(default_factory=OptunaTPEOptions)
    _study: Any = field(default=None, repr=False)
    _dists: dict = field(default_factory=dict, repr=False)
    _told: int = 0
    _lineage: object = field(default=None, repr=False)
    _space: Any = field(default=None, repr=False)  # the study's intersection search space, kept between samplers

    def prepare(self, pool: CandidatePool) -> None:
        """Import Optuna's samplers (a second or so) and translate the space, as the first proposal would."""
        import optuna.samplers  # noqa: F401

        optuna_distributions(self.space)

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Tell the new evaluations, ask a sampler seeded from ``rng``, map to the nearest remaining candidate."""
        import optuna

        if pool.num_remaining == 0:
            raise LookupError("the candidate pool is exhausted")
        seed = int(rng.integers(2**31 - 1))
        self._sync(history, pool)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # multivariate and group are marked experimental
            self._study.sampler = optuna.samplers.TPESampler(
                seed=seed,
                multivariate=bool(self.options.multivariate),
                group=bool(self.options.group),
                n_startup_trials=int(self.options.n_startup_trials),
                n_ei_candidates=int(self.options.n_ei_candidates),
            )
            self._keep_search_space(self._study.sampler)
            trial = self._study.ask(self._dists)
        params = dict(trial.params)
        self._study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return nearest_remaining(self.space, pool, params)

    def _keep_search_space(self, sampler: Any) -> None:
        """Hand the study's search space (cached by trial number) from one fresh sampler to the next.

        A sampler computes the intersection search space of the study's trials incrementally,
        but each proposal has a fresh sampler: without this, every ask would go through every
        trial again. The space depends only on the study's trials, so the proposals are the same.
        """
        name = "_group_decomposed_search_space" if self.options.group else "_search_space"
        if getattr(sampler, name, None) is None:
            return
        if self._space is None:
            self._space = getattr(sampler, name)
        else:
            setattr(sampler, name, self._space)

    def _sync(self, history: History, pool: CandidatePool) -> None:
        """Create the study on first use (or when the history changed) and add the evaluations it lacks."""
        import optuna

        if self._study is None or not history.extends(self._lineage, self._told):
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self._study, self._told, self._space = optuna.create_study(), 0, None
            self._dists = optuna_distributions(self.space)
        losses = self.transform.forward(np.asarray(history.errors[self._told :], dtype=float))
        for position, loss in zip(history.positions[self._told :], losses, strict=True):
            config = pool.config(position)
            params = {k: config[k] for k in self._dists}
            trial = optuna.trial.create_trial(params=params, distributions=self._dists, value=float(loss))
            self._study.add_trial(trial)
        self._told = len(history)
        self._lineage = history.lineage
