"""One assembly point: validated input becomes one ``Assembly`` that the CLI run, ``compare`` and
the server all consume.

``assemble(request, warn)`` validates every value of a ``RunRequest`` (raising ``InputError`` with
the CLI's messages), loads the benchmark or the objective, resolves the mode into a ``Method`` and
chooses the execution backend. Nothing runs here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_mab.arms.strategy import Strategy
from hpo_mab.assembly.catalog import load_run_conf
from hpo_mab.assembly.methods import Method, method_of, resolve_mode
from hpo_mab.assembly.request import RunRequest
from hpo_mab.backends.catalog import BACKENDS, ExecutionRequest, ExecutionSession, backend_for
from hpo_mab.backends.clock import Overhead
from hpo_mab.backends.external_options import ExternalTarget
from hpo_mab.bundled import run_conf_folder
from hpo_mab.engine.criteria import StopCriterion
from hpo_mab.engine.loop import LoopPlan, rule_seeds
from hpo_mab.engine.options import MAX_JOBS, MAX_REPETITIONS, MAX_SECONDS, MAX_TRIALS, MAX_WORKERS, LoopOptions
from hpo_mab.inputs import checks
from hpo_mab.inputs.cli_values import check_goal, check_results_dir, parse_overhead, parse_worker_url
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.files import find_config
from hpo_mab.inputs.hp_conf import load_hp_conf
from hpo_mab.inputs.options import INT64_MAX, option_fields, parse_options
from hpo_mab.inputs.run_conf import RunConf
from hpo_mab.inputs.timestr import parse_seconds
from hpo_mab.objectives.options import ObjectiveOptions
from hpo_mab.objectives.python import PythonObjective, load_function
from hpo_mab.objectives.shell import ShellObjective, placeholders, refuse_quoted_placeholders
from hpo_mab.objectives.task import ObjectiveTask
from hpo_mab.searchspace.space import CandidatePool
from hpo_mab.stopping.base import NO_RULE, Rule
from hpo_mab.stopping.catalog import RULES, RuleChoice, rule_name
from hpo_mab.surrogates import yahpo
from hpo_mab.surrogates.registry import is_user_hp_conf, known_names, load_benchmark, resolve_hp_conf
from hpo_mab.version import package_version

BUNDLED_RUN_CONF = run_conf_folder()


@dataclass(frozen=True)
class Assembly:
    """Everything that defines a run (NUM_TRIALS, seed and the results folder aside).

    ``problem`` is a benchmark (simulated) or an objective task (real); ``method`` the strategies
    per worker; ``backend`` and ``execution`` how trials run; ``records_workers`` whether trials
    record their worker (runs with several workers, BATCH, or a real objective).
    """

    problem: Any
    method: Method
    run_conf: RunConf
    criterion: StopCriterion
    overhead: Overhead
    workers: int = 1
    time_penalty: bool = False
    scheduler: str | None = None
    backend: str = "simulated"
    rule_name: str = "None"
    rule_options: Any = None

    @property
    def records_workers(self) -> bool:
        """True when trials go through several workers, BATCH, or a real objective (their trace records it)."""
        return self.method.batch or self.workers > 1 or not self.problem.simulated

    @property
    def mode(self) -> str:
        """The mode as resolved (``DIV``, ``GP-HLE``, ``BATCH``)."""
        return self.method.mode

    @property
    def spec(self) -> str:
        """The spec as resolved (``SEQ``, ``EI``, ``SYNC``)."""
        return self.method.spec

    def _true_error(self, nominee: int | dict) -> float:
        """A benchmark's error of a nominee: a candidate id, or a configuration refined off the pool."""
        if isinstance(nominee, dict):
            return self.problem.evaluate_config(nominee).error
        return self.problem.evaluate(nominee).error

    def strategies(self) -> list[Strategy]:
        """Fresh strategies for one repetition, one per worker strategy."""
        oracle = self._true_error if self.problem.simulated else None
        max_epoch = self.problem.hp_conf.max_epoch
        return self.method.strategies(self.run_conf, self.problem.space, self.time_penalty, oracle, max_epoch)

    def components(self, seed: int, rep: int) -> tuple[list[Strategy], Rule]:
        """Fresh strategies and early-termination rule for repetition ``rep`` (a pruning peer is both)."""
        strategies = self.strategies()
        if self.peer_rules:
            return strategies, strategies[0].arms[0].optimizer
        return strategies, self.rule(seed, rep)

    @property
    def peer_rules(self) -> bool:
        """True when the method is a peer that decides stops (or budgets) itself."""
        if self.method.peer is None:
            return False
        from hpo_mab.peers.optimizers import PEERS

        return bool(PEERS[self.method.peer].facts.get("rule"))

    def rule(self, seed: int = 0, rep: int = 0) -> Rule:
        """A fresh early-termination rule for repetition ``rep`` (its own random stream from the run's seed)."""
        if self.rule_name == "None":
            return NO_RULE
        entry = RULES[self.rule_name]
        return entry.factory(self.rule_name, self.problem.hp_conf.max_epoch, self.rule_options, rule_seeds(seed, rep))

    @property
    def uses_rule(self) -> bool:
        """True when trials may be stopped early (traces then record the stops)."""
        return self.rule_name != "None" or self.peer_rules

    @property
    def refines(self) -> bool:
        """True when our arms may propose configurations off the pool (run_conf ``refine``, a problem that
        evaluates any configuration; peers keep to the pool)."""
        from hpo_mab.optimizers.options import RefineOptions

        enabled = bool(self.run_conf.get(RefineOptions).enabled)
        return enabled and getattr(self.problem, "continuous", False) and self.method.peer is None

    def prepare(self) -> None:
        """Do once what every repetition would repeat at its start (the arms' imports, the space's ConfigSpace,
        the pool's encodings), so that repetitions forked afterwards (``-j``) inherit it done."""
        from hpo_mab.optimizers.base import prepare

        pool = self.pool()
        for strategy in self.strategies():
            for arm in strategy.arms:
                prepare(arm.optimizer, pool)

    def pool(self) -> CandidatePool:
        """A fresh candidate pool for one repetition (continuous when the arms refine off it)."""
        pool = self.problem.pool()
        pool.continuous = self.refines
        return pool

    def plan(self, keep_internals: bool = False) -> LoopPlan:
        """How the loop runs a repetition of this assembly."""
        loop = self.run_conf.get(LoopOptions)
        return LoopPlan(
            workers=self.workers,
            sync=self.method.sync,
            max_failures=loop.max_failures,
            failures_before_success=loop.failures_before_success,
            records_workers=self.records_workers,
            keep_internals=keep_internals,
            max_epoch=self.problem.hp_conf.max_epoch,
            failover=loop.failover.lower(),
            stopped_trials=loop.stopped_trials,
        )

    def open_execution(self, scratch: Path | None = None) -> ExecutionSession:
        """The backends of this run's repetitions (a Dask cluster, if any, starts here; its files in ``scratch``)."""
        entry = BACKENDS[self.backend]
        target = self.problem if self.problem.simulated else self.problem.objective
        cls = entry.options_class()
        options = self.run_conf.get(cls) if cls is not None else None
        interim = self.run_conf.get(LoopOptions).failover.lower() == "premature"
        request = ExecutionRequest(target, self.workers, self.scheduler, self.overhead, options, interim, scratch)
        return entry.factory(request)

    def identity(self) -> dict:
        """The settings that must match for ``-r`` to continue a stored run."""
        c = self.criterion
        return {
            "version": package_version(),
            "benchmark": self.problem.name,
            **self.problem.fingerprint(),
            "mode": self.mode,
            "spec": self.spec,
            "title": self.run_conf.title,
            "run_conf": {
                "arms": [list(a) for a in self.run_conf.arms],
                "pool": self.run_conf.pool.__dict__,
                "options": self.run_conf.given,
            },
            "criterion": c.kind,
            "budget": c.budget if c.kind == "TIME" else None,
            "goal": c.goal if c.kind == "GOAL" else None,
            "goal_metric": c.metric if c.kind == "GOAL" else None,
            "max_trials": c.max_trials,
            "overhead": repr(self.overhead.seconds) if self.overhead.mode == "fixed" else self.overhead.mode,
            "time_penalty": self.time_penalty,
            **(
                {"workers": self.workers, "members": [list(m) for m in self.method.members]}
                if self.records_workers
                else {}
            ),
            **({"early_term_rule": self.rule_name, "etr": _plain(self.rule_options)} if self.uses_rule else {}),
        }


