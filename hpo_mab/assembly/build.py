"""From the command line's request to a finished run: validate everything first, then run."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hpo_mab.arms.modes import batch_members, build_strategy, resolve_mode
from hpo_mab.assembly.session import RunReport, RunSettings, execute
from hpo_mab.bundled import run_conf_folder
from hpo_mab.engine.criteria import Overhead, StopCriterion
from hpo_mab.inputs.cli_values import check_goal, parse_overhead, parse_worker_url
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.files import find_config
from hpo_mab.inputs.hp_conf import load_hp_conf
from hpo_mab.inputs.run_conf import RunConf, load_run_conf
from hpo_mab.inputs.timestr import format_seconds, parse_seconds
from hpo_mab.objectives.python import PythonObjective, load_function
from hpo_mab.objectives.shell import ShellObjective, placeholders
from hpo_mab.objectives.task import ObjectiveTask
from hpo_mab.surrogates.registry import load_benchmark, resolve_hp_conf
from hpo_mab.terminal.progress import BarReporter, LineReporter, Reporter
from hpo_mab.terminal.summary import summary_lines

BUNDLED_RUN_CONF = run_conf_folder()
LOGGER = logging.getLogger("hpo_mab")


@dataclass(frozen=True)
class RunRequest:
    """The command line's values, as given."""

    config: str
    num_trials: int
    mode: str | None = None
    spec: str | None = None
    criterion: str = "TIME"
    goal: float | None = None
    goal_metric: str = "error"
    exp_time: str = "1d"
    conf: str | None = None
    run_conf_dir: Path | None = None
    hp_conf_dir: Path | None = None
    worker_url: str = "none"
    log_level: str = "warn"
    rerun: bool = False
    pkl: bool = False
    time_penalty: bool = False
    seed: int | None = None
    max_trials: int | None = None
    results_dir: Path = Path("results")
    overhead: str = "none"
    yahpo_data: Path | None = None
    objective: str | None = None
    command: str | None = None
    workers: int | None = None
    trial_timeout: str | None = None


def load_request_run_conf(conf: str | None, directory: Path | None) -> RunConf:
    """The run_conf of ``-c`` (a file or a name in ``-rc``), or the built-in defaults."""
    if conf is None:
        return RunConf()
    path = find_config(conf, directory if directory is not None else BUNDLED_RUN_CONF, "run_conf")
    return load_run_conf(path)


def load_objective_task(request: RunRequest, run_conf: RunConf, timeout: float | None) -> ObjectiveTask:
    """The hp_conf's space with the ``--objective`` function or the ``--command`` to evaluate it."""
    if request.objective and request.command:
        raise InputError("give either --objective or --command, not both", key="--objective")
    conf = load_hp_conf(resolve_hp_conf(request.config, request.hp_conf_dir))
    metric = "error" if conf.config.get("metric") == "error" else "accuracy"
    if request.objective:
        load_function(request.objective)  # importable and callable before anything runs
        objective = PythonObjective(request.objective, metric, timeout)
        description = f"python:{request.objective}"
    else:
        fields = placeholders(request.command)
        unknown = [f for f in fields if f not in conf.param_names]
        if unknown:
            raise InputError(
                f"{{{unknown[0]}}} is not a hyperparameter of {conf.name} (it has {', '.join(conf.param_names)})",
                key="--command",
            )
        objective = ShellObjective(request.command, metric, timeout)
        description = f"shell:{request.command}"
    return ObjectiveTask(conf, objective, description, run_conf.pool)


