"""Early termination measured on lookup tables: what each rule saves and what it wrongly stops.

    python benchmarks/early_termination.py [--reps 20] [--budget 12h] [--workers 2] [--out results/etr]
        [--strategies DIV-SEQ,GP-HLE-EI,TPE-EI] [--yahpo-data ../shared/benchmarks/yahpo] [--report-only]

Runs ``compare`` (resumable: run it again to continue) with DIV-SEQ, GP-HLE-EI and TPE-EI under
the rules None, DecaTercet, Median, ASHA, Hyperband, CurveNN and AdaptiveMedian, plus the pruning peers
(Optuna TPE + MedianPruner, Optuna TPE + HyperbandPruner, SMAC3's multi-fidelity facade), on
digits-mlp, breast-cancer-gbm and a 20,000-row table materialised from yahpo:lcbench:3945; then
DIV-SEQ with the best rule again with ``stopped_trials: exclude``. It prints, per benchmark and
strategy × rule: success rate, median time to the goal (the table's 10th-best accuracy), median
evaluations per repetition, training time saved, false stops and top-10 stops (all, and those made
before the repetition reached the goal: a later stop cannot delay it); then the goals of
the early-termination issue (time to goal against DIV-SEQ without a rule, Wilcoxon p, false stops
of the top-10, mean rank against the pruning peers); and writes learning-curve plots with the stops
marked to ``OUT/plots``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.assembly.compare import STORE_NAME, CompareStore  # noqa: E402
from hpo_mab.commands.compare import load_results  # noqa: E402
from hpo_mab.inputs.timestr import parse_seconds  # noqa: E402
from hpo_mab.reporting.plots import stop_plot  # noqa: E402
from hpo_mab.reporting.stops import STOP_COLUMNS, stop_table, time_to_goal_test  # noqa: E402
from hpo_mab.reporting.summary import rank_table  # noqa: E402
from hpo_mab.surrogates.registry import load_benchmark  # noqa: E402
from hpo_mab.terminal.text_table import markdown_table  # noqa: E402

STRATEGIES = ["DIV-SEQ", "GP-HLE-EI", "TPE-EI"]
RULES = ["None", "DecaTercet", "Median", "ASHA", "Hyperband", "CurveNN", "AdaptiveMedian"]
PEERS = ["optuna-tpe-median", "optuna-tpe-hyperband", "smac-mf"]
LCBENCH = "lcbench-3945"
CHECKPOINTS = [3600.0, 3 * 3600.0, 6 * 3600.0]  # and the budget: where ranks are averaged


def runner(*args: str) -> None:
    """One hpo-runner command; stop on failure."""
    subprocess.run([sys.executable, str(REPO / "hpo_runner.py"), *args], check=True)


def lcbench_table(work: Path, yahpo: Path) -> Path:
    """The hp_conf of a 20,000-row table materialised from yahpo:lcbench:3945 (made once)."""
    conf = work / f"{LCBENCH}.json"
    if not conf.is_file():
        work.mkdir(parents=True, exist_ok=True)
        runner("surrogates", "materialize", "yahpo:lcbench:3945", "-o", str(work / f"{LCBENCH}.csv.gz"),
               "--num-samples", "20000", "--yahpo-data", str(yahpo))  # fmt: skip
    return conf


def truth_of(configs: dict[str, str]):
    """(best accuracy, full seconds, epochs) of every candidate of each benchmark (by name)."""
    cache: dict = {}

    def truth(name: str):
        if name not in cache:
            bench = load_benchmark(configs[name])
            table = bench.table
            cache[name] = (table.accuracy.max(axis=1), table.train_time * bench.time_scale, table.epochs)
        return cache[name]

    return truth


def main() -> None:
    """Run the comparison (or continue it) and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--budget", default="12h")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="strategies run under every rule")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "etr")
    parser.add_argument("--yahpo-data", type=Path, default=REPO.parent / "shared" / "benchmarks" / "yahpo")
    parser.add_argument("--report-only", action="store_true", help="Print the tables of what is stored.")
    args = parser.parse_args()
    configs = {"digits-mlp": "digits-mlp", "breast-cancer-gbm": "breast-cancer-gbm"}
    configs[LCBENCH] = str(lcbench_table(args.out / "tables", args.yahpo_data))
    common = ["--reps", str(args.reps), "-et", args.budget, "--workers", str(args.workers), "--results", str(args.out)]
    benchmarks = ",".join(configs.values())
    if not args.report_only:
        runner("compare", "--benchmarks", benchmarks, "--strategies", args.strategies, "--etr", ",".join(RULES),
               *common)  # fmt: skip
        runner("compare", "--benchmarks", benchmarks, "--strategies", ",".join(PEERS), *common)
    tidy, goals, rows = stored(args.out, args.reps)
    best_rule = report(tidy, goals, rows, configs, parse_seconds(args.budget))
    plots(rows, configs, goals, args.out / "plots")
    if not args.report_only and best_rule is not None:
        exclude = args.out / "exclude.yaml"
        exclude.write_text("title: exclude\nstopped_trials: exclude\n")
        runner("compare", "--benchmarks", benchmarks, "--strategies", f"DIV-SEQ@{exclude}", "--etr", best_rule, *common)
        tidy, goals, rows = stored(args.out, args.reps)
        report(tidy, goals, rows, configs, parse_seconds(args.budget))


