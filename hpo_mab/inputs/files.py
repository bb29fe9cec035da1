"""Load a JSON or YAML mapping from a file, turning parse errors into one-line InputErrors.

Reading is bounded so that no file can exhaust the machine: at most ``MAX_FILE_BYTES``, nesting
at most ``MAX_DEPTH`` levels deep (JSON and YAML), and a YAML document expands (aliases
included) to at most ``MAX_NODES`` values; recursive aliases are refused. The YAML bounds are
checked on the parser's event stream, before anything is built.

Two departures from PyYAML's YAML 1.1 defaults, both what a user of YAML 1.2 or JSON expects:
``1e-3`` and ``1.0e3`` are numbers (YAML 1.1 wants a dot and a signed exponent, so PyYAML reads
them as text), and a key given twice in one mapping is refused (in JSON too) instead of the last
one silently winning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from hpo_mab.inputs.errors import InputError

YAML_SUFFIXES = (".yaml", ".yml")
CONFIG_SUFFIXES = (".json", *YAML_SUFFIXES)
MAX_FILE_BYTES = 8 * 1024 * 1024  # a config file (a 1,000-level hp_conf is ~20 KB)
MAX_DEPTH = 64  # nested lists/mappings (configs use 4)
MAX_NODES = 200_000  # values of a YAML document after alias expansion

# YAML 1.2's floats without a dot or with an unsigned exponent (1e-3, 1E5, 2.5e3), which YAML 1.1 reads as text
_FLOAT_1_2 = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 exponent floats and duplicate keys refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """A mapping whose explicit keys are distinct (merged ``<<`` keys may still be overridden)."""
        seen: set[tuple[str, str]] = set()  # (tag, text): 1 and "1" are different keys
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if (key_node.tag, key_node.value) in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} appears twice in one mapping", key_node.start_mark
                    )
                seen.add((key_node.tag, key_node.value))
        return super().construct_mapping(node, deep=deep)


ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_1_2, list("-+0123456789"))


class _DuplicateKey(ValueError):
    """A JSON object with a key given twice."""


def _distinct_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs -> dict, refusing a key given twice."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def load_mapping(path: Path) -> dict[str, Any]:
    """Parse ``path`` (JSON, or YAML for .yaml/.yml) and return its top-level mapping."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file too large ({size} bytes; at most {MAX_FILE_BYTES})", source)
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", source) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source) from exc
    parse = parse_yaml if Path(path).suffix.lower() in YAML_SUFFIXES else parse_json
    data = parse(text, source) if text.strip() else None
    if data is None:  # an empty file, or a YAML one of comments only
        raise InputError("expected a mapping at the top level, got an empty file", source)
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping at the top level, got {type(data).__name__}", source)
    return data


def parse_json(text: str, source: str) -> Any:
    """JSON text -> value, at most ``MAX_DEPTH`` levels deep."""
    try:
        data = json.loads(text, object_pairs_hook=_distinct_keys)
    except _DuplicateKey as exc:
        raise InputError(f"invalid JSON (key {exc.args[0]!r} appears twice in one object)", source) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"line {exc.lineno}: invalid JSON ({exc.msg})", source) from exc
    except RecursionError:
        raise InputError(f"nested deeper than {MAX_DEPTH} levels", source) from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"nested deeper than {MAX_DEPTH} levels", source)
    return data


def parse_yaml(text: str, source: str) -> Any:
    """YAML text -> value (safe types only), within the depth and expansion bounds."""
    try:
        _check_events(yaml.parse(text, Loader=ConfigLoader), source)
        return yaml.load(text, Loader=ConfigLoader)  # a SafeLoader subclass: safe types only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        if "another document" in problem:
            problem = "expected one document, got several (---)"
        raise InputError(f"{where}invalid YAML ({problem})", source) from exc


def _check_events(events, source: str) -> None:
    """Refuse deep nesting, recursive aliases and documents that expand beyond ``MAX_NODES`` values.

    Every open collection keeps [anchor, values so far, height]; an alias counts the values and the
    height of its anchor's node, as if the node were written out there.
    """
    finished: dict[str, tuple[int, int]] = {}  # anchor -> (values, height) of its node
    stack: list[list] = [[None, 0, 0]]  # the document, then the open collections
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([event.anchor, 1, 1])
            _bound(stack, 0, line, source)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, values, height = stack.pop()
            stack[-1][1] += values
            stack[-1][2] = max(stack[-1][2], height + 1)
            if anchor is not None:
                finished[anchor] = (values, height)
        elif isinstance(event, yaml.ScalarEvent):
            stack[-1][1] += 1
            if event.anchor is not None:
                finished[event.anchor] = (1, 0)
            _bound(stack, 0, line, source)
        elif isinstance(event, yaml.AliasEvent):
            if any(frame[0] == event.anchor for frame in stack):
                raise InputError(f"line {line}: recursive alias *{event.anchor}", source)
            values, height = finished.get(event.anchor, (0, 0))  # an undefined alias: the composer says so
            stack[-1][1] += values
            stack[-1][2] = max(stack[-1][2], height + 1)
            _bound(stack, height, line, source)


def _bound(stack: list[list], height: int, line: int, source: str) -> None:
    """The document so far within ``MAX_DEPTH`` levels (a node of ``height`` added) and ``MAX_NODES`` values."""
    if len(stack) - 1 + height > MAX_DEPTH:
        raise InputError(f"line {line}: nested deeper than {MAX_DEPTH} levels", source)
    if sum(frame[1] for frame in stack) > MAX_NODES:
        raise InputError(f"line {line}: more than {MAX_NODES} values (aliases expanded)", source)


def _depth(data: Any) -> int:
    """Levels of nested lists/mappings of a parsed value (iterative: safe for any depth)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, level = todo.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def find_config(name_or_path: str, directory: Path, kind: str, key: str | None = None) -> Path:
    """A config given as a path, or as a name (with or without suffix) in ``directory``; ``key`` names the option."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    for suffix in ("", *CONFIG_SUFFIXES):
        candidate = Path(directory) / f"{name_or_path}{suffix}"
        if candidate.is_file():
            return candidate
    raise InputError(f"no {kind} named {name_or_path!r} (looked for a file and in {directory}/)", key=key)
