"""A Python objective with a fixed clock: it reports its own training time, so its trace is deterministic."""

from __future__ import annotations

import math


def fixed_time(config: dict, report) -> dict:
    """The quadratic example, three reported epochs, 60 s of training per configuration."""
    quality = 0.98 - 0.5 * (config["x"] - 0.3) ** 2 - 0.02 * abs(math.log10(config["lr"]) + 2)
    for epoch in (1, 2, 3):
        report(epoch=epoch, accuracy=quality * (1 - 0.5**epoch))
    return {"accuracy": quality * (1 - 0.5**3), "epochs": 3, "exec_time": 60.0}
