"""``POST /experiments``: the body, its translation into the CLI's arguments, and validation by the CLI's code.

A body becomes the argument list of an equivalent ``hpo-runner`` command; the same ``RunRequest``
is assembled here (``assemble``: every check and message of the CLI) before anything is created,
and the experiment's process later runs exactly that command. An ``InputError`` becomes a 422 whose
``loc`` is the body's key path (``["body", "run_conf", "etr", "eta"]``).
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hpo_mab.bundled import run_conf_folder
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.files import find_config

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,199}$")  # a name of a bundled file: never a path
BUNDLED_RUN_CONF = run_conf_folder()
SEED_BOUND = 2**31  # the CLI's random seeds are below it; the server draws one when none is given
# the CLI's key of a value -> the body's key
BODY_KEYS = {
    "CONFIG": "benchmark",
    "NUM_TRIALS": "repetitions",
    "-m/--mode": "mode",
    "-s/--spec": "spec",
    "-e/--exp_crt": "criterion",
    "-et/--exp_time": "budget",
    "-eg/--exp_goal": "goal",
    "-gm/--goal_metric": "goal_metric",
    "--seed": "seed",
    "--max-trials": "max_trials",
    "--workers": "workers",
    "-j/--jobs": "jobs",
    "-etr/--early_term_rule": "early_term_rule",
    "--objective": "objective",
    "--command": "command",
    "-tp/--time_penalty": "time_penalty",
    "--trial-timeout": "trial_timeout",
    "--overhead": "overhead",
    "--strategies": "mode",
}


class ExperimentBody(BaseModel):
    """What to optimise and how; the values are those of the CLI's options (``hpo-runner -h``)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="A label of the experiment (not a path).", max_length=200)
    benchmark: str | None = Field(None, description="A benchmark name (GET /benchmarks).", max_length=200)
    objective: str | None = Field(None, description="A Python objective package.module:function.", max_length=500)
    command: str | None = Field(None, description="A shell objective: 'python train.py --lr {lr}'.", max_length=4000)
    external: bool = Field(False, description="Trials run by pull workers (hpo-runner worker).")
    hp_conf: str | dict[str, Any] | None = Field(None, description="An hp_conf: a bundled name or the mapping.")
    run_conf: str | dict[str, Any] | None = Field(None, description="A run_conf: a bundled name or the mapping.")
    mode: str | None = Field(None, max_length=100)
    spec: str | None = Field(None, max_length=100)
    peer: str | None = Field(None, max_length=100)
    criterion: Literal["TIME", "GOAL"] = "TIME"
    budget: str = Field("1d", description="TIME budget per repetition: 45s, 30m, 12h, 1.5h, 1d.", max_length=100)
    goal: float | None = None
    goal_metric: Literal["error", "accuracy"] = "error"
    repetitions: int = 1
    seed: int | None = None
    workers: int | None = None
    jobs: int = Field(1, description="Repetitions replayed at once, one process each (simulated clock only).")
    early_term_rule: str | None = Field(None, max_length=100)
    max_trials: int | None = None
    time_penalty: bool = False
    overhead: str = Field("none", max_length=100)
    trial_timeout: str | None = Field(None, max_length=100)


@dataclass(frozen=True)
class Validated:
    """A body that assembled: the CLI arguments, the run's store key and trace, the seed it will use."""

    args: list[str]
    run_key: str
    trace: str  # relative to the results folder
    seed: int
    run_conf: dict
    notes: list[str]

    @property
    def command(self) -> str:
        """The equivalent command line."""
        return shlex.join(["hpo-runner", *self.args])


class BodyError(Exception):
    """A bad body: the 422 ``detail`` entries."""

    def __init__(self, loc: list[Any], msg: str) -> None:
        super().__init__(msg)
        self.detail = [{"loc": ["body", *loc], "msg": msg, "type": "value_error"}]


def _name(value: str, key: str) -> str:
    if not NAME.match(value) or ".." in value:
        raise BodyError([key], f"expected a name (letters, digits and _.:+-, no path), got {value!r}")
    return value


def _inline(value: dict, folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(value, indent=1, sort_keys=True))
    return path


