"""Parsing of command-line values that are more than a type: overhead, worker URL, goal."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from hpo_mab.inputs.errors import InputError

WORKER_SCHEMES = ("tcp", "tls", "ws", "wss", "http", "https", "inproc")


def parse_overhead(text: str) -> tuple[str, float]:
    """``measured``, ``none`` or a number of seconds >= 0 -> (mode, seconds)."""
    lowered = text.strip().lower()
    if lowered in ("measured", "none"):
        return lowered, 0.0
    try:
        seconds = float(lowered)
    except ValueError:
        raise InputError(f"expected measured, none or seconds per trial, got {text!r}", key="--overhead") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"expected seconds >= 0, got {text!r}", key="--overhead")
    return "fixed", seconds


def parse_worker_url(text: str | None, key: str = "-w/--worker_url") -> str | None:
    """``none`` or a scheduler address such as ``tcp://10.0.0.5:8786`` (``key`` names the option)."""
    if text is None or text.strip().lower() in ("", "none"):
        return None
    parsed = urlparse(text)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in WORKER_SCHEMES or not parsed.hostname or port is None:
        raise InputError(f"expected none or an address like tcp://HOST:PORT, got {text!r}", key=key)
    return text


def results_folder(text: str, key: str = "--results") -> Path:
    """A folder given on the command line, as a Path ('' is refused: Path('') would be the current folder)."""
    if not text.strip():
        raise InputError(f"expected a folder, got {text!r}", key=key)
    return Path(text)


def check_results_dir(path: Path, key: str = "--results") -> Path:
    """A folder that is, or can be created as, a writable folder (checked before any work; nothing is created)."""
    if path.exists() and not path.is_dir():
        raise InputError(f"not a folder: {path}", key=key)
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"cannot create {path}: {existing} is a file", key=key)
    try:  # os.access is not enough (root, read-only mounts, /proc): make and remove a folder there
        os.rmdir(tempfile.mkdtemp(prefix=".hpo-probe-", dir=existing))
    except OSError as exc:
        raise InputError(f"cannot write to {existing} ({exc.strerror})", key=key) from None
    return path


def check_goal(goal: float, metric: str) -> float:
    """A GOAL value is an error or an accuracy, so it lies in [0, 1]."""
    if not math.isfinite(goal) or not 0.0 <= goal <= 1.0:
        raise InputError(f"expected an {metric} in [0, 1], got {goal:g}", key="-eg/--exp_goal")
    return goal
