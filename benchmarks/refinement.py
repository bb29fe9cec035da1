"""Refinement off the pool on analytic functions: median normalised regret, pool-only vs refined arms.

    python benchmarks/refinement.py [--functions branin hartmann3 hartmann6 rosenbrock4]
        [--strategies GP-EI DIV-SEQ] [--reps 3] [--budget 12h] [--workers 2] [--results results/refinement]

Each strategy runs once with ``refine: {enabled: false}`` (its arms choose among the 20,000-point
Sobol pool) and once with ``refine: {enabled: true}``, the default (each GP/RF arm refines its best
pool candidates by a local optimisation of its acquisition on the function's continuous domain),
through ``compare`` on the same seeds and budget (300 simulated seconds per evaluation: 144
evaluations in 12 h). An analytic function's error is its normalised regret, so the table shows,
per function and strategy, the median over repetitions of the final best error of both, their
ratio, and the median wall time of a cell of each (measured: noisy on a shared machine). Finished
cells are kept in ``--results`` and skipped on a re-run.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFINE_CONF = "title: refine\nrefine: {enabled: true}\n"
POOL_CONF = "title: pool\nrefine: {enabled: false}\n"


def run_compare(functions: list[str], strategies: list[str], args: argparse.Namespace, results: Path) -> None:
    """Every (strategy, function, repetition) cell through ``hpo_runner.py compare``."""
    cmd = [
        sys.executable, str(REPO / "hpo_runner.py"), "compare",
        "--benchmarks", ",".join(functions), "--strategies", ",".join(strategies),
        "--reps", str(args.reps), "-et", args.budget, "--workers", str(args.workers), "--results", str(results),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)


def final_errors(results: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(benchmark, strategy) -> (best error, cell wall seconds) of each repetition."""
    with sqlite3.connect(results / "compare.sqlite") as db:
        rows = db.execute(
            "SELECT c.benchmark, c.strategy, c.rep, MIN(t.error), c.wall FROM cells c "
            "JOIN cell_trials t ON t.key = c.key GROUP BY c.key ORDER BY c.benchmark, c.strategy, c.rep"
        ).fetchall()
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for benchmark, strategy, _, error, wall in rows:
        out.setdefault((benchmark, strategy), []).append((float(error), float(wall)))
    return out


def medians(cells: list[tuple[float, float]]) -> tuple[float, float]:
    """The median best error and the median wall time of a strategy's cells."""
    return statistics.median(e for e, _ in cells), statistics.median(w for _, w in cells)


def ratio_text(ratio: float) -> str:
    """``31,437x`` from 10 up, two significant digits below (``1.3x``, ``0.98x``)."""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def main() -> None:
    """Run the cells and print the table (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", nargs="+", default=["branin", "hartmann3", "hartmann6", "rosenbrock4"])
    parser.add_argument("--strategies", nargs="+", default=["GP-EI", "DIV-SEQ"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--budget", default="12h")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", type=Path, default=REPO / "results" / "refinement")
    args = parser.parse_args()
    args.results.mkdir(parents=True, exist_ok=True)
    conf, pool_conf = args.results / "refine.yaml", args.results / "pool.yaml"
    conf.write_text(REFINE_CONF)
    pool_conf.write_text(POOL_CONF)
    pooled = {s: f"{s}@{pool_conf}" for s in args.strategies}
    refined = {s: f"{s}@{conf}" for s in args.strategies}
    run_compare(args.functions, [*pooled.values(), *refined.values()], args, args.results)
    errors = final_errors(args.results)
    print(f"| function | strategy | pool only | refined | pool / refined | cell wall s, pool / refined |"
          f" ({args.reps} reps, {args.budget}) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for function in args.functions:
        for strategy in args.strategies:
            pool, pool_wall = medians(errors[(function, pooled[strategy])])
            better, wall = medians(errors[(function, refined[strategy])])
            ratio = "inf" if better == 0 else ratio_text(pool / better)
            print(f"| {function} | {strategy} | {pool:.2e} | {better:.2e} | {ratio} | {pool_wall:.0f} / {wall:.0f} | |")


if __name__ == "__main__":
    main()
