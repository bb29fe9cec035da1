"""A Dask scheduler killed mid-run: one line, the finished trials kept, and -r on a new scheduler completes the run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.processes import count_rows, wait_for

REPO = Path(__file__).resolve().parents[1]
DASK = str(Path(sys.executable).with_name("dask"))
QUADRATIC = str(REPO / "examples" / "quadratic.json")


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and one worker on loopback; (address, processes)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    folder.mkdir(parents=True)
    scheduler_file = folder / "scheduler.json"
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
         str(scheduler_file)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    wait_for(scheduler_file.exists, "the scheduler file")
    wait_for(lambda: scheduler_file.read_text().strip(), "the scheduler address")
    address = json.loads(scheduler_file.read_text())["address"]
    worker = subprocess.Popen(
        [DASK, "worker", address, "--nthreads", "1", "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return address, [scheduler, worker]


def stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_lost_scheduler_is_one_line_and_the_run_resumes_on_a_new_one(tmp_path):
    results = tmp_path / "r"
    command = 'sleep 0.3; echo "{\\"accuracy\\": 0.5}"'
    address, first = start_cluster(tmp_path / "c1")
    args = [sys.executable, str(REPO / "hpo_runner.py"), QUADRATIC, "1", "-m", "RANDOM", "--command", command,
            "--max-trials", "12", "--seed", "5", "-et", "1d", "--results", str(results)]  # fmt: skip
    try:
        runner = subprocess.Popen([*args, "-w", address], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)  # fmt: skip
        wait_for(lambda: count_rows(results / "hpo.sqlite", "trials") >= 3, "three finished trials")
        os.killpg(first[0].pid, signal.SIGKILL)  # the scheduler
        _, err = runner.communicate(timeout=300)
    finally:
        stop(first)
    kept = count_rows(results / "hpo.sqlite", "trials")
    assert runner.returncode == 1
    assert err.strip().splitlines()[-1] == (
        f"error: lost the connection to the Dask scheduler {address}: the finished trials are stored; "
        "run the same command with -r once a scheduler is back"
    )
    assert 3 <= kept < 12
    address, second = start_cluster(tmp_path / "c2")
    try:
        resumed = subprocess.run([*args, "-w", address, "-r"], cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        stop(second)
    assert resumed.returncode == 0, resumed.stderr
    with sqlite3.connect(results / "hpo.sqlite") as db:
        trials = db.execute("SELECT trial, status FROM trials ORDER BY trial").fetchall()
    assert trials == [(i, "ok") for i in range(12)]
