"""The process of one experiment: the CLI's entry point with the experiment's arguments.

``python -m hpo_mab.server.child --parent PID -- ARGS...`` runs ``hpo_runner.main(ARGS)``, so
the store, the traces and the exit code are the CLI's own. It ends itself (as ``kill -9`` would)
when the server that started it is gone, so a server started again can resume the run with ``-r``.
With ``--spare`` instead of ``-- ARGS...`` it is a warm process that imports first and reads its
arguments from stdin (see ``spare``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PARENT_POLL_S = 0.2


def child_command(parent: int, tail: list[str]) -> list[str]:
    """The command of an experiment's process of server ``parent``: ``tail`` is ``["--", *ARGS]`` or ``["--spare"]``."""
    return [sys.executable, "-m", "hpo_mab.server.child", "--parent", str(parent), *tail]


def watch_parent(parent: int) -> None:
    """End this process at once when its parent (the server) is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    """Watch the parent, then run the CLI (with ``--spare``: once its arguments arrive on stdin)."""
    spare = argv[2:] == ["--spare"]
    if len(argv) < 3 or argv[0] != "--parent" or not argv[1].isdigit() or (argv[2] != "--" and not spare):
        print("usage: python -m hpo_mab.server.child --parent PID (-- ARGS... | --spare)", file=sys.stderr)
        return 2
    parent = int(argv[1])
    if os.getppid() != parent:
        return 1
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    args = argv[3:]
    if spare:
        from hpo_mab.server.spare import adopt_log, read_order, warm_up

        warm_up()
        order = read_order(sys.stdin.buffer)
        if order is None:
            return 0
        args, log = order
        adopt_log(log)
    import hpo_runner

    return hpo_runner.main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
