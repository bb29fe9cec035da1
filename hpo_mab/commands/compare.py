"""``hpo_runner.py compare`` and ``hpo_runner.py report``: batch comparisons and their summaries."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pandas as pd

from hpo_mab.engine.options import MAX_REPETITIONS, MAX_TRIALS, MAX_WORKERS
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.options import INT64_MAX
from hpo_mab.inputs.timestr import format_seconds, parse_seconds

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_CHECKPOINTS = "1h,3h,6h,12h"


def _results_folder(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    from hpo_mab.inputs.cli_values import results_folder

    return results_folder(value)


def _names(text: str, key: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError(f"expected a comma-separated list, got {text!r}", key=key)
    return _once_each(names, key)


def _once_each(values: list[str], key: str) -> list[str]:
    """``values``, refused when one of them is given twice (it would name the same cells twice)."""
    twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
    if twice is not None:
        raise InputError(f"{twice!r} is given twice", key=key)
    return values


@click.command(context_settings=CONTEXT)
@click.option("--benchmarks", required=True, help="Comma-separated benchmarks (as CONFIG of a run).")
@click.option(
    "--strategies",
    required=True,
    help="Comma-separated: MODE-SPEC as on the CLI (RANDOM, GP-EI, DIV-HEDGE, DIV-EG@run.yaml), run_conf files,"
    " or peers (optuna-tpe, optuna-gp, smac-hpo, hyperopt-tpe, skopt-gphedge).",
)
@click.option(
    "--etr", default="None", show_default=True, help="Comma-separated early-termination rules, one more dimension."
)
@click.option(
    "--reps",
    type=click.IntRange(min=1, max=MAX_REPETITIONS),
    default=30,
    show_default=True,
    help="Repetitions per cell.",
)
@click.option("-e", "--exp_crt", default="TIME", type=click.Choice(["TIME", "GOAL"], case_sensitive=False))
@click.option("-et", "--exp_time", default="12h", show_default=True, help="TIME budget per repetition.")
@click.option("-eg", "--exp_goal", type=float, default=None, help="GOAL error. [default: each 10th-best]")
@click.option("--max-trials", "max_trials", type=click.IntRange(min=1, max=MAX_TRIALS), default=None)
@click.option("--overhead", default="none", show_default=True, help="Optimizer time charged: measured, none, SECONDS.")
@click.option("--seed", type=click.IntRange(min=0, max=INT64_MAX), default=1, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    default=None,
    help="Dask LocalCluster workers. [default: CPU count]",
)
@click.option("--scheduler", default=None, help="A running Dask scheduler (tcp://HOST:PORT) instead.")
@click.option("-hc", "--hp_conf", "hp_conf_dir", type=click.Path(path_type=Path), default=None)
@click.option("--yahpo-data", type=click.Path(path_type=Path), default=None)
@click.option(
    "--results",
    type=click.Path(),
    default="results/compare",
    callback=_results_folder,
    show_default=True,
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def compare(
    benchmarks: str,
    strategies: str,
    etr: str,
    reps: int,
    exp_crt: str,
    exp_time: str,
    exp_goal: float | None,
    max_trials: int | None,
    overhead: str,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    hp_conf_dir: Path | None,
    yahpo_data: Path | None,
    results: Path,
    debug: bool,
) -> None:
    """Run every (strategy, benchmark, repetition) cell; finished cells are kept and skipped on a re-run."""
    from hpo_mab.assembly.compare import STORE_NAME, CompareRequest, CompareStore, parse_strategy, plan_cells, run_cells
    from hpo_mab.backends.scratch import ScratchFolder
    from hpo_mab.inputs.cli_values import check_results_dir, parse_worker_url
    from hpo_mab.stopping.catalog import rule_name

    rules = _once_each([rule_name(r, "--etr") for r in _names(etr, "--etr")], "--etr")  # None and none: one rule
    specs = [parse_strategy(s).with_rule(r) for r in rules for s in _names(strategies, "--strategies")]
    base = CompareRequest(
        criterion=exp_crt.upper(),
        goal=exp_goal,
        exp_time=exp_time,
        max_trials=max_trials,
        overhead=overhead,
        seed=seed,
        hp_conf_dir=hp_conf_dir,
        yahpo_data=yahpo_data,
    )
    scheduler = parse_worker_url(scheduler, "--scheduler") if scheduler else None
    check_results_dir(results)
    cells = plan_cells(base, specs, _names(benchmarks, "--benchmarks"), reps)
    workers = workers or os.cpu_count() or 1
    with CompareStore(results / STORE_NAME) as store, ScratchFolder(results) as scratch:
        todo = len(cells) - len(store.done() & {c.key for c in cells})
        click.echo(f"{len(cells)} cells ({len(cells) - todo} stored), {todo} to run on {workers} worker(s)", err=True)
        with _progress(todo) as advance:
            ran = run_cells(cells, store, workers, scheduler, lambda cell, result: advance(), scratch)
    click.echo(f"ran {ran} cells; summarise with: hpo_runner.py report {results}")


class _progress:
    """A rich progress bar counting cells on a terminal, nothing otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._bar = None

    def __enter__(self):
        if sys.stderr.isatty() and self.total:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("cells", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("cells", total=self.total)
        return self._advance

    def _advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@click.command(context_settings=CONTEXT)
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "formats",
    default="table",
    show_default=True,
    help="Comma-separated: table (terminal), csv, json, html.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Folder of the files. [default: RESULTS/report]"
)
@click.option("--checkpoints", default=DEFAULT_CHECKPOINTS, show_default=True, help="Times of the summary tables.")
@click.option("--goal", "goal_options", multiple=True, help="BENCHMARK=ERROR, for traces without a known goal.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def report(
    results: Path, formats: str, out: Path | None, checkpoints: str, goal_options: tuple[str, ...], debug: bool
) -> None:
    """Summarise RESULTS: a compare folder (compare.sqlite), or JSON traces (ours or the original's)."""
    from hpo_mab.reporting.report import build_report, summary_tables, summary_text

    chosen = set(_names(formats, "--format"))
    unknown = chosen - {"table", "csv", "json", "html"}
    if unknown:
        raise InputError(f"expected table, csv, json or html, got {sorted(unknown)[0]!r}", key="--format")
    times = [parse_seconds(t, "--checkpoints") for t in _names(checkpoints, "--checkpoints")]
    given = parse_goals(goal_options)
    tidy, goals = load_results(results)
    known = sorted(tidy["benchmark"].unique())
    unknown_bench = next((b for b in given if b not in known), None)
    if unknown_bench is not None:
        raise InputError(f"no benchmark {unknown_bench!r} in {results} (it has {', '.join(known)})", key="--goal")
    goals.update(given)
    budget = results_budget(results)
    times = within_budget(times, budget, lambda m: click.echo(f"note: {m}", err=True))
    if "budget" in tidy.columns:
        budgets = sorted(b for b in tidy["budget"].unique() if b == b)
        click.echo(
            f"note: runs of different TIME budgets ({', '.join(map(format_seconds, budgets))}): each is summarised"
            " and ranked only up to its own budget",
            err=True,
        )
    if "table" in chosen:
        click.echo(summary_text(summary_tables(tidy, goals, times, budget)))
    files = chosen - {"table"}
    if files:
        folder = out if out is not None else (results if results.is_dir() else results.parent) / "report"
        written = build_report(tidy, goals, times, folder, files, budget)
        click.echo(
            f"wrote {len(written)} files to {folder}" + (f" (open {folder / 'report.html'})" if "html" in files else "")
        )


