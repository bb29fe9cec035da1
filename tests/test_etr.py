"""Early termination in runs: honest accounting, promotions, failover, traces, resume after a kill, bad input."""

from __future__ import annotations

import json
import signal
import sqlite3

import pytest

from tests.conftest import make_table
from tests.test_resume import start, stored_trials, uninterrupted, wait_for_trials, write_conf


def trace(folder, name):
    return json.loads(next(folder.rglob(name)).read_text())


def table_curve(candidate: int, table):
    row = table.iloc[candidate]
    return [float(row[f"acc_{e}"]) for e in range(1, 6)], float(row["train_time"]) * 2  # time_scale 2


def test_a_stopped_trial_is_charged_its_epochs_and_reports_its_best_so_far(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "1d", "--seed", "2", "-etr", "ASHA", "-l", "log")
    assert result.code == 0, result.err
    run = trace(tmp_path / "results", "RANDOM-RANDOM.ETR-ASHA(1).json")["0"]
    table = make_table()
    stopped = 0
    clock = 0.0
    for i, candidate in enumerate(run["model_idx"]):
        curve, seconds = table_curve(candidate, table)
        epochs = run["train_epoch"][i]
        assert run["error"][i] == pytest.approx(1 - max(curve[:epochs]))
        assert run["exec_time"][i] == pytest.approx(seconds * epochs / 5)
        clock += run["exec_time"][i]
        if run["early_terminated"][i]:
            stopped += 1
            etr = run["etr"][i]
            assert etr["rule"] == "ASHA" and etr["checkpoint"] == epochs and etr["statistic"] < etr["threshold"]
            assert etr["verdict"] == "stop" and epochs in (1, 3)
        else:
            assert epochs == 5
    assert 0 < stopped < len(run["model_idx"])
    assert run["cum_exec_time"][-1] == pytest.approx(clock)
    assert "stopped by ASHA at epoch" in result.out


def test_a_promoted_trial_resumes_where_it_paused(cli, small_bench, tmp_path):
    assert cli(str(small_bench), "1", "-m", "RANDOM", "-et", "1d", "--seed", "2", "-etr", "ASHA-PROMOTE").code == 0
    run = trace(tmp_path / "results", "RANDOM-RANDOM.ETR-ASHA-PROMOTE(1).json")["0"]
    table = make_table()
    seen: dict[int, int] = {}
    promoted = 0
    for i, candidate in enumerate(run["model_idx"]):
        curve, seconds = table_curve(candidate, table)
        epochs, resumed = run["train_epoch"][i], run["resumed_from"][i]
        assert resumed == seen.get(candidate, 0)  # it goes on from the epoch it paused at
        assert run["exec_time"][i] == pytest.approx(seconds * (epochs - resumed) / 5)  # only the new epochs
        assert run["error"][i] == pytest.approx(1 - max(curve[:epochs]))
        promoted += resumed > 0
        seen[candidate] = epochs
        if run["early_terminated"][i]:
            assert run["etr"][i]["verdict"] == "pause" and epochs in (1, 3)
    assert promoted > 0 and any(e == 5 for e in run["train_epoch"])


EVERY_RULE = ["DecaTercet", "Median", "Percentile", "AdaptiveMedian", "Interval", "ASHA", "Hyperband", "CurveNN"]


@pytest.mark.parametrize("rule", EVERY_RULE)
def test_every_rule_replays_deterministically(cli, small_bench, tmp_path, rule):
    args = [str(small_bench), "1", "-m", "GP", "-et", "3d", "--max-trials", "40", "--seed", "4", "-etr", rule]
    assert cli(*args).code == 0
    assert cli(*args, "--results", str(tmp_path / "again")).code == 0
    name = f"GP-EI.ETR-{rule}(1).json"
    first = next((tmp_path / "results").rglob(name)).read_bytes()
    assert next((tmp_path / "again").rglob(name)).read_bytes() == first
    run = json.loads(first)["0"]
    assert len(run["early_terminated"]) == len(run["model_idx"]) == 40


