"""A run: N repetitions of one (benchmark, mode, spec, criterion) with store, resume and exports."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from hpo_mab.arms.modes import build_strategy
from hpo_mab.assembly.workers import ParallelRunner
from hpo_mab.engine.criteria import GOAL, Overhead, StopCriterion
from hpo_mab.engine.loop import RepetitionOutcome, run_repetition
from hpo_mab.inputs.run_conf import RunConf
from hpo_mab.inputs.timestr import budget_dirname
from hpo_mab.objectives.task import ObjectiveTask
from hpo_mab.store.exports import trace_name, write_internals, write_json_trace, write_trials_csv
from hpo_mab.store.sqlite import ResultStore, RunRecord, Trial
from hpo_mab.surrogates.base import Benchmark
from hpo_mab.terminal.progress import Reporter
from hpo_mab.version import package_version

STORE_NAME = "hpo.sqlite"


@dataclass(frozen=True)
class RunSettings:
    """Everything that defines a run (NUM_TRIALS aside, which ``-r`` may extend)."""

    benchmark: Benchmark
    mode: str
    spec: str
    run_conf: RunConf
    criterion: StopCriterion
    overhead: Overhead
    num_reps: int
    results_dir: Path
    seed: int | None = None
    rerun: bool = False
    keep_internals: bool = False
    time_penalty: bool = False
    workers: int = 1
    sync: bool = False
    scheduler: str | None = None  # a Dask scheduler address (real objectives)
    members: tuple[tuple[str, str], ...] = ()  # BATCH: (mode, spec) of each worker's strategy

    @property
    def parallel(self) -> bool:
        """True when trials go through the worker loop (BATCH, several workers, or a real objective)."""
        return self.mode == "BATCH" or self.workers > 1 or isinstance(self.benchmark, ObjectiveTask)

    def identity(self) -> dict:
        """The settings that must match for ``-r`` to continue a stored run."""
        c = self.criterion
        return {
            "version": package_version(),
            "benchmark": self.benchmark.name,
            **self.benchmark.fingerprint(),
            "mode": self.mode,
            "spec": self.spec,
            "title": self.run_conf.title,
            "run_conf": _canonical_run_conf(self.run_conf),
            "criterion": c.kind,
            "budget": c.budget if c.kind == "TIME" else None,
            "goal": c.goal if c.kind == "GOAL" else None,
            "goal_metric": c.metric if c.kind == "GOAL" else None,
            "max_trials": c.max_trials,
            "overhead": repr(self.overhead.seconds) if self.overhead.mode == "fixed" else self.overhead.mode,
            "time_penalty": self.time_penalty,
            **({"workers": self.workers, "members": [list(m) for m in self.members]} if self.parallel else {}),
        }


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


def execute(settings: RunSettings, reporter: Reporter) -> RunReport:
    """Run, resume or extend the run; every trial is stored as it ends, exports are written at the end."""
    store_path = settings.results_dir / STORE_NAME
    notes: list[str] = []
    with ResultStore(store_path) as store:
        identity = settings.identity()
        key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        run = store.latest_run(key, settings.seed) if settings.rerun else None
        created = run is None
        if run is None:
            if settings.rerun:
                notes.append("no stored run with these settings to resume; starting a new run")
            seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
            run = store.create_run(key, {**identity, "seed": seed}, seed, settings.num_reps)
        elif settings.num_reps > run.num_reps:
            store.set_num_reps(run.id, settings.num_reps)
            notes.append(f"extending run #{run.id} from {run.num_reps} to {settings.num_reps} repetitions")
            run = store.run(run.id)
        num_reps = max(run.num_reps, settings.num_reps)
        reporter.start(run, num_reps, settings.criterion)
        outcomes = []
        runner = ParallelRunner(settings, store, run, reporter) if settings.parallel else None
        for rep in range(num_reps):
            if runner is not None:
                reporter.rep_start(rep)
                outcome = runner.run(rep)
                outcomes.append(outcome)
                reporter.rep_end(outcome)
                continue
            strategy = build_strategy(
                settings.mode,
                settings.spec,
                settings.run_conf,
                settings.benchmark.space,
                settings.time_penalty,
                oracle=lambda candidate: settings.benchmark.evaluate(candidate).error,
            )
            reporter.rep_start(rep)
            outcome = run_repetition(
                benchmark=settings.benchmark,
                strategy=strategy,
                criterion=settings.criterion,
                overhead=settings.overhead,
                store=store,
                run_id=run.id,
                rep=rep,
                seed=run.seed,
                keep_internals=settings.keep_internals,
                on_trial=reporter.trial,
            )
            outcomes.append(outcome)
            reporter.rep_end(outcome)
        if runner is not None:
            runner.close()
        reporter.close()
        trials = store.trials(run.id)
        folder = settings.results_dir / settings.benchmark.name / _criterion_dirname(settings.criterion)
        trace = folder / trace_name(settings.mode, settings.spec, settings.run_conf.title, num_reps)
        if created:
            for path in (trace, trace.with_suffix(".csv"), trace.with_suffix(".pkl.gz")):
                backup = _keep_previous(path)
                if backup:
                    notes.append(f"kept the previous {path.name.split(').', 1)[-1]} file as {backup.name}")
        final_states = {rep: (store.rep_state(run.id, rep)[0] or {}).get("strategy") for rep in range(num_reps)}
        write_json_trace(trace, trials, num_reps, final_states)
        csv_path = write_trials_csv(trace.with_suffix(".csv"), trials, settings.benchmark.space.names)
        internals = None
        if settings.keep_internals:
            internals = write_internals(trace.with_suffix(".pkl.gz"), store.internals(run.id))
    return RunReport(run, outcomes, trace, csv_path, internals, notes)


def _criterion_dirname(criterion: StopCriterion) -> str:
    if criterion.kind == "TIME":
        return budget_dirname(criterion.budget)
    return f"G{criterion.goal:g}"


def _keep_previous(trace: Path) -> Path | None:
    """Move the trace of an earlier run out of the way (``<name>.~k~``) instead of overwriting it."""
    if not trace.exists():
        return None
    k = 1
    while trace.with_name(f"{trace.name}.~{k}~").exists():
        k += 1
    backup = trace.with_name(f"{trace.name}.~{k}~")
    trace.replace(backup)
    return backup


def _canonical_run_conf(conf: RunConf) -> dict:
    return {"arms": [list(a) for a in conf.arms], "pool": conf.pool.__dict__, "options": conf.options}


def best_trial(trials: list[Trial]) -> Trial | None:
    """The trial with the lowest error (the first one on ties)."""
    return min(trials, key=lambda t: (t.error, t.rep, t.trial), default=None)
