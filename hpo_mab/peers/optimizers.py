"""Peer systems as optimizers of our harness: Optuna TPE and GP, SMAC3's HPO facade, Hyperopt TPE,
scikit-optimize's gp_hedge.

Each keeps its own study / optimizer for a repetition, is told every finished evaluation of the
history (incrementally, as an ask/tell user would), and its proposal is mapped to the nearest
remaining candidate of the same pool our arms use; the runner charges its proposal time to the
clock exactly as it charges ours (``--overhead``). Seeds come from the repetition's generator, so
a peer's run is reproducible where the peer itself is.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hpo_mab.optimizers.base import History, Proposal, nearest_remaining
from hpo_mab.optimizers.optuna_tpe import optuna_distributions
from hpo_mab.optimizers.tpe import TPEOptimizer
from hpo_mab.optimizers.transforms import transform_of
from hpo_mab.registry import Entry, Registry
from hpo_mab.searchspace.space import CandidatePool, SearchSpace


def skopt_dimensions(space: SearchSpace) -> list:
    """The space as scikit-optimize dimensions."""
    from skopt.space import Categorical, Integer, Real

    dims = []
    for hp in space.hyperparams:
        if hp.is_choice or (hp.is_power and hp.type == "int"):
            dims.append(Categorical(list(hp.levels()), name=hp.name))
        elif hp.type == "int":
            dims.append(Integer(*hp.bounds, prior="log-uniform" if hp.is_log else "uniform", name=hp.name))
        else:
            dims.append(Real(*hp.bounds, prior="log-uniform" if hp.is_log else "uniform", name=hp.name))
    return dims


@dataclass
class _Incremental:
    """Tells a peer the evaluations of the history it has not seen yet."""

    name: str
    space: SearchSpace
    _told: int = 0
    _peer: Any = field(default=None, repr=False)
    _seed: int | None = None
    _lineage: object = field(default=None, repr=False)

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Tell the new evaluations, ask once, map to the nearest remaining candidate.

        A history that was not only appended to since (an entry replaced) is told again to a
        fresh peer of the same seed.
        """
        if self._seed is None:
            self._seed = int(rng.integers(2**31 - 1))
        if self._peer is None or not history.extends(self._lineage, self._told):
            self._peer, self._told = self._create(self._seed), 0
        self._lineage = history.lineage
        for position, error in zip(history.positions[self._told :], history.errors[self._told :], strict=True):
            self._tell(position, pool.config(position), float(error))
        self._told = len(history)
        proposal = nearest_remaining(self.space, pool, self._ask())
        self._asked(proposal.position)
        return proposal

    def _asked(self, position: int) -> None:
        """The candidate that stands for the last proposal (peers that track their own asks use it)."""

    def _create(self, seed: int) -> Any:
        raise NotImplementedError

    def _tell(self, position: int, config: dict, error: float) -> None:
        raise NotImplementedError

    def _ask(self) -> dict:
        raise NotImplementedError


class OptunaPeer(_Incremental):
    """Optuna's TPESampler or GPSampler (trials added with ``create_trial``, proposals by ``ask``)."""

    def __init__(self, name: str, space: SearchSpace, sampler: str) -> None:
        super().__init__(name, space)
        self.sampler = sampler
        self._dists: dict = {}

    def _create(self, seed: int) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = (
            optuna.samplers.GPSampler(seed=seed) if self.sampler == "gp" else optuna.samplers.TPESampler(seed=seed)
        )
        self._dists = optuna_distributions(self.space)
        return optuna.create_study(sampler=sampler)

    def _tell(self, position: int, config: dict, error: float) -> None:
        import optuna

        params = {k: config[k] for k in self._dists}
        self._peer.add_trial(optuna.trial.create_trial(params=params, distributions=self._dists, value=error))

    def _ask(self) -> dict:
        import optuna

        trial = self._peer.ask(self._dists)
        params = dict(trial.params)
        # the evaluation comes back through the history (as a completed trial of the real values);
        # this asked trial is closed as failed so that it is neither pending nor counted
        self._peer.tell(trial, state=optuna.trial.TrialState.FAIL)
        return params


class SkoptPeer(_Incremental):
    """scikit-optimize ``Optimizer(base_estimator="GP", acq_func="gp_hedge")``."""

    def _create(self, seed: int) -> Any:
        from skopt import Optimizer

        return Optimizer(skopt_dimensions(self.space), base_estimator="GP", acq_func="gp_hedge", random_state=seed)

    def _tell(self, position: int, config: dict, error: float) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._peer.tell([config[hp.name] for hp in self.space.hyperparams], error)

    def _ask(self) -> dict:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            point = self._peer.ask()
        return {hp.name: _plain(v) for hp, v in zip(self.space.hyperparams, point, strict=True)}


