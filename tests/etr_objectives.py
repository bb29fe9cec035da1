"""Objectives for the early-termination tests: they log every epoch they really train, with their pid."""

from __future__ import annotations

import os
import time


def log(x: float, epoch: int) -> None:
    """One line per epoch trained: pid, configuration, epoch."""
    with open(os.environ["HPO_TEST_LOG"], "a") as handle:
        handle.write(f"{os.getpid()} {x!r} {epoch}\n")


def curve(x: float, epoch: int) -> float:
    """Below 0.5 a poor curve (0.3 at epoch 2), else a good one (0.9)."""
    return (0.3 if x < 0.5 else 0.9) * min(1.0, epoch / 2)


def train(config: dict, report) -> dict:
    """Ten epochs of 20 ms."""
    for epoch in range(1, 11):
        time.sleep(0.02)
        log(config["x"], epoch)
        report(epoch=epoch, accuracy=curve(config["x"], epoch))
    return {"accuracy": curve(config["x"], 10)}


def stubborn(config: dict, report) -> dict:
    """Ignores the stop: catches it and trains on for a long time (it must be killed)."""
    for epoch in range(1, 11):
        log(config["x"], epoch)
        try:
            report(epoch=epoch, accuracy=curve(config["x"], epoch))
        except BaseException:
            time.sleep(600)
    return {"accuracy": curve(config["x"], 10)}
