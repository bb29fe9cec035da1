"""Parallel speed-ups: simulated ASYNC workers on digits-mlp, and real Dask workers on a sleeping objective.

    python benchmarks/parallel.py [--reps 20] [--trials 40]

(a) ``digits-mlp``, ``-m BATCH -s ASYNC`` (DIV-SEQ shared by the workers) with 1, 2, 4 and 8
simulated workers, ``-e GOAL`` (the table's 10th-best accuracy): median simulated time to the goal
over ``--reps`` repetitions, and its ratio to one worker (target: 4 workers <= 40 %).
(b) ``examples.objectives:sleepy`` (sleeps 0.5 s), RANDOM, ``--trials`` trials, one worker
in-process vs a 2-worker Dask LocalCluster: wall time of the whole command, and the run's own clock
(from the first proposal to the last result; the cluster is started before it) with the
throughput ratio (target >= 1.8x).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.terminal.text_table import markdown_table  # noqa: E402


def run(args: list[str], results: Path) -> float:
    """Run the CLI, return wall seconds."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(REPO / "hpo_runner.py"), *args, "--results", str(results)],
        check=True, capture_output=True, env=env, cwd=REPO,
    )  # fmt: skip
    return time.perf_counter() - start


def time_to_goal(results: Path) -> list[float]:
    """Per repetition: the clock of its last trial (under GOAL, the trial that reached it)."""
    db = sqlite3.connect(results / "hpo.sqlite")
    return [row[0] for row in db.execute("SELECT MAX(clock) FROM trials GROUP BY rep")]


def main() -> None:
    """Measure and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--trials", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows, base = [], None
        for workers in (1, 2, 4, 8):
            results = Path(folder) / f"sim{workers}"
            wall = run(
                ["digits-mlp", str(args.reps), "-m", "BATCH", "-s", "ASYNC", "--workers", str(workers), "-e", "GOAL",
                 "--seed", "1"],
                results,
            )  # fmt: skip
            median = statistics.median(time_to_goal(results))
            base = base or median
            rows.append((workers, f"{median / 3600:.2f} h", f"{median / base:.0%}", f"{wall:.0f} s"))
        print("(a) digits-mlp, BATCH ASYNC (DIV-SEQ), GOAL = 10th-best accuracy")
        print(markdown_table(("workers", f"median time to goal ({args.reps} reps)", "vs 1 worker", "wall"), rows))
        os.environ["HPO_SLEEP"] = "0.5"
        walls, clocks = {}, {}
        for workers in (1, 2):
            results = Path(folder) / f"real{workers}"
            walls[workers] = run(
                ["examples/quadratic.json", "1", "-m", "RANDOM", "--objective", "examples.objectives:sleepy",
                 "--workers", str(workers), "--max-trials", str(args.trials), "--seed", "1", "-et", "1d"],
                results,
            )  # fmt: skip
            clocks[workers] = time_to_goal(results)[0]  # the run's clock at its last trial
        print(f"\n(b) sleepy objective (0.5 s), {args.trials} trials; 1 worker runs in-process, 2 on a LocalCluster")
        print(
            markdown_table(
                ("workers", "wall (process + cluster start-up)", "run clock", "trials/s (clock)", "throughput vs 1"),
                [
                    (w, f"{walls[w]:.1f} s", f"{clocks[w]:.1f} s", f"{args.trials / clocks[w]:.2f}",
                     f"{clocks[1] / clocks[w]:.2f}x")
                    for w in walls
                ],
            )
        )  # fmt: skip


if __name__ == "__main__":
    main()
