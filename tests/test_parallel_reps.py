"""``-j/--jobs``: repetitions replayed at once in child processes give the sequential run's trials.

The children are real forked processes: killed with their parent (``kill -9``), ended on Ctrl-C,
and a failing repetition's error is the run's.
"""

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_mab.assembly.observer import Reporter
from hpo_mab.assembly.parallel_reps import run_in_processes
from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.inputs.errors import InputError
from tests.processes import alive, count_rows, wait_for

REPO = Path(__file__).resolve().parents[1]
RANDOM_ARGS = ["3", "-et", "4d", "--seed", "11", "-m", "RANDOM"]
RANDOM_TRACE = "big/T345600S/RANDOM-RANDOM(3).json"


def hpo(*args: str) -> subprocess.Popen:
    """The CLI as a real process."""
    cmd = [sys.executable, str(REPO / "hpo_runner.py"), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out


def stored(results: Path) -> list[tuple]:
    """Every stored trial, without its wall time (the one column that differs between two runs)."""
    with sqlite3.connect(results / "hpo.sqlite") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(trials)") if row[1] != "opt_wall_time"]
        return db.execute(f"SELECT {', '.join(columns)} FROM trials ORDER BY rep, trial").fetchall()


def children_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def reps_writing(results: Path) -> int:
    """Repetitions with a stored trial (0 before the store exists)."""
    try:
        with sqlite3.connect(f"file:{results / 'hpo.sqlite'}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(DISTINCT rep) FROM trials").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize(
    ("args", "trace"),
    [
        (["digits-mlp", "3", "-m", "DIV", "-s", "SEQ", "-c", "arms", "-et", "2h", "--seed", "5"], "T7200S/DIV-SEQ(3)"),
        (
            [
                "digits-mlp",
                "3",
                "-m",
                "DIV",
                "-s",
                "HEDGE",
                "-c",
                "arms",
                "-et",
                "1h",
                "--seed",
                "5",
                "--workers",
                "3",
                "-etr",
                "Median",
                "--max-trials",
                "24",
            ],
            "T3600S/DIV-HEDGE.ETR-Median(3)",
        ),
    ],
)
def test_parallel_repetitions_store_and_trace_the_sequential_trials(tmp_path, args, trace):
    sequential, parallel = tmp_path / "sequential", tmp_path / "parallel"
    out_sequential = finished(hpo(*args, "--results", str(sequential)))
    out_parallel = finished(hpo(*args, "--results", str(parallel), "-j", "3"))
    name = f"digits-mlp/{trace}.json"
    assert (parallel / name).read_bytes() == (sequential / name).read_bytes()
    assert stored(parallel) == stored(sequential)
    assert out_parallel.replace(str(parallel), "R") == out_sequential.replace(str(sequential), "R")  # the summary


def test_trial_lines_of_each_repetition_come_in_order(tmp_path):
    args = ["digits-mlp", "3", "-m", "GP", "-et", "3h", "--seed", "2", "-l", "log"]
    sequential = finished(hpo(*args, "--results", str(tmp_path / "a"))).splitlines()
    parallel = finished(hpo(*args, "--results", str(tmp_path / "b"), "-j", "3")).splitlines()
    for rep in range(3):
        lines = [line for line in sequential if line.startswith(f"rep {rep} ")]
        assert len(lines) > 3
        assert [line for line in parallel if line.startswith(f"rep {rep} ")] == lines


def test_killed_parallel_run_leaves_no_repetition_running_and_resumes_to_the_same_trace(big_bench, tmp_path):
    reference = tmp_path / "reference"
    finished(hpo(str(big_bench), *RANDOM_ARGS, "--results", str(reference)))
    expected, total = (reference / RANDOM_TRACE).read_bytes(), count_rows(reference / "hpo.sqlite", "trials")
    results = tmp_path / "killed"
    proc = hpo(str(big_bench), *RANDOM_ARGS, "--results", str(results), "-j", "2")
    wait_for(lambda: reps_writing(results) == 2 or proc.poll() is not None, "two repetitions writing")
    assert proc.poll() is None, "the run ended before it could be killed"
    children = children_of(proc.pid)
    assert len(children) == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    wait_for(lambda: not any(alive(pid) for pid in children), "the repetitions to end with their parent")
    assert 0 < count_rows(results / "hpo.sqlite", "trials") < total
    finished(hpo(str(big_bench), *RANDOM_ARGS, "--results", str(results), "-j", "2", "-r"))
    assert (results / RANDOM_TRACE).read_bytes() == expected
    assert count_rows(results / "hpo.sqlite", "trials") == total


def test_interrupted_parallel_run_ends_its_repetitions_and_keeps_their_trials(big_bench, tmp_path):
    results = tmp_path / "interrupted"
    proc = hpo(str(big_bench), *RANDOM_ARGS, "--results", str(results), "-j", "3")
    wait_for(lambda: reps_writing(results) == 3 or proc.poll() is not None, "three repetitions writing")
    children = children_of(proc.pid)
    assert len(children) == 3
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: finished trials are stored; run again with -r to resume" in err
    assert not any(alive(pid) for pid in children)
    with sqlite3.connect(results / "hpo.sqlite") as db:
        states = db.execute("SELECT rep, num_trials FROM reps ORDER BY rep").fetchall()
        stored_per_rep = db.execute("SELECT rep, COUNT(*) FROM trials GROUP BY rep ORDER BY rep").fetchall()
    assert [rep for rep, _ in states] == [0, 1, 2]
    assert states == stored_per_rep  # each repetition's state is that of its last stored trial


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["examples/quadratic.json", "2", "--objective", "examples.objectives:quadratic", "-j", "2"],
            "error: -j/--jobs: repetitions run at once only on the simulated clock (surrogate tables, analytic "
            "functions, YAHPO); a real objective runs trials in parallel with --workers",
        ),
        (["digits-mlp", "2", "-j", "0"], "error: Invalid value for '-j' / '--jobs': 0 is not in the range 1<=x<=64."),
        (["digits-mlp", "2", "-j", "65"], "error: Invalid value for '-j' / '--jobs': 65 is not in the range 1<=x<=64."),
    ],
)
def test_bad_jobs_are_one_line_and_exit_2(cli, args, message):
    result = cli(*args)
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == message
    assert "Traceback" not in result.err


