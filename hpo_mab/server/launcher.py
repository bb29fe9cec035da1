"""One process per running experiment (the CLI, see ``child``), and resuming them when the server starts again.

``start`` launches the experiment's CLI command; ``resume`` the same with ``-r``; ``stop`` sends it
SIGINT (the CLI keeps its finished trials and exits 130). A thread per process waits for its end
and records the status from the exit code. At start-up, experiments the catalog still has as
``running`` (the server was killed) are relaunched with ``-r``: the store resumes them exactly.
While none runs, a warm process (``spare``) waits to be the next experiment's, its imports done.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

from hpo_mab.inputs.errors import InputError
from hpo_mab.server.catalog import Catalog, Experiment, now
from hpo_mab.server.child import child_command
from hpo_mab.server.external_runs import ExternalRuns
from hpo_mab.server.settings import SERVER_DIR, ServerSettings
from hpo_mab.server.spare import Spare
from hpo_mab.server.store_view import StoreView

LOGGER = logging.getLogger("hpo_mab.server")
LOG_NAME = "output.log"
SPARE_LOG = "spare.log"  # what a warm process writes before it has an experiment's log (an import failing)
DONE_CODES = {0: None, 3: "goal not reached", 4: "no trial succeeded"}  # the CLI's exit codes of a finished run
INTERRUPTED = 130
STOP_WAIT_S = 60.0
OLD_PROCESS_WAIT_S = 10.0


class Transition(Exception):
    """A transition the experiment's status does not allow (409)."""


