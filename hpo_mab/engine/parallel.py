"""Repetitions with several workers: BATCH SYNC / ASYNC, simulated or real, with failures.

SYNC proposes one configuration per worker, waits for all, then proposes the next batch. ASYNC
proposes whenever a worker frees up. Proposed configurations leave the pool at once, so a
configuration in flight is never proposed again; models learn from finished trials only, and
failed trials are stored but kept out of the models. Trials are numbered in the order they finish.

After every submission and every finished trial the repetition state (random state, strategies,
the tickets in flight, the failure count) is stored, so a killed run resumed with ``-r``
re-submits exactly what was in flight and no finished trial is lost or recorded twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hpo_mab.arms.strategy import Decision, Strategy
from hpo_mab.backends.base import Backend, Ticket
from hpo_mab.engine.criteria import GOAL, POOL_EXHAUSTED, Overhead, StopCriterion
from hpo_mab.engine.loop import RepetitionOutcome, restore_repetition
from hpo_mab.objectives.base import Outcome
from hpo_mab.optimizers.base import Proposal
from hpo_mab.searchspace.space import CandidatePool
from hpo_mab.store.sqlite import ResultStore, Trial

MAX_FAILURES = "max_failures"


@dataclass(frozen=True)
class ParallelPlan:
    """How a repetition is spread over workers."""

    workers: int
    sync: bool = False
    max_failures: int | None = None


def run_parallel_repetition(
    *,
    pool: CandidatePool,
    strategies: list[Strategy],
    backend: Backend,
    plan: ParallelPlan,
    criterion: StopCriterion,
    overhead: Overhead,
    store: ResultStore,
    run_id: int,
    rep: int,
    seed: int,
    clock_now: Callable[[], float] | None = None,
    on_trial: Callable[[Trial, float], None] = lambda trial, best: None,
) -> RepetitionOutcome:
    """Run (or resume) repetition ``rep`` on ``plan.workers`` workers; every trial is stored as it ends.

    ``clock_now`` gives the real clock (real objectives); without it the clock is simulated and
    advances to each finish time.
    """
    restored = restore_repetition(pool, store, run_id, rep, seed)
    history, rng, trials, state, reason = (
        restored.history,
        restored.rng,
        restored.trials,
        restored.state,
        restored.reason,
    )
    failures = sum(t.status != "ok" for t in trials)
    resumed: list[dict] = []
    filling = False  # a SYNC batch is being proposed (a kill in the middle resumes filling it)
    if state:
        filling = bool(state.get("filling", False))
        for strategy, saved in zip(strategies, state.get("strategies", []), strict=False):
            strategy.set_state(saved)
        resumed = state.get("inflight", [])
    clock = trials[-1].clock if trials else 0.0
    best_error = restored.best_error
    inflight: dict[int, Ticket] = {}

    def snapshot() -> dict:
        return {
            "rng": rng.bit_generator.state,
            "strategies": [s.get_state() for s in strategies],
            "inflight": [t.as_state() for t in sorted(inflight.values(), key=lambda t: t.worker)],
            "filling": filling,
        }

    for saved in resumed:  # what was in flight when the run stopped: submitted again, as it was
        ticket = Ticket(**saved)
        if clock_now is not None:
            ticket.started = clock_now()
        pool.take(ticket.candidate)
        inflight[ticket.worker] = ticket
        backend.submit(ticket)
    proposals = len(trials) + len(inflight)
    while reason is None or backend.in_flight():
        if reason is None:
            now = clock_now() if clock_now is not None else clock
            reason = criterion.stop_reason(now, best_error, len(trials) + len(inflight), pool.num_remaining)
            if reason == POOL_EXHAUSTED and inflight:
                reason = None  # wait for what is in flight before calling the pool exhausted
        if reason is None and (not plan.sync or not inflight or filling):
            filling = True
            for worker in range(plan.workers):
                if worker in inflight or pool.num_remaining == 0:
                    continue
                strategy = strategies[worker % len(strategies)]
                started = time.perf_counter()
                decision = strategy.propose(proposals, history, pool, rng, clock)
                wall = time.perf_counter() - started
                position = decision.proposal.position
                candidate = int(pool.ids[position])
                charged = overhead.charge(wall) if clock_now is None else 0.0
                begin = clock_now() if clock_now is not None else clock + charged
                ticket = Ticket(
                    candidate, position, worker, begin, pool.config(position), _decision_state(decision), charged, wall
                )
                pool.take(candidate)
                inflight[worker] = ticket
                proposals += 1
                store.save_state(run_id, rep, snapshot())
                backend.submit(ticket)
            filling = False
        if not backend.in_flight():
            if reason is None:
                reason = POOL_EXHAUSTED
            break
        ticket, outcome, finished = backend.next_finished()
        inflight.pop(ticket.worker, None)
        clock = max(clock, finished)
        decision = _decision_of(ticket)
        strategy = strategies[ticket.worker % len(strategies)]
        if outcome.ok:
            strategy.update(decision, outcome.error, history)
            history.add(ticket.position, outcome.error, outcome.exec_time)
            best_error = min(best_error, outcome.error)
        else:
            failures += 1
        trial = _trial(rep, len(trials), ticket, outcome, clock, decision)
        trials.append(trial)
        if reason is None and plan.max_failures is not None and failures >= plan.max_failures:
            reason = MAX_FAILURES
        if reason is None and outcome.ok and criterion.kind == "GOAL" and criterion.reached(best_error):
            reason = GOAL
        if reason in (GOAL, MAX_FAILURES):
            backend.cancel_all()
            inflight.clear()
        store.add_trial(run_id, trial, snapshot())
        on_trial(trial, best_error)
    store.finish_rep(run_id, rep, reason, snapshot())
    return RepetitionOutcome(rep, reason, trials)


def _decision_state(decision: Decision) -> dict:
    return {
        "arm_index": decision.arm_index,
        "label": decision.label,
        "note": decision.note,
        "record": decision.record,
    }


def _decision_of(ticket: Ticket) -> Decision:
    d = ticket.decision
    return Decision(d["arm_index"], Proposal(ticket.position), d["label"], d["note"], d["record"])


def _trial(rep: int, number: int, ticket: Ticket, outcome: Outcome, clock: float, decision: Decision) -> Trial:
    note = decision.note
    if not outcome.ok:
        note = f"failed: {outcome.reason}" + (f"; stderr: {outcome.stderr_tail[-500:]}" if outcome.stderr_tail else "")
    return Trial(
        rep=rep,
        trial=number,
        candidate=ticket.candidate,
        config=ticket.config,
        error=outcome.error,
        accuracy=outcome.accuracy,
        exec_time=outcome.exec_time,
        opt_time=ticket.opt_time,
        opt_wall_time=ticket.opt_wall_time,
        clock=clock,
        epochs=outcome.epochs,
        best_epoch=outcome.best_epoch,
        arm=decision.label,
        note=note,
        selection={**decision.record, "worker": ticket.worker, "started": ticket.started},
        status=outcome.status,
        worker=ticket.worker,
    )
