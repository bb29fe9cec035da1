"""The worker side of a run: strategies per worker, the backend, and the Dask cluster or client.

Surrogate benchmarks simulate their W workers on the clock. Real objectives run in this process
(one worker), on a Dask LocalCluster of ``--workers N`` processes, or on the workers of a running
scheduler (``-w tcp://HOST:PORT``), asking each trial for the run_conf's ``resources``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_mab.arms.modes import build_strategy
from hpo_mab.backends.base import DaskBackend, InProcessBackend, SimulatedBackend, WallClock
from hpo_mab.backends.dask_cluster import DaskConnection
from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.engine.parallel import ParallelPlan, run_parallel_repetition
from hpo_mab.objectives.task import ObjectiveTask

if TYPE_CHECKING:
    from hpo_mab.assembly.session import RunSettings
    from hpo_mab.store.sqlite import ResultStore, RunRecord
    from hpo_mab.terminal.progress import Reporter


class ParallelRunner:
    """Runs the repetitions of a run through the worker loop, sharing one Dask client."""

    def __init__(self, settings: RunSettings, store: ResultStore, run: RunRecord, reporter: Reporter) -> None:
        self.settings, self.store, self.run_record, self.reporter = settings, store, run, reporter
        options = settings.run_conf.options
        self.max_retries = int(options.get("max_retries", 2))
        self.max_failures = options.get("max_failures")
        self.resources = dict(options.get("resources", {})) or None
        self.real = isinstance(settings.benchmark, ObjectiveTask)
        self.dask = DaskConnection(settings.workers, settings.scheduler, self.resources)

    def _strategies(self) -> list:
        s = self.settings
        members = s.members if s.mode == "BATCH" else ((s.mode, s.spec),)
        oracle = None if self.real else (lambda candidate: s.benchmark.evaluate(candidate).error)
        return [
            build_strategy(mode, spec, s.run_conf, s.benchmark.space, s.time_penalty, oracle=oracle)
            for mode, spec in members
        ]

    def run(self, rep: int) -> RepetitionOutcome:
        """Run (or resume) one repetition."""
        s = self.settings
        trials = self.store.trials(self.run_record.id, rep)
        clock_now = None
        if self.real:
            remote = s.workers > 1 or s.scheduler is not None
            client = self.dask.client if remote else None  # started before the clock: not charged to trials
            clock = WallClock(trials[-1].clock if trials else 0.0)
            clock_now = clock.now
            if remote:
                backend = DaskBackend(client, s.benchmark.objective, clock, self.resources, self.max_retries)
            else:
                backend = InProcessBackend(s.benchmark.objective, clock)
        else:
            backend = SimulatedBackend(s.benchmark)
        try:
            return run_parallel_repetition(
                pool=s.benchmark.pool(),
                strategies=self._strategies(),
                backend=backend,
                plan=ParallelPlan(s.workers, s.sync, self.max_failures),
                criterion=s.criterion,
                overhead=s.overhead,
                store=self.store,
                run_id=self.run_record.id,
                rep=rep,
                seed=self.run_record.seed,
                clock_now=clock_now,
                on_trial=self.reporter.trial,
            )
        finally:
            backend.close()

    def close(self) -> None:
        """Close the Dask client and the LocalCluster this runner started."""
        self.dask.close()