def cli_arguments(body: ExperimentBody, results_dir: Path, folder: Path, seed: int) -> tuple[list[str], dict]:
    """The ``hpo-runner`` arguments equivalent to ``body`` (inline hp_conf/run_conf written into ``folder``).

    Returns (arguments, {path of a file the body names or holds: (its body key, inline)}), so that a
    message about a file names the body's key.
    """
    files: dict[str, tuple[str, bool]] = {}
    what = [k for k in ("benchmark", "objective", "command") if getattr(body, k)] + (["external"] * body.external)
    if len(what) > 1:
        raise BodyError([what[1]], f"give one of benchmark, objective, command or external, got {', '.join(what)}")
    if body.peer is not None:
        raise BodyError(["peer"], "peer systems run through `hpo-runner compare`, not as experiments")
    if body.benchmark is not None:
        if body.hp_conf is not None:
            raise BodyError(["hp_conf"], "give either benchmark or hp_conf, not both")
        config = _name(body.benchmark, "benchmark")
        files.update(_named_hp_conf(config, "benchmark"))
    elif isinstance(body.hp_conf, dict):
        stem = body.name if body.name and re.match(r"^[A-Za-z0-9_.+-]{1,100}$", body.name) else "hp_conf"
        path = _inline(body.hp_conf, folder, stem)
        files[str(path)] = ("hp_conf", True)
        config = str(path)
    elif isinstance(body.hp_conf, str):
        config = _name(body.hp_conf, "hp_conf")
        files.update(_named_hp_conf(config, "hp_conf"))
    else:
        raise BodyError(["benchmark"], "give a benchmark, or an hp_conf with an objective or a command")
    args = [config, str(body.repetitions)]
    if isinstance(body.run_conf, dict):
        path = _inline(body.run_conf, folder, "run_conf")
        files[str(path)] = ("run_conf", True)
        args += ["-c", str(path)]
    elif isinstance(body.run_conf, str):
        args += ["-c", _name(body.run_conf, "run_conf")]
        try:
            found = find_config(body.run_conf, BUNDLED_RUN_CONF, "run_conf", "-c/--conf")  # as ``-c NAME`` does
        except InputError as exc:
            raise BodyError(["run_conf"], exc.line()) from None
        files[str(found)] = ("run_conf", False)
    options = {
        "-m": body.mode, "-s": body.spec, "-e": body.criterion, "-et": body.budget,
        "-eg": None if body.goal is None else repr(body.goal), "-gm": body.goal_metric,
        "-etr": body.early_term_rule, "--seed": str(seed), "--workers": body.workers, "--max-trials": body.max_trials,
        "-j": body.jobs, "--objective": body.objective, "--command": body.command, "--overhead": body.overhead,
        "--trial-timeout": body.trial_timeout,
    }  # fmt: skip
    defaults = {"-gm": "error", "--overhead": "none", "-j": 1}
    for flag, value in options.items():
        if value is not None and defaults.get(flag) != value:
            args += [flag, str(value)]
    if body.time_penalty:
        args.append("-tp")
    args += ["--results", str(results_dir)]
    return args, files


def _named_hp_conf(config: str, key: str) -> dict[str, tuple[str, bool]]:
    """The hp_conf file a name resolves to, if it is one (analytic and YAHPO benchmarks have none)."""
    from hpo_mab.surrogates.registry import resolve_hp_conf

    try:
        return {str(resolve_hp_conf(config, None)): (key, False)}
    except InputError:
        return {}


def run_request_of(body: ExperimentBody, args: list[str], results_dir: Path) -> Any:
    """The ``RunRequest`` the CLI builds from ``args`` (as ``hpo_runner.cli`` does)."""
    from hpo_mab.assembly.request import RunRequest

    run_conf = args[args.index("-c") + 1] if "-c" in args else None
    return RunRequest(
        config=args[0], num_trials=body.repetitions, mode=body.mode.upper() if body.mode else None,
        spec=body.spec.upper() if body.spec else None, criterion=body.criterion, goal=body.goal,
        goal_metric=body.goal_metric, exp_time=body.budget, conf=run_conf, time_penalty=body.time_penalty,
        early_term_rule=body.early_term_rule, seed=int(args[args.index("--seed") + 1]), max_trials=body.max_trials,
        results_dir=results_dir, overhead=body.overhead, objective=body.objective, command=body.command,
        workers=body.workers, jobs=body.jobs, trial_timeout=body.trial_timeout, external=body.external,
    )  # fmt: skip


def error_location(exc: InputError, files: dict[str, tuple[str, bool]], body: ExperimentBody) -> tuple[list[Any], str]:
    """(the body's key path, the CLI's one-line message) of an InputError; an inline file is named by its key."""
    if exc.key == "CONFIG" and body.benchmark is None:
        return ["hp_conf"], exc.line()
    if exc.source in files:
        key, inline = files[exc.source]
        path = [key, *(exc.key.split(".") if exc.key else [])]
        return path, InputError(exc.message, key, exc.key).line() if inline else exc.line()
    if exc.key in BODY_KEYS:
        return [BODY_KEYS[exc.key]], exc.line()
    return [exc.key] if exc.key else [], exc.line()


def validate(body: ExperimentBody, results_dir: Path, folder: Path, load: Callable[..., Any]) -> Validated:
    """Assemble the body as the CLI would (raising BodyError with the CLI's message) without running anything;
    ``load``: how the benchmark is loaded (the server's ``LoadedBenchmarks.load``)."""
    from hpo_mab.assembly.build import assemble
    from hpo_mab.assembly.session import criterion_dirname, run_key
    from hpo_mab.store.exports import trace_name

    seed = body.seed if body.seed is not None else secrets.randbelow(SEED_BOUND)
    args, files = cli_arguments(body, results_dir, folder, seed)
    notes: list[str] = []
    try:
        request = run_request_of(body, args, results_dir)
        assembly = assemble(request, notes.append, load)
    except InputError as exc:
        loc, msg = error_location(exc, files, body)
        raise BodyError(loc, msg) from None
    trace = (
        Path(assembly.problem.name)
        / criterion_dirname(assembly.criterion)
        / trace_name(assembly.mode, assembly.spec, assembly.run_conf.title, body.repetitions, assembly.rule_name)
    )
    run_conf = {"title": assembly.run_conf.title, "arms": [list(a) for a in assembly.run_conf.arms],
                "options": assembly.run_conf.given}  # fmt: skip
    return Validated(args, run_key(assembly.identity()), trace.as_posix(), seed, run_conf, notes)
