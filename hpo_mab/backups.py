"""Files written again keep their earlier version beside them (``<name>.~k~``), as GNU ``cp --backup`` does."""

from __future__ import annotations

from pathlib import Path


def keep_previous(path: Path) -> Path | None:
    """Move an existing ``path`` out of the way to ``<name>.~k~`` (the first free k) and return that; None if absent."""
    if not path.exists():
        return None
    k = 1
    while path.with_name(f"{path.name}.~{k}~").exists():
        k += 1
    backup = path.with_name(f"{path.name}.~{k}~")
    path.replace(backup)
    return backup
