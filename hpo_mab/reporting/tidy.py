"""The long ("tidy") trial table, and reading the original JSON trace format into it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["strategy", "benchmark", "rep", "trial", "clock", "error", "best_so_far", "arm"]
"""One row per trial; ``clock``: simulated seconds at which the trial finished; ``arm``: proposer or ""."""

_TRACE_NAME = re.compile(r"^(?P<strategy>.+)\((?P<reps>\d+)\)\.json$")
_BUDGET_DIR = re.compile(r"^T(?P<seconds>\d+(?:\.\d+)?)S$")
_SORT_KEYS = ["strategy", "benchmark", "rep", "trial"]


def empty_tidy() -> pd.DataFrame:
    """A tidy frame without rows (columns and dtypes as produced by the readers)."""
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in TIDY_COLUMNS})
    return frame.astype({"strategy": object, "benchmark": object, "rep": int, "trial": int, "arm": object})


def add_best_so_far(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted copy by strategy, benchmark, rep, trial, with ``best_so_far`` (re)computed.

    ``best_so_far`` is the running minimum of ``error`` within (strategy, benchmark, rep) in trial order;
    NaN errors are skipped (NaN until a first finite error). A missing ``arm`` column is filled with "".
    """
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns and c not in ("best_so_far", "arm")]
    if missing:
        raise ValueError(f"tidy frame lacks columns {missing}")
    out = frame.copy()
    if "arm" not in out.columns:
        out["arm"] = ""
    out["arm"] = out["arm"].fillna("").astype(str)
    out = out.sort_values(_SORT_KEYS, kind="mergesort").reset_index(drop=True)
    errors = out["error"].astype(float).fillna(np.inf)
    running = errors.groupby([out[k] for k in _SORT_KEYS[:3]], sort=False).cummin()
    out["best_so_far"] = running.replace(np.inf, np.nan)
    extra = [c for c in out.columns if c not in TIDY_COLUMNS]
    return out[TIDY_COLUMNS + extra]


def strategy_name(path: Path) -> str:
    """File name without the trailing ``(N).json``: ``GP-EI.HPO_emulator(50).json`` -> ``GP-EI.HPO_emulator``."""
    match = _TRACE_NAME.match(path.name)
    if match is None:
        raise ValueError(f"not a trace file name (<strategy>(<N>).json): {path.name}")
    return match.group("strategy")


def benchmark_name(path: Path) -> str:
    """Name of the folder above the budget folder: ``<benchmark>/T43200S/<file>`` -> ``<benchmark>``."""
    return path.parent.parent.name


def find_json_traces(root: Path) -> list[Path]:
    """All ``*.json`` files under ``root`` whose name ends in ``(N).json``, sorted."""
    return sorted(p for p in Path(root).rglob("*.json") if p.is_file() and _TRACE_NAME.match(p.name))


def trace_budget(path: Path) -> float | None:
    """The TIME budget of a trace from its folder (``T43200S`` -> 43200.0); None for GOAL folders."""
    match = _BUDGET_DIR.match(Path(path).parent.name)
    return float(match.group("seconds")) if match else None


def _load_trace(path: Path) -> dict:
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object keyed by repetition")
    return data


def _extends(longer: dict, shorter: dict) -> bool:
    """True when ``longer`` holds every repetition of ``shorter``, identical (a run extended with -r)."""
    return all(key in longer and longer[key] == value for key, value in shorter.items())


