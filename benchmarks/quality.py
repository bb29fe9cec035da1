"""The quality suite: our strategies and the peers on benchmarks of different kinds, nobody tuned on.

    python benchmarks/quality.py [--reps 10] [--jobs 2] [--out results/quality] [--strategies ...]
        [--benchmarks ...] [--yahpo-data ../shared/benchmarks/yahpo] [--report-only] [--readme README.md]

One ``hpo_runner.py compare`` per benchmark (each has its own budget), ``--jobs`` at a time, each
into its resumable store ``OUT/<benchmark>/compare.sqlite`` (run it again to continue: finished
cells are skipped; more ``--reps`` or strategies add only the missing cells). The suite: the
bundled tables (digits-mlp, breast-cancer-gbm), three 5,000-row tables materialised from YAHPO
lcbench tasks, a 13-parameter mixed categorical/integer/float table (``suite_tables.py``), and
four analytic functions on their continuous domain (a 20,000-point Sobol pool, not a table).
Budgets give the median strategy ~100-300 evaluations.

Prints, per benchmark and overall: the mean rank over time (ranks at 12 equally spaced
checkpoints up to the budget, averaged), the success rate (the benchmark's 10th-best error
reached within the budget), the median time to that goal (as a fraction of the budget; inf when
half the repetitions never reached it), the error ratio (a strategy's final median error over the
best strategy's) and the stricter regret ratio (the same for regret = error - the table's
smallest error; an analytic function's error is already its normalised regret to the true
minimum; inf when the best strategy's median found the table's best row);
then the worst regret ratio and the lowest success-rate gap of each strategy over the suite, and
Wilcoxon signed-rank p-values of the first strategy against the two best peers and the best other
strategy of ours (the final errors of every benchmark and repetition, paired). ``--readme`` writes
the overall table between the ``<!-- quality-suite -->`` markers of that file.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.suite_tables import lcbench_table, mixed_table  # noqa: E402
from hpo_mab.assembly.build import assemble  # noqa: E402
from hpo_mab.assembly.compare import STORE_NAME, parse_strategy  # noqa: E402
from hpo_mab.assembly.request import RunRequest  # noqa: E402
from hpo_mab.commands.compare import load_results  # noqa: E402
from hpo_mab.inputs.timestr import parse_seconds  # noqa: E402
from hpo_mab.reporting.summary import best_at, goal_table, rank_table  # noqa: E402
from hpo_mab.terminal.text_table import markdown_table  # noqa: E402

PEERS = ["optuna-tpe", "optuna-gp", "hyperopt-tpe", "smac-hpo"]
CONFS = Path(__file__).resolve().parent / "quality_confs"  # arm sets measured against the default
OURS = ["DIV-TS", f"DIV-TS@{CONFS / 'old-TS.yaml'}", f"DIV-TS@{CONFS / 'arms5.yaml'}", "DIV-SEQ@arms", "GP-HLE-EI",
        "GP-HLE-PI", "GP-HLE-UCB", "RF-HLE-EI", "RF-HLE-PI", "RF-HLE-UCB", "OTPE-EI",
        f"DIV-TS@{CONFS / 'arms3b.yaml'}"]  # fmt: skip
CHECKPOINTS = 12
MARKER = "<!-- quality-suite -->"
LCBENCH_TASKS = ("3945", "7593", "167168")


@dataclass(frozen=True)
class SuiteBenchmark:
    """One benchmark of the suite: its name, how it is made (``table``/``lcbench``/``analytic``), its budget."""

    name: str
    kind: str
    budget: str


SUITE = [
    SuiteBenchmark("digits-mlp", "bundled", "9h"),
    SuiteBenchmark("breast-cancer-gbm", "bundled", "6h"),
    SuiteBenchmark("lcbench-3945", "lcbench", "12h"),
    SuiteBenchmark("lcbench-7593", "lcbench", "140h"),
    SuiteBenchmark("lcbench-167168", "lcbench", "5h"),
    SuiteBenchmark("xgb-mixed13", "mixed", "20h"),
    SuiteBenchmark("branin", "analytic", "12h"),
    SuiteBenchmark("hartmann3", "analytic", "12h"),
    SuiteBenchmark("hartmann6", "analytic", "12h"),
    SuiteBenchmark("rosenbrock4", "analytic", "12h"),
]


def config_of(bench: SuiteBenchmark, tables: Path, yahpo: Path) -> str:
    """The CONFIG argument of a suite benchmark (tables are made on first use)."""
    if bench.kind == "lcbench":
        return str(lcbench_table(tables, bench.name.split("-", 1)[1], yahpo))
    if bench.kind == "mixed":
        return str(mixed_table(tables))
    return bench.name


def short_label(label: str) -> str:
    """``DIV-TS@/path/to/arms3.yaml`` -> ``DIV-TS@arms3``."""
    return re.sub(r"@(?:.*/)?([^/@]+?)\.(?:ya?ml|json)$", r"@\1", label)


def smallest_errors(configs: dict[str, str]) -> dict[str, float]:
    """The smallest error of each benchmark: its table's best row; 0 for analytic functions (their error
    is already the normalised regret to the true minimum)."""
    out = {}
    for name, config in configs.items():
        best = assemble(RunRequest(config=config), warn=lambda message: None).problem.best_known()
        out[name] = 0.0 if best is None else 1.0 - float(best)
    return out


def run_suite(benches: list[SuiteBenchmark], configs: dict, strategies: list[str], args: argparse.Namespace) -> None:
    """One resumable compare per benchmark (store ``OUT/<benchmark>``), ``--jobs`` of them at a time."""

    def one(bench: SuiteBenchmark) -> None:
        subprocess.run(
            [sys.executable, str(REPO / "hpo_runner.py"), "compare", "--benchmarks", configs[bench.name],
             "--strategies", ",".join(strategies), "--reps", str(args.reps), "-et", bench.budget,
             "--workers", "1", "--results", str(args.out / bench.name)],
            check=True,
        )  # fmt: skip
        print(f"  done {bench.name}", file=sys.stderr, flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, benches))


def stored(out: Path, names: list[str]) -> tuple[pd.DataFrame, dict]:
    """The tidy trials and goals of the benchmarks' stores that exist."""
    frames, goals = [], {}
    for name in names:
        if (out / name / STORE_NAME).is_file():
            tidy, found = load_results(out / name)
            # a cell stored twice under two keys (the run's identity changed, not its trials) counts once
            tidy = tidy.drop_duplicates(["strategy", "benchmark", "rep", "trial"])
            frames.append(tidy[tidy["benchmark"] == name])
            goals.update(found)
    if not frames:
        raise SystemExit(f"nothing stored under {out}")
    return pd.concat(frames, ignore_index=True), goals


