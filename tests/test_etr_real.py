"""Real objectives stopped mid-training by the rule: a Python function and a command, here and on Dask workers.

The rule (Interval, 0 < accuracy < 0.5 from epoch 2) stops every configuration with x < 0.5 at its
second epoch. The objectives log each epoch they really train with their process id: a stopped
trial trains no third epoch, and no process it started is left afterwards.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.processes import alive
from tests.test_dask_workers import cluster  # noqa: F401 (the fixture)

REPO = Path(__file__).resolve().parents[1]
TEN = {
    "dataset": "ten",
    "config": {"max_epoch": 10, "metric": "accuracy"},
    "hyperparams": {"x": {"type": "float", "value_type": "continuous", "range": [0.0, 1.0]}},
}
RULE = "early_term_rule: Interval\netr: {low: 0.0, high: 0.5, after_epoch: 2}\nstop_grace: 1\n"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    conf = tmp_path / "ten.json"
    conf.write_text(json.dumps(TEN))
    run_conf = tmp_path / "rule.yaml"
    run_conf.write_text(RULE)
    log = tmp_path / "epochs.log"
    monkeypatch.setenv("HPO_TEST_LOG", str(log))
    return conf, run_conf, log


def check(results: Path, log: Path, trials: int, waits: bool = True) -> None:
    """Stopped trials are early-terminated at epoch 2, the others trained ten; no process is left.

    A Python objective waits for the verdict, so a stopped one trained exactly two epochs; a command
    does not (it may start its third epoch before the stop arrives), but it never finishes.
    """
    db = sqlite3.connect(results / "hpo.sqlite")
    rows = db.execute("SELECT config, epochs, early_terminated, status, error FROM trials").fetchall()
    assert len(rows) == trials and {r[3] for r in rows} == {"ok"}
    trained: dict[str, list[int]] = {}
    pids = set()
    for line in log.read_text().split("\n"):
        if line:
            pid, x, epoch = line.split()
            pids.add(int(pid))
            if epoch != "child":
                trained.setdefault(x, []).append(int(epoch))
    stopped = 0
    for config, epochs, early, _, error in rows:
        x = json.loads(config)["x"]
        done = max(e for key, es in trained.items() if float(key) == x for e in es)
        if x < 0.5:
            stopped += 1
            assert (epochs, early) == (2, 1) and error == pytest.approx(0.7)
            assert done == 2 if waits else 2 <= done < 10
        else:
            assert (epochs, early, done) == (10, 0, 10) and error == pytest.approx(0.1)
    assert 0 < stopped < trials
    assert not [pid for pid in pids if alive(pid)]


def base(conf: Path, run_conf: Path, results: Path) -> list[str]:
    return [str(conf), "1", "-m", "RANDOM", "-c", str(run_conf), "--max-trials", "8", "--seed", "1", "-et", "1d",
            "--results", str(results)]  # fmt: skip


def test_a_python_objective_is_stopped_in_its_child_process(cli, setup, tmp_path):
    conf, run_conf, log = setup
    result = cli(*base(conf, run_conf, tmp_path / "r"), "--objective", "tests.etr_objectives:train", "-l", "log")
    assert result.code == 0, result.err
    assert "stopped by Interval at epoch 2 (0.3000 in (0, 0.5))" in result.out
    check(tmp_path / "r", log, 8)


def test_a_python_objective_that_ignores_the_stop_is_killed(cli, setup, tmp_path):
    conf, run_conf, log = setup
    result = cli(*base(conf, run_conf, tmp_path / "r"), "--objective", "tests.etr_objectives:stubborn")
    assert result.code == 0, result.err
    check(tmp_path / "r", log, 8)


def test_a_shell_objective_is_stopped_with_its_process_group(cli, setup, tmp_path):
    conf, run_conf, log = setup
    command = f"sh {REPO / 'tests' / 'etr_train.sh'} {{x}}"
    result = cli(*base(conf, run_conf, tmp_path / "r"), "--command", command)
    assert result.code == 0, result.err
    check(tmp_path / "r", log, 8, waits=False)
    children = [int(line.split()[0]) for line in log.read_text().splitlines() if line.endswith("child")]
    assert len(children) == 8 and not [pid for pid in children if alive(pid)]


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_objectives_on_dask_workers_are_stopped_where_they_run(setup, cluster, tmp_path, kind):  # noqa: F811
    # ``setup`` first: the workers inherit its HPO_TEST_LOG
    import subprocess

    address, _ = cluster
    conf, run_conf, log = setup
    objective = (
        ["--objective", "tests.etr_objectives:train"]
        if kind == "python"
        else ["--command", f"sh {REPO / 'tests' / 'etr_train.sh'} {{x}}"]
    )
    cmd = [sys.executable, str(REPO / "hpo_runner.py"), *base(conf, run_conf, tmp_path / "r"), *objective,
           "-w", address, "--workers", "2"]  # fmt: skip
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=os.environ)
    assert result.returncode == 0, result.stderr
    check(tmp_path / "r", log, 8, waits=kind == "python")
