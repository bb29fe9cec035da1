"""Python-function objectives: ``--objective package.module:function``.

The function is called as ``function(config, report)``; ``report(epoch=..., accuracy=... or
error=...)`` records per-epoch values. It returns a number (in the hp_conf's ``config.metric``,
accuracy by default) or a dict with ``error`` or ``accuracy`` and optional ``exec_time`` and
``epochs``. An exception is a failed trial with the exception and its traceback tail recorded.
With a trial timeout the function runs in a child process that is killed when time is up.
"""

from __future__ import annotations

import importlib
import multiprocessing
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from hpo_mab.inputs.errors import InputError
from hpo_mab.objectives.base import Outcome, failed, outcome_from_result, report_value


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
    """Call a Python function per trial (picklable by its import path)."""

    spec: str
    metric: str = "accuracy"
    timeout: float | None = None

    def __call__(self, config: dict) -> Outcome:
        """Evaluate ``config``; never raises for a failing function."""
        if self.timeout is None:
            return call_function(self.spec, config, self.metric)
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(self.spec, config, self.metric, sender), daemon=True)
        started = time.perf_counter()
        process.start()
        sender.close()
        if receiver.poll(self.timeout):
            outcome = receiver.recv()
            process.join()
            return outcome
        process.kill()
        process.join()
        return failed(f"timed out after {self.timeout:g} s", time.perf_counter() - started)


def call_function(spec: str, config: dict, metric: str) -> Outcome:
    """Import and call the function, turning its result or exception into an outcome."""
    curve: list[tuple[int, float]] = []

    def report(epoch, accuracy=None, error=None) -> None:
        curve.append(report_value(epoch, accuracy, error))

    started = time.perf_counter()
    try:
        result = load_function(spec)(dict(config), report)
    except Exception as exc:  # the objective's own failure: recorded as a failed trial, never a crash
        tail = "".join(traceback.format_exception(exc))
        return failed(f"exception {type(exc).__name__}: {exc}", time.perf_counter() - started, tail)
    return outcome_from_result(result, metric, time.perf_counter() - started, curve)


def _child(spec: str, config: dict, metric: str, sender) -> None:
    sender.send(call_function(spec, config, metric))
    sender.close()
