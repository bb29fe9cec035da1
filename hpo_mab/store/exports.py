"""Exports of a stored run: the original JSON trace format, a CSV of trials, and ``-p`` internals."""

from __future__ import annotations

import csv
import gzip
import json
import pickle
from itertools import accumulate
from pathlib import Path

from hpo_mab.store.records import Trial


def trace_name(mode: str, spec: str, title: str, num_reps: int, rule: str = "None") -> str:
    """``<MODE>-<SPEC>[.<title>][.ETR-<rule>](<N>).json`` (no title when it is ``default``, no rule when None)."""
    label = f"{mode}-{spec}" + (f".{title}" if title and title != "default" else "")
    label += f".ETR-{rule}" if rule != "None" else ""
    return f"{label}({num_reps}).json"


def trace_dict(
    trials: list[Trial], num_reps: int, final_states: dict[int, dict] | None = None, stops: bool = False
) -> dict[str, dict[str, list]]:
    """Repetition index -> per-evaluation lists, keys as in the original hpo-mab traces.

    ``opt_time`` is the optimizer time charged to the simulated clock (``--overhead``), so that
    ``cum_exec_time + cum_opt_time`` is the clock; measured wall time is in the store and the CSV.
    """
    out: dict[str, dict[str, list]] = {}
    for rep in range(num_reps):
        rows = [t for t in trials if t.rep == rep and t.status == "ok"]  # failed trials: CSV and store only
        exec_times = [t.exec_time for t in rows]
        opt_times = [t.opt_time for t in rows]
        out[str(rep)] = {
            "model_idx": [t.candidate for t in rows],
            "error": [t.error for t in rows],
            "accuracy": [t.accuracy for t in rows],
            "exec_time": exec_times,
            "opt_time": opt_times,
            "cum_exec_time": list(accumulate(exec_times)),
            "cum_opt_time": list(accumulate(opt_times)),
            "select_trace": [t.arm for t in rows],
            "train_epoch": [t.epochs for t in rows],
            "best_epoch": [t.best_epoch for t in rows],
            "num_duplicates": [],
        }
        if stops:  # a run with an early-termination rule: which trials it stopped, and why
            out[str(rep)]["early_terminated"] = [t.early_terminated for t in rows]
            out[str(rep)]["etr"] = [t.etr for t in rows]
            out[str(rep)]["resumed_from"] = [t.resumed_from for t in rows]
        if any(t.selection for t in rows):  # a bandit: its choices, and its final values and counts
            state = (final_states or {}).get(rep) or {}
            out[str(rep)]["selection"] = [t.selection for t in rows]
            out[str(rep)]["mean_arr"] = state.get("values", [])
            out[str(rep)]["count_arr"] = state.get("counts", [])
    return out


def write_json_trace(
    path: Path, trials: list[Trial], num_reps: int, final_states: dict | None = None, stops: bool = False
) -> Path:
    """Write the JSON trace atomically (temporary file, then rename)."""
    return _atomic_write(path, json.dumps(trace_dict(trials, num_reps, final_states, stops)).encode())


def write_trials_csv(path: Path, trials: list[Trial], param_names: list[str], stops: bool = False) -> Path:
    """One row per trial: repetition, trial, candidate, hyperparameters, outcome and times (and stops)."""
    fields = [
        "rep",
        "trial",
        "candidate",
        *param_names,
        "error",
        "accuracy",
        "exec_time",
        "opt_time",
        "opt_wall_time",
        "clock",
        "epochs",
        "best_epoch",
        "arm",
        "note",
        "status",
        "worker",
    ]
    if stops:
        fields += ["early_terminated", "resumed_from", "etr"]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(fields)
        for t in trials:
            writer.writerow(
                [
                    t.rep,
                    t.trial,
                    t.candidate,
                    *(t.config[n] for n in param_names),
                    repr(t.error),
                    repr(t.accuracy),
                    repr(t.exec_time),
                    repr(t.opt_time),
                    repr(t.opt_wall_time),
                    repr(t.clock),
                    t.epochs,
                    t.best_epoch,
                    t.arm,
                    t.note,
                    t.status,
                    t.worker,
                    *([int(t.early_terminated), t.resumed_from, json.dumps(t.etr)] if stops else []),
                ]
            )
    tmp.replace(path)
    return path


def write_internals(path: Path, internals: dict[int, list[dict]]) -> Path:
    """``<trace>.pkl.gz``: per repetition, the optimizer's internals of every trial."""
    data = pickle.dumps({str(rep): items for rep, items in sorted(internals.items())})
    return _atomic_write(path, gzip.compress(data, mtime=0))


def _atomic_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
