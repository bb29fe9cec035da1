"""The trial loop of one repetition: pick arm, propose, evaluate, store, update, check the criterion."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hpo_mab.arms.strategy import Strategy
from hpo_mab.engine.criteria import Overhead, StopCriterion
from hpo_mab.optimizers.base import History
from hpo_mab.searchspace.space import CandidatePool
from hpo_mab.store.sqlite import ResultStore, Trial
from hpo_mab.surrogates.base import Benchmark


@dataclass(frozen=True)
class RepetitionOutcome:
    """How a repetition ended."""

    rep: int
    stop_reason: str
    trials: list[Trial]


def repetition_rng(seed: int, rep: int) -> np.random.Generator:
    """The random generator of repetition ``rep``: independent streams from one seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, rep])))


@dataclass
class RestoredRepetition:
    """A repetition as stored: its trials replayed into pool and history, its random state and reason."""

    history: History
    rng: np.random.Generator
    trials: list[Trial]
    state: dict | None
    reason: str | None

    @property
    def best_error(self) -> float:
        """Best error of the successful trials (inf if none)."""
        return min((t.error for t in self.trials if t.status == "ok"), default=float("inf"))


def restore_repetition(pool: CandidatePool, store: ResultStore, run_id: int, rep: int, seed: int) -> RestoredRepetition:
    """Take the stored trials out of ``pool``, put the successful ones in a history, restore the random state."""
    history = History()
    rng = repetition_rng(seed, rep)
    trials = store.trials(run_id, rep)
    state, reason = store.rep_state(run_id, rep)
    for trial in trials:
        position = pool.position_of(trial.candidate)
        pool.take(trial.candidate)
        if trial.status == "ok":  # failed trials stay out of the models
            history.add(position, trial.error, trial.exec_time)
    if state:
        rng.bit_generator.state = state["rng"]
    return RestoredRepetition(history, rng, trials, state, reason)


def run_repetition(
    *,
    benchmark: Benchmark,
    strategy: Strategy,
    criterion: StopCriterion,
    overhead: Overhead,
    store: ResultStore,
    run_id: int,
    rep: int,
    seed: int,
    keep_internals: bool = False,
    on_trial: Callable[[Trial, float], None] = lambda trial, best: None,
) -> RepetitionOutcome:
    """Run (or resume) repetition ``rep`` until its criterion stops it; every trial is stored as it ends."""
    pool = benchmark.pool()
    restored = restore_repetition(pool, store, run_id, rep, seed)
    history, rng, trials, reason = restored.history, restored.rng, restored.trials, restored.reason
    if restored.state and trials:
        strategy.set_state(restored.state["strategy"])
    clock = trials[-1].clock if trials else 0.0
    best_error = restored.best_error
    while reason is None:
        reason = criterion.stop_reason(clock, best_error, len(trials), pool.num_remaining)
        if reason is not None:
            break
        started = time.perf_counter()
        decision = strategy.propose(len(trials), history, pool, rng, clock)
        proposal = decision.proposal
        wall = time.perf_counter() - started
        candidate = int(pool.ids[proposal.position])
        result = benchmark.evaluate(candidate)
        charged = overhead.charge(wall)
        clock += charged + result.exec_time
        trial = Trial(
            rep=rep,
            trial=len(trials),
            candidate=candidate,
            config=pool.config(proposal.position),
            error=result.error,
            accuracy=result.accuracy,
            exec_time=result.exec_time,
            opt_time=charged,
            opt_wall_time=wall,
            clock=clock,
            epochs=result.epochs,
            best_epoch=result.best_epoch,
            arm=decision.label,
            note=decision.note,
            selection=decision.record,
        )
        pool.take(candidate)
        strategy.update(decision, result.error, history)
        history.add(proposal.position, result.error, result.exec_time)
        internals = None
        if keep_internals:
            internals = {"arm": decision.label, "candidate": candidate, **proposal.internals, **decision.record}
        store.add_trial(run_id, trial, {"rng": rng.bit_generator.state, "strategy": strategy.get_state()}, internals)
        trials.append(trial)
        best_error = min(best_error, result.error)
        on_trial(trial, best_error)
    store.finish_rep(run_id, rep, reason, {"rng": rng.bit_generator.state, "strategy": strategy.get_state()})
    return RepetitionOutcome(rep, reason, trials)
