"""Nothing exposed, nothing left behind, one writer per run: real runner and compare processes.

Each process gets a fresh ``TMPDIR``; it must stay empty (temporary files go under the results
folder), every socket the process tree listens on must be on 127.0.0.1, and a second writer of
a running run is refused. States are awaited (a marker file a trial writes, a stored cell), never
slept for.
"""

import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.processes import count_rows

REPO = Path(__file__).resolve().parents[1]
QUADRATIC = str(REPO / "examples" / "quadratic.json")
DEADLINE = 180.0


def wait_until(check, proc: subprocess.Popen, what: str) -> None:
    """Poll ``check()`` until true; fail if ``proc`` ends first or the deadline passes."""
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert proc.poll() is None, f"the process ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def gate_command(tmp_path: Path) -> tuple[str, Path, Path]:
    """A command whose trials write a marker, then wait until a release file exists."""
    mark, release = tmp_path / "started", tmp_path / "release"
    command = (
        f"touch {shlex.quote(str(mark))}; while [ ! -e {shlex.quote(str(release))} ]; do sleep 0.05; done;"
        " echo '{\"accuracy\": 0.5}' # {x}"
    )
    return command, mark, release


def spawn(args: list[str], tmpdir: Path, **kwargs) -> subprocess.Popen:
    """``hpo_runner.py ARGS`` as a real process in its own session, with its own TMPDIR."""
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(REPO / "hpo_runner.py"), *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs,
    )  # fmt: skip


def listening(pid: int) -> list[tuple[int, str, int]]:
    """(pid, address, port) of every listening TCP socket of a process and its descendants."""
    root = psutil.Process(pid)
    out = []
    for process in [root, *root.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        out += [(process.pid, c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN]
    return out


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def stored_cells(results: Path) -> int:
    return count_rows(results / "compare.sqlite", "cells")


def run_args(command: str, results: Path, *extra: str) -> list[str]:
    return [QUADRATIC, "1", "-m", "RANDOM", "--command", command, "--max-trials", "2", "--seed", "1",
            "--results", str(results), *extra]  # fmt: skip


@pytest.mark.parametrize("workers", ["1", "2"])
def test_killed_shell_run_listens_on_localhost_only_and_leaves_nothing_in_tmp(tmp_path, workers):
    command, mark, release = gate_command(tmp_path)
    results, tmpdir = tmp_path / "results", tmp_path / "systmp"
    proc = spawn(run_args(command, results, "--workers", workers), tmpdir)
    try:
        wait_until(mark.exists, proc, "a trial started")
        sockets = listening(proc.pid)
        assert all(address == "127.0.0.1" for _, address, _ in sockets), sockets
        if workers == "2":
            assert sockets  # the LocalCluster's scheduler and workers were looked at
        trial_configs = list((results / ".tmp").glob(f"{proc.pid}/**/hpo-trial-*/config.json"))
        assert trial_configs, sorted(str(p) for p in results.rglob("*"))
    finally:
        kill_group(proc)
    assert list(tmpdir.iterdir()) == []
    # the next run in this results folder removes the scratch folder of the killed process
    release.touch()
    resumed = subprocess.run(
        [sys.executable, str(REPO / "hpo_runner.py"), *run_args(command, results, "--workers", workers, "-r")],
        cwd=REPO, env={**os.environ, "TMPDIR": str(tmpdir)}, capture_output=True, text=True, timeout=DEADLINE,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert list(tmpdir.iterdir()) == []
    assert list((results / ".tmp").iterdir()) == []
    assert "INFO" not in resumed.stderr and "distributed" not in resumed.stderr, resumed.stderr


def test_killed_compare_listens_on_localhost_only_and_leaves_nothing_in_tmp(tmp_path):
    results, tmpdir = tmp_path / "compare", tmp_path / "systmp"
    args = ["compare", "--benchmarks", "branin", "--strategies", "GP-EI", "--reps", "40", "-et", "6h",
            "--workers", "2", "--results", str(results)]  # fmt: skip
    proc = spawn(args, tmpdir)
    try:
        wait_until(lambda: stored_cells(results) >= 1, proc, "a stored cell")
        sockets = listening(proc.pid)
        assert sockets and all(address == "127.0.0.1" for _, address, _ in sockets), sockets
        assert (results / ".tmp" / str(proc.pid) / "dask-scratch-space").is_dir()
    finally:
        kill_group(proc)
    assert list(tmpdir.iterdir()) == []


def test_compare_on_a_cluster_ends_quietly(tmp_path):
    tmpdir = tmp_path / "systmp"
    args = ["compare", "--benchmarks", "branin", "--strategies", "RANDOM,GP-EI", "--reps", "2", "-et", "2h",
            "--workers", "2", "--results", str(tmp_path / "compare")]  # fmt: skip
    proc = spawn(args, tmpdir)
    _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0, err
    assert err.splitlines() == ["4 cells (0 stored), 4 to run on 2 worker(s)"]
    assert list(tmpdir.iterdir()) == []
    assert list((tmp_path / "compare" / ".tmp").iterdir()) == []


def test_interrupted_compare_says_the_same_command_continues(tmp_path):
    results = tmp_path / "compare"
    args = ["compare", "--benchmarks", "branin", "--strategies", "GP-EI", "--reps", "40", "-et", "6h",
            "--workers", "1", "--results", str(results)]  # fmt: skip
    proc = spawn(args, tmp_path / "systmp")
    wait_until(lambda: stored_cells(results) >= 1, proc, "a stored cell")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 130
    assert err.splitlines()[-1] == "interrupted: finished cells are stored; run the same command again to continue"
    assert "-r" not in err


def test_a_second_writer_of_a_running_run_is_refused_and_a_dead_ones_lock_is_taken_over(tmp_path):
    command, mark, release = gate_command(tmp_path)
    results = tmp_path / "results"
    first = spawn(run_args(command, results), tmp_path / "systmp")
    try:
        wait_until(mark.exists, first, "the first run's trial")
        second = spawn(run_args(command, results, "-r"), tmp_path / "systmp")
        out, err = second.communicate(timeout=DEADLINE)
        assert second.returncode == 2
        assert err.splitlines() == [
            f"error: -r/--rerun: run #1 is being written by process {first.pid}; wait for it to end or stop it"
        ]
        assert first.poll() is None
    finally:
        kill_group(first)
    release.touch()
    third = spawn(run_args(command, results, "-r"), tmp_path / "systmp")
    out, err = third.communicate(timeout=DEADLINE)
    assert third.returncode == 0, err
    assert out.startswith("run #1: quadratic RANDOM-RANDOM, seed 1, 1 repetition(s), 2 trials")
    db = sqlite3.connect(results / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
