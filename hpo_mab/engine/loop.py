"""The trial loop: one event loop for every run, one simulated worker or many, simulated or real.

Until the criterion stops the repetition: every free worker gets work (SYNC: only when the whole
batch is free) — a paused trial the early-termination rule promotes, or else a configuration its
strategy proposes, which leaves the pool at once — and the backend hands back events on its clock:
a ``Report`` of a running trial's epoch, to which the rule answers (go on, stop, pause), or
``Finished`` when a trial ends. Each finished trial is stored with the repetition state after it,
then the strategy learns from it. A sequential run is this loop with one worker. Models learn from
successful trials (from stopped ones too with ``stopped_trials: partial``, the default); failed
trials are stored with their reason. Trials are numbered in the order they finish.

In-progress trials (``failover``): with ``premature`` every trial in flight enters the models,
for the proposal only, with its error so far at the current clock (the worst error seen before
its first epoch); with ``random`` an arm whose choice over the whole pool is a trial in flight
proposes a random candidate instead; with ``none`` (the default) and ``next_candidate`` the arms
choose among the candidates that are neither evaluated nor in flight (the same here).

After every finished trial the state (random state, strategies, the rule's state, the tickets in
flight, whether a SYNC batch is being filled) is stored, and after every submission to a real
backend too, so a killed run resumed with ``-r`` re-submits exactly what was in flight and no
finished trial is lost or recorded twice. A simulated backend is deterministic: what was submitted
after the last stored trial is proposed again, identically, on resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hpo_mab.arms.strategy import FALLBACK, Decision, Strategy
from hpo_mab.backends.base import Backend, Finished, Report, Ticket, Verdict
from hpo_mab.engine.criteria import GOAL, MAX_FAILURES, NO_SUCCESS, POOL_EXHAUSTED, StopCriterion
from hpo_mab.objectives.base import Outcome
from hpo_mab.optimizers.base import History, Proposal
from hpo_mab.searchspace.space import CandidatePool
from hpo_mab.stopping.base import NO_RULE, Promotion, Rule
from hpo_mab.store.records import Trial
from hpo_mab.store.sink import RepetitionSink


@dataclass(frozen=True)
class LoopPlan:
    """How a repetition is spread over workers, and what is recorded.

    ``records_workers``: each trial's selection record names its worker and start clock (runs
    with several workers, BATCH, or a real objective). ``keep_internals``: store the proposals'
    internals (``-p``). ``max_failures``: failed trials that end the repetition;
    ``failures_before_success``: the same while no trial has succeeded. ``max_epoch``: epochs of a
    full training. ``failover``: how proposals
    treat trials in flight. ``stopped_trials``: ``partial`` (models learn a stopped trial's best
    error so far) or ``exclude``.
    """

    workers: int = 1
    sync: bool = False
    max_failures: int | None = None
    failures_before_success: int | None = None
    records_workers: bool = False
    keep_internals: bool = False
    max_epoch: int | None = None
    failover: str = "none"
    stopped_trials: str = "partial"


@dataclass(frozen=True)
class RepetitionOutcome:
    """How a repetition ended."""

    rep: int
    stop_reason: str
    trials: list[Trial]


def repetition_rng(seed: int, rep: int) -> np.random.Generator:
    """The random generator of repetition ``rep``: independent streams from one seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, rep])))


def rule_seeds(seed: int, rep: int) -> np.random.SeedSequence:
    """The early-termination rule's own random stream of repetition ``rep``."""
    return np.random.SeedSequence([seed, rep, 1])


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


def learns_from(trial: Trial, stopped_trials: str) -> bool:
    """Whether the models learn from a stored trial."""
    return trial.status == "ok" and (stopped_trials == "partial" or not trial.early_terminated)


def restore_repetition(
    pool: CandidatePool, sink: RepetitionSink, seed: int, rep: int, stopped_trials: str = "partial"
) -> RestoredRepetition:
    """Take the stored trials out of ``pool``, put the successful ones in a history, restore the random state."""
    history = History()
    rng = repetition_rng(seed, rep)
    trials = sink.trials()
    state, reason = sink.state()
    for trial in trials:
        if pool.is_extra_id(trial.candidate):  # a configuration proposed off the pool joins it again
            pool.add(trial.config, trial.candidate)
        position = pool.position_of(trial.candidate)
        pool.take(trial.candidate)
        if learns_from(trial, stopped_trials):  # failed trials stay out of the models
            history.record(position, trial.error, trial.exec_time)
    if state:
        rng.bit_generator.state = state["rng"]
    return RestoredRepetition(history, rng, trials, state, reason)


def _strategy_states(state: dict) -> list[dict]:
    """Saved strategy states (one per worker strategy; earlier stores kept one under ``strategy``)."""
    if "strategies" in state:
        return state["strategies"]
    return [state["strategy"]] if "strategy" in state else []


