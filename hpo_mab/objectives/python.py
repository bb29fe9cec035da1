"""Python-function objectives: ``--objective package.module:function``.

The function is called as ``function(config, report)``; ``report(epoch=..., accuracy=... or
error=...)`` records per-epoch values and, when an early-termination rule says stop, raises
``StopTrial`` in the function (one that goes on anyway is killed). It returns a number (in the
hp_conf's ``config.metric``, accuracy by default) or a dict with ``error`` or ``accuracy`` and
optional ``exec_time`` and ``epochs``. An exception is a failed trial with the exception and its
traceback tail recorded. The function runs in a child process (``hpo_mab.objectives.runner``),
kept from trial to trial, so that ``sys.exit``, a crash or a hang end only its trial.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from hpo_mab.inputs.errors import InputError
from hpo_mab.objectives.base import Outcome
from hpo_mab.objectives.streams import STOP_GRACE, Done, PythonTrial, PythonWorker


def load_function(spec: str) -> Callable:
    """Import ``package.module:function`` (InputError naming what is missing)."""
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise InputError(f"expected package.module:function, got {spec!r}", key="--objective")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # importing user code may raise anything (SyntaxError, its own errors)
        raise InputError(f"cannot import {module_name!r} ({type(exc).__name__}: {exc})", key="--objective") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise InputError(f"{module_name!r} has no function {function_name!r}", key="--objective")
    return function


@dataclass(frozen=True)
class PythonObjective:
    """Call a Python function per trial, in a child process (picklable by its import path)."""

    spec: str
    metric: str = "accuracy"
    timeout: float | None = None
    grace: float = STOP_GRACE

    def worker(self) -> PythonWorker:
        """A child process for this function's trials (kept by the caller for the next one)."""
        return PythonWorker(self.spec, self.metric)

    def start(self, config: dict, awaited: tuple[int, ...] | None, worker: PythonWorker) -> PythonTrial:
        """Start a trial in ``worker``; its reports of ``awaited`` epochs (None: all) wait for a verdict."""
        return PythonTrial(worker, config, awaited, self.timeout, self.grace)

    def __call__(self, config: dict) -> Outcome:
        """Evaluate ``config`` to its end; never raises for a failing function."""
        worker = self.worker()
        try:
            return run_to_end(self.start(config, (), worker))
        finally:
            worker.close()


def run_to_end(trial) -> Outcome:
    """Let a trial run without stopping it; its outcome."""
    while True:
        message = trial.next()
        if isinstance(message, Done):
            return message.outcome
