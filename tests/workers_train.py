"""A training script for the worker tests, run by ``hpo-runner worker`` through ``hpo_mab.client``.

Its curve is deterministic in its one hyperparameter ``x``: accuracy ``(0.3 if x < 0.5 else 0.9) *
min(1, epoch / 2)``, so a rule stopping accuracies below 0.5 from epoch 2 stops exactly the x < 0.5.
Each epoch it trains is logged to ``HPO_TEST_LOG`` as ``pid pgid trial attempt x epoch``;
``HPO_TEST_EPOCH_S`` is the time per epoch.
"""

import os
import sys
import time

from hpo_mab import client

EPOCHS = 6


def main() -> int:
    trial = client.Trial.from_env()
    x = float(sys.argv[1])
    assert x == float(trial.params["x"])
    pause = float(os.environ.get("HPO_TEST_EPOCH_S", "0"))
    accuracy = 0.0
    for epoch in range(1, EPOCHS + 1):
        time.sleep(pause)
        accuracy = (0.3 if x < 0.5 else 0.9) * min(1.0, epoch / 2)
        with open(os.environ["HPO_TEST_LOG"], "a") as log:
            log.write(f"{os.getpid()} {os.getpgid(0)} {trial.id} {trial.attempt} {x} {epoch}\n")
        if trial.report(epoch, accuracy=accuracy, loss=1.0 - accuracy):
            return 0
    trial.complete(accuracy=accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