class RepetitionLoop:
    """The event loop of one repetition (see the module's docstring)."""

    def __init__(
        self,
        pool: CandidatePool,
        strategies: list[Strategy],
        backend: Backend,
        plan: LoopPlan,
        criterion: StopCriterion,
        sink: RepetitionSink,
        rep: int,
        seed: int,
        rule: Rule,
        on_trial: Callable[[Trial, float], None],
    ) -> None:
        self.pool, self.strategies, self.backend, self.plan = pool, strategies, backend, plan
        self.criterion, self.sink, self.rep, self.rule, self.on_trial = criterion, sink, rep, rule, on_trial
        restored = restore_repetition(pool, sink, seed, rep, plan.stopped_trials)
        self.history, self.rng, self.trials = restored.history, restored.rng, restored.trials
        self.reason, self.best_error = restored.reason, restored.best_error
        self.failures = sum(t.status != "ok" for t in self.trials)
        self.filling = False  # a SYNC batch is being proposed (a kill in the middle resumes filling it)
        self.inflight: dict[int, Ticket] = {}
        self.latest = {t.candidate: t for t in self.trials}  # the last trial of each candidate
        self.last = self.trials[-1].clock if self.trials else 0.0  # the time of the latest finished trial
        state = restored.state or {}
        if state:
            self.filling = bool(state.get("filling", False))
            for strategy, saved in zip(strategies, _strategy_states(state), strict=False):
                strategy.set_state(saved)
        rule.restore(self.trials, state.get("rule", {}))
        for saved in state.get("inflight", []):  # what was in flight when the run stopped, submitted again
            ticket = Ticket.from_state(saved)
            ticket.started = backend.clock.restart(ticket.started)
            ticket.report_epochs, _ = rule.plan(ticket)
            if pool.is_extra_id(ticket.candidate):
                pool.add(ticket.config, ticket.candidate)
            pool.take(ticket.candidate)
            self.inflight[ticket.worker] = ticket
            backend.submit(ticket)
        # strategy decisions so far (round robin counts them; promotions are the rule's, not counted)
        self.proposals = sum(not t.resumed_from for t in self.trials) + sum(
            not t.resume_from for t in self.inflight.values()
        )

    def snapshot(self) -> dict:
        """The repetition state stored with each trial."""
        out = {
            "rng": self.rng.bit_generator.state,
            "strategies": [s.get_state() for s in self.strategies],
            "inflight": [t.as_state() for t in sorted(self.inflight.values(), key=lambda t: t.worker)],
            "filling": self.filling,
        }
        rule_state = self.rule.get_state()
        if rule_state:
            out["rule"] = rule_state
        return out

    def run(self) -> RepetitionOutcome:
        """Run until the criterion stops the repetition and nothing is in flight."""
        clock = self.backend.clock
        while self.reason is None or self.backend.in_flight():
            if self.reason is None:
                in_work = len(self.trials) + len(self.inflight)
                self.reason = self.criterion.stop_reason(clock.now(), self.best_error, in_work, self.pool.num_remaining)
                if self.reason == POOL_EXHAUSTED and (self.inflight or self.rule.promotion() is not None):
                    self.reason = None  # what is in flight or paused may still go on
            if self.reason is None and (not self.plan.sync or not self.inflight or self.filling):
                self._fill_workers()
            if not self.backend.in_flight():
                if self.reason is None:
                    self.reason = POOL_EXHAUSTED
                break
            event = self.backend.next_event()
            if isinstance(event, Finished):
                self._finished(event)
            else:
                self._report(event)
        self.sink.finish(self.reason, self.snapshot())
        return RepetitionOutcome(self.rep, self.reason, self.trials)

    def _fill_workers(self) -> None:
        """Give every free worker a promoted trial, else a new proposal (submissions stored on real backends)."""
        self.filling = True
        cap = self.criterion.cap
        for worker in range(self.plan.workers):
            if worker in self.inflight:
                continue
            if cap is not None and len(self.trials) + len(self.inflight) >= cap:
                break  # the trials in flight complete the cap: no worker starts one more
            promotion = self.rule.promotion()
            if promotion is not None:
                ticket = self._continuation(worker, promotion)
            elif self.pool.num_remaining == 0:
                continue
            else:
                ticket = self._proposal(worker)
                self.proposals += 1
            ticket.report_epochs, record = self.rule.plan(ticket)
            ticket.etr = {**record, **ticket.etr}
            self.inflight[worker] = ticket
            if not self.backend.recomputes_submissions:
                self.sink.save_state(self.snapshot())
            self.backend.submit(ticket)
        self.filling = False

    def _proposal(self, worker: int) -> Ticket:
        """The worker's strategy proposes a configuration (seeing trials in flight as ``failover`` says)."""
        clock = self.backend.clock
        strategy = self.strategies[worker % len(self.strategies)]
        started = time.perf_counter()
        decision = self._propose(strategy)
        wall = time.perf_counter() - started
        proposal = decision.proposal
        position = self.pool.add(proposal.config) if proposal.off_pool else proposal.position
        candidate = self.pool.id_of(position)
        charged = clock.charge(wall)
        internals = _internals(decision, candidate) if self.plan.keep_internals else None
        ticket = Ticket(
            candidate,
            position,
            worker,
            clock.start(self.last, charged),
            self.pool.config(position),
            _decision_state(decision),
            charged,
            wall,
            internals=internals,
            max_epochs=proposal.max_epochs,
            off_pool=proposal.off_pool,
        )
        self.pool.take(candidate)
        return ticket

    def _propose(self, strategy: Strategy) -> Decision:
        """The strategy's decision, with the trials in flight handled by the failover policy."""
        failover = self.plan.failover
        if not self.inflight or failover in ("none", "next_candidate"):
            return strategy.propose(self.proposals, self.history, self.pool, self.rng, self.last)
        if failover == "premature":
            return strategy.propose(self.proposals, self._premature_history(), self.pool, self.rng, self.last)
        # "random": in-flight trials back in the pool (those proposed off the pool cannot be chosen again)
        positions = [t.position for t in self.inflight.values() if not self.pool.is_extra(t.position)]
        self.pool.remaining[positions] = True
        try:
            decision = strategy.propose(self.proposals, self.history, self.pool, self.rng, self.last)
        finally:
            self.pool.remaining[positions] = False
        if decision.proposal.position not in positions:
            return decision
        proposal = FALLBACK.propose(self.history, self.pool, self.rng)
        note = f"failover random: {decision.label} chose a candidate in flight"
        return Decision(decision.arm_index, proposal, decision.label, note, {**decision.record, "failover": "random"})

    def _premature_history(self) -> History:
        """The history plus every trial in flight with its error so far (the worst error seen before epoch 1)."""
        worst = max(self.history.errors, default=1.0)
        entries = []
        for ticket in sorted(self.inflight.values(), key=lambda t: t.worker):
            interim = self.backend.interim(ticket)
            entries.append((ticket.position, worst if interim is None else interim[1], 0.0))
        return self.history.with_pending(entries)

    def _continuation(self, worker: int, promotion: Promotion) -> Ticket:
        """A ticket that resumes a paused candidate where it stopped."""
        previous = self.latest[promotion.candidate]
        position = self.pool.position_of(promotion.candidate)
        label = previous.arm
        decision = {
            "arm_index": -1,
            "label": label,
            "note": f"promoted from epoch {promotion.from_epoch}",
            "record": {"promoted_from": promotion.from_epoch},
        }
        return Ticket(
            promotion.candidate,
            position,
            worker,
            self.backend.clock.start(self.last, 0.0),
            dict(previous.config),
            decision,
            resume_from=promotion.from_epoch,
            etr=dict(promotion.record),
            off_pool=self.pool.is_extra(position),
        )

    def _report(self, report: Report) -> None:
        """The rule's verdict on a running trial's epoch, carried out by the backend."""
        verdict, record = self.rule.decide(report)
        ticket = report.ticket
        if verdict is Verdict.CONTINUE:
            ticket.reported = report.epoch
        else:
            ticket.verdict = verdict.value
            ticket.etr = {**ticket.etr, **record, "verdict": verdict.value}
        self.backend.answer(report, verdict)

    def _finished(self, event: Finished) -> None:
        """Store a finished trial with the state after it; the strategy and the rule learn from it."""
        ticket, outcome = event.ticket, event.outcome
        self.inflight.pop(ticket.worker, None)
        self.last = max(self.last, event.clock)
        decision = _decision_of(ticket)
        trial = _trial(self.rep, len(self.trials), ticket, outcome, self.last, decision, self.plan.records_workers)
        if outcome.ok:
            if ticket.decision["arm_index"] >= 0:  # a promotion was no strategy's decision
                strategy = self.strategies[ticket.worker % len(self.strategies)]
                strategy.update(decision, outcome.error, self.history)
            if learns_from(trial, self.plan.stopped_trials):
                self.history.record(ticket.position, outcome.error, outcome.exec_time)
            self.best_error = min(self.best_error, outcome.error)
        else:
            self.failures += 1
        self.trials.append(trial)
        self.latest[trial.candidate] = trial
        self.rule.observe(trial)
        if self.reason is None and self.plan.max_failures is not None and self.failures >= self.plan.max_failures:
            self.reason = MAX_FAILURES
        give_up = self.plan.failures_before_success
        if (
            self.reason is None
            and give_up is not None
            and self.failures >= give_up
            and self.failures == len(self.trials)
        ):
            self.reason = NO_SUCCESS
        goal = self.criterion.kind == "GOAL" and self.criterion.reached(self.best_error)
        if self.reason is None and outcome.ok and goal:
            self.reason = GOAL
        if self.reason in (GOAL, MAX_FAILURES, NO_SUCCESS):
            self.backend.cancel_all()
            self.inflight.clear()
        self.sink.add_trial(trial, self.snapshot(), ticket.internals)
        self.on_trial(trial, self.best_error)


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
    return RepetitionLoop(pool, strategies, backend, plan, criterion, sink, rep, seed, rule, on_trial).run()


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
        early_terminated=ticket.verdict is not None,
        etr=ticket.etr,
        resumed_from=ticket.resume_from,
        curve=tuple(outcome.curve),
    )
