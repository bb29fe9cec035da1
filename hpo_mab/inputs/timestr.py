"""Time strings of the command line and run_conf: ``3600``, ``1e4``, ``45s``, ``30m``, ``12h``, ``1.5h``, ``1d``,
``1w``, and sums of such parts as ``format_seconds`` prints them (``1h30m``, ``2d12h``, ``2h03m``)."""

from __future__ import annotations

import math
import re

from hpo_mab.inputs.errors import InputError

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
_PART = re.compile(rf"({_NUMBER})\s*([smhdw]?)\s*", re.IGNORECASE)
# one bare number, or parts that each end in a unit (so they split one way only: no backtracking blow-up)
_PATTERN = re.compile(rf"^\s*(?:{_NUMBER}|(?:{_NUMBER}\s*[smhdw]\s*)+)\s*$", re.IGNORECASE)


def parse_seconds(text: str | float | int, key: str = "exp_time", source: str | None = None) -> float:
    """Seconds of a time string; raises InputError naming ``key`` for anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        if not _PATTERN.match(str(text)):  # 1h30 too: minutes or seconds?
            raise InputError(
                "expected seconds or a number with s, m, h, d or w (e.g. 45s, 30m, 12h, 1.5h, 1h30m, 1d), "
                f"got {text!r}",
                source,
                key,
            )
        seconds = sum(float(number) * UNITS[unit.lower()] for number, unit in _PART.findall(str(text)))
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"expected a positive duration, got {text!r}", source, key)
    return seconds


def format_seconds(seconds: float) -> str:
    """Compact human rendering, e.g. ``2h03m`` or ``41.2s``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours < 1:
        return f"{minutes}m{sec:02d}s"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h{minutes:02d}m" if days else f"{hours}h{minutes:02d}m"


def budget_dirname(seconds: float) -> str:
    """Result folder name of a TIME budget, ``T43200S`` (fractions kept: ``T5400.5S``)."""
    return f"T{int(seconds)}S" if float(seconds).is_integer() else f"T{seconds:g}S"