class SmacPeer(_Incremental):
    """SMAC3's ``HyperparameterOptimizationFacade`` (random forest + log EI).

    SMAC's intensifier waits for the results of the trials it asked, so each result is told for the
    trial SMAC asked (its configuration, with the error of the nearest candidate that was evaluated);
    evaluations it did not ask for (none in a peer's own run) are told as new trials.
    """

    def __init__(self, name: str, space: SearchSpace) -> None:
        super().__init__(name, space)
        self._last: Any = None
        self._pending: dict[int, Any] = {}

    def _create(self, seed: int) -> Any:
        from smac import HyperparameterOptimizationFacade, Scenario

        self._folder = tempfile.TemporaryDirectory(prefix="hpo-smac-")
        cs = self.space.to_configspace(seed=seed)
        scenario = Scenario(cs, deterministic=True, n_trials=10**6, seed=seed, output_directory=Path(self._folder.name))
        logging.getLogger("smac").setLevel(logging.ERROR)
        return HyperparameterOptimizationFacade(scenario, lambda config, seed=0: 0.0, overwrite=True, logging_level=40)

    def _tell(self, position: int, config: dict, error: float) -> None:
        from ConfigSpace import Configuration
        from smac.runhistory.dataclasses import TrialInfo, TrialValue

        info = self._pending.pop(position, None)
        if info is None:
            cs = self._peer.scenario.configspace
            info = TrialInfo(Configuration(cs, values={k: config[k] for k in cs}), seed=0)
        self._peer.tell(info, TrialValue(cost=error))

    def _ask(self) -> dict:
        self._last = self._peer.ask()
        return {k: _plain(v) for k, v in dict(self._last.config).items()}

    def _asked(self, position: int) -> None:
        self._pending[position] = self._last


def _plain(value: Any) -> Any:
    """numpy scalars as Python values."""
    return value.item() if isinstance(value, np.generic) else value


def _hyperopt_tpe(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
    """hyperopt's tpe.suggest with its defaults, on raw errors."""
    return TPEOptimizer(name, space, transform_of("TPE", 0.3, "none"))


def _optuna(sampler: str) -> Any:
    def build(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
        import optuna  # noqa: F401

        if sampler == "gp":
            import torch  # noqa: F401
        return OptunaPeer(name, space, sampler)

    return build


def _skopt(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
    import skopt  # noqa: F401

    return SkoptPeer(name, space)


def _smac_hpo(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
    return SmacPeer(name, space)


def _optuna_pruning(pruner: str) -> Any:
    def build(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
        import optuna  # noqa: F401

        from hpo_mab.peers.pruning import OptunaPruning

        return OptunaPruning(name, space, pruner, max_epoch or 1)

    return build


def _smac_mf(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
    from hpo_mab.peers.pruning import SmacMultiFidelity

    return SmacMultiFidelity(name, space, max_epoch or 1)


RULE = {"rule": True}  # the peer decides stops (or budgets) itself: it is the repetition's rule too
PEERS: Registry = Registry(
    "peer",
    [
        Entry("optuna-tpe", _optuna("tpe"), help="Optuna's TPESampler", facts={"requires": "optuna"}),
        Entry("optuna-gp", _optuna("gp"), help="Optuna's GPSampler", facts={"requires": "optuna, torch"}),
        Entry("smac-hpo", _smac_hpo, help="SMAC3's HyperparameterOptimizationFacade", facts={"requires": "smac"}),
        Entry("hyperopt-tpe", _hyperopt_tpe, help="hyperopt's TPE, default settings", facts={"requires": "hyperopt"}),
        Entry("skopt-gphedge", _skopt, help="scikit-optimize's gp_hedge", facts={"requires": "scikit-optimize"}),
        Entry("optuna-tpe-median", _optuna_pruning("median"), help="Optuna TPE + MedianPruner",
              facts={"requires": "optuna", **RULE}),
        Entry("optuna-tpe-hyperband", _optuna_pruning("hyperband"), help="Optuna TPE + HyperbandPruner",
              facts={"requires": "optuna", **RULE}),
        Entry("smac-mf", _smac_mf, help="SMAC3 multi-fidelity facade (Hyperband + RF), epochs as budget",
              facts={"requires": "smac", **RULE}),
    ],
)  # fmt: skip


def make_peer(name: str, space: SearchSpace, max_epoch: int | None = None) -> Any:
    """The optimizer of peer ``name`` (ImportError names the missing package)."""
    return PEERS[name].factory(name, space, max_epoch)
