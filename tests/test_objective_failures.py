"""Objectives that fail in every way: each failure is a failed trial with its reason, and the run goes on.

The Python function runs in a child process, so ``sys.exit``, ``os._exit`` and a segfault end only
the trial; a result out of [0, 1] is a failure, not a winner; a run in which every trial failed
says so and exits 4.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.processes import alive, wait_for

REPO = Path(__file__).resolve().parents[1]
QUADRATIC = str(REPO / "examples" / "quadratic.json")
MOD = "tests.failing_objectives"


def rows(results: Path) -> list[tuple]:
    db = sqlite3.connect(results / "hpo.sqlite")
    return db.execute("SELECT status, note, accuracy, config FROM trials ORDER BY trial").fetchall()


def run(cli, tmp_path, *args: str):
    return cli(QUADRATIC, "1", "-m", "RANDOM", "--max-trials", "3", "--seed", "1", "-et", "1d", *args)


@pytest.mark.parametrize(
    "function, reason",
    [
        ("exits_0", "the objective exited with code 0 before returning a result"),
        ("exits_3", "the objective exited with code 3 before returning a result"),
        ("os_exit", "the objective exited with code 0 before returning a result"),
        ("segfaults", "the objective was killed by signal SIGSEGV"),
        ("too_big", "accuracy 7.5 is outside [0, 1]"),
        ("too_big_dict", "accuracy 5 is outside [0, 1]"),
    ],
)
def test_a_python_objective_that_dies_or_lies_fails_only_its_trial(cli, tmp_path, function, reason):
    result = run(cli, tmp_path, "--objective", f"{MOD}:{function}")
    stored = rows(tmp_path / "results")
    assert [(s, n.split("; stderr")[0]) for s, n, _, _ in stored] == [("failed", f"failed: {reason}")] * 3
    assert result.code == 4
    assert result.err.strip().splitlines()[-1] == "no trial succeeded in repetition(s) 0: every trial failed"
    assert f"rep 0: all 3 trials failed, first: {reason}" in result.out
    assert "best:" not in result.out


def test_a_report_out_of_range_fails_the_trial(cli, tmp_path):
    result = run(cli, tmp_path, "--objective", f"{MOD}:reports_too_big")
    assert result.code == 4
    notes = [n for _, n, _, _ in rows(tmp_path / "results")]
    assert all("ValueError: reported accuracy 2 at epoch 1 is outside [0, 1]" in n for n in notes), notes


def test_a_command_result_out_of_range_or_not_utf8(cli, tmp_path):
    result = run(cli, tmp_path, "--command", "echo '{\"accuracy\": 5.0}'")
    assert result.code == 4
    assert {n for _, n, _, _ in rows(tmp_path / "results")} == {"failed: accuracy 5 is outside [0, 1]"}
    result = cli(QUADRATIC, "1", "-m", "RANDOM", "--max-trials", "2", "--seed", "1", "-et", "1d", "--results",
                 str(tmp_path / "utf"), "--command", "printf '\\377\\376 bytes\\n{\"accuracy\": 0.5}\\n'")  # fmt: skip
    assert result.code == 0, result.err
    assert [(s, a) for s, _, a, _ in rows(tmp_path / "utf")] == [("ok", 0.5), ("ok", 0.5)]


def test_the_run_goes_on_after_crashes_and_the_best_is_a_success(cli, tmp_path):
    result = cli(QUADRATIC, "1", "-m", "RANDOM", "--max-trials", "8", "--seed", "1", "-et", "1d",
                 "--objective", f"{MOD}:half_crash")  # fmt: skip
    assert result.code == 0, result.err
    stored = rows(tmp_path / "results")
    assert len(stored) == 8
    crashed = [json.loads(c)["x"] for s, _, _, c in stored if s == "failed"]
    fine = [(json.loads(c)["x"], a) for s, _, a, c in stored if s == "ok"]
    assert crashed and fine and all(x >= 0.5 for x in crashed)
    assert all(a == pytest.approx(0.5 + x / 2) for x, a in fine)
    best = max(a for _, a in fine)
    assert f"accuracy {best:.6f}" in result.out.split("best: error")[1]


@pytest.mark.parametrize(
    "function, reason",
    [("hangs", "timed out after 1 s"), ("os_exit", "the objective exited with code 0 before returning a result")],
)
def test_hangs_and_exits_on_dask_workers_fail_their_trials_and_the_workers_survive(tmp_path, function, reason):
    import subprocess

    cmd = [sys.executable, str(REPO / "hpo_runner.py"), QUADRATIC, "1", "-m", "RANDOM", "--max-trials", "4",
           "--seed", "1", "-et", "1d", "--results", str(tmp_path / "r"), "--objective", f"{MOD}:{function}",
           "--trial-timeout", "1s", "--workers", "2"]  # fmt: skip
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=os.environ)
    assert result.returncode == 4, result.stderr
    stored = rows(tmp_path / "r")
    assert len(stored) == 4 and {n.split("; stderr")[0] for _, n, _, _ in stored} == {f"failed: {reason}"}


def test_a_child_that_keeps_stdout_open_does_not_hold_the_trial(cli, tmp_path):
    marker = tmp_path / "child.pid"
    command = f"sleep 300 & echo $! > {marker}; echo '{{\"accuracy\": 0.5}}'"
    result = cli(QUADRATIC, "1", "-m", "RANDOM", "--max-trials", "1", "--seed", "1", "-et", "1d",
                 "--trial-timeout", "60s", "--command", command)  # fmt: skip
    assert result.code == 0, result.err
    assert [(s, a) for s, _, a, _ in rows(tmp_path / "results")] == [("ok", 0.5)]
    pid = int(marker.read_text())
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_a_trial_does_not_outlive_a_runner_killed_with_sigkill(tmp_path, kind):
    import signal
    import subprocess

    pid_file = tmp_path / "trial.pid"
    objective = (
        ["--objective", f"{MOD}:logs_pid_and_hangs"]
        if kind == "python"
        else ["--command", f"sh -c 'echo $$ > {pid_file}; sleep 600'"]
    )
    cmd = [sys.executable, str(REPO / "hpo_runner.py"), QUADRATIC, "1", "-m", "RANDOM", "--max-trials", "1",
           "--seed", "1", "-et", "1d", "--results", str(tmp_path / "r"), *objective]  # fmt: skip
    runner = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "HPO_TEST_PID": str(pid_file)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the trial to start")
    trial = int(pid_file.read_text())
    assert alive(trial)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    wait_for(lambda: not alive(trial), "the trial to be ended by its guard")
