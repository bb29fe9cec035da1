"""The quality suite's made tables and its statistics (benchmarks/quality.py, benchmarks/suite_tables.py)."""

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.quality import overall, short_label, suite_tables, write_readme
from benchmarks.suite_tables import mixed_configs, mixed_error, mixed_table
from hpo_mab.surrogates.registry import load_benchmark


def test_the_mixed_table_is_the_same_table_every_time(tmp_path):
    first, second = mixed_table(tmp_path / "a", rows=300), mixed_table(tmp_path / "b", rows=300)
    assert (tmp_path / "a" / "xgb-mixed13.csv").read_bytes() == (tmp_path / "b" / "xgb-mixed13.csv").read_bytes()
    conf = json.loads(first.read_text())
    assert conf == json.loads(second.read_text())
    kinds = [p["value_type"] for p in conf["hyperparams"].values()]
    assert len(kinds) == 13 and kinds.count("categorical") == 4 and kinds.count("discrete") == 3
    bench = load_benchmark(str(first))
    assert bench.table.accuracy.shape == (300, 1)


def test_the_mixed_surface_of_5000_rows():
    error, seconds = mixed_error(mixed_configs(5000))
    assert np.sort(error)[:3].round(9).tolist() == [0.080482093, 0.083706253, 0.087772757]
    assert round(float(error.mean()), 9) == 0.319265231
    assert round(float(seconds.sum()), 3) == 2110971.492


def tidy(rows):
    frame = pd.DataFrame(rows, columns=["strategy", "benchmark", "rep", "trial", "clock", "error"])
    frame["arm"] = ""
    return frame


def test_suite_tables_rank_success_time_to_goal_and_ratios():
    frame = tidy(
        [
            ("A", "b", 0, 0, 10.0, 0.5), ("A", "b", 0, 1, 60.0, 0.2),
            ("A", "b", 1, 0, 10.0, 0.4), ("A", "b", 1, 1, 90.0, 0.2),
            ("B", "b", 0, 0, 30.0, 0.3), ("B", "b", 0, 1, 100.0, 0.3),
            ("B", "b", 1, 0, 50.0, 0.6), ("B", "b", 1, 1, 80.0, 0.25),
        ]
    )  # fmt: skip
    table = suite_tables(frame, {"b": 0.2}, {"b": 0.1}, {"b": 120.0}).set_index("strategy")
    assert table.loc["A", "success"] == 1.0 and table.loc["B", "success"] == 0.0
    assert table.loc["A", "time_to_goal"] == pytest.approx(75.0 / 120.0)  # median of 60 s and 90 s
    assert table.loc["B", "time_to_goal"] == np.inf
    assert table.loc["B", "error_ratio"] == pytest.approx(0.275 / 0.2)
    assert table.loc["B", "regret_ratio"] == pytest.approx(0.175 / 0.1)
    assert table.loc["A", "evaluations"] == 2
    # checkpoints 10, 20, ..., 120 s: A ranks 2 at 30-50 s in rep 0 (B's 0.3 against 0.5) and at 80 s
    # in rep 1 (B's 0.25 against 0.4), 1 at the other 20 of the 24 (B has no trial before 30 s / 50 s)
    assert table.loc["A", "mean_rank"] == pytest.approx(28 / 24)
    assert table.loc["B", "mean_rank"] == pytest.approx(44 / 24)
    summary = overall(table.reset_index())
    assert list(summary.index) == ["A", "B"]
    assert summary.loc["B", "largest_success_gap"] == 1.0 and summary.loc["B", "worst_benchmark"] == "b"


def test_labels_and_the_readme_markers(tmp_path):
    assert short_label("DIV-TS@/x/y/arms7.yaml") == "DIV-TS@arms7" and short_label("GP-EI") == "GP-EI"
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- quality-suite -->\nold\n<!-- quality-suite -->\nb\n")
    write_readme(readme, "new table\n")
    assert readme.read_text() == "a\n<!-- quality-suite -->\nnew table\n<!-- quality-suite -->\nb\n"