def suite_tables(tidy: pd.DataFrame, goals: dict, floors: dict, budgets: dict) -> pd.DataFrame:
    """Per (benchmark, strategy): mean rank over time, success rate, median time to goal, final regret."""
    parts = []
    for benchmark, bench in tidy.groupby("benchmark", sort=True):
        budget = budgets[benchmark]
        times = list(np.linspace(budget / CHECKPOINTS, budget, CHECKPOINTS))
        ranks = rank_table(bench, times).groupby("strategy")["mean_rank"].mean()
        goal = goal_table(bench, {benchmark: goals[benchmark]}, budget).set_index("strategy")
        final = best_at(bench, budget).groupby("strategy")["best_error"].median()
        frame = pd.DataFrame(
            {
                "benchmark": benchmark,
                "mean_rank": ranks,
                "success": goal["success_rate"],
                "time_to_goal": goal["median_time_to_goal"] / budget,
                "error": final,
                "regret": (final - floors[benchmark]).clip(lower=0.0),
                "evaluations": bench.groupby(["strategy", "rep"]).size().groupby("strategy").median(),
            }
        )
        frame["error_ratio"] = frame["error"] / frame["error"].min()
        best = frame["regret"].min()
        frame["regret_ratio"] = np.where(frame["regret"] <= best, 1.0, frame["regret"] / best if best > 0 else np.inf)
        frame["success_gap"] = frame["success"].max() - frame["success"]
        parts.append(frame.rename_axis("strategy").reset_index())
    return pd.concat(parts, ignore_index=True)


def overall(table: pd.DataFrame) -> pd.DataFrame:
    """Per strategy over the suite: benchmarks run, mean of the mean ranks, mean success, worst ratios, largest
    success gap (a strategy run on fewer benchmarks is averaged over those only)."""
    grouped = table.groupby("strategy")
    out = pd.DataFrame(
        {
            "benchmarks": grouped["benchmark"].nunique(),
            "mean_rank": grouped["mean_rank"].mean(),
            "success": grouped["success"].mean(),
            "median_time_to_goal": grouped["time_to_goal"].median(),
            "worst_error_ratio": grouped["error_ratio"].max(),
            "worst_benchmark": grouped.apply(lambda g: g.loc[g["error_ratio"].idxmax(), "benchmark"]),
            "worst_regret_ratio": grouped["regret_ratio"].max(),
            "largest_success_gap": grouped["success_gap"].max(),
        }
    )
    return out.sort_values("mean_rank")


def wilcoxon_against(tidy: pd.DataFrame, budgets: dict, floors: dict, mine: str, other: str) -> tuple[int, float]:
    """(pairs, two-sided Wilcoxon p) of the final regrets of ``mine`` and ``other`` over every benchmark and rep.

    Regrets are divided by the benchmark's median final regret over all strategies (so that every
    benchmark weighs alike in the signed ranks; 1 where that median is 0).
    """
    a, b = [], []
    for benchmark, bench in tidy.groupby("benchmark"):
        final = best_at(bench, budgets[benchmark])
        final["best_error"] -= floors[benchmark]
        scale = float(final["best_error"].median()) or 1.0
        pivot = final.pivot(index="rep", columns="strategy", values="best_error")
        if mine in pivot and other in pivot:
            paired = pivot[[mine, other]].dropna() / scale
            a += list(paired[mine])
            b += list(paired[other])
    if len(a) < 2 or np.allclose(a, b):
        return len(a), float("nan")
    return len(a), float(stats.wilcoxon(a, b).pvalue)