def test_premature_failover_shows_the_models_the_trials_in_flight(cli, small_bench, tmp_path):
    conf = write_conf(tmp_path, "failover: premature\nbandits:\n  - {mode: GP, spec: EI}\n")
    base = [str(small_bench), "1", "-m", "BATCH", "-s", "ASYNC", "--workers", "3", "-et", "1d", "--seed", "5"]
    assert cli(*base, "-c", str(conf), "--max-trials", "30").code == 0
    assert cli(*base, "-c", str(conf), "--max-trials", "30", "--results", str(tmp_path / "again")).code == 0
    premature = next((tmp_path / "results").rglob("BATCH-ASYNC*(1).json")).read_bytes()
    assert next((tmp_path / "again").rglob("BATCH-ASYNC*(1).json")).read_bytes() == premature
    none = write_conf(tmp_path, "failover: none\nbandits:\n  - {mode: GP, spec: EI}\n")
    assert cli(*base, "-c", str(none), "--max-trials", "30", "--results", str(tmp_path / "none")).code == 0
    plain = next((tmp_path / "none").rglob("BATCH-ASYNC*(1).json")).read_bytes()
    assert json.loads(premature)["0"]["model_idx"] != json.loads(plain)["0"]["model_idx"]


def test_premature_history_holds_each_trial_in_flight_at_its_error_so_far(tmp_path):
    from hpo_mab.backends.base import Ticket
    from hpo_mab.backends.clock import Overhead
    from hpo_mab.backends.simulated import SimulatedBackend
    from tests.test_arms import small_benchmark

    bench = small_benchmark(tmp_path)
    backend = SimulatedBackend(bench, Overhead("none"))
    full = bench.evaluate(7)
    ticket = Ticket(7, 7, 0, 0.0, {})
    backend.clock.advance(full.exec_time * 0.5)
    epochs, error = backend.interim(ticket)
    assert epochs == 2 and error == pytest.approx(bench.evaluate(7, 2).error)  # floor(2.5) epochs done
    assert SimulatedBackend(bench, Overhead("none")).interim(ticket) is None  # before its first epoch


def test_random_failover_replaces_a_choice_in_flight(cli, small_bench, tmp_path):
    conf = write_conf(tmp_path, "failover: random\nbandits:\n  - {mode: GP, spec: EI}\n")
    args = [str(small_bench), "1", "-m", "BATCH", "-s", "SYNC", "--workers", "3", "-et", "1d", "--seed", "5"]
    assert cli(*args, "-c", str(conf), "--max-trials", "30").code == 0
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    notes = [row[0] for row in db.execute("SELECT note FROM trials")]
    assert any(n.startswith("failover random: GP_EI chose a candidate in flight") for n in notes)
    assert len({row[0] for row in db.execute("SELECT candidate FROM trials")}) == 30


