"""Time strings of the command line and run_conf: ``3600``, ``45s``, ``30m``, ``12h``, ``1.5h``, ``1d``, ``1w``."""

from __future__ import annotations

import math
import re

from hpo_mab.inputs.errors import InputError

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)


def parse_seconds(text: str | float | int, key: str = "exp_time", source: str | None = None) -> float:
    """Seconds of a time string; raises InputError naming ``key`` for anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _PATTERN.match(str(text))
        if not match:
            raise InputError(
                f"expected seconds or a number with s, m, h, d or w (e.g. 45s, 30m, 12h, 1.5h, 1d), got {text!r}",
                source,
                key,
            )
        seconds = float(match.group(1)) * UNITS[match.group(2).lower()]
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
