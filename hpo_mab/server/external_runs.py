"""The external experiments of a server: each runs its repetitions in a thread of the server process.

Why a thread and not a child process (as the other experiments): a worker's report waits for the
early-termination rule's verdict, which the repetition's loop gives; in the same process the API
handler hands the report to the loop through a queue and gets the verdict back in microseconds,
with no second hop. Durability does not depend on the process: every claim, report, verdict and
result is in the lease store (``RESULTS/workers.sqlite``) before it is answered, and every finished
trial in the run store (``RESULTS/hpo.sqlite``), so after a killed server ``start(..., rerun=True)``
resumes the experiment where it was (``-r`` semantics), its running trials still running.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from hpo_mab.assembly.build import assemble
from hpo_mab.assembly.observer import Reporter
from hpo_mab.assembly.request import RunRequest
from hpo_mab.assembly.session import SessionSettings, execute, session_settings
from hpo_mab.backends.base import BackendLost
from hpo_mab.backends.external import (
    ExperimentStopped,
    ExternalBackend,
    ExternalSession,
    answer_detached,
    api_status,
    end_trial,
    failure_outcome,
    result_outcome,
)
from hpo_mab.backends.external_options import LeaseOptions
from hpo_mab.inputs.errors import InputError, one_line
from hpo_mab.store.leases import Conflict, Lease, LeaseStore

OnEnd = Callable[[str, str, str | None], None]  # (experiment id, status, error line or None)


@dataclasses.dataclass
class _Run:
    session: ExternalSession
    thread: threading.Thread
    metric: str
    status: str = "running"
    error: str | None = None


class ExternalRuns:
    """Starts, stops and serves the external experiments of one results folder (thread-safe)."""

    def __init__(self, results_dir: Path) -> None:
        self.results_dir = Path(results_dir)
        self.store = LeaseStore(self.results_dir)
        self.store.interrupt_running()  # no thread runs them yet: 410 until resumed (the server resumes at start-up)
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def start(self, experiment: str, request: RunRequest, on_end: OnEnd | None = None) -> None:
        """Assemble ``request`` (``external=True``; InputError for a bad one) and run it in a thread.

        ``request.rerun`` resumes the stored run (after a stop or a killed server). ``on_end`` is
        called from the thread when the run ends: status ``done``, ``stopped`` or ``failed``.
        """
        request = dataclasses.replace(request, external=True, results_dir=self.results_dir)
        assembly = assemble(request, lambda message: None)
        with self._lock:
            running = self._runs.get(experiment)
            if running is not None and running.thread.is_alive():
                raise Conflict(f"experiment {experiment} is running")
            options = assembly.run_conf.get(LeaseOptions)
            self.store.open_experiment(experiment, options.heartbeat, options.lease_ttl)
            metric = assembly.problem.objective.metric
            session = ExternalSession(self.store, experiment, assembly.rule_name, metric, threading.Event())
            settings = session_settings(request)
            thread = threading.Thread(
                target=self._run, args=(experiment, assembly, settings, on_end), name=f"experiment-{experiment}"
            )
            self._runs[experiment] = _Run(session, thread, metric)
            thread.start()

    def _run(self, experiment: str, assembly: object, settings: SessionSettings, on_end: OnEnd | None) -> None:
        run = self._runs[experiment]
        status, error = "done", None
        try:
            execute(assembly, settings, Reporter(), open_execution=lambda scratch: run.session)
        except ExperimentStopped:
            status = "stopped"
        except (BackendLost, InputError) as exc:
            status, error = "failed", one_line(str(exc))
        except Exception as exc:  # the last guard of the experiment's thread: recorded, one line
            status, error = "failed", f"{type(exc).__name__}: {one_line(str(exc))}"
        run.status, run.error = status, error
        self.store.set_status(experiment, status)
        if on_end is not None:
            on_end(experiment, status, error)

    def stop(self, experiment: str, timeout: float = 30.0) -> None:
        """Stop a running experiment (its workers are told to stop; its trials stay stored for a resume)."""
        run = self._runs.get(experiment)
        if run is None or not run.thread.is_alive():
            return
        self.store.set_status(experiment, "stopped")
        run.session.stopping.set()
        run.thread.join(timeout)

    def status(self, experiment: str) -> str | None:
        """``running``, ``done``, ``stopped``, ``failed``, or None if this server never ran it."""
        run = self._runs.get(experiment)
        return None if run is None else run.status

    def wait(self, experiment: str, timeout: float | None = None) -> str | None:
        """Wait until the experiment's thread ends; its status."""
        run = self._runs.get(experiment)
        if run is not None:
            run.thread.join(timeout)
        return self.status(experiment)

    def running(self) -> bool:
        """True while an experiment's thread runs."""
        with self._lock:
            return any(run.thread.is_alive() for run in self._runs.values())

    def close(self) -> None:
        """Stop every running experiment, then close the lease store."""
        for experiment in list(self._runs):
            self.stop(experiment)
        self.store.close()

    # what the worker endpoints call

    def claim(self, experiment: str, worker: str) -> Lease | None:
        """A trial for ``worker`` (its own again if it has one), or None if nothing is pending now."""
        return self.store.claim(experiment, worker)

    def _backend(self, experiment: str, trial: str) -> ExternalBackend | None:
        run = self._runs.get(experiment)
        backend = run.session.current if run is not None and run.thread.is_alive() else None
        return backend if backend is not None and backend.owns(trial) else None

    def report(self, trial: str, attempt: int, epoch: int, accuracy: float, metrics: dict) -> dict | Future:
        """Store and answer a report (``{stop, rule, reason}``, or a future of the rule's verdict).

        The same attempt and epoch get the same answer.
        """
        row, stored = self.store.add_report(trial, attempt, epoch, accuracy, metrics)
        if stored is not None:
            return stored
        backend = self._backend(row.experiment, trial)
        if backend is not None:
            return backend.report(row, epoch, accuracy)
        return answer_detached(self.store, row, epoch, self.store.experiment(row.experiment)[0] == "running")

    def complete(self, trial: str, attempt: int, metrics: dict) -> dict:
        """Store the attempt's result (ValueError for a bad one), counted once; ``{status}``."""
        row = self.store.current(trial, attempt)
        outcome = result_outcome(self.store, trial, attempt, metrics, self._metric(row.experiment))
        return end_trial(self.store, trial, attempt, outcome, self._backend(row.experiment, trial))

    def fail(self, trial: str, attempt: int, reason: str) -> dict:
        """Store the attempt as failed with ``reason``, counted once; ``{status}``."""
        row = self.store.current(trial, attempt)
        outcome = failure_outcome(self.store, trial, attempt, reason)
        return end_trial(self.store, trial, attempt, outcome, self._backend(row.experiment, trial))

    def heartbeat(self, trial: str, attempt: int) -> dict:
        """Extend the attempt's lease; ``{status, stop}`` (stop: the trial ended or the experiment is not running)."""
        row = self.store.heartbeat(trial, attempt)
        running = self.store.experiment(row.experiment)[0] == "running"
        return {"status": api_status(row.status), "stop": row.status != "running" or not running}

    def _metric(self, experiment: str) -> str:
        run = self._runs.get(experiment)
        return run.metric if run is not None else "accuracy"