def parse_goals(options: tuple[str, ...]) -> dict[str, float]:
    """``--goal BENCHMARK=ERROR`` options -> {benchmark: error}, each error in [0, 1]."""
    goals: dict[str, float] = {}
    for option in options:
        bench, sep, value = option.partition("=")
        try:
            error = float(value) if sep and bench else float("nan")
        except ValueError:
            error = float("nan")
        if error != error:
            raise InputError(f"expected BENCHMARK=ERROR, got {option!r}", key="--goal")
        if not 0.0 <= error <= 1.0:
            raise InputError(f"expected an error in [0, 1], got {value} ({option})", key="--goal")
        goals[bench] = error
    return goals


def within_budget(times: list[float], budget: float | None, note: Callable[[str], None]) -> list[float]:
    """The checkpoints up to the TIME budget; those beyond it are replaced by the budget, with a note."""
    beyond = [t for t in times if budget is not None and t > budget]
    if not beyond:
        return times
    note(f"checkpoints beyond the {format_seconds(budget)} budget left out: {', '.join(map(format_seconds, beyond))}")
    kept = [t for t in times if t <= budget]
    return kept if budget in kept else [*kept, budget]


def results_budget(results: Path) -> float | None:
    """The largest TIME budget of a compare folder's cells or of JSON traces (None: GOAL runs only)."""
    from hpo_mab.assembly.compare import STORE_NAME, CompareStore
    from hpo_mab.reporting.tidy import find_json_traces, trace_budget

    if results.is_dir() and (results / STORE_NAME).is_file():
        with CompareStore(results / STORE_NAME) as store:
            return store.time_budget()
    paths = [results] if results.is_file() else find_json_traces(results)
    return max((b for b in map(trace_budget, paths) if b is not None), default=None)


def load_results(results: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """The tidy trials and the known goals of a compare folder, or of JSON traces."""
    from hpo_mab.assembly.compare import STORE_NAME, CompareStore
    from hpo_mab.reporting.tidy import TIDY_COLUMNS, add_best_so_far, find_json_traces, read_json_traces

    if not results.exists():
        raise InputError("not found", str(results))
    if results.is_dir() and (results / STORE_NAME).is_file():
        with CompareStore(results / STORE_NAME) as store:
            rows, goals = store.tidy_rows(), store.goals()
        frame = pd.DataFrame(rows, columns=[c for c in TIDY_COLUMNS if c != "best_so_far"])
    else:
        paths = [results] if results.is_file() else find_json_traces(results)
        if not paths:
            raise InputError("no compare.sqlite and no JSON traces (<name>(N).json) here", str(results))
        try:
            frame = read_json_traces(paths)
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"not a JSON trace of the original format ({type(exc).__name__}: {exc})", str(results)
            ) from None
        goals = {}
    if frame.empty:
        raise InputError("no trials to report", str(results))
    return add_best_so_far(frame), goals
