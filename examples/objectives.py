"""Example objectives for `--objective examples.objectives:quadratic` and the shell example.

``quadratic`` is a cheap Python objective on the ``examples/quadratic.json`` space that reports
one value per epoch; ``sleepy`` sleeps ``HPO_SLEEP`` seconds first (default 0.5), as a stand-in
for training in the parallel benchmark and tests.
"""

from __future__ import annotations

import os
import time


def quadratic(config: dict, report) -> dict:
    """Accuracy peaks at x = 0.3, lr = 1e-2; three reported epochs approach it."""
    import math

    quality = 0.98 - 0.5 * (config["x"] - 0.3) ** 2 - 0.02 * abs(math.log10(config["lr"]) + 2)
    for epoch in (1, 2, 3):
        report(epoch=epoch, accuracy=quality * (1 - 0.5**epoch))
    return {"accuracy": quality * (1 - 0.5**3), "epochs": 3}


def sleepy(config: dict, report) -> float:
    """Sleep, then return the quadratic's accuracy."""
    time.sleep(float(os.environ.get("HPO_SLEEP", "0.5")))
    return quadratic(config, lambda **_: None)["accuracy"]
