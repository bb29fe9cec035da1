"""Scratch space under the results folder: the temporary files of a run or a comparison.

Trial folders of shell objectives (``hpo-trial-*/config.json``), Dask's ``dask-scratch-space``
and whatever the workers of a LocalCluster put in their temporary folder go to
``RESULTS/.tmp/<pid>/``, never to the system's temporary folder. The folder is removed when the
process ends normally; the folder of a killed process is removed by the next run or comparison
that uses the same results folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SCRATCH_DIR = ".tmp"


def process_alive(pid: int) -> bool:
    """True when a process with this id exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ScratchFolder:
    """``RESULTS/.tmp/<pid>``: created on enter (after removing those of dead processes), removed on exit."""

    def __init__(self, results_dir: Path) -> None:
        self.root = Path(results_dir).absolute() / SCRATCH_DIR
        self.path = self.root / str(os.getpid())

    def __enter__(self) -> Path:
        self.sweep()
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def sweep(self) -> list[Path]:
        """Remove the scratch folders of processes that no longer run; the folders removed."""
        removed = []
        if not self.root.is_dir():
            return removed
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.name.isdigit() and not process_alive(int(folder.name)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        return removed
