"""The child process that runs a Python objective: ``python -m hpo_mab.objectives.runner MODULE:FUNCTION``.

It imports the function once and runs the trials it is sent, one at a time, speaking JSON lines on
its standard input and output (what the function itself prints goes to standard error):

* in: ``{"run": config, "await": [epochs] or null}``; ``{"verdict": "continue" | "stop"}``
* out: ``{"report": epoch, "accuracy": value}`` for each ``report(...)``; for an awaited epoch it
  then waits for the verdict, and ``report`` raises ``StopTrial`` in the function when told to stop;
  ``{"result": value, "seconds": s}``, ``{"stopped": epoch, "seconds": s}`` or
  ``{"exception": "...", "traceback": "...", "seconds": s}`` at the end of a trial.

A function that calls ``sys.exit``, ends the process or crashes ends only this process: the
parent records the trial as failed and starts a new one.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from typing import Any


class StopTrial(BaseException):
    """Raised in the objective by ``report`` when the early-termination rule says stop."""


def _plain(value: Any) -> Any:
    """A JSON-safe form of a result (numpy scalars and arrays as numbers and lists)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


class Reporter:
    """``report(epoch=..., accuracy=... or error=...)`` of one trial: sends it, waits for a verdict when awaited."""

    def __init__(self, awaited: set[int] | None, send: Any, commands: Any) -> None:
        self.awaited, self.send, self.commands = awaited, send, commands
        self.epoch = 0

    def __call__(self, epoch: Any = None, accuracy: Any = None, error: Any = None) -> bool:
        """Report one epoch; raises StopTrial when told to stop."""
        from hpo_mab.objectives.base import report_value

        number, value = report_value(epoch, accuracy, error)
        self.send({"report": number, "accuracy": value})
        self.epoch = number
        if self.awaited is not None and number not in self.awaited:
            return False
        answer = json.loads(self.commands.readline() or '{"verdict": "continue"}')
        if answer.get("verdict") == "stop":
            raise StopTrial
        return False


def main(argv: list[str]) -> int:
    """Serve trials until standard input closes."""
    from hpo_mab.objectives.python import load_function

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # the function's prints must not mix with the protocol
    function = load_function(argv[0])
    commands = sys.stdin

    def send(message: dict) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    for line in commands:
        request = json.loads(line)
        if "run" not in request:
            continue
        awaited = request.get("await")
        report = Reporter(None if awaited is None else set(awaited), send, commands)
        started = time.perf_counter()
        try:
            result = function(dict(request["run"]), report)
        except StopTrial:
            send({"stopped": report.epoch, "seconds": time.perf_counter() - started})
            continue
        except Exception as exc:  # the objective's own failure: reported, the process goes on
            send({"exception": f"{type(exc).__name__}: {exc}", "traceback": "".join(traceback.format_exception(exc)),
                  "seconds": time.perf_counter() - started})  # fmt: skip
            continue
        send({"result": _plain(result), "seconds": time.perf_counter() - started})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
