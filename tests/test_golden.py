"""Every golden case of ``tests/golden/cases.py`` reproduces its recorded files byte for byte.

The golden files were recorded before the one-loop refactor (``tests/golden/make_golden.py``):
every single-arm mode, every DIV strategy, BATCH SYNC/ASYNC and DIV-SEQ with 3 simulated workers,
GOAL runs, a resumed (extended) run, ``-p`` internals, model-based benchmarks, a Python objective
with a fixed clock and compare cells. Only measured wall times are left out of the comparison.
"""

from __future__ import annotations

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
        assert normalise(rel, files[rel], wall) == normalise(rel, (folder / rel).read_bytes(), wall), rel
