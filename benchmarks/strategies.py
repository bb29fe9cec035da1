"""Compare strategies on replayed benchmarks: best error over time, success rate, mean rank.

    python benchmarks/strategies.py [--reps 20] [--budget 12h] [--benchmarks digits-mlp branin hartmann6]
                                    [--strategies RANDOM GP-HLE-EI ... DIV-HEDGE] [--results DIR] [--jobs 2]

Every (benchmark, strategy) pair is one run of ``--reps`` repetitions in the result store under
``--results`` (default ``results/strategies``), so an interrupted comparison continues where it
stopped. Branin and Hartmann-6 are replayed from tables materialised here on a scrambled Sobol
pool (4,096 points; error = (f - min) / (max - min) over the pool; 300 s per evaluation, so 12 h
is 144 evaluations). Prints, per benchmark, the median best error at 1, 3, 6 and 12 simulated
hours, the success rate (best accuracy >= the table's 10th best within the budget) and the mean
rank of each strategy (ranks per repetition and checkpoint, averaged).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.assembly.build import assemble  # noqa: E402
from hpo_mab.assembly.request import RunRequest  # noqa: E402
from hpo_mab.assembly.session import run  # noqa: E402
from hpo_mab.surrogates.analytic import FUNCTIONS  # noqa: E402

CHECKPOINTS_H = (1, 3, 6, 12)
DEFAULT_STRATEGIES = [
    "RANDOM",
    "GP-HLE-EI",
    "GP-HLE-PI",
    "GP-HLE-UCB",
    "RF-HLE-EI",
    "RF-HLE-PI",
    "RF-HLE-UCB",
    "DIV-SEQ",
    "DIV-RANDOM",
    "DIV-HEDGE",
    "DIV-EG",
    "DIV-SKO",
]


def on_unit_cube(name: str):
    """An analytic function of ``surrogates.analytic`` evaluated from unit coordinates of its domain."""
    function = FUNCTIONS[name]
    lows = np.array([lo for lo, _ in function.bounds])
    spans = np.array([hi - lo for lo, hi in function.bounds])
    return lambda u: function.function(lows + u * spans)


def materialise(folder: Path, name: str, dim: int, func, points: int = 4096) -> Path:
    """An hp_conf + table of an analytic function on a Sobol pool (one epoch, 300 s per evaluation)."""
    from scipy.stats import qmc

    folder.mkdir(parents=True, exist_ok=True)
    conf_path = folder / f"{name}.json"
    if conf_path.exists():
        return conf_path
    u = qmc.Sobol(dim, scramble=True, seed=0).random_base2(int(np.log2(points)))
    f = func(u)
    error = (f - f.min()) / (f.max() - f.min())
    names = [f"x{i + 1}" for i in range(dim)]
    table = pd.DataFrame(u, columns=names)
    table["err_1"] = np.round(error, 12)
    table["train_time"] = 300.0
    table.to_csv(folder / f"{name}.csv", index=False)
    conf = {
        "dataset": name,
        "model": "analytic",
        "config": {"max_epoch": 1, "surrogate": f"{name}.csv", "metric": "error", "epoch_column_prefix": "err_"},
        "hyperparams": {n: {"type": "float", "value_type": "continuous", "range": [0.0, 1.0]} for n in names},
        "param_order": names,
    }
    conf_path.write_text(json.dumps(conf, indent=1))
    return conf_path


def run_cell(config: str, strategy: str, reps: int, budget: str, results: str, seed: int) -> tuple[str, str, list]:
    """One (benchmark, strategy) run, resumed if stored; returns per-repetition trials (clock, error)."""
    mode, _, spec = strategy.partition("-") if strategy.startswith("DIV") else (strategy, "", "")
    if not strategy.startswith("DIV") and strategy != "RANDOM":
        mode, spec = strategy.rsplit("-", 1)
    request = RunRequest(
        config=config,
        num_trials=reps,
        mode=mode,
        spec=spec or None,
        exp_time=budget,
        seed=seed,
        results_dir=Path(results),
        rerun=True,
    )
    report = run(request)
    return config, strategy, [[(t.clock, t.error) for t in o.trials] for o in report.outcomes]


def _single_threaded() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def best_at(trials: list[tuple[float, float]], seconds: float) -> float:
    """Best error among the evaluations finished by ``seconds`` (1.0 if none)."""
    errors = [e for c, e in trials if c <= seconds]
    return min(errors) if errors else 1.0


def main() -> None:
    """Run the comparison and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--budget", default="12h")
    parser.add_argument("--benchmarks", nargs="+", default=["digits-mlp", "branin", "hartmann6"])
    parser.add_argument("--strategies", nargs="+", default=DEFAULT_STRATEGIES)
    parser.add_argument("--results", default=str(REPO / "results" / "strategies"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tables = Path(args.results) / "tables"
    configs = {
        "branin": str(materialise(tables, "branin", 2, on_unit_cube("branin"))),
        "hartmann6": str(materialise(tables, "hartmann6", 6, on_unit_cube("hartmann6"))),
    }
    cells = [(configs.get(b, b), s) for b in args.benchmarks for s in args.strategies]
    outcomes = {}
    # one BLAS thread per worker process: --jobs processes already use the cores
    with ProcessPoolExecutor(args.jobs, initializer=_single_threaded) as pool:
        futures = [pool.submit(run_cell, c, s, args.reps, args.budget, args.results, args.seed) for c, s in cells]
        for future in futures:
            config, strategy, reps = future.result()
            outcomes[(config, strategy)] = reps
            print(f"  done {Path(config).stem} {strategy}", file=sys.stderr, flush=True)
    for bench in args.benchmarks:
        config = configs.get(bench, bench)
        assembly = assemble(RunRequest(config=config), warn=lambda message: None)
        goal_error = 1.0 - assembly.problem.default_goal()
        best = {
            s: np.array([[best_at(r, h * 3600) for h in CHECKPOINTS_H] for r in outcomes[(config, s)]])
            for s in args.strategies
        }
        stacked = np.stack([best[s] for s in args.strategies])  # (strategies, reps, checkpoints)
        ranks = rankdata(stacked, axis=0)  # average ranks: tied strategies share their rank
        print(f"\n### {bench} ({args.reps} repetitions, goal error {goal_error:.6g})\n")
        print(
            "| strategy | "
            + " | ".join(f"median best error @{h}h" for h in CHECKPOINTS_H)
            + " | success rate | mean rank |"
        )
        print("|---|" + "---|" * (len(CHECKPOINTS_H) + 2))
        for k, s in enumerate(args.strategies):
            medians = np.median(best[s], axis=0)
            success = np.mean(best[s][:, -1] <= goal_error + 1e-12)
            cells = " | ".join(f"{m:.5f}" for m in medians)
            print(f"| {s} | {cells} | {success:.2f} | {ranks[k].mean():.2f} |")


if __name__ == "__main__":
    main()