def render(table: pd.DataFrame, summary: pd.DataFrame, tests: list[tuple], reps: int) -> str:
    """The suite's tables as Markdown."""
    out = []
    headers = ["strategy", "mean rank", "success", "median time to goal", "median error", "error ratio",
               "regret ratio", "evals/rep"]  # fmt: skip
    for benchmark, group in table.groupby("benchmark", sort=True):
        out.append(f"\n#### {benchmark}\n")
        rows = [
            (r.strategy, f"{r.mean_rank:.2f}", f"{r.success:.0%}", f"{r.time_to_goal:.2f}", f"{r.error:.4g}",
             f"{r.error_ratio:.3g}", f"{r.regret_ratio:.3g}", f"{r.evaluations:.0f}")
            for r in group.sort_values("mean_rank").itertuples()
        ]  # fmt: skip
        out.append(markdown_table(headers, rows))
    out.append(f"\n#### Overall ({table['benchmark'].nunique()} benchmarks, {reps} repetitions)\n")
    rows = [
        (s, r.benchmarks, f"{r.mean_rank:.2f}", f"{r.success:.0%}", f"{r.median_time_to_goal:.2f}",
         f"{r.worst_error_ratio:.3g} ({r.worst_benchmark})", f"{r.worst_regret_ratio:.3g}",
         f"{r.largest_success_gap:.0%}")
        for s, r in summary.iterrows()
    ]  # fmt: skip
    out.append(
        markdown_table(
            [
                "strategy",
                "benchmarks",
                "mean rank",
                "success",
                "median time to goal",
                "worst error ratio",
                "worst regret ratio",
                "largest success gap",
            ],
            rows,
        )
    )
    if tests:
        out.append("")
        out += [f"Wilcoxon {a} vs {b}: {n} pairs, p = {p:.3g}" for a, b, n, p in tests]
    return "\n".join(out)


def write_readme(path: Path, text: str) -> None:
    """Replace what is between the two markers of ``path`` with ``text``."""
    content = path.read_text()
    head, sep, rest = content.partition(MARKER)
    _, sep2, tail = rest.partition(MARKER)
    if not sep or not sep2:
        raise SystemExit(f"{path}: two {MARKER} markers expected")
    path.write_text(f"{head}{MARKER}\n{text.strip()}\n{MARKER}{tail}")


def main() -> None:
    """Run (or continue) the suite and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="benchmarks run at a time (one process each)")
    parser.add_argument("--strategies", nargs="+", default=OURS + PEERS, help="the first is tested against peers")
    parser.add_argument("--benchmarks", nargs="+", default=[b.name for b in SUITE], choices=[b.name for b in SUITE])
    parser.add_argument("--out", type=Path, default=REPO / "results" / "quality")
    parser.add_argument("--yahpo-data", type=Path, default=REPO.parent / "shared" / "benchmarks" / "yahpo")
    parser.add_argument("--report-only", action="store_true", help="Print the tables of what is stored.")
    parser.add_argument("--readme", type=Path, default=None, help="Write the overall table into this file.")
    args = parser.parse_args()
    benches = [b for b in SUITE if b.name in args.benchmarks]
    configs = {b.name: config_of(b, args.out / "tables", args.yahpo_data) for b in benches}
    if not args.report_only:
        run_suite(benches, configs, args.strategies, args)
    tidy, goals = stored(args.out, list(configs))
    tidy["strategy"] = tidy["strategy"].map(short_label)
    labels = [short_label(parse_strategy(s).label) for s in args.strategies]
    wanted = set(labels)
    tidy = tidy[tidy["strategy"].isin(wanted) & tidy["benchmark"].isin(configs) & (tidy["rep"] < args.reps)]
    budgets = {b.name: parse_seconds(b.budget, "budget") for b in benches}
    floors = smallest_errors(configs)
    table = suite_tables(tidy, goals, floors, budgets)
    summary = overall(table)
    mine = labels[0]
    peers = [s for s in summary.index if s in PEERS][:2]
    ours = [s for s in summary.index if s not in PEERS and s != mine][:1]  # and the best of the others
    tests = [(mine, p, *wilcoxon_against(tidy, budgets, floors, mine, p)) for p in peers + ours if mine != p]
    text = render(table, summary, tests, args.reps)
    print(text)
    if args.readme is not None:
        write_readme(args.readme, text[text.index("#### Overall") :])


if __name__ == "__main__":
    main()
