"""Every golden case of ``tests/golden/cases.py`` reproduces its recorded files.

The golden files were recorded before the one-loop refactor (``tests/golden/make_golden.py``):
every single-arm mode, every DIV strategy, BATCH SYNC/ASYNC and DIV-SEQ with 3 simulated workers,
GOAL runs, a resumed (extended) run, ``-p`` internals, model-based benchmarks, a Python objective
with a fixed clock and compare cells. Only measured wall times are left out of the comparison.
The one-loop refactor reproduced every file byte for byte. Since the GP grows its factor row by
row (the order of floating-point operations changed), the numbers the models report about
themselves (the strategies' selection records and final values: GP-Hedge gains and
probabilities; ``-p`` internals) are compared to 1e-9; every decision, outcome and clock still byte for byte.

The cases run with numpy's and OpenBLAS's CPU paths pinned (``tests/cpu_paths.py``): the model
arms' last bits differ between CPUs with and without AVX-512. 28 cases (the RF arms, Hedge, the
refinement runs, BATCH, workers, compare cells) were recorded again on 2026-12-02 on a CPU without
AVX-512, where commit 7ddab2a and the code after it give the same bytes; the old files had come
from a CPU with AVX-512.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import hpo_runner
from tests.golden.cases import HERE, cases, normalise, produced

CASES = cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_case(name: str, tmp_path: Path, capsys) -> None:
    case = CASES[name]
    results = tmp_path / "results"
    for argv in case["runs"]:
        assert hpo_runner.main([*argv, "--results", str(results)]) == 0, capsys.readouterr().err
    files = produced(results)
    folder = HERE / name
    expected = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert sorted(files) == expected
    wall = case.get("wall", False)
    for rel in expected:
        got, want = normalise(rel, files[rel], wall), normalise(rel, (folder / rel).read_bytes(), wall)
        if got == want:
            continue
        assert rel.endswith((".json", ".pkl.gz")), rel
        got, want = json.loads(got), json.loads(want)
        if rel.endswith(".json") and "cells" not in want:  # a trace: model records close, the rest equal
            for rep in want:
                for key in ("selection", "mean_arr"):  # the strategy's record and final values
                    assert close(got[rep].pop(key, None), want[rep].pop(key, None)), (rel, rep, key)
            assert got == want, rel
        else:
            assert close(got, want), rel


def close(a, b) -> bool:
    """Equal structure, equal strings and integers, floats within 1e-9."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b