def build_settings(request: RunRequest, warn: Callable[[str], None]) -> RunSettings:
    """Validate every value of the request (raising InputError) and load the benchmark."""
    mode, spec = resolve_mode(request.mode, request.spec, request.time_penalty)
    overhead_mode, overhead_seconds = parse_overhead(request.overhead)
    worker = parse_worker_url(request.worker_url)
    budget = parse_seconds(request.exp_time, "-et/--exp_time")
    if request.results_dir.exists() and not request.results_dir.is_dir():
        raise InputError(f"not a folder: {request.results_dir}", key="--results")
    for flag, folder in (("-rc/--run_conf", request.run_conf_dir), ("-hc/--hp_conf", request.hp_conf_dir)):
        if folder is not None and not folder.is_dir():
            raise InputError(f"not a folder: {folder}", key=flag)
    run_conf = load_request_run_conf(request.conf, request.run_conf_dir)
    timeout = parse_seconds(request.trial_timeout, "--trial-timeout") if request.trial_timeout else None
    if request.objective or request.command:
        benchmark = load_objective_task(request, run_conf, timeout)
    else:
        benchmark = load_benchmark(request.config, request.hp_conf_dir, run_conf.pool, request.yahpo_data)
        if worker is not None:
            warn(f"worker {worker} is not used: surrogate replays simulate their workers in this process")
        if timeout is not None:
            warn("--trial-timeout is ignored: surrogate replays do not run anything")
    real = isinstance(benchmark, ObjectiveTask)
    members = batch_members(run_conf) if mode == "BATCH" else [(mode, spec)]
    workers = request.workers or (max(len(members), 2) if mode == "BATCH" else 1)
    if real and any(spec.endswith(("-T", "-LET")) for _, spec in members):
        raise InputError(
            "the -T strategies credit the true error of every nominee, which only benchmarks know", key="-s/--spec"
        )
    if request.criterion == "GOAL" and real and request.goal is None:
        raise InputError(
            "a GOAL run on a real objective needs -eg (no table gives a default goal)", key="-eg/--exp_goal"
        )
    if request.criterion == "GOAL":
        goal = request.goal
        if goal is None:
            tenth = benchmark.default_goal()
            goal = tenth if request.goal_metric == "accuracy" else 1.0 - tenth
            warn(f"goal: {request.goal_metric} {goal:.6g} (the 10th-best accuracy of the pool {tenth:.6g})")
        check_goal(goal, request.goal_metric)
        best = benchmark.best_known()  # not evaluated just for this warning
        target_accuracy = goal if request.goal_metric == "accuracy" else 1.0 - goal
        if best is not None and target_accuracy > best + 1e-12:
            warn(
                f"the goal (accuracy {target_accuracy:.6g}) is above the best accuracy of the pool {best:.6g}; "
                f"each repetition will stop at its cap"
            )
        criterion = StopCriterion("GOAL", goal=goal, metric=request.goal_metric, max_trials=request.max_trials)
    else:
        if request.goal is not None:
            warn("-eg/--exp_goal is ignored under -e TIME")
        criterion = StopCriterion("TIME", budget=budget, max_trials=request.max_trials)
    for member_mode, member_spec in members:  # arms valid before anything runs
        build_strategy(member_mode, member_spec, run_conf, benchmark.space, request.time_penalty)
    return RunSettings(
        benchmark=benchmark,
        mode=mode,
        spec=spec,
        run_conf=run_conf,
        criterion=criterion,
        overhead=Overhead(overhead_mode, overhead_seconds),
        num_reps=request.num_trials,
        results_dir=request.results_dir,
        seed=request.seed,
        rerun=request.rerun,
        keep_internals=request.pkl,
        time_penalty=request.time_penalty,
        workers=workers,
        sync=spec == "SYNC",
        scheduler=worker if real else None,
        members=tuple(members),
    )


def run_request(request: RunRequest, echo: Callable[..., None]) -> RunReport:
    """Validate, run, print the summary; returns the report."""
    logging.basicConfig(level=_LOG_LEVEL[request.log_level], format="%(levelname)s %(message)s", stream=sys.stderr)

    def warn(message: str) -> None:
        if request.log_level != "error":
            echo(f"note: {message}", err=True)

    settings = build_settings(request, warn)
    if request.criterion == "TIME":
        LOGGER.info("TIME budget %s per repetition", format_seconds(settings.criterion.budget))
    reporter = _reporter(request.log_level)
    report = execute(settings, reporter)
    for note in report.notes:
        warn(note)
    for line in summary_lines(report):
        echo(line)
    return report


_LOG_LEVEL = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "log": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def _reporter(log_level: str) -> Reporter:
    if log_level in ("log", "debug", "info"):
        return LineReporter()
    if sys.stderr.isatty():
        return BarReporter()
    return Reporter()
