"""A run: N repetitions of one assembly, with the store, resume and exports.

``execute`` finds (``-r``) or creates the run in ``<results>/hpo.sqlite``, runs or resumes every
repetition through the trial loop, each trial written to the store as it ends, then writes the
JSON trace, the trials CSV and (``-p``) the internals.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_mab.assembly.build import Assembly, assemble
from hpo_mab.assembly.observer import Reporter
from hpo_mab.assembly.parallel_reps import run_in_processes
from hpo_mab.assembly.request import RunRequest
from hpo_mab.backends.scratch import ScratchFolder
from hpo_mab.backups import keep_previous
from hpo_mab.engine.criteria import GOAL, StopCriterion
from hpo_mab.engine.loop import RepetitionOutcome, run_repetition
from hpo_mab.inputs.timestr import budget_dirname
from hpo_mab.store.exports import trace_name, write_internals, write_json_trace, write_trials_csv
from hpo_mab.store.lock import RunLock
from hpo_mab.store.records import RunRecord, Trial
from hpo_mab.store.sink import StoredRepetition
from hpo_mab.store.sqlite import ResultStore

STORE_NAME = "hpo.sqlite"


@dataclass(frozen=True)
class SessionSettings:
    """How a run is kept: repetitions, results folder, seed, resume, internals."""

    num_reps: int
    results_dir: Path
    seed: int | None = None
    rerun: bool = False
    keep_internals: bool = False
    jobs: int = 1  # repetitions run at once (simulated clock only)


@dataclass
class RunReport:
    """What a finished run produced."""

    run: RunRecord
    outcomes: list[RepetitionOutcome]
    trace_path: Path
    csv_path: Path
    internals_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def goal_missed(self) -> list[int]:
        """Repetitions of a GOAL run that stopped without reaching the goal."""
        if self.run.settings["criterion"] != "GOAL":
            return []
        return [o.rep for o in self.outcomes if o.stop_reason != GOAL]

    @property
    def without_success(self) -> list[int]:
        """Repetitions that evaluated trials of which none succeeded (every one failed)."""
        return [o.rep for o in self.outcomes if o.trials and best_trial(o.trials) is None]


def run_key(identity: dict) -> str:
    """The store key of a run's identity."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def execute(
    assembly: Assembly, settings: SessionSettings, reporter: Reporter,
    open_execution: Callable[[Path | None], Any] | None = None,
) -> RunReport:  # fmt: skip
    """Run, resume or extend the run; every trial is stored as it ends, exports are written at the end.

    ``open_execution`` (scratch folder -> execution session) replaces the assembly's own backends
    (a server hands in the session of an external experiment, whose workers it serves).
    """
    store_path = settings.results_dir / STORE_NAME
    notes: list[str] = []
    opener = open_execution or assembly.open_execution
    with (
        ScratchFolder(settings.results_dir) as scratch,
        closing(opener(scratch)) as execution,  # an unanswering scheduler: before the store
        ResultStore(store_path) as store,
    ):
        identity = assembly.identity()
        key = run_key(identity)
        run = store.latest_run(key, settings.seed) if settings.rerun else None
        created = run is None
        if run is None:
            if settings.rerun:
                why = _closest(store, key, identity)
                notes.append(f"no stored run with these settings to resume{why}; starting a new run")
            seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
            run = store.create_run(key, {**identity, "seed": seed}, seed, settings.num_reps)
        with RunLock(settings.results_dir, run.id):
            if settings.num_reps > run.num_reps:
                store.set_num_reps(run.id, settings.num_reps)
                notes.append(f"extending run #{run.id} from {run.num_reps} to {settings.num_reps} repetitions")
                run = store.run(run.id)
            num_reps = max(run.num_reps, settings.num_reps)
            outcomes = _run_repetitions(assembly, store, run, num_reps, settings, reporter, execution)
            trials = store.trials(run.id)
            folder = settings.results_dir / assembly.problem.name / criterion_dirname(assembly.criterion)
            trace = folder / trace_name(
                assembly.mode, assembly.spec, assembly.run_conf.title, num_reps, assembly.rule_name
            )
            if created:
                for path in (trace, trace.with_suffix(".csv"), trace.with_suffix(".pkl.gz")):
                    backup = keep_previous(path)
                    if backup:
                        notes.append(f"kept the previous {path.name.split(').', 1)[-1]} file as {backup.name}")
            final_states = {} if assembly.records_workers else _final_strategy_states(store, run.id, num_reps)
            write_json_trace(trace, trials, num_reps, final_states, assembly.uses_rule)
            csv_path = write_trials_csv(
                trace.with_suffix(".csv"), trials, assembly.problem.space.names, assembly.uses_rule
            )
            internals = None
            if settings.keep_internals:
                internals = write_internals(trace.with_suffix(".pkl.gz"), store.internals(run.id))
    return RunReport(run, outcomes, trace, csv_path, internals, notes)


