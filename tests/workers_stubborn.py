"""A training script that ignores a stop: it reports every epoch, ignores SIGTERM, and trains on (worker tests)."""

import os
import signal
import sys
import time

from hpo_mab import client

signal.signal(signal.SIGTERM, signal.SIG_IGN)
trial = client.Trial.from_env()
with open(os.environ["HPO_TEST_LOG"], "a") as log:
    log.write(f"{os.getpid()}\n")
for epoch in range(1, 601):
    trial.report(epoch, accuracy=0.3)  # the answer (stop, from epoch 2) is ignored
    time.sleep(0.1)
sys.exit(0)
