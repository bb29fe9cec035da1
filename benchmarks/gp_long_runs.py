"""A GP arm's step and memory at the history sizes of long runs (thousands of observations).

    python benchmarks/gp_long_runs.py [--sizes 3000 5000 7000] [--steps 5] [--arm GP-HLE] [--pool 20000]

Each size runs in a fresh process (so that its peak resident memory is its own): the history of
``ask_overhead.py`` (9 hyperparameters, a 20,000-candidate pool) grows to n, one untimed step fits
the model, then ``--steps`` steps are timed on one BLAS thread, as ``hpo_runner.py`` runs. Printed
per size: the median step, the whole process's wall time (the first factorisation and pool solve
included) and its peak resident memory. Compare two versions by running this script in each, one
after the other; the machine is shared, so compare within one sitting.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARMS = ("GP", "GP-LE", "GP-HLE", "RF", "RF-LE", "RF-HLE")  # model arms with EI


def positive(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def one_size(n: int, steps: int, arm: str, pool_size: int) -> dict:
    """Median step (ms), process wall time (s) and peak RSS (MB) of ``arm`` with EI at history size n."""
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "benchmarks"))
    import ask_overhead
    import numpy as np
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    pool, errors, order = ask_overhead.synthetic_problem(pool_size)
    with threadpool_limits(1, user_api="blas"):
        times = list(ask_overhead.arm_steps(arm, "EI", (), pool, errors, order, n, steps, 1))
    return {
        "n": n,
        "median_ms": float(np.median(times)) * 1000,
        "wall_s": time.perf_counter() - start,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Print the table (Markdown), one fresh process per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=positive, nargs="+", default=[3000, 5000, 7000])
    parser.add_argument("--steps", type=positive, default=5)
    parser.add_argument("--arm", default="GP-HLE", choices=ARMS, help="the model of an EI arm")
    parser.add_argument("--pool", type=positive, default=20000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process: one size, JSON out
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.steps, args.arm, args.pool)))
        return
    too_large = [n for n in args.sizes if n >= args.pool]
    if too_large:
        parser.error(f"--sizes: a history of {too_large[0]} needs a pool larger than --pool {args.pool}")
    print(f"| {args.arm}-EI, pool {args.pool} | median step | process wall time | peak RSS |")
    print("|---|---|---|---|")
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--steps", str(args.steps), "--arm", args.arm,
             "--pool", str(args.pool)],
            capture_output=True, text=True,
        )  # fmt: skip
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["no output"])[-1]
            sys.exit(f"n={n}: the measuring process failed ({last})")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| n={n} | {row['median_ms']:.1f} ms | {row['wall_s']:.1f} s | {row['peak_mb']:,.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
