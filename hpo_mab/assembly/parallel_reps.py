"""Repetitions of a simulated-clock run replayed in parallel processes (``-j/--jobs``).

Repetitions are independent (each has its own random stream and its own stored state), so on
the simulated clock they can run at once, one per core, with the same trials as one after the
other. Each runs in a forked child process that writes its trials to the store itself, as a
sequential repetition does, and sends its reporter events and its outcome to this process over
a pipe. A child ends with its parent (``PR_SET_PDEATHSIG``): a run killed with ``kill -9`` leaves
no repetition writing, and ``-r`` resumes every repetition from its last stored trial.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from hpo_mab.assembly.observer import Reporter
from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.store.records import Trial

PR_SET_PDEATHSIG = 1  # linux/prctl.h

RepetitionWork = Callable[[int, Reporter], RepetitionOutcome]


class PipeReporter(Reporter):
    """A child's reporter: every event goes to the parent's reporter through a pipe."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def rep_start(self, rep: int) -> None:
        """Tell the parent the repetition started."""
        self._conn.send(("rep_start", rep))

    def trial(self, trial: Trial, best_error: float) -> None:
        """Tell the parent a trial is stored."""
        self._conn.send(("trial", trial, best_error))


def end_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies; exit now if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _child(work: RepetitionWork, rep: int, conn: Connection, parent: int) -> None:
    """Run one repetition in this (forked) process and send its outcome, or the error that ended it."""
    end_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the children
    try:
        outcome = work(rep, PipeReporter(conn))
    except Exception as exc:  # any failure is the parent's to raise, as a sequential run would
        conn.send(("error", _sendable(exc)))
        conn.close()
        os._exit(1)
    conn.send(("outcome", outcome))
    conn.close()
    os._exit(0)  # no atexit handlers or finalizers of the parent's objects in a forked child


def _sendable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # whatever pickling raises, fall back to the text
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Running:
    """A child process running one repetition, and the parent's end of its pipe."""

    def __init__(self, context: Any, work: RepetitionWork, rep: int) -> None:
        self.rep = rep
        self.conn, child_end = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(work, rep, child_end, os.getpid()), daemon=True)
        self.process.start()
        child_end.close()
        self.outcome: RepetitionOutcome | None = None
        self.error: Exception | None = None

    def drain(self, reporter: Reporter) -> bool:
        """Pass the child's pending events to ``reporter``; False once its pipe is closed."""
        while self.conn.poll():
            try:
                message = self.conn.recv()
            except EOFError:
                return False
            kind = message[0]
            if kind == "rep_start":
                reporter.rep_start(message[1])
            elif kind == "trial":
                reporter.trial(message[1], message[2])
            elif kind == "outcome":
                self.outcome = message[1]
            else:
                self.error = message[1]
        return True

    def stop(self) -> None:
        """End the child now (its stored trials stay)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_in_processes(
    work: RepetitionWork, reps: list[int], jobs: int, reporter: Reporter
) -> list[RepetitionOutcome]:  # fmt: skip
    """Run ``work(rep, reporter)`` for every repetition, ``jobs`` at a time in forked processes.

    Events reach ``reporter`` as they happen; the outcomes are returned in repetition order. A
    failing repetition ends the others and its error is raised here.
    """
    context = multiprocessing.get_context("fork")
    waiting = list(reps)
    running: list[_Running] = []
    outcomes: dict[int, RepetitionOutcome] = {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                running.append(_Running(context, work, waiting.pop(0)))
            ready = wait([r.conn for r in running] + [r.process.sentinel for r in running])
            for child in list(running):
                if child.conn not in ready and child.process.sentinel not in ready:
                    continue
                open_pipe = child.drain(reporter)
                if open_pipe and child.process.is_alive():
                    continue
                child.process.join()
                child.drain(reporter)
                running.remove(child)
                child.conn.close()
                if child.error is not None:
                    raise child.error
                if child.outcome is None:
                    code = child.process.exitcode
                    raise RuntimeError(f"repetition {child.rep} ended without an outcome (exit code {code})")
                outcomes[child.rep] = child.outcome
                reporter.rep_end(child.outcome)
    finally:
        for child in running:
            child.stop()
    return [outcomes[rep] for rep in reps]
