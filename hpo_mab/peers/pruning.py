"""Peers with early stopping, in the same harness: Optuna's TPE with its MedianPruner or HyperbandPruner,
and SMAC3's multi-fidelity facade (Hyperband with its random forest, BOHB-like) with epochs as budget.

Each is a strategy (it proposes) and an early-termination rule (it is told every reported epoch).

* Optuna: every proposal is an open trial with the evaluated candidate's own values (the sampler's
  suggestion is mapped to the nearest remaining candidate, which is enqueued and asked for); each
  epoch's error is reported to it (``trial.report``) and ``should_prune`` is the verdict; the end
  is told as complete or pruned.
* SMAC3: its intensifier asks (configuration, budget); the budget is the number of epochs trained
  (from scratch, as SMAC's target function would: a configuration asked again at a higher budget
  is trained again and charged again). Nothing is stopped by a verdict.

A resumed repetition rebuilds the peer from its stored trials (not byte-identically: the peers'
own random streams are not part of our state).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from hpo_mab.backends.base import Report, Ticket, Verdict
from hpo_mab.optimizers.base import History, Proposal, nearest_remaining
from hpo_mab.peers.optimizers import optuna_distributions
from hpo_mab.searchspace.space import CandidatePool, SearchSpace
from hpo_mab.stopping.base import Promotion
from hpo_mab.store.records import Trial


class OptunaPruning:
    """Optuna TPESampler with a pruner (``median`` or ``hyperband``) over ``max_epoch`` epochs."""

    def __init__(self, name: str, space: SearchSpace, pruner: str, max_epoch: int) -> None:
        self.name, self.space, self.pruner, self.max_epoch = name, space, pruner, max_epoch
        self._study: Any = None
        self._open: dict[int, Any] = {}  # candidate -> the Optuna trial being trained
        self._seed: int | None = None

    def _create(self) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruner = (
            optuna.pruners.MedianPruner()
            if self.pruner == "median"
            else optuna.pruners.HyperbandPruner(min_resource=1, max_resource=self.max_epoch, reduction_factor=3)
        )
        sampler = optuna.samplers.TPESampler(seed=self._seed)
        self._dists = optuna_distributions(self.space)
        self._study = optuna.create_study(sampler=sampler, pruner=pruner)

    # -- the strategy side -------------------------------------------------------------------

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """Ask Optuna, map to the nearest remaining candidate, open a trial with that candidate's values."""
        import optuna

        if self._seed is None:
            self._seed = int(rng.integers(2**31 - 1))
        if self._study is None:
            self._create()
        asked = self._study.ask(self._dists)
        suggestion = dict(asked.params)
        self._study.tell(asked, state=optuna.trial.TrialState.FAIL)  # only its suggestion is used
        proposal = nearest_remaining(self.space, pool, suggestion)
        config = pool.config(proposal.position)
        self._study.enqueue_trial({k: config[k] for k in self._dists})
        self._open[int(pool.ids[proposal.position])] = self._study.ask(self._dists)
        return proposal

    # -- the rule side -----------------------------------------------------------------------

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """Report every epoch."""
        return None, {"rule": self.name}

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Report the epoch's error; prune if the pruner says so."""
        trial = self._open.get(report.ticket.candidate)
        if trial is None:
            return Verdict.CONTINUE, {}
        value = 1.0 - report.accuracy
        trial.report(value, report.epoch)
        prune = trial.should_prune()
        record = {"rule": self.name, "checkpoint": report.epoch, "statistic": value}
        return (Verdict.STOP if prune else Verdict.CONTINUE), record

    def observe(self, trial: Trial) -> None:
        """Tell the end of the trial: complete, pruned or failed."""
        import optuna

        open_trial = self._open.pop(trial.candidate, None)
        if open_trial is None:
            return
        if trial.status != "ok":
            self._study.tell(open_trial, state=optuna.trial.TrialState.FAIL)
        elif trial.early_terminated:
            self._study.tell(open_trial, state=optuna.trial.TrialState.PRUNED)
        else:
            self._study.tell(open_trial, trial.error)

    def promotion(self) -> Promotion | None:
        """Optuna's pruners never resume a trial."""
        return None

    def get_state(self) -> dict:
        """The seed (the study is rebuilt from the stored trials)."""
        return {} if self._seed is None else {"seed": self._seed}

    def restore(self, trials: list[Trial], state: dict) -> None:
        """A fresh study with every stored trial added, its per-epoch errors as intermediate values."""
        import optuna

        if not trials:
            return
        self._seed = state.get("seed")
        self._create()
        for t in trials:
            params = {k: t.config[k] for k in self._dists}
            steps = {e + 1: 1.0 - a for e, a in enumerate(t.curve)}
            if t.status != "ok":
                frozen = optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL, params=params,
                                                   distributions=self._dists)  # fmt: skip
            elif t.early_terminated:
                frozen = optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED, params=params,
                                                   distributions=self._dists, intermediate_values=steps)  # fmt: skip
            else:
                frozen = optuna.trial.create_trial(params=params, distributions=self._dists, value=t.error,
                                                   intermediate_values=steps)  # fmt: skip
            self._study.add_trial(frozen)


