"""The trial loop: one event loop for every run, one simulated worker or many, simulated or real.

Until the criterion stops the repetition: every free worker's strategy proposes a configuration
(SYNC: only when the whole batch is free), which leaves the pool at once and goes to the backend;
the backend hands back events on its clock (``Report`` of a running trial's epoch, to which the
early-termination rule answers; ``Finished`` when a trial ends), and each finished trial is stored
with the repetition state after it, then the strategy learns from it. A sequential run is this loop
with one worker. Models learn from successful trials only; failed trials are stored with their
reason. Trials are numbered in the order they finish.

After every finished trial the state (random state, strategies, rule, the tickets in flight,
whether a SYNC batch is being filled) is stored, and after every submission to a real backend too,
so a killed run resumed with ``-r`` re-submits exactly what was in flight and no finished trial is
lost or recorded twice. A simulated backend is deterministic: what was submitted after the last
stored trial is proposed again, identically, on resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hpo_mab.arms.strategy import Decision, Strategy
from hpo_mab.backends.base import Backend, Finished, Ticket
from hpo_mab.engine.criteria import GOAL, MAX_FAILURES, POOL_EXHAUSTED, StopCriterion
from hpo_mab.objectives.base import Outcome
from hpo_mab.optimizers.base import History, Proposal
from hpo_mab.searchspace.space import CandidatePool
from hpo_mab.stopping.base import NO_RULE, Rule
from hpo_mab.store.records import Trial
from hpo_mab.store.sink import RepetitionSink


@dataclass(frozen=True)
class LoopPlan:
    """How a repetition is spread over workers, and what is recorded.

    ``records_workers``: each trial's selection record names its worker and start clock (runs
    with several workers, BATCH, or a real objective). ``keep_internals``: store the proposals'
    internals (``-p``). ``max_epoch``: epochs of a full training (for the rule's checkpoints).
    """

    workers: int = 1
    sync: bool = False
    max_failures: int | None = None
    records_workers: bool = False
    keep_internals: bool = False
    max_epoch: int | None = None


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


def restore_repetition(pool: CandidatePool, sink: RepetitionSink, seed: int, rep: int) -> RestoredRepetition:
    """Take the stored trials out of ``pool``, put the successful ones in a history, restore the random state."""
    history = History()
    rng = repetition_rng(seed, rep)
    trials = sink.trials()
    state, reason = sink.state()
    for trial in trials:
        position = pool.position_of(trial.candidate)
        pool.take(trial.candidate)
        if trial.status == "ok":  # failed trials stay out of the models
            history.add(position, trial.error, trial.exec_time)
    if state:
        rng.bit_generator.state = state["rng"]
    return RestoredRepetition(history, rng, trials, state, reason)


def _strategy_states(state: dict) -> list[dict]:
    """Saved strategy states (one per worker strategy; earlier stores kept one under ``strategy``)."""
    if "strategies" in state:
        return state["strategies"]
    return [state["strategy"]] if "strategy" in state else []


def run_repetition(
    *,
    pool: CandidatePool,
    strategies: list[Strategy],
    backend: Backend,
    plan: LoopPlan,
    criterion: StopCriterion,
    sink: RepetitionSink,
    rep: int,
    seed: int,
    rule: Rule = NO_RULE,
    on_trial: Callable[[Trial, float], None] = lambda trial, best: None,
) -> RepetitionOutcome:
    """Run (or resume) repetition ``rep`` until its criterion stops it; every trial is stored as it ends."""
    restored = restore_repetition(pool, sink, seed, rep)
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
        for strategy, saved in zip(strategies, _strategy_states(state), strict=False):
            strategy.set_state(saved)
        rule.set_state(state.get("rule", {}))
        resumed = state.get("inflight", [])
    clock = backend.clock
    last = trials[-1].clock if trials else 0.0  # the time of the latest finished trial
    best_error = restored.best_error
    inflight: dict[int, Ticket] = {}

    def snapshot() -> dict:
        out = {
            "rng": rng.bit_generator.state,
            "strategies": [s.get_state() for s in strategies],
            "inflight": [t.as_state() for t in sorted(inflight.values(), key=lambda t: t.worker)],
            "filling": filling,
        }
        rule_state = rule.get_state()
        if rule_state:
            out["rule"] = rule_state
        return out

    report_epochs = rule.report_epochs(plan.max_epoch)
    for saved in resumed:  # what was in flight when the run stopped: submitted again, as it was
        ticket = Ticket.from_state(saved)
        ticket.started = clock.restart(ticket.started)
        ticket.report_epochs = report_epochs
        pool.take(ticket.candidate)
        inflight[ticket.worker] = ticket
        backend.submit(ticket)
    proposals = len(trials) + len(inflight)
    while reason is None or backend.in_flight():
        if reason is None:
            reason = criterion.stop_reason(clock.now(), best_error, len(trials) + len(inflight), pool.num_remaining)
            if reason == POOL_EXHAUSTED and inflight:
                reason = None  # wait for what is in flight before calling the pool exhausted
        if reason is None and (not plan.sync or not inflight or filling):
            filling = True
            for worker in range(plan.workers):
                if worker in inflight or pool.num_remaining == 0:
                    continue
                strategy = strategies[worker % len(strategies)]
                started = time.perf_counter()
                decision = strategy.propose(proposals, history, pool, rng, last)
                wall = time.perf_counter() - started
                position = decision.proposal.position
                candidate = int(pool.ids[position])
                charged = clock.charge(wall)
                ticket = Ticket(
                    candidate,
                    position,
                    worker,
                    clock.start(last, charged),
                    pool.config(position),
                    _decision_state(decision),
                    charged,
                    wall,
                    internals=_internals(decision, candidate) if plan.keep_internals else None,
                    report_epochs=report_epochs,
                )
                pool.take(candidate)
                inflight[worker] = ticket
                proposals += 1
                if not backend.recomputes_submissions:
                    sink.save_state(snapshot())
                backend.submit(ticket)
            filling = False
        if not backend.in_flight():
            if reason is None:
                reason = POOL_EXHAUSTED
            break
        event = backend.next_event()
        if not isinstance(event, Finished):
            verdict, _ = rule.decide(event)
            backend.answer(event, verdict)
            continue
        ticket, outcome = event.ticket, event.outcome
        inflight.pop(ticket.worker, None)
        last = max(last, event.clock)
        decision = _decision_of(ticket)
        strategy = strategies[ticket.worker % len(strategies)]
        rule.observe(ticket.candidate, outcome)
        if outcome.ok:
            strategy.update(decision, outcome.error, history)
            history.add(ticket.position, outcome.error, outcome.exec_time)
            best_error = min(best_error, outcome.error)
        else:
            failures += 1
        trial = _trial(rep, len(trials), ticket, outcome, last, decision, plan.records_workers)
        trials.append(trial)
        if reason is None and plan.max_failures is not None and failures >= plan.max_failures:
            reason = MAX_FAILURES
        if reason is None and outcome.ok and criterion.kind == "GOAL" and criterion.reached(best_error):
            reason = GOAL
        if reason in (GOAL, MAX_FAILURES):
            backend.cancel_all()
            inflight.clear()
        sink.add_trial(trial, snapshot(), ticket.internals)
        on_trial(trial, best_error)
    sink.finish(reason, snapshot())
    return RepetitionOutcome(rep, reason, trials)


def _decision_state(decision: Decision) -> dict:
    return {
        "arm_index": decision.arm_index,
        "label": decision.label,
        "note": decision.note,
        "record": decision.record,
    }


def _internals(decision: Decision, candidate: int) -> dict:
    return {"arm": decision.label, "candidate": candidate, **decision.proposal.internals, **decision.record}


def _decision_of(ticket: Ticket) -> Decision:
    d = ticket.decision
    return Decision(d["arm_index"], Proposal(ticket.position), d["label"], d["note"], d["record"])


def _trial(
    rep: int, number: int, ticket: Ticket, outcome: Outcome, clock: float, decision: Decision, records_workers: bool
) -> Trial:
    note = decision.note
    if not outcome.ok:
        note = f"failed: {outcome.reason}" + (f"; stderr: {outcome.stderr_tail[-500:]}" if outcome.stderr_tail else "")
    selection = (
        {**decision.record, "worker": ticket.worker, "started": ticket.started} if records_workers else decision.record
    )
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
        selection=selection,
        status=outcome.status,
        worker=ticket.worker,
    )
