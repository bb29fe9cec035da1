"""A real objective's trial as a stream of messages: per-epoch reports, then its end.

``start_trial(objective, config, awaited)`` starts a trial and returns a ``TrialStream``:
``next(timeout)`` gives ``Report(epoch, accuracy)`` messages as the trial reports them (for an
awaited epoch the trial then waits for ``answer``) and finally ``Done(outcome)``. A stop is carried
out in the trial: a Python function's ``report`` raises ``StopTrial``, a command's process group
gets SIGTERM; one that goes on anyway is killed after a grace period. The outcome of a stopped
trial is what it trained: error 1 - best accuracy so far, its epochs, its time.

Python functions run in a child process (``hpo_mab.objectives.runner``) that is kept for the next
trial, so that ``sys.exit``, ``os._exit``, a crash or a hang end only the trial (the child is
replaced); a command runs in its own process group, ended with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from hpo_mab.objectives.base import OK, STDERR_TAIL_CHARS, Outcome, failed, outcome_from_result
from hpo_mab.objectives.guard import start_guard

STOP_GRACE = 10.0  # default seconds a stopped trial has to end by itself before it is killed (run_conf stop_grace)
EXIT_POLL = 0.2  # how often a command's exit is checked while its output is silent


@dataclass(frozen=True)
class Report:
    """An epoch the trial reported."""

    epoch: int
    accuracy: float


@dataclass(frozen=True)
class Done:
    """The trial ended."""

    outcome: Outcome


class _Lines:
    """The lines of a pipe, read by a thread into a queue (None at the end); decoded tolerantly."""

    def __init__(self, pipe: Any, keep_tail: bool = False) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.tail = ""
        self._keep_tail = keep_tail
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: Any) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if self._keep_tail:
                self.tail = (self.tail + line)[-STDERR_TAIL_CHARS:]
            else:
                self.queue.put(line)
        self.queue.put(None)

    def get(self, timeout: float | None) -> str | bool | None:
        """The next line, None at the end, or False if none came within ``timeout``."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return False


def _end_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def kill_group(pgid: int, patience: float = 5.0) -> None:
    """SIGKILL to every process of a group (children that outlived its leader too), and wait until they are gone.

    Killed orphans stay zombies until their new parent reaps them, and ``killpg`` still finds
    zombies, so on Linux the wait ends as soon as no live process of the group is left.
    """
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        if not _live_members(pgid):
            return
        time.sleep(0.01)


def _live_members(pgid: int) -> bool:
    """True if a process of group ``pgid`` is alive (not a zombie), or if /proc cannot tell."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def _death(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode} before returning a result"


def stopped_outcome(curve: list[float], seconds: float) -> Outcome:
    """What a stopped trial trained: its best accuracy so far, its epochs, its time."""
    best = max(range(len(curve)), key=lambda i: curve[i]) if curve else 0
    accuracy = curve[best] if curve else 0.0
    return Outcome(OK, 1.0 - accuracy, accuracy, seconds, len(curve), best + 1, tuple(curve))


class PythonWorker:
    """The child process of a Python objective (started on first use, replaced when it dies)."""

    def __init__(self, spec: str, metric: str) -> None:
        self.spec, self.metric = spec, metric
        self.process: subprocess.Popen | None = None

    def ensure(self) -> None:
        """A live child."""
        if self.process is not None and self.process.poll() is None:
            return
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hpo_mab.objectives.runner", self.spec],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, process_group=0,
            cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )  # fmt: skip
        self.lines = _Lines(self.process.stdout)
        self.errors = _Lines(self.process.stderr, keep_tail=True)
        start_guard(self.process.pid)

    def send(self, message: dict) -> None:
        """One message to the child (a dead child is noticed by the reader)."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()

    def kill(self) -> None:
        """End the child and its group (a new one starts for the next trial)."""
        if self.process is not None:
            _end_group(self.process, 0.0)
            kill_group(self.process.pid)
            self.process = None

    def close(self) -> None:
        """End the child."""
        self.kill()


