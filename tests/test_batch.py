"""BATCH SYNC / ASYNC on the simulated clock: fixed-seed traces, batch structure, strategies per worker.

A killed BATCH run resuming its trials in flight is tested with a real process in test_resume.py.
"""

import itertools
import json
import sqlite3

import pytest

ARGS = ["1", "-m", "BATCH", "--workers", "3", "-et", "2h", "--seed", "5", "-c", "arms"]  # the original six arms
EXPECTED = {
    "ASYNC": ([6, 241, 242, 0, 201, 19, 266, 123], [2, 1, 2, 1, 0, 2, 1, 1]),
    "SYNC": ([6, 241, 201, 15, 58, 11, 121, 104], [2, 1, 0, 1, 2, 0, 0, 1]),
}


def stored(results) -> list[tuple]:
    db = sqlite3.connect(results / "hpo.sqlite")
    return db.execute(
        "SELECT trial, candidate, worker, clock, exec_time, selection FROM trials ORDER BY trial"
    ).fetchall()


@pytest.mark.parametrize("spec", ["ASYNC", "SYNC"])
def test_fixed_seed_traces(cli, small_bench, tmp_path, spec):
    assert cli(str(small_bench), *ARGS, "-s", spec).code == 0
    rows = stored(tmp_path / "results")
    assert [r[1] for r in rows[:8]] == EXPECTED[spec][0]
    assert [r[2] for r in rows[:8]] == EXPECTED[spec][1]
    assert len({r[1] for r in rows}) == len(rows)  # never the same configuration twice
    assert [r[3] for r in rows] == sorted(r[3] for r in rows)  # numbered in finishing order
    started = [json.loads(r[5])["started"] for r in rows]
    assert all(r[3] == pytest.approx(s + r[4]) for r, s in zip(rows, started, strict=True))
    for worker in range(3):  # a worker runs one trial at a time
        mine = sorted((s, r[3]) for r, s in zip(rows, started, strict=True) if r[2] == worker)
        assert all(nxt[0] >= prev[1] - 1e-9 for prev, nxt in itertools.pairwise(mine))
    if spec == "SYNC":  # batches of 3 start together, after the whole previous batch finished
        batches = sorted(set(started))
        assert all(started.count(b) == 3 for b in batches[:-1])
        finish_of = {b: max(r[3] for r, s in zip(rows, started, strict=True) if s == b) for b in batches}
        assert all(later == pytest.approx(finish_of[b]) for b, later in itertools.pairwise(batches))
    again = tmp_path / "again"
    assert cli(str(small_bench), *ARGS, "-s", spec, "--results", str(again)).code == 0
    assert [r[:5] for r in stored(again)] == [r[:5] for r in rows]


def test_async_with_more_workers_reaches_more_trials_by_the_budget(cli, small_bench, tmp_path):
    counts = {}
    for workers in ("1", "4"):
        folder = tmp_path / workers
        args = [str(small_bench), "1", "-m", "BATCH", "-s", "ASYNC", "--workers", workers, "-et", "2h", "--seed", "5"]
        assert cli(*args, "--results", str(folder)).code == 0
        counts[workers] = len(stored(folder))
    assert counts["4"] > 3 * counts["1"]


def test_bandits_give_one_strategy_per_worker(cli, small_bench, tmp_path):
    conf = tmp_path / "batch.yaml"
    conf.write_text("bandits:\n  - {mode: RANDOM, spec: RANDOM}\n  - {mode: GP, spec: EI}\n")
    assert cli(str(small_bench), "1", "-m", "BATCH", "-c", str(conf), "-et", "2h", "--seed", "5").code == 0
    arms = {(r[2], json.loads(r[5]).get("worker")) for r in stored(tmp_path / "results")}
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    by_worker = dict(db.execute("SELECT worker, GROUP_CONCAT(DISTINCT arm) FROM trials GROUP BY worker"))
    assert by_worker == {0: "RANDOM", 1: "GP_EI"} and len(arms) == 2


@pytest.mark.parametrize("spec", ["SYNC", "ASYNC"])
@pytest.mark.parametrize("cap", [1, 3, 5])
def test_max_trials_is_exact_with_several_workers(cli, tmp_path, spec, cap):
    """Free workers are not filled beyond the cap: the trials in flight complete it."""
    results = tmp_path / f"{spec}-{cap}"
    result = cli("digits-mlp", "2", "-m", "BATCH", "-s", spec, "--workers", "4", "--max-trials", str(cap),
                 "--seed", "1", "--results", str(results))  # fmt: skip
    assert result.code == 0, result.err
    db = sqlite3.connect(results / "hpo.sqlite")
    counts = db.execute("SELECT rep, COUNT(*) FROM trials GROUP BY rep ORDER BY rep").fetchall()
    reasons = {r for (r,) in db.execute("SELECT stop_reason FROM reps")}
    assert counts == [(0, cap), (1, cap)] and reasons == {"max_trials"}
