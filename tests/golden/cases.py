"""The golden matrix: CLI runs whose traces were recorded before the one-loop refactor.

Each case is a list of CLI invocations (``hpo_runner.main`` argv without ``--results``) run in
order into one results folder. ``make_golden.py`` records the files they leave there (traces,
trials CSV, internals; a compare's store as a JSON dump); ``tests/test_golden.py`` replays every
case and compares the files byte for byte (after dropping measured wall times, see
``normalise``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANALYTIC_CONF = HERE / "small_pool.yaml"  # a 2,000-point pool for benchmarks without a table
REFINE_CONF = HERE / "refine_small_pool.yaml"  # the same pool, proposals refined off it
PREMATURE_CONF = HERE / "premature.yaml"  # the original six arms, trials in flight shown to the models
OBJECTIVE_CONF = "examples/quadratic.json"
ORIGINAL_ARMS = "arms"  # the bundled run_conf/arms.yaml: the original six GP-HLE/RF-HLE arms

SINGLE_ARMS = [("RANDOM", "RANDOM")]
SINGLE_ARMS += [(m, a) for m in ("GP", "GP-NM", "GP-LE", "GP-HLE") for a in ("EI", "PI", "UCB")]
SINGLE_ARMS += [(m, a) for m in ("RF", "RF-LE", "RF-HLE") for a in ("EI", "PI", "UCB")]
SINGLE_ARMS += [(m, a) for m in ("TPE", "TPE-LE", "TPE-HLE") for a in ("EI", "RANDOM")]
SINGLE_ARMS += [("OTPE", "EI")]
ETR_RULES = [
    "DecaTercet", "PentaTercet", "TetraTercet", "Median", "Percentile", "AdaptiveMedian", "Interval", "ASHA",
    "ASHA-PROMOTE", "Hyperband", "CurveNN",
]  # fmt: skip
DIV_SPECS = [
    "SEQ", "RANDOM", "HEDGE", "BO-HEDGE", "BO-HEDGE-T", "BO-HEDGE-LE", "BO-HEDGE-LET",
    "EG", "EG-LE", "GT", "GT-LE", "SKO", "TS",
]  # fmt: skip


def _argv(text: str) -> list[str]:
    return text.split()


def cases() -> dict[str, dict]:
    """name -> {"runs": [argv, ...], "wall": True for a real objective (its clock is wall time)}."""
    out: dict[str, dict] = {}
    for mode, acq in SINGLE_ARMS:
        out[f"single-{mode}-{acq}"] = {
            "runs": [["digits-mlp", "2", "-m", mode, "-s", acq, "-et", "3h", "--seed", "3"]],
        }
    out["single-GP-EI-time-penalty"] = {
        "runs": [["digits-mlp", "1", "-m", "GP", "-s", "EI", "-tp", "-et", "3h", "--seed", "4"]],
    }
    for spec in DIV_SPECS:
        out[f"div-{spec}"] = {
            "runs": [["digits-mlp", "2", "-m", "DIV", "-s", spec, "-et", "4h", "--seed", "5", "-c", ORIGINAL_ARMS]],
        }
    for spec in ("SYNC", "ASYNC"):
        out[f"batch-{spec}"] = {
            "runs": [
                [
                    "digits-mlp",
                    "2",
                    "-m",
                    "BATCH",
                    "-s",
                    spec,
                    "--workers",
                    "3",
                    "-et",
                    "4h",
                    "--seed",
                    "6",
                    "-c",
                    ORIGINAL_ARMS,
                ]
            ],
        }
    out["workers-DIV-SEQ"] = {
        "runs": [["digits-mlp", "2", "-s", "SEQ", "--workers", "3", "-et", "4h", "--seed", "6", "-c", ORIGINAL_ARMS]],
    }
    out["goal-RF-EI"] = {
        "runs": [["digits-mlp", "2", "-m", "RF", "-e", "GOAL", "-eg", "0.02", "--seed", "7"]],
    }
    out["goal-default-DIV"] = {
        "runs": [["breast-cancer-gbm", "2", "-e", "GOAL", "--seed", "8"]],
    }
    out["resumed-extended"] = {
        "runs": [
            ["digits-mlp", "1", "-m", "GP-HLE", "-et", "3h", "--seed", "9"],
            ["digits-mlp", "2", "-m", "GP-HLE", "-et", "3h", "--seed", "9", "-r"],
        ],
    }
    out["internals-GP-EI"] = {
        "runs": [["digits-mlp", "1", "-m", "GP", "-et", "2h", "--seed", "10", "-p"]],
    }
    out["analytic-branin-DIV-HEDGE"] = {
        "runs": [["branin", "2", "-s", "HEDGE", "-et", "3h", "--seed", "11", "-c", str(ANALYTIC_CONF)]],
    }
    out["analytic-hartmann6-TPE"] = {
        "runs": [["hartmann6", "1", "-m", "TPE", "-et", "3h", "--seed", "12", "-c", str(ANALYTIC_CONF)]],
    }
    out["refine-branin-DIV-HEDGE"] = {
        "runs": [["branin", "2", "-s", "HEDGE", "-et", "3h", "--seed", "11", "-c", str(REFINE_CONF)]],
    }
    out["refine-hartmann6-GP-EI"] = {
        "runs": [["hartmann6", "1", "-m", "GP", "-s", "EI", "-et", "3h", "--seed", "12", "-p", "-c", str(REFINE_CONF)]],
    }
    out["refine-hartmann3-TPE"] = {
        "runs": [["hartmann3", "1", "-m", "TPE", "-et", "3h", "--seed", "12", "-c", str(REFINE_CONF)]],
    }
    for rule in ETR_RULES:  # recorded after the one-loop refactor, when the rules came
        out[f"etr-{rule}"] = {
            "runs": [["digits-mlp", "1", "-m", "GP", "-s", "EI", "-etr", rule, "-et", "3h", "--seed", "15"]],
        }
    out["etr-premature-workers"] = {
        "runs": [
            _argv(f"digits-mlp 1 -m DIV -s SEQ -etr Median --workers 3 -et 3h --seed 16 -c {PREMATURE_CONF}"),
        ],
    }
    out["python-objective"] = {
        "runs": [
            _argv(
                f"{OBJECTIVE_CONF} 2 --objective tests.golden.objective:fixed_time -m GP -et 1w --max-trials 12"
                f" --seed 13 -c {ANALYTIC_CONF}"
            ),
        ],
        "wall": True,
    }
    out["compare-cells"] = {
        "runs": [
            _argv(
                "compare --benchmarks digits-mlp,branin --strategies GP-EI,DIV-SEQ,RANDOM --reps 2 -et 2h --seed 14"
                " --workers 1"
            ),
        ],
    }
    return out


WALL_CSV_COLUMNS = ("opt_wall_time",)
REAL_CSV_COLUMNS = ("opt_wall_time", "clock")


def normalise(name: str, data: bytes, wall: bool) -> bytes:
    """The bytes that must match: measured wall times removed (CSV column, selection 'started' of real runs)."""
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(data.decode())))
        drop = REAL_CSV_COLUMNS if wall else WALL_CSV_COLUMNS
        keep = [i for i, h in enumerate(rows[0]) if h not in drop]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            writer.writerow([row[i] for i in keep])
        return out.getvalue().encode()
    if name.endswith(".json") and wall:
        trace = json.loads(data)
        for rep in trace.values():
            for record in rep.get("selection", []):
                record.pop("started", None)
        return json.dumps(trace).encode()
    if name.endswith(".pkl.gz"):
        import gzip
        import pickle

        return json.dumps(pickle.loads(gzip.decompress(data)), sort_keys=True).encode()
    return data


def compare_dump(path: Path) -> bytes:
    """compare.sqlite as JSON: every cell (without its wall time) and its trials."""
    import sqlite3

    db = sqlite3.connect(path)
    try:
        cells = db.execute(
            "SELECT key, strategy, benchmark, rep, seed, goal_error, stop_reason FROM cells ORDER BY key"
        ).fetchall()
        trials = db.execute(  # the columns of the recording (later versions add more)
            "SELECT key, trial, candidate, clock, error, exec_time, opt_time, arm FROM cell_trials ORDER BY key, trial"
        ).fetchall()
    finally:
        db.close()
    return json.dumps({"cells": cells, "trials": trials}).encode()


def produced(results: Path) -> dict[str, bytes]:
    """The files a case left in ``results`` (relative path -> normalised bytes)."""
    out = {}
    for path in sorted(results.rglob("*")):
        rel = path.relative_to(results).as_posix()
        if path.name == "compare.sqlite":
            out["compare.json"] = compare_dump(path)
        elif path.suffix in (".json", ".csv") or path.name.endswith(".pkl.gz"):
            out[rel] = path.read_bytes()
    return out
