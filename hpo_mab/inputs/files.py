"""Load a JSON or YAML mapping from a file, turning parse errors into one-line InputErrors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from hpo_mab.inputs.errors import InputError

YAML_SUFFIXES = (".yaml", ".yml")
CONFIG_SUFFIXES = (".json", *YAML_SUFFIXES)


def load_mapping(path: Path) -> dict[str, Any]:
    """Parse ``path`` (JSON, or YAML for .yaml/.yml) and return its top-level mapping."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", source) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source) from exc
    if Path(path).suffix.lower() in YAML_SUFFIXES:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise InputError(f"{where}invalid YAML ({problem})", source) from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {exc.lineno}: invalid JSON ({exc.msg})", source) from exc
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping at the top level, got {type(data).__name__}", source)
    return data


def find_config(name_or_path: str, directory: Path, kind: str) -> Path:
    """Resolve a config given as a path, or as a name (with or without suffix) in ``directory``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    for suffix in ("", *CONFIG_SUFFIXES):
        candidate = Path(directory) / f"{name_or_path}{suffix}"
        if candidate.is_file():
            return candidate
    raise InputError(f"no {kind} named {name_or_path!r} (looked for a file and in {directory}/)")