class SmacMultiFidelity:
    """SMAC3's MultiFidelityFacade (Hyperband with its random forest) with epochs 1..E as budget."""

    def __init__(self, name: str, space: SearchSpace, max_epoch: int) -> None:
        self.name, self.space, self.max_epoch = name, space, max_epoch
        self._smac: Any = None
        self._asked: dict[int, Any] = {}  # candidate -> SMAC's TrialInfo being trained
        self._candidate_of: dict[tuple, int] = {}  # SMAC configuration -> the candidate standing for it
        self._seed: int | None = None

    def _create(self) -> None:
        from smac import MultiFidelityFacade, Scenario

        self._folder = tempfile.TemporaryDirectory(prefix="hpo-smac-")
        cs = self.space.to_configspace(seed=self._seed)
        scenario = Scenario(
            cs, deterministic=True, n_trials=10**6, seed=self._seed, min_budget=1, max_budget=self.max_epoch,
            output_directory=Path(self._folder.name),
        )  # fmt: skip
        logging.getLogger("smac").setLevel(logging.ERROR)
        intensifier = MultiFidelityFacade.get_intensifier(scenario, eta=3)
        self._smac = MultiFidelityFacade(
            scenario, lambda config, seed=0, budget=1: 0.0, intensifier=intensifier, overwrite=True, logging_level=40
        )

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """SMAC's next (configuration, budget): the same candidate for a configuration asked before."""
        if self._seed is None:
            self._seed = int(rng.integers(2**31 - 1))
        if self._smac is None:
            self._create()
        info = self._smac.ask()
        values = dict(info.config)
        key = tuple(sorted((k, repr(v)) for k, v in values.items()))
        budget = max(1, min(self.max_epoch, round(info.budget or self.max_epoch)))
        if key in self._candidate_of:
            position = pool.position_of(self._candidate_of[key])
            proposal = Proposal(position, {"rerun": True})
        else:
            proposal = nearest_remaining(self.space, pool, {k: _plain(v) for k, v in values.items()})
            self._candidate_of[key] = int(pool.ids[proposal.position])
        self._asked[int(pool.ids[proposal.position])] = info
        return Proposal(proposal.position, {**proposal.internals, "budget": budget}, max_epochs=budget)

    def plan(self, ticket: Ticket) -> tuple[tuple[int, ...] | None, dict]:
        """Nothing to report: budgets are SMAC's."""
        return (), {"rule": self.name, "budget": ticket.max_epochs}

    def decide(self, report: Report) -> tuple[Verdict, dict]:
        """Never asked (nothing is reported)."""
        return Verdict.CONTINUE, {}

    def observe(self, trial: Trial) -> None:
        """Tell SMAC the error at the budget it asked."""
        from smac.runhistory.dataclasses import TrialValue

        info = self._asked.pop(trial.candidate, None)
        if info is not None:
            self._smac.tell(info, TrialValue(cost=trial.error if trial.status == "ok" else 1.0))

    def promotion(self) -> Promotion | None:
        """SMAC asks for higher budgets itself."""
        return None

    def get_state(self) -> dict:
        """Nothing beyond the stored trials."""
        return {}

    def restore(self, trials: list[Trial], state: dict) -> None:
        """A resumed repetition starts SMAC afresh (its intensifier's brackets are not part of our state)."""


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
