"""A warm experiment process: the CLI's modules imported ahead, waiting for the next experiment.

An experiment's process spends a second or two importing the CLI and its models before its first
trial. While no experiment runs (so that it takes no CPU from one), the launcher keeps one process
of ``python -m hpo_mab.server.child --parent PID --spare`` ready; it imports ``WARM_MODULES`` and
waits on its stdin for one JSON line ``{"args": [...], "log": PATH}``: the experiment's CLI
arguments and the file its output goes to. From then on it is that experiment's process, as one
started for it would be. It ends when its stdin closes without an order, when the server is gone
(it watches its parent), or when the server stops (killed: it holds nothing).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import threading
from pathlib import Path

from hpo_mab.server.child import child_command

WARM_MODULES = (
    "hpo_runner",
    "hpo_mab.commands.run",
    "hpo_mab.assembly.session",
    "hpo_mab.optimizers.gp",
    "hpo_mab.optimizers.rf",
    "hpo_mab.optimizers.optuna_tpe",
    "optuna.samplers",
    "ConfigSpace",
)
MAX_ORDER_BYTES = 1 << 20


def warm_up() -> None:
    """Import what an experiment's first trials would import."""
    for name in WARM_MODULES:
        importlib.import_module(name)


def read_order(stream) -> tuple[list[str], Path] | None:
    """The experiment's arguments and log file from one JSON line of ``stream``; None at its end."""
    line = stream.readline(MAX_ORDER_BYTES)
    if not line:
        return None
    order = json.loads(line)
    return [str(arg) for arg in order["args"]], Path(order["log"])


def adopt_log(log: Path) -> None:
    """Send this process's stdout and stderr to ``log`` (appended) and read stdin from /dev/null."""
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


class Spare:
    """At most one warm experiment process of this server, started on ``warm`` and handed over by ``take``.

    Until it has an experiment, what the process writes (an import that fails) goes to ``log``.
    """

    def __init__(self, log: Path) -> None:
        self.log = log
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._closed = False

    def warm(self) -> None:
        """Start a warm process unless one is ready (or the server is closing)."""
        with self._lock:
            if self._closed or (self._process is not None and self._process.poll() is None):
                return
            if self._process is not None:  # it ended on its own: its pipe goes with it
                self._process.stdin.close()
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "ab") as log:
                self._process = subprocess.Popen(child_command(os.getpid(), ["--spare"]), stdin=subprocess.PIPE,
                                                 stdout=log, stderr=log, start_new_session=True)  # fmt: skip

    def take(self, args: list[str], log: Path) -> subprocess.Popen | None:
        """The warm process, now running the CLI with ``args`` (output to ``log``); None if there is none."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is not None:
            process.stdin.close()
            return None
        try:
            process.stdin.write(json.dumps({"args": args, "log": str(log)}).encode() + b"\n")
            process.stdin.close()
        except OSError:  # it ended meanwhile: the caller starts a process of its own
            process.kill()
            process.wait()
            return None
        return process

    def close(self) -> None:
        """End the warm process at once (it holds nothing) and start no other."""
        with self._lock:
            self._closed = True
            process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait()
        process.stdin.close()
