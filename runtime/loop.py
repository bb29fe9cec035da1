"""The trial loop of one repetition: pick arm, propose, evaluate, store, update, check the criterion."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from arms.strategy import Strategy
from optimizers.base import History
from optimizers.random_search import RandomSearch
from runtime.criteria import Overhead, StopCriterion
from runtime.store import ResultStore, Trial
from surrogates.base import Benchmark

LOGGER = logging.getLogger("hpo_mab")
FALLBACK = RandomSearch()
FALLBACK_LABEL = "NONE_RANDOM"


@dataclass(frozen=True)
class RepetitionOutcome:
    """How a repetition ended."""

    rep: int
    stop_reason: str
    trials: list[Trial]


def repetition_rng(seed: int, rep: int) -> np.random.Generator:
    """The random generator of repetition ``rep``: independent streams from one seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, rep])))


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
    history = History()
    rng = repetition_rng(seed, rep)
    trials = store.trials(run_id, rep)
    state, reason = store.rep_state(run_id, rep)
    for trial in trials:
        position = pool.position_of(trial.candidate)
        pool.take(trial.candidate)
        history.add(position, trial.error, trial.exec_time)
    if state and trials:
        rng.bit_generator.state = state["rng"]
        strategy.set_state(state["strategy"])
    clock = trials[-1].clock if trials else 0.0
    best_error = min((t.error for t in trials), default=float("inf"))
    while reason is None:
        reason = criterion.stop_reason(clock, best_error, len(trials), pool.num_remaining)
        if reason is not None:
            break
        started = time.perf_counter()
        arm_index = strategy.select(len(trials), rng)
        arm = strategy.arms[arm_index]
        label, note = arm.name, ""
        try:
            proposal = arm.optimizer.propose(history, pool, rng)
        except Exception as exc:  # the failure fallback: a random candidate, on record, never a crash
            note = f"{arm.name} failed ({type(exc).__name__}: {exc}); random candidate instead"
            LOGGER.warning("rep %d trial %d: %s", rep, len(trials), note)
            label = FALLBACK_LABEL
            proposal = FALLBACK.propose(history, pool, rng)
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
            arm=label,
            note=note,
        )
        pool.take(candidate)
        history.add(proposal.position, result.error, result.exec_time)
        strategy.update(arm_index, result.error)
        internals = {"arm": label, "candidate": candidate, **proposal.internals} if keep_internals else None
        store.add_trial(run_id, trial, {"rng": rng.bit_generator.state, "strategy": strategy.get_state()}, internals)
        trials.append(trial)
        best_error = min(best_error, result.error)
        on_trial(trial, best_error)
    store.finish_rep(run_id, rep, reason, {"rng": rng.bit_generator.state, "strategy": strategy.get_state()})
    return RepetitionOutcome(rep, reason, trials)