class PythonTrial:
    """A trial of a Python objective in its worker process."""

    def __init__(
        self,
        worker: PythonWorker,
        config: dict,
        awaited: tuple[int, ...] | None,
        timeout: float | None,
        grace: float = STOP_GRACE,
    ) -> None:
        self.worker, self.timeout, self.grace = worker, timeout, grace
        worker.ensure()
        self.started = time.perf_counter()
        self.curve: list[float] = []
        self.stopping: float | None = None  # when the stop was sent
        self.stop_epoch = 0
        worker.send({"run": config, "await": None if awaited is None else list(awaited)})

    def _remaining(self) -> float | None:
        limits = []
        if self.timeout is not None:
            limits.append(self.timeout - (time.perf_counter() - self.started))
        if self.stopping is not None:
            limits.append(self.grace - (time.perf_counter() - self.stopping))
        return max(0.0, min(limits)) if limits else None

    def next(self, timeout: float | None = None) -> Report | Done | None:
        """The next message (None: nothing within ``timeout``)."""
        while True:
            limit = self._remaining()
            wait = limit if timeout is None else (timeout if limit is None else min(limit, timeout))
            line = self.worker.lines.get(wait)
            elapsed = time.perf_counter() - self.started
            if line is False:
                if self.stopping is not None and time.perf_counter() - self.stopping >= self.grace:
                    self.worker.kill()
                    return Done(stopped_outcome(self.curve[: self.stop_epoch], elapsed))
                if self.timeout is not None and elapsed >= self.timeout:
                    self.worker.kill()
                    return Done(failed(f"timed out after {self.timeout:g} s", elapsed, self.worker.errors.tail))
                if timeout is not None:
                    return None
                continue
            if line is None:  # the child is gone: sys.exit, os._exit, a crash, a kill
                code = self.worker.process.wait()
                tail = self.worker.errors.tail
                kill_group(self.worker.process.pid)  # what it left behind, its guard included
                self.worker.process = None
                if self.stopping is not None:
                    return Done(stopped_outcome(self.curve[: self.stop_epoch], elapsed))
                return Done(failed(f"the objective {_death(code)}", elapsed, tail))
            message = json.loads(line)
            if "report" in message:
                self.curve.append(float(message["accuracy"]))
                if self.stopping is not None:
                    continue
                return Report(int(message["report"]), float(message["accuracy"]))
            seconds = float(message.get("seconds", elapsed))
            if self.stopping is not None or "stopped" in message:
                return Done(stopped_outcome(self.curve[: self.stop_epoch or len(self.curve)], seconds))
            if "exception" in message:
                tail = (message.get("traceback", "") + self.worker.errors.tail)[-STDERR_TAIL_CHARS:]
                return Done(failed(f"exception {message['exception']}", seconds, tail))
            curve = list(enumerate(self.curve, start=1))
            return Done(outcome_from_result(message["result"], self.worker.metric, seconds, curve))

    def answer(self, stop: bool) -> None:
        """The verdict on the last awaited report."""
        if stop:
            self.stopping = time.perf_counter()
            self.stop_epoch = len(self.curve)
        self.worker.send({"verdict": "stop" if stop else "continue"})


class ShellTrial:
    """A trial of a shell command: JSON lines with an ``epoch`` are reports, the last JSON object the result."""

    def __init__(
        self, command: str, env: dict, metric: str, timeout: float | None, cleanup: Any, grace: float = STOP_GRACE
    ) -> None:
        self.metric, self.timeout, self._cleanup, self.grace = metric, timeout, cleanup, grace
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            process_group=0,
        )  # fmt: skip
        self.lines = _Lines(self.process.stdout)
        self.errors = _Lines(self.process.stderr, keep_tail=True)
        start_guard(self.process.pid)
        self.stdout: list[str] = []
        self.curve: list[float] = []
        self.stopped = False

    def next(self, timeout: float | None = None) -> Report | Done | None:
        """The next message (None: nothing within ``timeout``)."""
        from hpo_mab.objectives.base import report_value
        from hpo_mab.objectives.shell import parse_output

        asked = time.perf_counter()
        while True:
            left = None if self.timeout is None else max(0.0, self.timeout - (time.perf_counter() - self.started))
            wait = EXIT_POLL if left is None else min(left, EXIT_POLL)
            line = self.lines.get(wait)
            elapsed = time.perf_counter() - self.started
            if line is False:
                if self.process.poll() is not None:  # ended while a child of it keeps stdout open
                    line = None
                elif self.timeout is not None and elapsed >= self.timeout:
                    self._end()
                    return Done(failed(f"timed out after {self.timeout:g} s", elapsed, self.errors.tail))
                elif timeout is not None and time.perf_counter() - asked >= timeout:
                    return None
                else:
                    continue
            if line is None:  # the command ended (or closed its stdout): what it printed is its result
                self._end(grace=self.grace if not self.stopped else 0.0)
                if self.stopped:
                    return Done(stopped_outcome(self.curve, elapsed))
                code = self.process.returncode
                if code != 0:
                    return Done(failed(f"exit code {code}", elapsed, self.errors.tail))
                return Done(parse_output("".join(self.stdout), self.metric, elapsed, self.errors.tail))
            self.stdout.append(line)
            text = line.strip()
            if not text.startswith("{"):
                continue
            try:
                message = json.loads(text)
            except ValueError:
                continue
            if isinstance(message, dict) and "epoch" in message and not self.stopped:
                try:
                    epoch, accuracy = report_value(message["epoch"], message.get("accuracy"), message.get("error"))
                except ValueError:
                    continue  # parse_output reports it at the end
                self.curve.append(accuracy)
                return Report(epoch, accuracy)

    def answer(self, stop: bool) -> None:
        """Stop: end the command's process group (SIGTERM, then SIGKILL after the grace period)."""
        if stop:
            self.stopped = True
            _end_group(self.process, self.grace)

    def _end(self, grace: float = 0.0) -> None:
        """The command's whole group ends with the trial (a child that kept stdout open included)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        _end_group(self.process, 0.0)
        kill_group(self.process.pid)  # children that outlived the command
        while True:  # what it printed before it ended
            line = self.lines.get(0.05)
            if line in (None, False):
                break
            self.stdout.append(line)
        self._cleanup()
