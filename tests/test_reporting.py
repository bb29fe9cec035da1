"""The reporting package: tidy traces, summary statistics, plots, the HTML page and the report."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpo_mab.reporting.html import format_float, write_html
from hpo_mab.reporting.plots import anytime_plot, arm_share_plot, rank_plot, stop_figure, stop_plot, success_plot
from hpo_mab.reporting.report import build_report, summary_tables, summary_text
from hpo_mab.reporting.summary import (
    arm_shares,
    best_at,
    checkpoint_table,
    friedman_test,
    goal_table,
    pairwise_tests,
    rank_table,
)
from hpo_mab.reporting.tidy import (
    TIDY_COLUMNS,
    add_best_so_far,
    find_json_traces,
    read_json_trace,
    read_json_traces,
    strategy_name,
)

ECML = Path("/work/shared/reference/ecml-results")
PNG = b"\x89PNG"

# (benchmark, strategy, rep) -> [(clock, error, arm), ...] in trial order.
TRIALS = {
    ("b1", "A", 0): [(10, 0.5, "g"), (20, 0.3, "g"), (40, 0.2, "g")],
    ("b1", "A", 1): [(10, 0.6, "g"), (30, 0.4, "g")],
    ("b1", "A", 2): [(15, 0.4, "g"), (25, 0.1, "g")],
    ("b1", "A", 3): [(5, 0.7, "g"), (50, 0.3, "g")],
    ("b1", "B", 0): [(12, 0.4, ""), (35, 0.25, "")],
    ("b1", "B", 1): [(8, 0.5, ""), (22, 0.35, "")],
    ("b1", "B", 2): [(30, 0.2, "")],
    ("b1", "B", 3): [(18, 0.6, ""), (45, 0.3, "")],
    ("b1", "C", 0): [(10, 0.5, "x"), (20, 0.3, "y")],
    ("b1", "C", 1): [(25, 0.45, "x")],
    ("b1", "C", 2): [(20, 0.1, "y")],
    ("b1", "C", 3): [(10, 0.9, "x"), (40, 0.2, "x")],
    ("b2", "A", 0): [(100, 0.2, "")],
    ("b2", "A", 1): [(100, 0.3, "")],
    ("b2", "A", 2): [(50, 0.1, "")],
    ("b2", "B", 0): [(100, 0.2, "")],
    ("b2", "B", 1): [(200, 0.3, "")],
}
GOALS = {"b1": 0.3, "b2": 0.25}


def make_tidy() -> pd.DataFrame:
    """The hand-made trials above as a tidy frame (rows deliberately in reverse order)."""
    rows = [
        {"strategy": s, "benchmark": b, "rep": r, "trial": k, "clock": float(c), "error": e, "arm": a}
        for (b, s, r), trials in TRIALS.items()
        for k, (c, e, a) in enumerate(trials)
    ]
    return add_best_so_far(pd.DataFrame(rows[::-1]))


@pytest.fixture
def tidy() -> pd.DataFrame:
    return make_tidy()


def row(frame: pd.DataFrame, **keys: object) -> pd.Series:
    """The single row of ``frame`` matching ``keys``."""
    mask = np.logical_and.reduce([frame[k] == v for k, v in keys.items()])
    match = frame[mask]
    assert len(match) == 1, keys
    return match.iloc[0]


# --- tidy ---------------------------------------------------------------------------------------------------------


def test_add_best_so_far_sorts_and_takes_running_min(tidy):
    assert list(tidy.columns) == TIDY_COLUMNS
    assert len(tidy) == 27
    first = tidy.iloc[:3]  # A sorts first, then b1 before b2, rep 0, trials 0..2
    assert list(first[["strategy", "benchmark", "rep", "trial"]].itertuples(index=False, name=None)) == [
        ("A", "b1", 0, 0),
        ("A", "b1", 0, 1),
        ("A", "b1", 0, 2),
    ]
    assert list(first["best_so_far"]) == [0.5, 0.3, 0.2]
    rep3 = tidy[(tidy.strategy == "C") & (tidy.benchmark == "b1") & (tidy.rep == 3)]
    assert list(rep3["best_so_far"]) == [0.9, 0.2]
    a1 = tidy[(tidy.strategy == "A") & (tidy.benchmark == "b1") & (tidy.rep == 1)]
    assert list(a1["best_so_far"]) == [0.6, 0.4]  # running min, not per-trial error


def test_strategy_name_and_find_json_traces(tmp_path):
    assert strategy_name(Path("GP-EI.HPO_emulator(50).json")) == "GP-EI.HPO_emulator"
    assert strategy_name(Path("DIV-SEQ(5).json")) == "DIV-SEQ"
    with pytest.raises(ValueError):
        strategy_name(Path("notes.json"))
    folder = tmp_path / "bench" / "T60S"
    folder.mkdir(parents=True)
    for name in ["Y(2).json", "X(3).json", "notes.json", "Z(4).csv"]:
        (folder / name).write_text("{}")
    assert find_json_traces(tmp_path) == [folder / "X(3).json", folder / "Y(2).json"]


def test_read_json_trace_clock_arms_and_rep_order(tmp_path):
    folder = tmp_path / "mybench" / "G0.01"
    folder.mkdir(parents=True)
    rep = {
        "error": [0.4, 0.2],
        "cum_exec_time": [10.0, 30.0],
        "cum_opt_time": [1.0, 2.5],
        "select_trace": ["p", "q"],
    }
    trace = {"10": rep, "2": {**rep, "select_trace": []}}
    path = folder / "DIV-SEQ(2).json"
    path.write_text(json.dumps(trace))
    frame = read_json_trace(path)
    assert list(frame.columns) == TIDY_COLUMNS
    assert list(frame["rep"]) == [2, 2, 10, 10]  # numeric, not string, order
    assert list(frame["clock"]) == [11.0, 32.5, 11.0, 32.5]  # cum_exec_time + cum_opt_time
    assert list(frame["arm"]) == ["", "", "p", "q"]  # empty select_trace -> ""
    assert list(frame["best_so_far"]) == [0.4, 0.2, 0.4, 0.2]
    assert set(frame["strategy"]) == {"DIV-SEQ"}
    assert set(frame["benchmark"]) == {"mybench"}
    assert set(read_json_traces([path], benchmark="other")["benchmark"]) == {"other"}


@pytest.mark.skipif(not ECML.is_dir(), reason=f"reference traces not available at {ECML}")
def test_read_json_traces_on_ecml_results():
    paths = find_json_traces(ECML)
    assert len(paths) == 13
    frame = read_json_traces(paths)
    assert set(frame["benchmark"]) == {"data10", "data2", "data20", "data207", "data3", "data30"}
    names = frame.groupby("benchmark")["strategy"].agg(lambda s: sorted(set(s)))
    assert names["data10"] == ["GP-EI.HPO_emulator", "RF-EI.HPO_emulator"]
    assert names["data2"] == ["GP-EI.HPO_emulator", "GP-EI.HPO_emulator.ETR-BETA90fan1", "RF-EI.HPO_emulator"]
    reps = frame.groupby(["benchmark", "strategy"])["rep"].agg(lambda s: sorted(set(s)))
    assert all(r == list(range(50)) for r in reps)

    path = ECML / "data10" / "T43200S" / "GP-EI.HPO_emulator(50).json"
    raw = json.loads(path.read_text())["7"]
    checked = row(frame, benchmark="data10", strategy="GP-EI.HPO_emulator", rep=7, trial=3)
    assert checked["clock"] == raw["cum_exec_time"][3] + raw["cum_opt_time"][3]
    assert checked["error"] == raw["error"][3]
    assert checked["best_so_far"] == min(raw["error"][:4])
    one = frame[(frame.benchmark == "data10") & (frame.strategy == "GP-EI.HPO_emulator") & (frame.rep == 7)]
    assert len(one) == len(raw["error"])


# --- summary ------------------------------------------------------------------------------------------------------


def test_best_at_includes_the_checkpoint_and_gives_nan_before_the_first_trial(tidy):
    best = best_at(tidy, 20)
    assert list(best.columns) == ["strategy", "benchmark", "rep", "best_error"]
    assert row(best, strategy="C", benchmark="b1", rep=0)["best_error"] == 0.3  # trial at clock 20 counts
    assert math.isnan(row(best, strategy="B", benchmark="b1", rep=2)["best_error"])  # first trial at 30
    assert row(best, strategy="A", benchmark="b1", rep=3)["best_error"] == 0.7


def test_checkpoint_table_median_and_iqr(tidy):
    table = checkpoint_table(tidy, [60, 20])
    assert list(table.columns) == ["benchmark", "strategy", "checkpoint", "reps", "median", "q25", "q75"]
    expected = {
        # A at 20: [0.3, 0.4, 0.6, 0.7] -> median 0.5; q25 at index 0.75: 0.375; q75 at index 2.25: 0.625
        ("b1", "A", 20.0): (4, 0.5, 0.375, 0.625),
        # B at 20: rep 2 has no trial yet -> [0.4, 0.5, 0.6]; q25 at index 0.5: 0.45, q75 at 1.5: 0.55
        ("b1", "B", 20.0): (3, 0.5, 0.45, 0.55),
        # C at 20: rep 1 has no trial yet -> [0.1, 0.3, 0.9]
        ("b1", "C", 20.0): (3, 0.3, 0.2, 0.6),
        # A at 60: [0.1, 0.2, 0.3, 0.4]
        ("b1", "A", 60.0): (4, 0.25, 0.175, 0.325),
        # B at 60: [0.2, 0.25, 0.3, 0.35]
        ("b1", "B", 60.0): (4, 0.275, 0.2375, 0.3125),
        # C at 60: [0.1, 0.2, 0.3, 0.45]; q75 at index 2.25: 0.3 + 0.25 * 0.15
        ("b1", "C", 60.0): (4, 0.25, 0.175, 0.3375),
        # b2 at 60: only A rep 2 (clock 50) has a trial
        ("b2", "A", 60.0): (1, 0.1, 0.1, 0.1),
    }
    for (benchmark, strategy, checkpoint), (reps, median, q25, q75) in expected.items():
        got = row(table, benchmark=benchmark, strategy=strategy, checkpoint=checkpoint)
        assert got["reps"] == reps
        assert (got["median"], got["q25"], got["q75"]) == pytest.approx((median, q25, q75), abs=1e-12)
    empty = row(table, benchmark="b2", strategy="B", checkpoint=20.0)  # no rep has a trial by 20
    assert empty["reps"] == 0
    assert math.isnan(empty["median"]) and math.isnan(empty["q25"]) and math.isnan(empty["q75"])
    assert len(table) == 2 * 5  # 5 (benchmark, strategy) pairs x 2 checkpoints


def test_goal_table_success_rate_and_median_time_with_inf(tidy):
    table = goal_table(tidy, GOALS)
    assert list(table.columns) == ["benchmark", "strategy", "goal", "reps", "success_rate", "median_time_to_goal"]
    # b1 (goal 0.3, reached with error == 0.3):
    #   A: rep 0 at 20, rep 1 never, rep 2 at 25, rep 3 at 50 -> [20, 25, 50, inf] -> median 37.5
    #   B: rep 0 at 35, rep 1 never, rep 2 at 30, rep 3 at 45 -> [30, 35, 45, inf] -> 40
    #   C: rep 0 at 20, rep 1 never, rep 2 at 20, rep 3 at 40 -> [20, 20, 40, inf] -> 30
    # b2 (goal 0.25): A: [100, inf, 50] -> 100; B: [100, inf] -> half failed -> inf
    expected = [
        ("b1", "A", 0.3, 4, 0.75, 37.5),
        ("b1", "B", 0.3, 4, 0.75, 40.0),
        ("b1", "C", 0.3, 4, 0.75, 30.0),
        ("b2", "A", 0.25, 3, 2 / 3, 100.0),
        ("b2", "B", 0.25, 2, 0.5, math.inf),
    ]
    assert list(table.itertuples(index=False, name=None)) == expected
    assert goal_table(tidy, {"b2": 0.0})["median_time_to_goal"].tolist() == [math.inf, math.inf]
    assert goal_table(tidy, {"elsewhere": 0.1}).empty


def test_rank_table_mean_ranks_with_ties_and_missing_trials(tidy):
    table = rank_table(tidy, [20, 60])
    b1 = table[table.benchmark == "b1"].set_index(["checkpoint", "strategy"])
    # At 20 (no trial yet ranks last):
    #   rep 0: A .3, B .4, C .3 -> 1.5, 3, 1.5; rep 1: A .6, B .5, C none -> 2, 1, 3
    #   rep 2: A .4, B none, C .1 -> 2, 3, 1;   rep 3: A .7, B .6, C .9 -> 2, 1, 3
    assert b1.loc[20.0, "mean_rank"].tolist() == [7.5 / 4, 8 / 4, 8.5 / 4]
    # At 60: rep 0: .2 .25 .3 -> 1 2 3; rep 1: .4 .35 .45 -> 2 1 3; rep 2: .1 .2 .1 -> 1.5 3 1.5;
    #        rep 3: .3 .3 .2 -> 2.5 2.5 1
    assert b1.loc[60.0, "mean_rank"].tolist() == [7 / 4, 8.5 / 4, 8.5 / 4]
    assert set(b1["reps"]) == {4}
    # b2: rep 2 exists for A only, so reps 0 and 1 count; at 60 neither has a trial: all tied -> 1.5 each
    b2 = table[(table.benchmark == "b2") & (table.checkpoint == 60.0)]
    assert b2["mean_rank"].tolist() == [1.5, 1.5] and b2["reps"].tolist() == [2, 2]
    b2_late = rank_table(tidy[tidy.benchmark == "b2"], [150])
    # at 150: rep 0 A .2 vs B .2 -> 1.5/1.5; rep 1 A .3 vs B none -> 1/2 -> A 1.25, B 1.75
    assert b2_late["mean_rank"].tolist() == [1.25, 1.75]


def test_pairwise_wilcoxon_matches_scipy_on_the_paired_values(tidy):
    table = pairwise_tests(tidy, 60)
    assert list(table.columns) == ["benchmark", "a", "b", "pairs", "median_diff", "statistic", "p_value"]
    # best_at(60) by rep 0..3 on b1
    a, b, c = [0.2, 0.4, 0.1, 0.3], [0.25, 0.35, 0.2, 0.3], [0.3, 0.45, 0.1, 0.2]
    expected = {
        # differences a - b: -0.05, 0.05, -0.1, 0 -> median -0.025
        ("A", "B"): (-0.025, stats.wilcoxon(a, b)),
        # a - c: -0.1, -0.05, 0, 0.1 -> median -0.025
        ("A", "C"): (-0.025, stats.wilcoxon(a, c)),
        # b - c: -0.05, -0.1, 0.1, 0.1 -> median 0.025
        ("B", "C"): (0.025, stats.wilcoxon(b, c)),
    }
    for (x, y), (median_diff, result) in expected.items():
        got = row(table, benchmark="b1", a=x, b=y)
        assert got["pairs"] == 4
        assert got["median_diff"] == pytest.approx(median_diff, abs=1e-12)
        assert got["statistic"] == result.statistic
        assert got["p_value"] == result.pvalue
    # A vs B by hand: the zero difference is dropped; |d| ranks 1 (-), 2 (+), 3 (-): W+ = 2, W- = 4 -> 2;
    # exact two-sided p over the 8 sign patterns: P(min(W+, W-) <= 2) = 6 / 8
    assert row(table, benchmark="b1", a="A", b="B")[["statistic", "p_value"]].tolist() == [2.0, 0.75]
    # b2 at 60: no rep of B has a trial yet -> no pairs
    none = row(table, benchmark="b2", a="A", b="B")
    assert none["pairs"] == 0 and math.isnan(none["median_diff"]) and math.isnan(none["p_value"])
    # b2 at 200: reps 0 and 1 paired, differences 0 and 0 -> no test
    zeros = row(pairwise_tests(tidy, 200), benchmark="b2", a="A", b="B")
    assert zeros["pairs"] == 2 and zeros["median_diff"] == 0.0
    assert math.isnan(zeros["statistic"]) and math.isnan(zeros["p_value"])


def test_pairwise_exact_p_value_for_all_positive_differences():
    rows = [
        {"strategy": s, "benchmark": "b", "rep": r, "trial": 0, "clock": 1.0, "error": e}
        for r in range(5)
        for s, e in (("P", 0.5 + 0.1 * r), ("Q", 0.0))
    ]
    got = pairwise_tests(add_best_so_far(pd.DataFrame(rows)), 1.0).iloc[0]
    # all 5 differences positive: W- = 0, two-sided exact p = 2 / 2**5
    assert (got["a"], got["b"], got["pairs"], got["statistic"], got["p_value"]) == ("P", "Q", 5, 0.0, 0.0625)


def test_friedman_test_matches_scipy_and_hand_value(tidy):
    table = friedman_test(tidy, 60)
    assert list(table["benchmark"]) == ["b1"]  # b2 has only two strategies
    got = table.iloc[0]
    a, b, c = [0.2, 0.4, 0.1, 0.3], [0.25, 0.35, 0.2, 0.3], [0.3, 0.45, 0.1, 0.2]
    result = stats.friedmanchisquare(a, b, c)
    assert (got["strategies"], got["blocks"]) == (3, 4)
    assert got["statistic"] == result.statistic and got["p_value"] == result.pvalue
    # rank sums 7, 8.5, 8.5: 12 / (4*3*4) * 193.5 - 48 = 0.375; two tied pairs: / (1 - 12 / (4 * 24)) -> 3/7
    assert got["statistic"] == pytest.approx(3 / 7, abs=1e-12)
    assert got["p_value"] == pytest.approx(math.exp(-3 / 14), abs=1e-12)  # chi-square, 2 degrees of freedom
    early = friedman_test(tidy, 5).iloc[0]  # only A rep 3 has a trial: no complete block
    assert early["blocks"] == 0 and math.isnan(early["statistic"])


def test_arm_shares_per_time_bin(tidy):
    table = arm_shares(tidy, bins=4)
    # only b1/C has several arms (A has only "g"); its max clock 40 -> bins [0,10) [10,20) [20,30) [30,40]
    # bin 1: x at 10 (rep 0), x at 10 (rep 3); bin 2: y at 20 (rep 0), x at 25 (rep 1), y at 20 (rep 2);
    # bin 3: x at 40 (rep 3); bin 0 has no trial
    expected = [
        ("b1", "C", 1, 10.0, 20.0, "x", 2, 1.0),
        ("b1", "C", 1, 10.0, 20.0, "y", 0, 0.0),
        ("b1", "C", 2, 20.0, 30.0, "x", 1, 1 / 3),
        ("b1", "C", 2, 20.0, 30.0, "y", 2, 2 / 3),
        ("b1", "C", 3, 30.0, 40.0, "x", 1, 1.0),
        ("b1", "C", 3, 30.0, 40.0, "y", 0, 0.0),
    ]
    assert list(table.itertuples(index=False, name=None)) == expected
    assert arm_shares(tidy[tidy.strategy != "C"]).empty


# --- plots, HTML, report ------------------------------------------------------------------------------------------


def test_plots_write_png_files(tidy, tmp_path):
    paths = [
        anytime_plot(tidy, "b1", tmp_path / "anytime.png"),
        rank_plot(tidy, "b1", tmp_path / "rank.png"),
        success_plot(tidy, "b1", 0.3, tmp_path / "success.png"),
        arm_share_plot(tidy, "b1", "C", tmp_path / "sub" / "arms.png"),
    ]
    names = ["anytime.png", "rank.png", "success.png", "sub/arms.png"]
    assert paths == [tmp_path / n for n in names]
    for path in paths:
        assert path.read_bytes().startswith(PNG)
    with pytest.raises(ValueError):
        anytime_plot(tidy, "nowhere", tmp_path / "x.png")
    with pytest.raises(ValueError):
        arm_share_plot(tidy, "b2", "C", tmp_path / "x.png")


def external_references(page: str) -> list[str]:
    """Values of src= / href= attributes that are neither data: URIs nor in-page anchors."""
    values = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE)
    return [v for v in values if not (v.startswith("data:") or v.startswith("#"))]


def test_write_html_embeds_tables_and_images(tmp_path):
    image = anytime_plot(make_tidy(), "b2", tmp_path / "b2.png")
    table = pd.DataFrame({"name": ["<x>"], "value": [1 / 3]})
    path = write_html(tmp_path / "page.html", "T & T", [("One", [table]), ("Two", [image])])
    page = path.read_text()
    assert "<title>T &amp; T</title>" in page
    assert "&lt;x&gt;" in page and "<td>0.333333</td>" in page
    assert page.count('src="data:image/png;base64,') == 1
    assert re.findall(r'href="([^"]*)"', page) == ["#section-0", "#section-1"]
    assert external_references(page) == []
    with pytest.raises(TypeError):
        write_html(tmp_path / "bad.html", "t", [("s", ["text"])])
    (tmp_path / "fake.png").write_bytes(b"GIF89a")
    with pytest.raises(ValueError):
        write_html(tmp_path / "bad.html", "t", [("s", [tmp_path / "fake.png"])])


def test_build_report_writes_every_format(tidy, tmp_path):
    written = build_report(tidy, GOALS, [20, 60], tmp_path / "out", {"csv", "json", "html"})
    tables = ["overview", "checkpoints", "goals", "ranks", "pairwise", "friedman", "arm_shares"]
    plots = ["b1-anytime", "b1-rank", "b1-success", "b1-C-arms", "b2-anytime", "b2-rank", "b2-success"]
    assert set(written) == (
        {"tidy.csv", "summary.json", "report.html"} | {f"{t}.csv" for t in tables} | {f"plots/{p}.png" for p in plots}
    )
    assert all(path == tmp_path / "out" / key and path.stat().st_size > 0 for key, path in written.items())

    assert len(pd.read_csv(written["tidy.csv"])) == 27
    goals_csv = pd.read_csv(written["goals.csv"])
    assert goals_csv["median_time_to_goal"].tolist() == [37.5, 40.0, 30.0, 100.0, math.inf]

    summary = json.loads(written["summary.json"].read_text())
    assert summary["comparison_time"] == 60.0
    assert set(summary["tables"]) == set(tables)
    assert summary["tables"]["goals"][-1] == {
        "benchmark": "b2",
        "strategy": "B",
        "goal": 0.25,
        "reps": 2,
        "success_rate": 0.5,
        "median_time_to_goal": "inf",
    }

    page = written["report.html"].read_text()
    for name, table in summary_tables(tidy, GOALS, [20, 60]).items():
        assert table.to_html(index=False, float_format=format_float, border=0, na_rep="NaN") in page, name
    assert page.count('src="data:image/png;base64,') == len(plots)
    assert external_references(page) == []


def test_build_report_csv_only_and_unknown_format(tidy, tmp_path):
    written = build_report(tidy, {}, [60], tmp_path, {"csv"})
    assert "report.html" not in written and not (tmp_path / "plots").exists()
    assert pd.read_csv(written["goals.csv"]).empty
    with pytest.raises(ValueError, match="pdf"):
        build_report(tidy, {}, [60], tmp_path, {"pdf"})


def test_summary_text_aligns_each_table(tidy):
    text = summary_text({"goals": goal_table(tidy, GOALS)})
    lines = text.splitlines()
    assert lines[0] == "goals"
    assert lines[1].split() == ["benchmark", "strategy", "goal", "reps", "success_rate", "median_time_to_goal"]
    assert lines[3].split() == ["b1", "A", "0.3", "4", "0.75", "37.5"]
    assert lines[-1].split() == ["b2", "B", "0.25", "2", "0.5", "inf"]
    assert len(lines) == 3 + 5


def test_the_stop_plot_marks_each_stop_where_it_happened(tmp_path):
    curves = np.array([[0.1, 0.5, 0.7, 0.8], [0.2, 0.3, 0.9, 0.95], [0.1, 0.2, 0.2, 0.2]])
    fig = stop_figure(curves, np.array([4, 2, 1]), 0.9, "t")
    (ax,) = fig.axes
    stops = [line for line in ax.get_lines() if line.get_gid() == "stop"]
    assert [(list(s.get_xdata()), list(s.get_ydata())) for s in stops] == [([2], [0.3]), ([1], [0.1])]
    trained = [list(line.get_ydata()) for line in ax.get_lines() if line.get_gid() == "trained"]
    assert trained == [[0.1, 0.5, 0.7, 0.8], [0.2, 0.3], [0.1]]
    assert stop_plot(curves, np.array([4, 2, 1]), 0.9, "t", tmp_path / "s.png").read_bytes().startswith(PNG)
