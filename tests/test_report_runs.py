"""`report` keeps runs apart, shows checkpoints within the budget, counts success as checkpoints are."""

import json

import pandas as pd
import pytest

from hpo_mab.reporting.summary import checkpoint_table, goal_table
from hpo_mab.reporting.tidy import add_best_so_far, label_traces

RANDOM = ["-m", "RANDOM", "-et", "30m", "--seed", "5"]


def trace(path, reps):
    """A trace file of ``reps`` (rep -> list of (clock, error))."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        str(rep): {"error": [e for _, e in trials], "cum_exec_time": [c for c, _ in trials],
                   "cum_opt_time": [0.0] * len(trials)}
        for rep, trials in reps.items()
    }  # fmt: skip
    path.write_text(json.dumps(content))
    return path


def report_tables(cli, folder, *extra):
    out = folder / "report"
    result = cli("report", str(folder), "--format", "json,csv", "--out", str(out), *extra)
    assert result.code == 0, result.err
    return result, json.loads((out / "summary.json").read_text())["tables"], pd.read_csv(out / "tidy.csv")


def test_an_extended_run_counts_once_and_time_and_goal_runs_stay_apart(cli, small_bench, tmp_path):
    for args in (["2", *RANDOM], ["4", *RANDOM, "-r"], ["2", *RANDOM, "-e", "GOAL", "-eg", "0.05"]):
        assert cli(str(small_bench), *args).code in (0, 3)
    results = tmp_path / "results"
    assert sorted(p.name for p in results.rglob("*.json")) == ["RANDOM-RANDOM(2).json"] * 2 + ["RANDOM-RANDOM(4).json"]
    result, tables, tidy = report_tables(cli, results, "--checkpoints", "10m,30m,1h,2h")
    reps = tidy.groupby("strategy")["rep"].agg(lambda s: sorted(set(s))).to_dict()
    assert reps == {"RANDOM-RANDOM [G0.05]": [0, 1], "RANDOM-RANDOM [T1800S]": [0, 1, 2, 3]}
    extended = json.loads((results / "small" / "T1800S" / "RANDOM-RANDOM(4).json").read_text())
    assert (tidy["strategy"] == "RANDOM-RANDOM [T1800S]").sum() == sum(len(r["error"]) for r in extended.values())
    assert {row["checkpoint"] for row in tables["checkpoints"]} == {600.0, 1800.0}
    assert result.err.splitlines() == ["note: checkpoints beyond the 30m00s budget left out: 1h00m, 2h00m"]


def test_traces_of_different_runs_of_one_strategy_are_labelled_apart(tmp_path):
    folder = tmp_path / "bench" / "T100S"
    short = trace(folder / "X(2).json", {0: [(10, 0.5)], 1: [(20, 0.4)]})
    extended = trace(folder / "X(3).json", {0: [(10, 0.5)], 1: [(20, 0.4)], 2: [(5, 0.3)]})
    other = trace(folder / "Y(1).json", {0: [(10, 0.5)]})
    another = trace(folder / "Y(2).json", {0: [(10, 0.9)], 1: [(10, 0.1)]})
    goal = trace(tmp_path / "bench" / "G0.2" / "X(2).json", {0: [(10, 0.1)], 1: [(20, 0.2)]})
    labels = dict(label_traces([short, extended, other, another, goal]))
    assert labels == {extended: "X [T100S]", other: "Y(1)", another: "Y(2)", goal: "X [G0.2]"}


def test_the_trial_that_crosses_the_budget_counts_neither_for_success_nor_at_the_checkpoint(cli, tmp_path):
    folder = tmp_path / "traces"
    trace(folder / "bench" / "T100S" / "X(2).json", {0: [(60, 0.5), (110, 0.05)], 1: [(40, 0.3), (90, 0.08)]})
    _, tables, _ = report_tables(cli, folder, "--goal", "bench=0.1", "--checkpoints", "50s,100s")
    assert [(r["checkpoint"], r["median"]) for r in tables["checkpoints"]] == [
        (50.0, 0.3),
        (100.0, pytest.approx(0.29)),
    ]
    assert [(r["success_rate"], r["median_time_to_goal"]) for r in tables["goals"]] == [
        (0.5, "inf")
    ]  # rep 0 reached it only after the budget
    frame = add_best_so_far(
        pd.DataFrame({"strategy": "X", "benchmark": "b", "rep": [0, 0], "trial": [0, 1], "clock": [60.0, 110.0],
                      "error": [0.5, 0.05]})
    )  # fmt: skip
    assert goal_table(frame, {"b": 0.1}, horizon=100.0)["success_rate"].tolist() == [0.0]
    assert checkpoint_table(frame, [100.0])["median"].tolist() == [0.5]
    assert goal_table(frame, {"b": 0.1})["success_rate"].tolist() == [1.0]  # without a budget: every trial


def test_compare_cells_of_different_settings_are_different_runs(cli, tmp_path):
    results = tmp_path / "compare"
    for budget in ("1h", "2h"):
        ran = cli("compare", "--benchmarks", "branin", "--strategies", "RANDOM", "--reps", "2", "-et", budget,
                  "--workers", "1", "--results", str(results))  # fmt: skip
        assert ran.code == 0, ran.err
    result, tables, tidy = report_tables(cli, results, "--checkpoints", "1h,2h,3h")
    assert sorted(set(tidy["strategy"])) == ["RANDOM [exp_time=1h]", "RANDOM [exp_time=2h]"]
    assert tidy.groupby("strategy")["rep"].nunique().tolist() == [2, 2]
    assert {row["checkpoint"] for row in tables["checkpoints"]} == {3600.0, 7200.0}
    assert result.err.splitlines() == ["note: checkpoints beyond the 2h00m budget left out: 3h00m"]


def test_runs_of_two_budgets_are_reported_each_up_to_its_own_budget(cli, tmp_path):
    folder = tmp_path / "traces"
    trace(folder / "bench" / "T100S" / "X(2).json", {0: [(60, 0.5), (110, 0.05)], 1: [(40, 0.3), (90, 0.2)]})
    trace(folder / "bench" / "T200S" / "X(2).json", {0: [(60, 0.4), (150, 0.05)], 1: [(40, 0.3), (190, 0.1)]})
    trace(folder / "bench" / "G0.1" / "X(1).json", {0: [(30, 0.6), (300, 0.1)]})
    result, tables, tidy = report_tables(cli, folder, "--goal", "bench=0.1", "--checkpoints", "50s,100s,200s")
    assert result.err.splitlines() == [
        "note: runs of different TIME budgets (1m40s, 3m20s): each is summarised and ranked only up to its own budget"
    ]
    # the 100 s runs have no value at 200 s: they did not run then (before, their 100 s result stood there)
    assert [(r["strategy"], r["checkpoint"], r["median"]) for r in tables["checkpoints"]] == [
        ("X [G0.1]", 50.0, 0.6), ("X [G0.1]", 100.0, 0.6), ("X [G0.1]", 200.0, 0.6),
        ("X [T100S]", 50.0, 0.3), ("X [T100S]", 100.0, pytest.approx(0.35)),
        ("X [T200S]", 50.0, 0.3), ("X [T200S]", 100.0, pytest.approx(0.35)), ("X [T200S]", 200.0, pytest.approx(0.075)),
    ]  # fmt: skip
    assert [(r["strategy"], r["checkpoint"], r["mean_rank"]) for r in tables["ranks"] if r["checkpoint"] == 200.0] == [
        ("X [G0.1]", 200.0, 2.0), ("X [T200S]", 200.0, 1.0)
    ]  # fmt: skip
    # rep 0 of the 100 s run reached 0.05 at 110 s, beyond its own budget: no success, though within 200 s
    assert [(r["strategy"], r["success_rate"]) for r in tables["goals"]] == [
        ("X [G0.1]", 0.0), ("X [T100S]", 0.0), ("X [T200S]", 1.0)
    ]  # fmt: skip
    assert sorted(tidy["budget"].dropna().unique()) == [100.0, 200.0]
