"""hpo-runner: the command line of hpo-mab (parse, validate, call the library, print)."""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path

import click

from hpo_mab.backends.base import BackendLost
from hpo_mab.engine.options import MAX_JOBS, MAX_REPETITIONS, MAX_TRIALS, MAX_WORKERS
from hpo_mab.inputs.errors import InputError, one_line
from hpo_mab.inputs.options import INT64_MAX

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_GOAL_NOT_REACHED = 3
EXIT_NO_SUCCESS = 4
EXIT_INTERRUPTED = 130
LOG_LEVELS = ("debug", "info", "warn", "error", "log")
_SHORT_EQUALS = re.compile(r"^(-[A-Za-z])=(.*)$")


def _results_folder(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    from hpo_mab.inputs.cli_values import results_folder

    return results_folder(value)


def _upper(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return value.upper() if value is not None else None


class RegistryHelp(click.Option):
    """An option whose help lists what the plug-in registries hold, built when the help is shown."""

    def __init__(self, *args, help_of, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.help_of = help_of

    def get_help_record(self, ctx: click.Context):
        """Fill in the help from the registries, then render it."""
        self.help = self.help_of()
        return super().get_help_record(ctx)


def _mode_help() -> str:
    from hpo_mab.assembly.methods import ALIASES, available

    singles = [m for m in available() if m not in ("RANDOM", "DIV", "BATCH")]
    alias = {m: [a for a, target in ALIASES.items() if target == m] for m in ("RANDOM", "DIV", "TPE")}
    return (
        f"DIV (alias {', '.join(alias['DIV'])}: the run_conf's arms under a strategy), BATCH (workers: -s SYNC or"
        f" ASYNC), or one arm: RANDOM (alias {', '.join(alias['RANDOM'])}), {', '.join(singles)}. [default: DIV]"
    )


def _rule_help() -> str:
    from hpo_mab.stopping.catalog import RULES

    return (
        f"Early-termination rule: {', '.join(RULES.names())}; its options in the run_conf's etr: {{...}}."
        " [default: the run_conf's early_term_rule, else None]"
    )


def _spec_help() -> str:
    from hpo_mab.arms.catalog import MODELS, STRATEGIES
    from hpo_mab.assembly.methods import DEFAULT_SPECS

    acquisitions = list(dict.fromkeys(a for e in MODELS for a in e.facts["acquisitions"] if a != "RANDOM"))
    return (
        f"DIV strategy ({', '.join(STRATEGIES.names())}) or the arm's acquisition ({', '.join(acquisitions)};"
        f" RANDOM for random search and TPE's random sampler). [default: {DEFAULT_SPECS['DIV']} for DIV, EI,"
        " RANDOM for RANDOM]"
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("config")
@click.argument("num_trials", type=click.IntRange(min=1, max=MAX_REPETITIONS))
@click.option("-m", "--mode", default=None, callback=_upper, cls=RegistryHelp, help_of=_mode_help)
@click.option("-s", "--spec", default=None, callback=_upper, cls=RegistryHelp, help_of=_spec_help)
@click.option(
    "-e",
    "--exp_crt",
    default="TIME",
    show_default=True,
    type=click.Choice(["TIME", "GOAL"], case_sensitive=False),
    help="Stop each repetition at the time budget or at the goal.",
)
@click.option(
    "-eg",
    "--exp_goal",
    type=float,
    default=None,
    help="GOAL target (error or accuracy, see -gm). [default: the table's 10th-best configuration]",
)
@click.option(
    "-gm",
    "--goal_metric",
    default="error",
    show_default=True,
    type=click.Choice(["error", "accuracy"]),
    help="Metric of the goal: error (<=) or accuracy (>=).",
)
@click.option(
    "-et",
    "--exp_time",
    default="1d",
    show_default=True,
    help="TIME budget per repetition on the run's clock: seconds or 45s, 30m, 12h, 1.5h, 1d, 1w.",
)
@click.option("-c", "--conf", default=None, help="Run configuration: a file, or a name in the -rc folder.")
@click.option(
    "-rc",
    "--run_conf",
    "run_conf_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of run configurations. [default: the bundled run_conf/]",
)
@click.option(
    "-hc",
    "--hp_conf",
    "hp_conf_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of hyperparameter configurations. [default: the bundled hp_conf/]",
)
@click.option(
    "-w",
    "--worker_url",
    default="none",
    show_default=True,
    help="Dask scheduler address for remote workers (tcp://HOST:PORT); lookup replays run locally.",
)
@click.option(
    "-l",
    "--log_level",
    default="warn",
    show_default=True,
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="'log' prints one line per trial; otherwise a progress bar on a terminal.",
)
@click.option(
    "-r", "--rerun", is_flag=True, help="Resume the stored run with these settings, or extend it to NUM_TRIALS."
)
@click.option("-p", "--pkl", is_flag=True, help="Also save the optimizer internals of every trial (<trace>.pkl.gz).")
@click.option("-tp", "--time_penalty", is_flag=True, help="Divide EI by the predicted training seconds (GP/RF arms).")
@click.option("-etr", "--early_term_rule", default=None, cls=RegistryHelp, help_of=lambda: _rule_help())
@click.option(
    "--seed",
    type=click.IntRange(min=0, max=INT64_MAX),
    default=None,
    help="Seed of the run. [default: random, recorded]",
)
@click.option(
    "--max-trials",
    "max_trials",
    type=click.IntRange(min=1, max=MAX_TRIALS),
    default=None,
    help="Cap on evaluations per repetition (either criterion). [GOAL default: 10000]",
)
@click.option(
    "--results",
    "results_dir",
    type=click.Path(),
    default="results",
    callback=_results_folder,
    show_default=True,
    help="Folder of the result store (hpo.sqlite) and exported traces.",
)
@click.option(
    "--overhead",
    default="none",
    show_default=True,
    help="Optimizer time charged to the simulated clock: measured, none, or SECONDS per trial.",
)
@click.option(
    "--objective",
    default=None,
    help="A Python objective package.module:function, called as function(config, report) (hp_conf without table).",
)
@click.option(
    "--command",
    default=None,
    help="A shell objective: 'python train.py --lr {lr}'; it prints its result as JSON, e.g. {\"accuracy\": 0.99}.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    default=None,
    help="Parallel workers: simulated on surrogate benchmarks, a Dask LocalCluster for real objectives.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1, max=MAX_JOBS),
    default=1,
    show_default=True,
    help="Repetitions replayed at once, each in its own process (simulated clock only; the trials are the same).",
)
@click.option("--trial-timeout", default=None, help="Real objectives: a trial running longer fails (e.g. 30m).")
@click.option(
    "--yahpo-data",
    "yahpo_data",
    type=click.Path(path_type=Path),
    default=None,
    help="YAHPO-Gym data folder for yahpo:<scenario>:<instance> benchmarks. [default: $HPO_YAHPO_DATA]",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="hpo-mab", prog_name="hpo-runner")
def cli(
    config: str,
    num_trials: int,
    mode: str | None,
    spec: str | None,
    exp_crt: str,
    exp_goal: float | None,
    goal_metric: str,
    exp_time: str,
    conf: str | None,
    run_conf_dir: Path | None,
    hp_conf_dir: Path | None,
    worker_url: str,
    log_level: str,
    rerun: bool,
    pkl: bool,
    time_penalty: bool,
    early_term_rule: str | None,
    seed: int | None,
    max_trials: int | None,
    results_dir: Path,
    overhead: str,
    objective: str | None,
    command: str | None,
    workers: int | None,
    jobs: int,
    trial_timeout: str | None,
    yahpo_data: Path | None,
    debug: bool,
) -> None:
    """Optimise the hyperparameters of CONFIG, NUM_TRIALS independent repetitions.

    CONFIG is a bundled benchmark (digits-mlp, breast-cancer-gbm), an analytic function (branin,
    hartmann6, ...), a YAHPO surrogate (yahpo:lcbench:3945), the name of an hp_conf in the -hc
    folder, or a path to an hp_conf file; `hpo_runner.py surrogates list` shows them all. Other
    commands: `surrogates list|show|materialize`, `compare`, `report`, `runs [show ID]`, `serve` (the
    REST API), `worker` (a pull worker of an external experiment). Exit codes: 0 done, 1 unexpected
    error, 2 bad input, 3 a GOAL run stopped at its cap without reaching the goal, 4 every trial of
    some repetition failed, 130 interrupted (stored trials are kept).
    """
    from hpo_mab.assembly.request import RunRequest
    from hpo_mab.commands.run import run_request

    request = RunRequest(
        config=config,
        num_trials=num_trials,
        mode=mode,
        spec=spec,
        criterion=exp_crt.upper(),
        goal=exp_goal,
        goal_metric=goal_metric,
        exp_time=exp_time,
        conf=conf,
        run_conf_dir=run_conf_dir,
        hp_conf_dir=hp_conf_dir,
        worker_url=worker_url,
        log_level=log_level.lower(),
        rerun=rerun,
        pkl=pkl,
        time_penalty=time_penalty,
        early_term_rule=early_term_rule,
        seed=seed,
        max_trials=max_trials,
        results_dir=results_dir,
        overhead=overhead,
        yahpo_data=yahpo_data,
        objective=objective,
        command=command,
        workers=workers,
        jobs=jobs,
        trial_timeout=trial_timeout,
    )
    report = run_request(request, echo=click.echo)
    if report.without_success:
        reps = ", ".join(map(str, report.without_success))
        click.echo(f"no trial succeeded in repetition(s) {reps}: every trial failed", err=True)
        sys.exit(EXIT_NO_SUCCESS)
    if report.goal_missed:
        click.echo(f"goal not reached in repetition(s) {', '.join(map(str, report.goal_missed))}", err=True)
        sys.exit(EXIT_GOAL_NOT_REACHED)


SUBCOMMANDS = {  # name -> where its click command lives (imported only when used)
    "surrogates": "hpo_mab.commands.surrogates:surrogates",
    "compare": "hpo_mab.commands.compare:compare",
    "report": "hpo_mab.commands.compare:report",
    "runs": "hpo_mab.commands.runs:runs",
    "serve": "hpo_mab.commands.serve:serve",
    "worker": "hpo_mab.commands.worker:worker",
}
INTERRUPTED = {  # what an interrupted command kept, and how to go on (by subcommand; None: the optimiser)
    None: "interrupted: finished trials are stored; run again with -r to resume",
    "compare": "interrupted: finished cells are stored; run the same command again to continue",
}


def _program(argv0: str) -> str:
    """How the user called us: the ``hpo-runner`` script or ``hpo_runner.py``."""
    name = Path(argv0).name
    return name if name in ("hpo-runner", "hpo_runner.py") else "hpo_runner.py"


def _subcommand(args: list[str], program: str) -> tuple[click.Command, list[str], str]:
    """The command to run: a subcommand named by the first argument, else the optimiser."""
    if args and args[0] in SUBCOMMANDS:
        import importlib

        module, _, name = SUBCOMMANDS[args[0]].partition(":")
        return getattr(importlib.import_module(module), name), args[1:], f"{program} {args[0]}"
    return cli, args, program


def split_short_equals(argv: list[str]) -> list[str]:
    """Accept the original ``-m=GP`` spelling: ``-x=VALUE`` becomes ``-x VALUE``."""
    out: list[str] = []
    for arg in argv:
        match = _SHORT_EQUALS.match(arg)
        out.extend(match.groups() if match else [arg])
    return out


def _usage_line(exc: click.ClickException) -> str:
    """One line for a click error; a missing argument points to --help, a group given no command lists its commands."""
    ctx = getattr(exc, "ctx", None)
    if not isinstance(exc, click.UsageError) or ctx is None:
        return one_line(exc.format_message())
    if isinstance(ctx.command, click.Group) and exc.format_message().startswith("Usage:"):  # no command: its help
        return f"{ctx.command_path}: give a command: {', '.join(ctx.command.list_commands(ctx))} (see --help)"
    if isinstance(exc, click.MissingParameter):
        return f"{one_line(exc.format_message())} (see {ctx.command_path} --help)"
    return one_line(exc.format_message())


def _traceback_if(debug: bool) -> None:
    """With --debug, the traceback of the exception being handled (the exit code stays the same)."""
    if debug:
        traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input is one line on stderr with exit code 2, no traceback unless --debug."""
    args = split_short_equals(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    name = args[0] if args and args[0] in SUBCOMMANDS else None
    command, args, prog = _subcommand(args, _program(sys.argv[0]))
    try:
        command.main(args=args, prog_name=prog, standalone_mode=False)
    except InputError as exc:
        _traceback_if(debug)
        click.echo(f"error: {exc.line()}", err=True)
        return EXIT_BAD_INPUT
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BackendLost as exc:
        _traceback_if(debug)
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except click.ClickException as exc:
        _traceback_if(debug)
        click.echo(f"error: {_usage_line(exc)}", err=True)
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo(INTERRUPTED.get(name, "interrupted"), err=True)
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except Exception as exc:  # the last guard of the CLI: one line unless --debug
        _traceback_if(debug)
        click.echo(f"error: {type(exc).__name__}: {one_line(str(exc))} (run with --debug for the traceback)", err=True)
        return EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