@pytest.mark.parametrize(
    ("rule", "extra"),
    [  # capped: runs of cheap stopped trials reach 10,000-20,000 trials in 4 d (a minute per run for Hyperband)
        ("ASHA-PROMOTE", ["--max-trials", "1500"]),
        ("Median", ["--max-trials", "1500"]),
        ("AdaptiveMedian", ["--max-trials", "1000"]),
        ("Hyperband", ["-m", "BATCH", "-s", "ASYNC", "--workers", "3", "--max-trials", "1200"]),
    ],
)
def test_a_killed_run_with_early_termination_resumes_to_the_same_trace(big_bench, tmp_path, rule, extra):
    extra = [*extra, "-etr", rule]
    if "BATCH" in extra:
        extra += ["-c", str(write_conf(tmp_path, "failover: premature\nbandits:\n  - {mode: RANDOM, spec: RANDOM}\n"))]
        name = f"big/T345600S/BATCH-ASYNC.ETR-{rule}(2).json"
    else:
        name = f"big/T345600S/RANDOM-RANDOM.ETR-{rule}(2).json"
    expected, total = uninterrupted(big_bench, tmp_path, *extra, trace=name)
    results = tmp_path / "killed"
    proc = start(big_bench, results, *extra)
    wait_for_trials(results, proc, total // 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert total // 3 <= stored_trials(results) < total
    resumed = start(big_bench, results, *extra, "-r")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert (results / name).read_bytes() == expected
    db = sqlite3.connect(results / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == total
    twice = db.execute(
        "SELECT COUNT(*) FROM (SELECT rep, candidate, resumed_from FROM trials GROUP BY rep, candidate, resumed_from"
        " HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    assert twice == 0


@pytest.mark.parametrize(
    ("args", "conf", "message"),
    [
        (["-etr", "DecaTerce"], None, "error: -etr/--early_term_rule: expected one of None, DecaTercet"),
        ([], "early_term_rule: SHA\n", "error: RUN: early_term_rule: expected one of None, DecaTercet"),
        (["-etr", "ASHA"], "etr: {eta: 0.5}\n", "error: RUN: etr.eta: expected a number in (1, 100), got 0.5"),
        (["-etr", "ASHA"], "etr: {percentile: 10}\n", "error: RUN: etr.percentile: unknown key (expected one of: eta,"),
        (["-etr", "None"], "etr: {eta: 3}\n", "error: RUN: etr.eta: rule None takes no options"),
        (["-etr", "Median"], "etr: [1]\n", "error: RUN: etr: expected a mapping, got [1]"),
        (["-etr", "AdaptiveMedian"], "etr: {top_share: 0}\n", "error: RUN: etr.top_share: expected a number in (0, 1]"),
        (
            ["-etr", "AdaptiveMedian"],
            "etr: {min_complete: 0}\n",
            "error: RUN: etr.min_complete: expected an integer >= 1, got 0",
        ),
        (
            [],
            "failover: later\n",
            "error: RUN: failover: expected one of none, None, premature, random, next_candidate",
        ),
        ([], "stopped_trials: all\n", "error: RUN: stopped_trials: expected one of partial, exclude, got 'all'"),
    ],
)
def test_bad_rule_names_and_options_are_one_line(cli, small_bench, tmp_path, args, conf, message):
    extra = ["-c", str(write_conf(tmp_path, conf))] if conf else []
    result = cli(str(small_bench), "1", *args, *extra)
    assert result.code == 2
    assert result.err.replace(str(tmp_path / "run.yaml"), "RUN").startswith(message), result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_rule_needs_the_number_of_epochs(cli):
    args = ["examples/quadratic.json", "1", "--objective", "examples.objectives:quadratic", "-etr", "Median"]
    result = cli(*args)
    assert result.code == 2
    assert result.err.strip() == (
        "error: examples/quadratic.json: config.max_epoch: early termination (Median) needs the number of epochs"
        " of a full training"
    )


def test_a_rule_needs_a_curve_of_two_epochs_or_more(cli):
    result = cli("branin", "1", "-etr", "ASHA", "-et", "30m")
    assert result.code == 2
    assert result.err.strip() == (
        "error: analytic:branin: config.max_epoch: early termination (ASHA) needs a learning curve of at least 2"
        " epochs, got 1"
    )


@pytest.mark.parametrize(
    ("rule", "options", "key"),
    [
        ("Median", "warmup_epochs: 30", "warmup_epochs"),
        ("Percentile", "warmup_epochs: 100", "warmup_epochs"),
        ("Interval", "after_epoch: 31", "after_epoch"),
        ("ASHA", "min_epochs: 30", "min_epochs"),
    ],
)
def test_an_option_that_would_never_let_the_rule_act_is_refused(cli, tmp_path, rule, options, key):
    result = cli("digits-mlp", "1", "-etr", rule, "-c", str(write_conf(tmp_path, f"etr: {{{options}}}\n")))
    value = options.split(": ")[1]
    assert result.code == 2
    assert result.err.strip().replace(str(tmp_path / "run.yaml"), "RUN") == (
        f"error: RUN: etr.{key}: expected an epoch before the last (30) so that {rule} can stop a trial, got {value}"
    )


def test_adaptive_median_may_start_its_search_past_the_last_epoch(cli, tmp_path):
    result = cli("digits-mlp", "1", "-etr", "AdaptiveMedian", "-et", "1h",
                 "-c", str(write_conf(tmp_path, "etr: {warmup_epochs: 40}\n")))  # fmt: skip
    assert result.code == 0, result.err
    settings = json.loads(
        sqlite3.connect(tmp_path / "results" / "hpo.sqlite").execute("SELECT settings FROM runs").fetchone()[0]
    )
    assert (settings["early_term_rule"], settings["etr"]["warmup_epochs"]) == ("AdaptiveMedian", 40)


@pytest.mark.parametrize(("given", "name"), [("median", "Median"), ("asha-promote", "ASHA-PROMOTE"), ("NONE", "None")])
def test_rule_names_are_read_in_any_case(given, name):
    from hpo_mab.stopping.catalog import rule_name

    assert rule_name(given, "-etr/--early_term_rule") == name
