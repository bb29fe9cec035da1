"""A real run process killed mid-run (SIGKILL, SIGINT) resumes with -r to the uninterrupted trace."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SMALL_HP_CONF, make_table

REPO = Path(__file__).resolve().parents[1]
ARGS = ["2", "-et", "4d", "--seed", "11", "-m", "RANDOM"]
TRACE = "big/T345600S/RANDOM-RANDOM(2).json"


@pytest.fixture
def big_bench(tmp_path: Path) -> Path:
    """A 20,000-row table, so that a run lasts long enough to be killed in the middle."""
    folder = tmp_path / "bench"
    folder.mkdir()
    make_table(rows=20000, seed=1).to_csv(folder / "big.csv", index=False)
    conf = {**SMALL_HP_CONF, "config": {**SMALL_HP_CONF["config"], "surrogate": "big.csv"}}
    path = folder / "big.json"
    path.write_text(json.dumps(conf))
    return path


def start(bench: Path, results: Path, *extra: str) -> subprocess.Popen:
    """The run as a real process."""
    cmd = [sys.executable, str(REPO / "hpo_runner.py"), str(bench), *ARGS, "--results", str(results), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored_trials(results: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{results / 'hpo.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0


def wait_for_trials(results: Path, proc: subprocess.Popen, count: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        n = stored_trials(results)
        if n >= count:
            return n
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no progress")


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


@pytest.mark.parametrize(("mode", "spec"), [("GP-HLE", "EI"), ("DIV", "HEDGE"), ("DIV", "SKO"), ("DIV", "EG")])
def test_killed_model_run_resumes_with_its_model_and_strategy_state(big_bench, tmp_path, mode, spec):
    """Warm starts and bandit state (gains, counts, epsilon, knocked-out arms) are stored: same trace."""
    extra = ["-m", mode, "-s", spec, "--max-trials", "30"]
    if spec == "SKO":
        extra += ["-c", str(write_conf(tmp_path, "knockout_period: 1\n"))]
    name = f"big/T345600S/{mode}-{spec}(2).json"
    expected, total = uninterrupted(big_bench, tmp_path, *extra, trace=name)
    results = tmp_path / "killed"
    proc = start(big_bench, results, *extra)
    wait_for_trials(results, proc, 14)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert 14 <= stored_trials(results) < total
    resumed = start(big_bench, results, *extra, "-r")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert (results / name).read_bytes() == expected


def write_conf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path