def stored(folder: Path, reps: int) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """(tidy trials, goals, stop rows) of the first ``reps`` repetitions stored (a longer earlier run is cut)."""
    tidy, goals = load_results(folder)
    with CompareStore(folder / STORE_NAME) as store:
        rows = pd.DataFrame(store.stop_rows(), columns=STOP_COLUMNS)
    return tidy[tidy["rep"] < reps], goals, rows[rows["rep"] < reps]


def plots(rows: pd.DataFrame, configs: dict, goals: dict, folder: Path) -> None:
    """Learning curves of DIV-SEQ's first repetition under each rule, stops marked, one PNG each."""
    for benchmark, config in configs.items():
        table = load_benchmark(config).table
        for rule in RULES:
            strategy = "DIV-SEQ" if rule == "None" else f"DIV-SEQ+{rule}"
            mine = rows[(rows["benchmark"] == benchmark) & (rows["strategy"] == strategy) & (rows["rep"] == 0)]
            if mine.empty:
                continue
            last = mine.groupby("candidate", sort=False)["epochs"].last()
            curves = np.asarray(table.accuracy)[last.index.to_numpy()]
            goal = 1.0 - goals[benchmark] if benchmark in goals else None
            stopped = int((last < curves.shape[1]).sum())
            title = f"{benchmark}, {strategy}, repetition 0: {stopped} of {len(last)} stopped"
            stop_plot(curves, last.to_numpy(), goal, title, folder / f"{benchmark}.{strategy}.png")
    print(f"\nlearning curves with the stops marked: {folder}")


def report(tidy: pd.DataFrame, goals: dict, rows: pd.DataFrame, configs: dict, budget: float) -> str | None:
    """Print the tables; returns the best rule of DIV-SEQ (by the worst time-to-goal ratio over benchmarks)."""
    table = stop_table(rows, tidy, goals, truth_of(configs))
    headers = ["strategy", "reps", "success", "median h to goal", "evals/rep", "time saved", "false stops",
               "top-10 stopped", "false stops before goal", "top-10 stopped before goal"]  # fmt: skip
    for benchmark, group in table.groupby("benchmark", sort=True):
        print(f"\n#### {benchmark} (goal error {goals.get(benchmark, float('nan')):.6g})\n")
        lines = []
        for r in group.sort_values("median_time_to_goal").itertuples():
            false = f"{r.false_stops} ({r.false_stop_rate:.0%})"
            top = f"{r.top10_stops} ({r.top10_stop_rate:.0%})"
            early_false = f"{r.false_stops_before_goal} ({r.false_stop_rate_before_goal:.0%})"
            early_top = f"{r.top10_stops_before_goal} ({r.top10_stop_rate_before_goal:.0%})"
            hours = f"{r.median_time_to_goal / 3600:.2f}"
            lines.append((r.strategy, r.reps, f"{r.success_rate:.0%}", hours, f"{r.evaluations:.0f}",
                          f"{r.time_saved:.0%}", false, top, early_false, early_top))  # fmt: skip
        print(markdown_table(headers, lines))
    print("\n#### DIV-SEQ with each rule against DIV-SEQ without a rule\n")
    verdicts, lines = {}, []
    for rule in RULES[1:]:
        name, worst, ok, ok_early = f"DIV-SEQ+{rule}", 0.0, True, True
        for benchmark in sorted(table["benchmark"].unique()):
            bench = tidy[tidy["benchmark"] == benchmark]
            if name not in set(bench["strategy"]):  # not measured there: it cannot be the best rule
                ok = ok_early = False
                worst = np.inf
                continue
            ratio, p = time_to_goal_test(bench, goals[benchmark], name, "DIV-SEQ", budget)
            mine = table[(table["benchmark"] == benchmark) & (table["strategy"] == name)].iloc[0]
            base = table[(table["benchmark"] == benchmark) & (table["strategy"] == "DIV-SEQ")].iloc[0]
            worst = max(worst, ratio)
            faster = ratio <= 0.7 and mine.success_rate >= base.success_rate
            ok &= faster and mine.top10_stop_rate <= 0.05
            ok_early &= faster and mine.top10_stop_rate_before_goal <= 0.05
            lines.append((rule, benchmark, f"{1 - ratio:+.0%}", f"{p:.3g}", f"{mine.success_rate:.0%}",
                          f"{base.success_rate:.0%}", f"{mine.top10_stop_rate:.0%}",
                          f"{mine.top10_stop_rate_before_goal:.0%}"))  # fmt: skip
        verdicts[rule] = (worst, ok, ok_early)
    print(markdown_table(["rule", "benchmark", "time to goal cut", "Wilcoxon p", "success", "without rule",
                          "top-10 stopped", "top-10 stopped before goal"], lines))  # fmt: skip
    best = min(verdicts, key=lambda r: verdicts[r][0]) if verdicts else None
    if best is not None:
        print(f"\nbest rule for DIV-SEQ: {best} (worst time-to-goal ratio {verdicts[best][0]:.2f}; "
              f"all goals met: {verdicts[best][1]}; "
              f"with the top-10 stops before the goal: {verdicts[best][2]})")  # fmt: skip
        checkpoints = [t for t in CHECKPOINTS if t < budget] + [budget]
        ranks = rank_table(tidy[tidy["strategy"].isin([f"DIV-SEQ+{best}", *PEERS])], checkpoints)
        mean = ranks.groupby("strategy")["mean_rank"].mean().sort_values()
        hours = ", ".join(f"{t / 3600:g}" for t in checkpoints)
        print(f"\nmean rank at {hours} h, over the benchmarks: " + ", ".join(f"{s} {v:.2f}" for s, v in mean.items()))
    return best


if __name__ == "__main__":
    main()