def label_traces(paths: list[Path]) -> list[tuple[Path, str]]:
    """The traces to read, each with its strategy label, one per run.

    A trace whose repetitions all appear, identical, in a longer trace of the same strategy and
    criterion folder (``X(10).json`` extended to ``X(20).json`` by ``-r``) is left out. Other
    traces of one strategy are told apart: by their size (``X(10)``, ``X(20)``) when several runs
    share a criterion folder, by the folder (``X [T43200S]``, ``X [G0.02]``) when a benchmark has
    the strategy under several criteria (TIME and GOAL, or two budgets).
    """
    groups: dict[tuple[Path, str, str], list[tuple[int, Path]]] = {}
    for path in map(Path, paths):
        match = _TRACE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"not a trace file name (<strategy>(<N>).json): {path.name}")
        key = (path.parent.parent, path.parent.name, match.group("strategy"))
        groups.setdefault(key, []).append((int(match.group("reps")), path))
    criteria: dict[tuple[Path, str], set[str]] = {}
    for bench_dir, criterion, strategy in groups:
        criteria.setdefault((bench_dir, strategy), set()).add(criterion)
    out = []
    for (bench_dir, criterion, strategy), traces in groups.items():
        kept: list[tuple[int, Path, dict]] = []
        for reps, path in sorted(traces, key=lambda t: (-t[0], str(t[1]))):
            data = _load_trace(path) if len(traces) > 1 else {}
            if not any(_extends(longer, data) for _, _, longer in kept):
                kept.append((reps, path, data))
        for reps, path, _ in sorted(kept, key=lambda t: t[0]):
            label = f"{strategy}({reps})" if len(kept) > 1 else strategy
            if len(criteria[(bench_dir, strategy)]) > 1:
                label += f" [{criterion}]"
            out.append((path, label))
    return sorted(out, key=lambda t: str(t[0]))


def read_json_trace(path: Path, benchmark: str | None = None, strategy: str | None = None) -> pd.DataFrame:
    """One trace file as a tidy frame; ``clock`` of trial k is ``cum_exec_time[k] + cum_opt_time[k]``.

    ``arm`` is ``select_trace[k]``, or "" when ``select_trace`` does not have one entry per trial;
    ``strategy`` defaults to the file name without ``(N).json``.
    """
    path = Path(path)
    data = _load_trace(path)
    strategy = strategy if strategy is not None else strategy_name(path)
    bench = benchmark if benchmark is not None else benchmark_name(path)
    frames = []
    for key in sorted(data, key=int):
        rep = data[key]
        errors = [np.nan if e is None else float(e) for e in rep.get("error", [])]
        n = len(errors)
        cum_exec, cum_opt = rep.get("cum_exec_time", []), rep.get("cum_opt_time", [])
        if len(cum_exec) != n or len(cum_opt) != n:
            raise ValueError(f"{path}: rep {key}: error, cum_exec_time and cum_opt_time differ in length")
        arms = rep.get("select_trace") or []
        frames.append(
            pd.DataFrame(
                {
                    "strategy": strategy,
                    "benchmark": bench,
                    "rep": int(key),
                    "trial": np.arange(n),
                    "clock": np.asarray(cum_exec, dtype=float) + np.asarray(cum_opt, dtype=float),
                    "error": np.asarray(errors, dtype=float),
                    "arm": [str(a) for a in arms] if len(arms) == n else [""] * n,
                }
            )
        )
    if not frames:
        return empty_tidy()
    return add_best_so_far(pd.concat(frames, ignore_index=True))


def read_json_traces(paths: list[Path], benchmark: str | None = None) -> pd.DataFrame:
    """Several trace files as one tidy frame, one per run (see :func:`label_traces`, :func:`read_json_trace`).

    When the traces were run to different TIME budgets (``T3600S`` and ``T7200S`` folders), the frame has a
    ``budget`` column, and a run has no value at times beyond its own budget (:func:`best_at_times`).
    """
    labelled = label_traces(paths)
    frames = [read_json_trace(p, benchmark, label) for p, label in labelled]
    budgets = [trace_budget(p) for p, _ in labelled]
    if len({b for b in budgets if b is not None}) > 1:  # runs of several budgets: NaN marks a GOAL run
        frames = [f.assign(budget=np.nan if b is None else b) for f, b in zip(frames, budgets, strict=True)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_tidy()
    return add_best_so_far(pd.concat(frames, ignore_index=True))
