"""``hpo_runner.py runs`` and ``runs show ID``: stored runs read from the store, nothing re-run."""

import os
import sqlite3

from hpo_mab.store.lock import RunLock

RANDOM_RUN = ["2", "-m", "RANDOM", "-et", "30m", "--seed", "5"]
GOAL_RUN = ["1", "-m", "GP", "-e", "GOAL", "-eg", "0.05", "--seed", "3"]


def created(results, run_id):
    return (
        sqlite3.connect(results / "hpo.sqlite")
        .execute("SELECT created FROM runs WHERE id = ?", (run_id,))
        .fetchone()[0]
    )


def two_runs(cli, small_bench, tmp_path):
    first = cli(str(small_bench), *RANDOM_RUN)
    second = cli(str(small_bench), *GOAL_RUN)
    assert first.code == 0 and second.code == 0, (first.err, second.err)
    return tmp_path / "results", first, second


def test_runs_lists_every_stored_run(cli, small_bench, tmp_path):
    results, _, _ = two_runs(cli, small_bench, tmp_path)
    listed = cli("runs", "--results", str(results))
    assert listed.code == 0, listed.err
    c1, c2 = created(results, 1), created(results, 2)
    assert listed.out.splitlines() == [
        "id  benchmark  mode-spec      criterion        seed  reps  status  best error  created",
        "--  ---------  -------------  ---------------  ----  ----  ------  ----------  -------------------------",
        f" 1  small      RANDOM-RANDOM  TIME 30m00s         5  2/2   done    0.059374    {c1}",
        f" 2  small      GP-EI          GOAL error 0.05     3  1/1   done    0.048722    {c2}",
    ]


def test_runs_show_prints_the_summary_of_the_run_from_the_store(cli, small_bench, tmp_path):
    results, first, _ = two_runs(cli, small_bench, tmp_path)
    shown = cli("runs", "show", "1", "--results", str(results))
    assert shown.code == 0, shown.err
    summary = [line for line in first.out.splitlines() if not line.startswith(("trace:", "trials:"))]
    details = f"  RANDOM-RANDOM, TIME 30m00s, created {created(results, 1)}; 2 of 2 repetition(s) finished, done"
    settings = "  settings: early_term_rule None; overhead none; pool 20000 sobol seed 1"
    assert shown.out.splitlines() == [summary[0], details, settings, *summary[1:]]
    assert shown.out.splitlines()[-1].startswith("best configuration: x=")
    goal = cli("runs", "--results", str(results), "show", "2")
    assert goal.out.splitlines() == [
        "run #2: small GP-EI, seed 3, 1 repetition(s), 12 trials",
        f"  GP-EI, GOAL error 0.05, created {created(results, 2)}; 1 of 1 repetition(s) finished, done",
        "  settings: early_term_rule None; overhead none; pool 20000 sobol seed 1",
        "  rep 0: best error 0.048722 (accuracy 0.951278) at trial 11, clock 36m59s; 12 trials, stopped: goal",
        "median best error over repetitions: 0.048722",
        "best: error 0.048722, accuracy 0.951278 (rep 0, trial 11, candidate 172, found at clock 36m59s)",
        "best configuration: x=0.3159435453677002, lr=0.004499196771643795, units=2, act='relu'",
    ]


def test_runs_shows_running_and_incomplete_runs(cli, small_bench, tmp_path):
    results, _, _ = two_runs(cli, small_bench, tmp_path)
    db = sqlite3.connect(results / "hpo.sqlite")
    db.execute("UPDATE reps SET stop_reason = NULL WHERE run_id = 1 AND rep = 1")
    db.commit()
    with RunLock(results, 2):
        lines = cli("runs", "--results", str(results)).out.splitlines()
    assert "  2/2  " not in lines[2] and " 1/2   incomplete" in lines[2]
    assert f"running (pid {os.getpid()})" in lines[3]
    shown = cli("runs", "show", "1", "--results", str(results)).out.splitlines()
    assert shown[1].endswith("1 of 2 repetition(s) finished, incomplete")
    assert "stopped: not finished" in shown[4]


def test_runs_refuses_an_unknown_run_and_a_folder_without_store(cli, small_bench, tmp_path):
    results, _, _ = two_runs(cli, small_bench, tmp_path)
    unknown = cli("runs", "show", "7", "--results", str(results))
    assert unknown.code == 2
    assert unknown.err.splitlines() == [f"error: {results / 'hpo.sqlite'}: no run #7 (stored: runs #1 to #2)"]
    empty = cli("runs", "--results", str(tmp_path / "nothing"))
    assert empty.code == 2
    assert empty.err.splitlines() == [f"error: {tmp_path / 'nothing'}: no result store (hpo.sqlite) here"]
    assert not (tmp_path / "nothing").exists()


def test_runs_tell_apart_runs_that_differ_only_in_rule_arms_overhead_or_workers(cli, tmp_path):
    conf = tmp_path / "two.yaml"
    conf.write_text("title: two\narms: [{model: GP-HLE, acq_func: EI}, {model: RF-HLE, acq_func: PI}]\n")
    base = ["digits-mlp", "1", "-et", "1h", "--seed", "4"]
    assert cli(*base, "-etr", "Median").code == 0
    assert cli(*base, "-c", str(conf), "-s", "SEQ", "--overhead", "measured").code == 0
    results = str(tmp_path / "results")
    listed = cli("runs", "--results", results).out.splitlines()
    assert [line.split()[2] for line in listed[2:]] == ["DIV-TS+Median", "DIV-SEQ"]
    assert "(two)" in listed[3]
    first = cli("runs", "show", "1", "--results", results).out.splitlines()[2]
    second = cli("runs", "show", "2", "--results", results).out.splitlines()[2]
    assert first.startswith(
        "  settings: early_term_rule Median (interval=1, min_curves=5); overhead none; arms GP-HLE_EI,"
    )
    assert (
        second
        == "  settings: early_term_rule None; overhead measured; arms GP-HLE_EI, RF-HLE_PI; pool 20000 sobol seed 1"
    )
    (tmp_path / "premature.yaml").write_text("title: two\nfailover: premature\narms: [{model: GP-HLE, acq_func: EI}]\n")
    assert cli(*base, "-c", str(tmp_path / "premature.yaml"), "-s", "SEQ", "--workers", "3").code == 0
    third = cli("runs", "show", "3", "--results", results).out.splitlines()[2]
    assert third == (
        "  settings: early_term_rule None; overhead none; workers 3 (failover premature); arms GP-HLE_EI;"
        " pool 20000 sobol seed 1"
    )
