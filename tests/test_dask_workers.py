"""Real objectives on a real Dask cluster: a scheduler and two workers started on 127.0.0.1."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DASK = str(Path(sys.executable).with_name("dask"))


@pytest.fixture
def cluster(tmp_path):
    """(scheduler address, {worker name: process}); every process is stopped afterwards."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    scheduler_file = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
             str(scheduler_file)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
    ]  # fmt: skip
    deadline = time.time() + 60
    while not scheduler_file.exists() and time.time() < deadline:
        time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    workers = {}
    for name in ("w1", "w2"):
        workers[name] = subprocess.Popen(
            [DASK, "worker", address, "--name", name, "--nthreads", "1", "--no-dashboard", "--nworkers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        procs.append(workers[name])
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=60)
    yield address, workers
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def rows(results: Path) -> list[tuple]:
    db = sqlite3.connect(results / "hpo.sqlite")
    return db.execute("SELECT trial, candidate, status, note FROM trials ORDER BY trial").fetchall()


def test_shell_and_python_objectives_run_on_the_workers(cluster, tmp_path):
    address, _ = cluster
    base = [sys.executable, str(REPO / "hpo_runner.py"), str(REPO / "examples" / "quadratic.json"), "1", "-m", "RANDOM"]
    common = ["-w", address, "--workers", "2", "--max-trials", "6", "--seed", "2", "-et", "1d"]
    shell = f"{sys.executable} {REPO / 'examples' / 'train.py'} --x {{x}} --lr {{lr}}"
    for extra, folder in (
        (["--command", shell], "shell"),
        (["--objective", "examples.objectives:quadratic"], "python"),
    ):
        done = subprocess.run(
            [*base, *common, *extra, "--results", str(tmp_path / folder)],
            capture_output=True, text=True, timeout=300, cwd=REPO,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        stored = rows(tmp_path / folder)
        assert [r[0] for r in stored] == list(range(6)) and {r[2] for r in stored} == {"ok"}
    shell_rows, python_rows = rows(tmp_path / "shell"), rows(tmp_path / "python")
    assert sorted(r[1] for r in shell_rows) == sorted(r[1] for r in python_rows)  # same pool, same proposals


def test_a_worker_killed_mid_trial_loses_no_trial(cluster, tmp_path):
    address, workers = cluster
    marker = tmp_path / "started"
    command = f"touch {marker}.$PPID; sleep 2; {sys.executable} {REPO / 'examples' / 'train.py'} --x {{x}} --lr {{lr}}"
    run = subprocess.Popen(
        [sys.executable, str(REPO / "hpo_runner.py"), str(REPO / "examples" / "quadratic.json"), "1", "-m", "RANDOM",
         "-w", address, "--workers", "2", "--command", command, "--max-trials", "6", "--seed", "4", "-et", "1d",
         "--results", str(tmp_path / "r")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 120
    while len(list(tmp_path.glob("started.*"))) < 2 and time.time() < deadline:
        time.sleep(0.1)  # both workers are in the middle of a trial
    os.killpg(workers["w1"].pid, signal.SIGKILL)  # w1 dies mid-trial; its trial is retried on w2
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    stored = rows(tmp_path / "r")
    assert [r[0] for r in stored] == list(range(6))
    assert len({r[1] for r in stored}) == 6  # each trial stored exactly once
    assert {r[2] for r in stored} == {"ok"}


def test_compare_cells_run_on_the_scheduler_workers_as_they_run_here(cluster, tmp_path):
    address, _ = cluster
    base = [sys.executable, str(REPO / "hpo_runner.py"), "compare", "--benchmarks", "branin", "--strategies",
            "RANDOM,GP-EI", "--reps", "2", "-et", "1h"]  # fmt: skip
    remote = subprocess.run(
        [*base, "--scheduler", address, "--results", str(tmp_path / "remote")], capture_output=True, text=True,
        timeout=300, cwd=REPO,
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    subprocess.run([*base, "--workers", "1", "--results", str(tmp_path / "here")], check=True, timeout=300, cwd=REPO)
    query = (
        "SELECT c.strategy, c.rep, t.trial, t.candidate, t.error FROM cell_trials t JOIN cells c USING (key)"
        " ORDER BY 1, 2, 3"
    )
    rows = [sqlite3.connect(tmp_path / f / "compare.sqlite").execute(query).fetchall() for f in ("remote", "here")]
    assert rows[0] == rows[1] and len({(r[0], r[1]) for r in rows[0]}) == 4