def _plain(options: Any) -> dict:
    """The fields of an options dataclass as a JSON-safe mapping."""
    return dict(options.__dict__) if options is not None else {}


def _rule(request: RunRequest, run_conf: RunConf, problem: Any) -> tuple[str, Any]:
    """The rule (``-etr`` wins over the run_conf) and its options from the run_conf's ``etr``."""
    choice = run_conf.get(RuleChoice)
    name = (
        rule_name(request.early_term_rule, "-etr/--early_term_rule")
        if request.early_term_rule
        else (choice.early_term_rule)
    )
    entry = RULES[name]
    cls = entry.options_class()
    given = choice.etr or {}
    if cls is None:
        if given:
            raise InputError(f"rule {name} takes no options", run_conf.source, f"etr.{next(iter(given))}")
        return name, None
    keys = tuple(f.key for f in option_fields(cls))
    checks.check_keys(given, run_conf.source, "etr", keys)
    options = parse_options(cls, given, run_conf.source, "etr")
    max_epoch = problem.hp_conf.max_epoch  # a rule with options is never None
    if not max_epoch:
        raise InputError(
            f"early termination ({name}) needs the number of epochs of a full training", problem.hp_conf.source,
            "config.max_epoch",
        )  # fmt: skip
    if max_epoch < 2:
        raise InputError(
            f"early termination ({name}) needs a learning curve of at least 2 epochs, got {max_epoch}",
            problem.hp_conf.source, "config.max_epoch",
        )  # fmt: skip
    for key in getattr(cls, "EPOCH_FIELDS", ()):
        value = getattr(options, key)
        if value is not None and value >= max_epoch:
            raise InputError(
                f"expected an epoch before the last ({max_epoch}) so that {name} can stop a trial, got {value}",
                run_conf.source, f"etr.{key}",
            )  # fmt: skip
    return name, options


