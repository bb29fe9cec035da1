"""A real run process killed mid-run (SIGKILL, SIGINT) resumes with -r to the uninterrupted trace."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import count_rows

REPO = Path(__file__).resolve().parents[1]
ARGS = ["2", "-et", "4d", "--seed", "11", "-m", "RANDOM"]
TRACE = "big/T345600S/RANDOM-RANDOM(2).json"


def start(bench: Path, results: Path, *extra: str) -> subprocess.Popen:
    """The run as a real process."""
    cmd = [sys.executable, str(REPO / "hpo_runner.py"), str(bench), *ARGS, "--results", str(results), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored_trials(results: Path) -> int:
    return count_rows(results / "hpo.sqlite", "trials")


def wait_for_trials(results: Path, proc: subprocess.Popen, count: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        n = stored_trials(results)
        if n >= count:
            return n
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no progress")


def in_flight_now(results: Path) -> bool:
    """True when the stored state of an unfinished repetition holds trials in flight."""
    try:
        with sqlite3.connect(results / "hpo.sqlite") as db:
            rows = db.execute("SELECT state FROM reps WHERE stop_reason IS NULL").fetchall()
    except sqlite3.Error:
        return False
    return any(json.loads(row[0]).get("inflight") for row in rows if row[0])


def wait_for_in_flight(results: Path, proc: subprocess.Popen, count: int) -> None:
    """Wait for ``count`` stored trials, then for a stored state with trials in flight (the moment to kill)."""
    wait_for_trials(results, proc, count)
    deadline = time.monotonic() + 120
    while not in_flight_now(results) and time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.005)


def uninterrupted(bench: Path, tmp_path: Path, *extra: str, trace: str = TRACE) -> tuple[bytes, int]:
    reference = tmp_path / "reference"
    proc = start(bench, reference, *extra)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    return (reference / trace).read_bytes(), stored_trials(reference)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes_to_the_same_trace(big_bench, tmp_path, sig):
    expected, total = uninterrupted(big_bench, tmp_path)
    results = tmp_path / "killed"
    proc = start(big_bench, results)
    wait_for_trials(results, proc, 300)
    proc.send_signal(sig)
    code = proc.wait(timeout=60)
    before = stored_trials(results)
    assert 300 <= before < total
    if sig == signal.SIGINT:
        assert code == 130
        assert "interrupted: finished trials are stored; run again with -r to resume" in proc.stderr.read()
    else:
        assert code == -signal.SIGKILL
    resumed = start(big_bench, results, "-r")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert (results / TRACE).read_bytes() == expected
    db = sqlite3.connect(results / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == total
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    duplicates = db.execute(
        "SELECT COUNT(*) FROM (SELECT rep, candidate FROM trials GROUP BY rep, candidate HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    assert duplicates == 0


@pytest.mark.parametrize(
    ("mode", "spec"), [("GP-HLE", "EI"), ("DIV", "HEDGE"), ("DIV", "SKO"), ("DIV", "EG"), ("DIV", "TS"), ("OTPE", "EI")]
)
def test_killed_model_run_resumes_with_its_model_and_strategy_state(big_bench, tmp_path, mode, spec):
    """Warm starts and bandit state (gains, counts, epsilon, knocked-out arms) are stored: same trace."""
    extra = ["-m", mode, "-s", spec, "--max-trials", "20"]
    if spec == "SKO":
        extra += ["-c", str(write_conf(tmp_path, "knockout_period: 1\n"))]
    if spec == "TS":  # Optuna's TPE among the arms: its study is rebuilt from the history on resume
        arms = "arms: [{model: GP-HLE, acq_func: EI}, {model: OTPE, acq_func: EI}, {model: RF-HLE, acq_func: EI}]\n"
        extra += ["-c", str(write_conf(tmp_path, arms + "otpe: {n_startup_trials: 4}\n"))]
    if mode == "OTPE":
        extra += ["-c", str(write_conf(tmp_path, "otpe: {n_startup_trials: 4}\n"))]
    name = f"big/T345600S/{mode}-{spec}(2).json"
    expected, total = uninterrupted(big_bench, tmp_path, *extra, trace=name)
    results = tmp_path / "killed"
    proc = start(big_bench, results, *extra)
    wait_for_trials(results, proc, 10)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert 10 <= stored_trials(results) < total
    resumed = start(big_bench, results, *extra, "-r")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert (results / name).read_bytes() == expected


def write_conf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("spec", ["ASYNC", "SYNC"])
def test_killed_batch_run_resubmits_its_trials_in_flight(big_bench, tmp_path, spec):
    """Four simulated workers: the kill leaves trials in flight; -r runs them again, same trace."""
    conf = write_conf(tmp_path, "bandits:\n  - {mode: RANDOM, spec: RANDOM}\n")
    extra = ["-m", "BATCH", "-s", spec, "--workers", "4", "-c", str(conf)]
    name = f"big/T345600S/BATCH-{spec}(2).json"
    expected, total = uninterrupted(big_bench, tmp_path, *extra, trace=name)
    results = tmp_path / "killed"
    for attempt in range(5):  # a kill between two SYNC batches leaves nothing in flight: kill again later
        proc = start(big_bench, results, *extra, *(["-r"] if attempt else []))
        wait_for_in_flight(results, proc, 300 * (attempt + 1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert stored_trials(results) < total
        db = sqlite3.connect(results / "hpo.sqlite")
        states = [json.loads(row[0]) for row in db.execute("SELECT state FROM reps WHERE stop_reason IS NULL")]
        db.close()
        if any(state["inflight"] for state in states):
            break
    assert any(state["inflight"] for state in states)  # the kill left trials in flight
    resumed = start(big_bench, results, *extra, "-r")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert (results / name).read_bytes() == expected
    assert sqlite3.connect(results / "hpo.sqlite").execute("SELECT COUNT(*) FROM trials").fetchone()[0] == total


def test_killed_real_objective_run_resubmits_the_trial_in_flight(tmp_path):
    """A shell objective killed mid-trial: -r runs the same configuration again, nothing twice."""
    log = tmp_path / "started.log"
    train = f"{sys.executable} {REPO / 'examples' / 'train.py'} --x {{x}} --lr {{lr}}"
    command = f"echo {{x}} >> {log}; sleep 0.5; {train}"
    cmd = [
        *(sys.executable, str(REPO / "hpo_runner.py"), str(REPO / "examples" / "quadratic.json"), "1", "-m", "GP"),
        *("--command", command, "--max-trials", "6", "--seed", "3", "-et", "1d", "--results", str(tmp_path / "r")),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while (not log.exists() or len(log.read_text().splitlines()) < 3) and time.monotonic() < deadline:
        time.sleep(0.05)  # the third trial has started
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    db = sqlite3.connect(tmp_path / "r" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 2
    inflight = json.loads(db.execute("SELECT state FROM reps").fetchone()[0])["inflight"]
    assert len(inflight) == 1
    db.close()
    resumed = subprocess.run([*cmd, "-r"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    db = sqlite3.connect(tmp_path / "r" / "hpo.sqlite")
    rows = db.execute("SELECT trial, candidate, status FROM trials ORDER BY trial").fetchall()
    assert [r[0] for r in rows] == list(range(6)) and {r[2] for r in rows} == {"ok"}
    assert len({r[1] for r in rows}) == 6
    assert rows[2][1] == inflight[0]["candidate"]  # the trial in flight at the kill, run again


REFINE_CONF = "title: refine\nrefine: {enabled: true, starts: 3, max_iter: 20}\n"


@pytest.mark.parametrize(
    ("mode", "spec", "workers", "max_trials"),
    # TPE's steps are cheap: a longer run, so that the kill lands before its end
    [("DIV", "HEDGE", "1", 24), ("DIV", "SEQ", "3", 24), ("TPE", "EI", "1", 150)],
)
def test_killed_refining_run_resumes_to_the_same_trace(tmp_path, mode, spec, workers, max_trials):
    """Configurations proposed off the pool (continuous refinement) re-join it on resume with their ids: same trace."""
    conf = write_conf(tmp_path, REFINE_CONF)
    args = ["branin", "2", "-m", mode, "-s", spec, "-c", str(conf), "--workers", workers]
    args += ["--max-trials", str(max_trials), "-et", "4d", "--seed", "5"]
    name = f"branin/T345600S/{mode}-{spec}.refine(2).json"

    def start_refining(results: Path, *extra: str) -> subprocess.Popen:
        cmd = [sys.executable, str(REPO / "hpo_runner.py"), *args, "--results", str(results), *extra]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    reference = start_refining(tmp_path / "reference")
    assert reference.wait(timeout=600) == 0, reference.stderr.read()
    expected = (tmp_path / "reference" / name).read_bytes()
    off_pool = [i for rep in json.loads(expected).values() for i in rep["model_idx"] if i >= 20000]
    assert off_pool  # the arms did propose configurations off the 20,000-point pool
    results = tmp_path / "killed"
    proc = start_refining(results)
    wait_for_trials(results, proc, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert 30 <= stored_trials(results) < 2 * max_trials
    resumed = start_refining(results, "-r")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()
    assert (results / name).read_bytes() == expected