class Recorder(Reporter):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def rep_start(self, rep: int) -> None:
        self.events.append(("start", rep))

    def rep_end(self, outcome: RepetitionOutcome) -> None:
        self.events.append(("end", outcome.rep))


def test_a_failing_repetition_raises_its_error_and_ends_the_others(tmp_path):
    started = tmp_path / "started"
    started.mkdir()

    def work(rep: int, events: Reporter) -> RepetitionOutcome:
        import os
        import time

        events.rep_start(rep)
        (started / str(os.getpid())).write_text(str(rep))
        if rep == 1:
            wait_for(lambda: len(list(started.iterdir())) == 3, "the others to start")
            raise InputError("bad value", "conf.yaml", "pool.size")
        while True:  # the others would run for ever
            time.sleep(0.01)

    recorder = Recorder()
    with pytest.raises(InputError, match=r"^conf.yaml: pool.size: bad value$"):
        run_in_processes(work, [0, 1, 2], 3, recorder)
    pids = [int(p.name) for p in started.iterdir()]
    assert len(pids) == 3 and not any(alive(pid) for pid in pids)
    assert sorted(recorder.events) == [("start", 0), ("start", 1), ("start", 2)]


def test_outcomes_come_back_in_repetition_order_with_events_passed_on():
    def work(rep: int, events: Reporter) -> RepetitionOutcome:
        events.rep_start(rep)
        return RepetitionOutcome(rep, f"done {rep}", [])

    recorder = Recorder()
    outcomes = run_in_processes(work, [0, 1, 2, 3, 4], 2, recorder)
    assert [(o.rep, o.stop_reason) for o in outcomes] == [(r, f"done {r}") for r in range(5)]
    assert sorted(recorder.events) == sorted([("start", r) for r in range(5)] + [("end", r) for r in range(5)])
    for rep in range(5):
        assert recorder.events.index(("start", rep)) < recorder.events.index(("end", rep))


def test_prepare_does_the_repetitions_shared_work_once_before_they_are_forked():
    from hpo_mab.assembly.build import assemble
    from hpo_mab.assembly.request import RunRequest

    assembly = assemble(RunRequest(config="digits-mlp", num_trials=2, mode="DIV", spec="SEQ", exp_time="1h"), print)
    assert "configspace" not in assembly.pool()._encodings
    assembly.prepare()
    encodings = assembly.pool()._encodings  # every pool copy shares them: a forked repetition finds them done
    assert encodings["configspace"].shape == (len(assembly.pool().ids), len(assembly.problem.space.hyperparams))
    assert assembly.problem.space._configspace is not None  # the forest arms' ConfigSpace, built once


def test_prepare_builds_only_what_the_arms_use():
    from hpo_mab.assembly.build import assemble
    from hpo_mab.assembly.request import RunRequest

    assembly = assemble(RunRequest(config="digits-mlp", num_trials=2, mode="GP", spec="EI", exp_time="1h"), print)
    assembly.prepare()
    assert "configspace" not in assembly.pool()._encodings  # no forest arm: its encoding is not built
    assert assembly.problem.space._configspace is None