def _run_repetitions(
    assembly: Assembly, store: ResultStore, run: RunRecord, num_reps: int, settings: SessionSettings,
    reporter: Reporter, execution: Any,
) -> list[RepetitionOutcome]:  # fmt: skip
    """Run or resume every repetition of ``run`` on ``execution``; each trial is stored as it ends.

    The models run on one BLAS thread (their matrices are small: threads only add overhead). On the
    simulated clock, ``settings.jobs`` repetitions run at once in child processes.
    """
    from threadpoolctl import threadpool_limits

    reporter.start(run, num_reps, assembly.criterion)
    plan = assembly.plan(settings.keep_internals)

    def repetition(rep: int, events: Reporter, rep_store: ResultStore) -> RepetitionOutcome:
        sink = StoredRepetition(rep_store, run.id, rep)
        stored = sink.trials()
        backend = execution.backend(stored[-1].clock if stored else 0.0)
        strategies, rule = assembly.components(run.seed, rep)
        events.rep_start(rep)
        try:
            return run_repetition(
                pool=assembly.pool(),
                strategies=strategies,
                backend=backend,
                plan=plan,
                criterion=assembly.criterion,
                sink=sink,
                rep=rep,
                seed=run.seed,
                rule=rule,
                on_trial=events.trial,
            )
        finally:
            backend.close()

    def in_child(rep: int, events: Reporter) -> RepetitionOutcome:
        with ResultStore(store.path) as own_store:  # a connection is not carried across fork
            return repetition(rep, events, own_store)

    with threadpool_limits(1, user_api="blas"):
        if min(settings.jobs, num_reps) > 1:
            assembly.prepare()
            outcomes = run_in_processes(in_child, list(range(num_reps)), settings.jobs, reporter)
        else:
            outcomes = []
            for rep in range(num_reps):
                outcomes.append(repetition(rep, reporter, store))
                reporter.rep_end(outcomes[-1])
    reporter.close()
    return outcomes


def _final_strategy_states(store: ResultStore, run_id: int, num_reps: int) -> dict[int, dict | None]:
    """The one strategy's final state per repetition (its values and counts go into the trace)."""
    out = {}
    for rep in range(num_reps):
        state = store.rep_state(run_id, rep)[0] or {}
        saved = state.get("strategies") or ([state["strategy"]] if "strategy" in state else [None])
        out[rep] = saved[0]
    return out


def criterion_dirname(criterion: StopCriterion) -> str:
    """The trace folder of a criterion: ``T43200S`` or ``G0.02``."""
    if criterion.kind == "TIME":
        return budget_dirname(criterion.budget)
    return f"G{criterion.goal:g}"


def best_trial(trials: list[Trial]) -> Trial | None:
    """The successful trial with the lowest error (the first one on ties); None if none succeeded."""
    return min((t for t in trials if t.status == "ok"), key=lambda t: (t.error, t.rep, t.trial), default=None)


def run(
    request: RunRequest, reporter: Reporter | None = None, warn: Callable[[str], None] = lambda m: None
) -> RunReport:
    """Assemble and execute a request (its NUM_TRIALS, results folder, seed, ``-r`` and ``-p`` included)."""
    settings = session_settings(request)
    return execute(assemble(request, warn), settings, reporter or Reporter())


def session_settings(request: RunRequest) -> SessionSettings:
    """How the request's run is kept and run: repetitions, results folder, seed, ``-r``, ``-p``, ``-j``."""
    return SessionSettings(
        request.num_trials, request.results_dir, request.seed, request.rerun, request.pkl, request.jobs
    )


def _closest(store: ResultStore, key: str, identity: dict) -> str:
    """Why no stored run is resumed: one with these settings has another seed, or how the newest run of the
    benchmark differs (`` (run #3 of this benchmark differs in budget)``)."""
    other_seed = store.latest_run(key, None)
    if other_seed is not None:
        return f" (run #{other_seed.id} has these settings with seed {other_seed.seed}; -r without --seed resumes it)"
    same = [r for r in store.runs() if r.settings.get("benchmark") == identity.get("benchmark")]
    if not same:
        return ""
    newest = same[-1].settings
    differing = sorted(k for k in {*identity, *newest} - {"seed", "version"} if identity.get(k) != newest.get(k))
    return f" (run #{same[-1].id} of this benchmark differs in {', '.join(differing)})" if differing else ""
