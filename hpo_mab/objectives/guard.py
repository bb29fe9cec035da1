"""A watchdog that ends a trial's process group when the process that started it dies.

The guard (``SCRIPT``, run by ``python -S -c`` so that it starts in milliseconds and imports
nothing of ours) joins group PGID and checks every
``POLL`` seconds whether PARENT is still its parent; once it is not (the runner or a Dask worker was
killed, even with SIGKILL), it sends SIGKILL to the whole group, itself included. When the group
ends normally the trial's own cleanup kills the guard with it. Processes that leave the group
(``setsid``) are out of its reach.
"""

from __future__ import annotations

import os
import subprocess
import sys

POLL = 0.5


SCRIPT = f"""
import os, signal, sys, time
parent, pgid = int(sys.argv[1]), int(sys.argv[2])
while os.getppid() == parent:
    time.sleep({POLL})
os.killpg(pgid, signal.SIGKILL)
"""


def start_guard(pgid: int) -> subprocess.Popen | None:
    """A guard for group ``pgid`` (None when the group is already gone)."""
    try:
        return subprocess.Popen(
            [sys.executable, "-S", "-c", SCRIPT, str(os.getpid()), str(pgid)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=pgid,
        )  # fmt: skip
    except (PermissionError, ProcessLookupError):  # the group ended before the guard could join it
        return None
