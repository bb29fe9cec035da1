"""Python objectives that fail in every way a training script can (for tests/test_objective_failures.py)."""

from __future__ import annotations

import ctypes
import os
import sys
import time


def exits_0(config: dict, report) -> float:
    sys.exit(0)


def exits_3(config: dict, report) -> float:
    sys.exit(3)


def os_exit(config: dict, report) -> float:
    os._exit(0)


def segfaults(config: dict, report) -> float:
    ctypes.string_at(0)
    return 0.5


def hangs(config: dict, report) -> float:
    time.sleep(600)
    return 0.5


def too_big(config: dict, report) -> float:
    return 7.5


def too_big_dict(config: dict, report) -> dict:
    return {"accuracy": 5.0}


def reports_too_big(config: dict, report) -> float:
    report(epoch=1, accuracy=2.0)
    return 0.5


def half_crash(config: dict, report) -> float:
    """Crashes the interpreter for x >= 0.5, else a fine result: the run must go on with the next trial."""
    if config["x"] >= 0.5:
        os._exit(1)
    return 0.5 + config["x"] / 2


def logs_pid_and_hangs(config: dict, report) -> float:
    """Writes its pid where HPO_TEST_PID says, then trains forever."""
    with open(os.environ["HPO_TEST_PID"], "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(600)
    return 0.5