class Launcher:
    """Starts, stops and watches the experiments' processes."""

    def __init__(self, settings: ServerSettings, catalog: Catalog, external: ExternalRuns | None = None) -> None:
        self.settings = settings
        self.catalog = catalog
        self.external = external  # external experiments run in threads here, their trials on pull workers
        self._processes: dict[str, subprocess.Popen] = {}
        self._stopping: set[str] = set()
        self._lock = threading.Lock()
        self._closing = False
        self._launching = 0  # launches between taking the warm process and recording the new one
        self.spare = Spare(settings.results_dir / SERVER_DIR / SPARE_LOG)

    def log_path(self, experiment_id: str) -> Path:
        """The output (stdout and stderr) of an experiment's processes."""
        return self.settings.experiment_dir(experiment_id) / LOG_NAME

    def start(self, experiment: Experiment) -> Experiment:
        """Start a created experiment."""
        if experiment.status != "created":
            raise Transition(f"experiment {experiment.id} is {experiment.status}; only a created one starts")
        floor = StoreView(self.settings.results_dir).max_run_id()
        self.catalog.update(experiment.id, run_floor=floor, started=now())
        return self._launch(experiment.id, rerun=False)

    def resume(self, experiment: Experiment) -> Experiment:
        """Resume a stopped or failed experiment (``-r``)."""
        if experiment.status not in ("stopped", "failed"):
            raise Transition(f"experiment {experiment.id} is {experiment.status}; only a stopped or failed one resumes")
        return self._launch(experiment.id, rerun=True)

    def stop(self, experiment: Experiment) -> Experiment:
        """Interrupt a running experiment; returns once its process ended (finished trials are kept)."""
        if experiment.status != "running":
            raise Transition(f"experiment {experiment.id} is {experiment.status}; only a running one stops")
        with self._lock:
            process = self._processes.get(experiment.id)
            self._stopping.add(experiment.id)
        if self.external is not None and experiment.body.get("external"):
            self.external.stop(experiment.id)  # its thread ends; ``_external_ended`` records "stopped"
        elif process is None:  # its process has ended already
            return self.catalog.update(experiment.id, status="stopped", ended=now(), pid=None)
        else:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        deadline = time.monotonic() + STOP_WAIT_S
        while self.catalog.get(experiment.id).status == "running" and time.monotonic() < deadline:
            time.sleep(0.02)  # the watching thread records the end
        return self.catalog.get(experiment.id)

    def running(self, experiment_id: str) -> bool:
        """True while the experiment's process runs."""
        with self._lock:
            return experiment_id in self._processes

    def _launch(self, experiment_id: str, rerun: bool) -> Experiment:
        experiment = self.catalog.get(experiment_id)
        if self.external is not None and experiment.body.get("external"):
            return self._launch_external(experiment, rerun)
        folder = self.settings.experiment_dir(experiment_id)
        folder.mkdir(parents=True, exist_ok=True)
        args = [*experiment.args, "-r"] if rerun else list(experiment.args)
        with self._lock:
            self._launching += 1
        try:
            process = self.spare.take(args, self.log_path(experiment_id))
            if process is None:
                with open(self.log_path(experiment_id), "ab") as log:
                    process = subprocess.Popen(child_command(os.getpid(), ["--", *args]), stdin=subprocess.DEVNULL,
                                               stdout=log, stderr=log, start_new_session=True)  # fmt: skip
            with self._lock:
                self._processes[experiment_id] = process
                self._stopping.discard(experiment_id)
        finally:
            with self._lock:
                self._launching -= 1
        updated = self.catalog.update(experiment_id, status="running", pid=process.pid, ended=None, message=None)
        threading.Thread(target=self._watch, args=(experiment_id, process), daemon=True).start()
        return updated

    def _launch_external(self, experiment: Experiment, rerun: bool) -> Experiment:
        """An external experiment: its loop in a thread of this process (``ExternalRuns``), its status kept here."""
        from hpo_mab.server.requests import ExperimentBody, run_request_of

        request = run_request_of(ExperimentBody(**experiment.body), experiment.args, self.settings.results_dir)
        with self._lock:
            self._stopping.discard(experiment.id)
        updated = self.catalog.update(experiment.id, status="running", pid=None, ended=None, message=None)
        try:  # marked running first: a run that ends at once records its own end after this
            self.external.start(experiment.id, replace(request, rerun=rerun), self._external_ended)
        except InputError as exc:  # e.g. its hp_conf file gone: failed with the CLI's line, as a child would end
            return self.catalog.update(experiment.id, status="failed", ended=now(), message=exc.line(), pid=None)
        return updated

    def _external_ended(self, experiment_id: str, status: str, error: str | None) -> None:
        with self._lock:
            self._stopping.discard(experiment_id)
            if self._closing:
                return  # left "running": the next start of the server resumes it
        self.catalog.update(experiment_id, status=status, ended=now(), message=error, pid=None)

    def warm_when_idle(self) -> None:
        """Have a warm process ready for the next experiment if none runs now (it would slow a running one)."""
        with self._lock:
            idle = not self._processes and not self._launching and not self._closing
        if idle and not (self.external is not None and self.external.running()):
            self.spare.warm()

    def _watch(self, experiment_id: str, process: subprocess.Popen) -> None:
        code = process.wait()
        with self._lock:
            self._processes.pop(experiment_id, None)
            stopping = experiment_id in self._stopping
            self._stopping.discard(experiment_id)
            if self._closing and code not in DONE_CODES:
                return  # left "running": the next start of the server resumes it
        if code in DONE_CODES:
            status, message = "done", DONE_CODES[code]
        elif stopping or code in (INTERRUPTED, -signal.SIGINT):
            status, message = "stopped", None
        else:
            status, message = "failed", self._last_error(experiment_id) or f"exit code {code}"
        self.catalog.update(experiment_id, status=status, ended=now(), message=message, pid=None)
        self.warm_when_idle()

    def _last_error(self, experiment_id: str) -> str | None:
        try:
            lines = self.log_path(experiment_id).read_text(errors="replace").splitlines()
        except OSError:
            return None
        errors = [line for line in lines if line.startswith("error: ")]
        return errors[-1][len("error: ") :] if errors else (lines[-1] if lines else None)

    def resume_interrupted(self, relaunch: bool = True) -> list[str]:
        """Relaunch (``-r``) the experiments a previous server left running, or mark them stopped."""
        resumed = []
        for experiment in self.catalog.all():
            if experiment.status != "running":
                continue
            _wait_gone(experiment.pid)
            if relaunch:
                self._launch(experiment.id, rerun=True)
            else:
                self.catalog.update(experiment.id, status="stopped", ended=now(), pid=None)
            resumed.append(experiment.id)
        return resumed

    def shutdown(self) -> None:
        """Interrupt every process (their experiments stay ``running`` and resume at the next start)."""
        with self._lock:
            self._closing = True
            processes = list(self._processes.values())
        for process in processes:
            process.send_signal(signal.SIGINT)
        self.spare.close()
        if self.external is not None:
            self.external.close()
        for process in processes:
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_gone(pid: int | None) -> None:
    """Wait until an experiment process of a previous server has ended (it ends itself when its server is gone)."""
    if pid is None:
        return
    deadline = time.monotonic() + OLD_PROCESS_WAIT_S
    while _is_child_process(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)


def _is_child_process(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and b"hpo_mab.server.child" in cmdline