def load_request_run_conf(conf: str | None, directory: Path | None) -> RunConf:
    """The run_conf of ``-c`` (a file or a name in ``-rc``), or the built-in defaults."""
    if conf is None:
        return RunConf()
    path = find_config(conf, directory if directory is not None else BUNDLED_RUN_CONF, "run_conf", "-c/--conf")
    return load_run_conf(path)


def load_objective_task(request: RunRequest, run_conf: RunConf, timeout: float | None) -> ObjectiveTask:
    """The hp_conf's space with the ``--objective`` function or the ``--command`` (or pull workers) to evaluate it."""
    if request.objective and request.command:
        raise InputError("give either --objective or --command, not both", key="--objective")
    if request.external and (request.objective or request.command):
        raise InputError("an external experiment's trials are run by its workers: give no objective or command",
                         key="external")  # fmt: skip
    builtin = request.config in known_names() or request.config.startswith(yahpo.PREFIX)
    if builtin and not is_user_hp_conf(request.config, request.hp_conf_dir):  # a name, not the user's file
        flag = "external" if request.external else "--objective" if request.objective else "--command"
        raise InputError(
            f"{request.config!r} is a built-in benchmark, evaluated without {flag}; a real objective needs an "
            f"hp_conf file (write one with: surrogates show {request.config} > space.json)",
            key="CONFIG",
        )
    conf = load_hp_conf(resolve_hp_conf(request.config, request.hp_conf_dir))
    metric = "error" if conf.config.get("metric") == "error" else "accuracy"
    grace = float(run_conf.get(ObjectiveOptions).stop_grace)
    if request.external:
        return ObjectiveTask(conf, ExternalTarget(metric), "external", run_conf.pool)
    if request.objective:
        load_function(request.objective)  # importable and callable before anything runs
        objective = PythonObjective(request.objective, metric, timeout, grace)
        description = f"python:{request.objective}"
    else:
        fields = placeholders(request.command)
        unknown = [f for f in fields if f not in conf.param_names]
        if unknown:
            raise InputError(
                f"{{{unknown[0]}}} is not a hyperparameter of {conf.name} (it has {', '.join(conf.param_names)})",
                key="--command",
            )
        refuse_quoted_placeholders(request.command)
        objective = ShellObjective(request.command, metric, timeout, grace)
        description = f"shell:{request.command}"
    return ObjectiveTask(conf, objective, description, run_conf.pool)


def _criterion(request: RunRequest, problem: Any, budget: float, warn: Callable[[str], None]) -> StopCriterion:
    if request.criterion != "GOAL":
        if request.goal is not None:
            warn("-eg/--exp_goal is ignored under -e TIME")
        return StopCriterion("TIME", budget=budget, max_trials=request.max_trials)
    if not problem.simulated and request.goal is None:
        raise InputError(
            "a GOAL run on a real objective needs -eg (no table gives a default goal)", key="-eg/--exp_goal"
        )
    goal = request.goal
    if goal is None:
        tenth = problem.default_goal()
        goal = tenth if request.goal_metric == "accuracy" else 1.0 - tenth
        warn(f"goal: {request.goal_metric} {goal:.6g} (the 10th-best accuracy of the pool {tenth:.6g})")
    check_goal(goal, request.goal_metric)
    best = problem.best_known()  # not evaluated just for this warning
    target_accuracy = goal if request.goal_metric == "accuracy" else 1.0 - goal
    if best is not None and target_accuracy > best + 1e-12:
        warn(
            f"the goal (accuracy {target_accuracy:.6g}) is above the best accuracy of the pool {best:.6g}; "
            f"each repetition will stop at its cap"
        )
    return StopCriterion("GOAL", goal=goal, metric=request.goal_metric, max_trials=request.max_trials)


