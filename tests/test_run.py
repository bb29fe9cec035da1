"""The run loop through the CLI: exact traces, criteria, overhead, store, exports, -r and -p."""

import gzip
import json
import pickle
import sqlite3

import numpy as np
import pytest

from tests.conftest import make_table

TRACE = "small/T1800S/RANDOM-RANDOM(2).json"
REP0_IDX = [243, 25, 54, 72, 55, 240, 261, 174, 11]
REP1_IDX = [293, 75, 173, 121, 231, 101, 44, 129, 253, 161]


def trace(tmp_path, name=TRACE, results="results"):
    return json.loads((tmp_path / results / name).read_text())


def test_fixed_seed_gives_this_exact_trace(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    assert result.code == 0, result.err
    data = trace(tmp_path)
    assert list(data) == ["0", "1"]
    assert data["0"]["model_idx"] == REP0_IDX
    assert data["1"]["model_idx"] == REP1_IDX
    assert data["0"]["error"][:3] == pytest.approx([0.082655, 0.079056, 0.084899])
    assert data["0"]["select_trace"] == ["RANDOM"] * 9
    assert set(data["0"]) == {
        "model_idx",
        "error",
        "accuracy",
        "exec_time",
        "opt_time",
        "cum_exec_time",
        "cum_opt_time",
        "select_trace",
        "train_epoch",
        "best_epoch",
        "num_duplicates",
    }
    assert data["0"]["train_epoch"] == [5] * 9
    assert "best: error 0.056285, accuracy 0.943715 (rep 1, trial 7, candidate 129" in result.out


def test_time_budget_keeps_the_crossing_evaluation(cli, small_bench, tmp_path):
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    for rep in trace(tmp_path).values():
        clock = rep["cum_exec_time"]
        assert clock[-1] >= 1800 > clock[-2]
        assert rep["opt_time"] == [0.0] * len(clock)  # --overhead none is the default


def test_same_command_twice_gives_identical_bytes_and_keeps_the_old_trace(cli, small_bench, tmp_path):
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    first = (tmp_path / "results" / TRACE).read_bytes()
    result = cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    assert (tmp_path / "results" / TRACE).read_bytes() == first
    backup = tmp_path / "results" / (TRACE + ".~1~")
    assert backup.read_bytes() == first
    assert "kept the previous json file as RANDOM-RANDOM(2).json.~1~" in result.err
    assert "kept the previous csv file as RANDOM-RANDOM(2).csv.~1~" in result.err


def test_sobol_alias_and_original_equals_spelling(cli, small_bench, tmp_path):
    assert cli(str(small_bench), "2", "-m", "RANDOM", "-m=SOBOL", "-s=random", "-et=30m", "--seed", "3").code == 0
    assert trace(tmp_path)["0"]["model_idx"] == REP0_IDX


def test_goal_stops_at_the_first_trial_that_reaches_it(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "2", "-m", "RANDOM", "-e", "GOAL", "-eg", "0.08", "--seed", "3")
    assert result.code == 0
    data = trace(tmp_path, "small/G0.08/RANDOM-RANDOM(2).json")
    assert data["0"]["model_idx"] == REP0_IDX[:2]  # error 0.079056 <= 0.08 at the second trial
    assert data["1"]["model_idx"] == REP1_IDX[:1]


def test_goal_as_accuracy(cli, small_bench, tmp_path):
    cli(str(small_bench), "1", "-m", "RANDOM", "-e", "GOAL", "-gm", "accuracy", "-eg", "0.92", "--seed", "3")
    errors = trace(tmp_path, "small/G0.92/RANDOM-RANDOM(1).json")["0"]["error"]
    assert all(e > 0.08 for e in errors[:-1]) and 1 - errors[-1] >= 0.92


def test_goal_not_reached_exits_3_at_the_cap(cli, small_bench, tmp_path):
    result = cli(
        str(small_bench), "1", "-m", "RANDOM", "-e", "GOAL", "-eg", "0.001", "--max-trials", "25", "--seed", "3"
    )
    assert result.code == 3
    assert "goal not reached in repetition(s) 0" in result.err
    assert "is above the best accuracy of the pool" in result.err
    assert len(trace(tmp_path, "small/G0.001/RANDOM-RANDOM(1).json")["0"]["model_idx"]) == 25


def test_default_goal_is_the_tenth_best(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-e", "GOAL", "--seed", "3")
    assert result.code == 0
    table = make_table()
    tenth = float(np.sort(table[[f"acc_{e}" for e in range(1, 6)]].max(axis=1).to_numpy())[::-1][9])
    assert f"note: goal: error {1 - tenth:.6g} (the 10th-best accuracy of the pool {tenth:.6g})" in result.err
    assert "stopped: goal" in result.out
    errors = trace(tmp_path, f"small/G{1 - tenth:g}/RANDOM-RANDOM(1).json")["0"]["error"]
    assert errors[-1] <= 1 - tenth + 1e-12 and min(errors[:-1]) > 1 - tenth


def test_pool_exhaustion_ends_a_repetition(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "1w", "--seed", "1")
    assert "300 trials, stopped: pool_exhausted" in result.out
    assert sorted(trace(tmp_path, "small/T604800S/RANDOM-RANDOM(1).json")["0"]["model_idx"]) == list(range(300))


def test_max_trials_caps_time_runs(cli, small_bench, tmp_path):
    cli(str(small_bench), "1", "-m", "RANDOM", "-et", "1w", "--max-trials", "7", "--seed", "1")
    assert len(trace(tmp_path, "small/T604800S/RANDOM-RANDOM(1).json")["0"]["model_idx"]) == 7


def test_fixed_overhead_is_charged_to_the_clock(cli, small_bench, tmp_path):
    cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3", "--overhead", "60")
    rep = trace(tmp_path, "small/T1800S/RANDOM-RANDOM(1).json")["0"]
    assert rep["opt_time"] == [60.0] * len(rep["opt_time"])
    assert rep["cum_exec_time"][-1] + rep["cum_opt_time"][-1] >= 1800
    assert len(rep["model_idx"]) < len(REP0_IDX)  # the overhead ate part of the budget


def test_measured_overhead_records_wall_time(cli, small_bench, tmp_path):
    cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3", "--overhead", "measured")
    rep = trace(tmp_path, "small/T1800S/RANDOM-RANDOM(1).json")["0"]
    assert all(t > 0 for t in rep["opt_time"])
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    charged, wall = zip(*db.execute("SELECT opt_time, opt_wall_time FROM trials ORDER BY trial"), strict=True)
    assert charged == wall


def test_store_holds_every_trial_with_its_configuration(cli, small_bench, tmp_path):
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    rows = db.execute("SELECT rep, trial, candidate, config, arm, clock FROM trials ORDER BY rep, trial").fetchall()
    assert [r[2] for r in rows] == REP0_IDX + REP1_IDX
    assert [r[1] for r in rows] == list(range(9)) + list(range(10))
    assert set(json.loads(rows[0][3])) == {"x", "lr", "units", "act"}
    assert dict(db.execute("SELECT rep, stop_reason FROM reps")) == {0: "budget", 1: "budget"}
    csv_lines = (tmp_path / "results" / TRACE.replace(".json", ".csv")).read_text().splitlines()
    assert csv_lines[0] == (
        "rep,trial,candidate,x,lr,units,act,error,accuracy,exec_time,opt_time,opt_wall_time,clock,epochs,"
        "best_epoch,arm,note,status,worker"
    )
    assert len(csv_lines) == 1 + 19 and csv_lines[1].startswith("0,0,243,")


def test_rerun_extends_a_finished_run_with_more_repetitions(cli, small_bench, tmp_path):
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    result = cli(str(small_bench), "3", "-m", "RANDOM", "-et", "30m", "--seed", "3", "-r")
    assert "extending run #1 from 2 to 3 repetitions" in result.err
    extended = trace(tmp_path, "small/T1800S/RANDOM-RANDOM(3).json")
    cli(str(small_bench), "3", "-m", "RANDOM", "-et", "30m", "--seed", "3", "--results", str(tmp_path / "fresh"))
    assert extended == trace(tmp_path, "small/T1800S/RANDOM-RANDOM(3).json", "fresh")
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_rerun_of_a_finished_run_evaluates_nothing_again(cli, small_bench, tmp_path):
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3")
    before = (tmp_path / "results" / TRACE).read_bytes()
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "-r")  # no --seed: the stored run's seed is reused
    assert (tmp_path / "results" / TRACE).read_bytes() == before
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 19


def test_rerun_without_a_stored_run_starts_one(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3", "-r")
    assert result.code == 0 and "no stored run with these settings to resume; starting a new run" in result.err


def test_pkl_saves_internals_of_every_trial(cli, small_bench, tmp_path):
    cli(str(small_bench), "2", "-m", "RANDOM", "-et", "30m", "--seed", "3", "-p")
    internals = pickle.loads(gzip.decompress((tmp_path / "results" / TRACE.replace(".json", ".pkl.gz")).read_bytes()))
    assert [i["candidate"] for i in internals["0"]] == REP0_IDX
    assert internals["0"][0] == {"arm": "RANDOM", "candidate": 243, "num_candidates": 300}
    assert internals["0"][1]["num_candidates"] == 299


def test_log_level_log_prints_one_line_per_trial(cli, small_bench):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3", "-l", "log")
    lines = result.out.splitlines()
    assert lines[0] == "run #1 small RANDOM-RANDOM seed 3, 1 repetition(s)"
    assert lines[1] == "rep 0 trial    0 RANDOM       error 0.082655 best 0.082655 clock 4m20s"
    assert lines[10] == "rep 0 stopped: budget after 9 trials"


def test_without_seed_a_random_seed_is_recorded_and_replayable(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m")
    seed = int(result.out.split("seed ")[1].split(",")[0])
    first = trace(tmp_path, "small/T1800S/RANDOM-RANDOM(1).json")
    cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", str(seed), "--results", str(tmp_path / "again"))
    assert trace(tmp_path, "small/T1800S/RANDOM-RANDOM(1).json", "again") == first


def test_title_of_a_run_conf_names_the_trace(cli, small_bench, tmp_path):
    conf = tmp_path / "mine.yaml"
    conf.write_text("title: trial-a\n")
    assert cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3", "-c", str(conf)).code == 0
    assert (tmp_path / "results" / "small/T1800S/RANDOM-RANDOM.trial-a(1).json").is_file()


def test_hp_conf_by_name_in_the_hc_folder(cli, small_bench, tmp_path):
    assert cli("small", "1", "-m", "RANDOM", "-et", "30m", "--seed", "3", "-hc", str(small_bench.parent)).code == 0
    assert trace(tmp_path, "small/T1800S/RANDOM-RANDOM(1).json")["0"]["model_idx"] == REP0_IDX


def test_a_store_of_the_first_schema_is_migrated(cli, small_bench, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    db = sqlite3.connect(results / "hpo.sqlite")
    db.execute(
        "CREATE TABLE trials (run_id INTEGER NOT NULL, rep INTEGER NOT NULL, trial INTEGER NOT NULL,"
        " candidate INTEGER NOT NULL, config TEXT NOT NULL, error REAL NOT NULL, accuracy REAL NOT NULL,"
        " exec_time REAL NOT NULL, opt_time REAL NOT NULL, opt_wall_time REAL NOT NULL, clock REAL NOT NULL,"
        " epochs INTEGER NOT NULL, best_epoch INTEGER NOT NULL, arm TEXT NOT NULL, PRIMARY KEY (run_id, rep, trial))"
    )
    db.commit()
    db.close()
    assert cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3").code == 0
    columns = [row[1] for row in sqlite3.connect(results / "hpo.sqlite").execute("PRAGMA table_info(trials)")]
    assert columns[-8:] == ["note", "selection", "status", "worker", "early_terminated", "etr", "resumed_from", "curve"]


def test_rerun_that_finds_no_run_says_how_the_closest_one_differs(cli, small_bench, tmp_path):
    assert cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "3").code == 0
    other_seed = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--seed", "4", "-r")
    assert other_seed.err.splitlines()[0] == (
        "note: no stored run with these settings to resume (run #1 has these settings with seed 3; -r without --seed"
        " resumes it); starting a new run"
    )
    longer = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "1h", "--seed", "3", "-r")
    assert longer.err.splitlines()[0] == (
        "note: no stored run with these settings to resume (run #2 of this benchmark differs in budget); starting a"
        " new run"
    )