def _requires(peer: str) -> str:
    """The packages a peer system needs."""
    from hpo_mab.peers.optimizers import PEERS

    return PEERS[peer].facts.get("requires", "its package")


def _at_most(seconds: float, given: str, key: str) -> float:
    """A duration within MAX_SECONDS."""
    if seconds > MAX_SECONDS:
        raise InputError(f"expected at most {MAX_SECONDS:g} seconds, got {given!r}", key=key)
    return seconds


def check_sizes(request: RunRequest) -> None:
    """Repetitions, trials, workers and seed within their limits (the CLI's own checks, for other callers)."""
    limits = (
        ("NUM_TRIALS", request.num_trials, 1, MAX_REPETITIONS),
        ("--max-trials", request.max_trials, 1, MAX_TRIALS),
        ("--workers", request.workers, 1, MAX_WORKERS),
        ("-j/--jobs", request.jobs, 1, MAX_JOBS),
        ("--seed", request.seed, 0, INT64_MAX),
    )
    for key, value, low, high in limits:
        if value is not None and not low <= value <= high:
            raise InputError(f"expected an integer in {low}..{high}, got {value}", key=key)


def assemble(
    request: RunRequest, warn: Callable[[str], None], load: Callable[..., Any] = load_benchmark
) -> Assembly:  # fmt: skip
    """Validate every value of the request (raising InputError) and load the benchmark (by ``load``:
    ``load_benchmark``'s arguments) or objective."""
    mode, spec = resolve_mode(request.mode, request.spec, request.time_penalty)
    overhead_mode, overhead_seconds = parse_overhead(request.overhead)
    worker = parse_worker_url(request.worker_url)
    budget = _at_most(parse_seconds(request.exp_time, "-et/--exp_time"), request.exp_time, "-et/--exp_time")
    _at_most(overhead_seconds, request.overhead, "--overhead")
    check_results_dir(request.results_dir)
    check_sizes(request)
    for flag, folder in (("-rc/--run_conf", request.run_conf_dir), ("-hc/--hp_conf", request.hp_conf_dir)):
        if folder is not None and not folder.is_dir():
            raise InputError(f"not a folder: {folder}", key=flag)
    run_conf = load_request_run_conf(request.conf, request.run_conf_dir)
    timeout = parse_seconds(request.trial_timeout, "--trial-timeout") if request.trial_timeout else None
    if timeout is not None:
        _at_most(timeout, request.trial_timeout, "--trial-timeout")
    if request.command is not None and not request.command.strip():
        raise InputError("expected a shell command, got an empty one", key="--command")
    if request.objective or request.command or request.external:
        problem: Any = load_objective_task(request, run_conf, timeout)
    else:
        problem = load(request.config, request.hp_conf_dir, run_conf.pool, request.yahpo_data)
        if worker is not None:
            warn(f"worker {worker} is not used: surrogate replays simulate their workers in this process")
        if timeout is not None:
            warn("--trial-timeout is ignored: surrogate replays do not run anything")
    method = method_of(mode, spec, run_conf, request.peer)
    workers = request.workers or (max(len(method.members), 2) if method.batch else 1)
    if not problem.simulated and method.needs_oracle():
        raise InputError(
            "the -T strategies credit the true error of every nominee, which only benchmarks know", key="-s/--spec"
        )
    criterion = _criterion(request, problem, budget, warn)
    try:
        method.strategies(run_conf, problem.space, request.time_penalty, None)  # arms valid before anything runs
    except ImportError as exc:  # a peer system that is not installed
        if method.peer is None:
            raise
        raise InputError(
            f"{method.peer} needs {_requires(method.peer)}, which is not installed ({exc}); "
            "pip install 'hpo-mab[peers]'",
            key="--strategies",
        ) from None
    backend = "external" if request.external else backend_for(problem.simulated, workers, worker)
    if request.jobs > 1 and backend != "simulated":
        raise InputError(
            "repetitions run at once only on the simulated clock (surrogate tables, analytic functions, YAHPO);"
            " a real objective runs trials in parallel with --workers",
            key="-j/--jobs",
        )
    etr_name, etr_options = _rule(request, run_conf, problem)
    return Assembly(
        problem=problem,
        method=method,
        run_conf=run_conf,
        criterion=criterion,
        overhead=Overhead(overhead_mode, overhead_seconds),
        workers=workers,
        time_penalty=request.time_penalty,
        scheduler=worker if not problem.simulated else None,
        backend=backend,
        rule_name=etr_name,
        rule_options=etr_options,
    )
