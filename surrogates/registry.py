"""Find the benchmark a CONFIG argument names, and list every available benchmark.

CONFIG is a bundled benchmark (``digits-mlp``), an analytic function (``branin``), a YAHPO
surrogate (``yahpo:lcbench:3945``), an hp_conf name in ``-hc`` or a path. An hp_conf's
``config.surrogate`` says where values come from: a table file (CSV, CSV.gz, Parquet; relative to
the hp_conf, else among the bundled data), ``analytic:<function>`` or ``yahpo:<scenario>:<instance>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_mab.bundled import data_folder, hp_conf_folder
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.files import CONFIG_SUFFIXES, find_config, load_mapping
from hpo_mab.inputs.hp_conf import HpConf, load_hp_conf
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.registry import Entry, Registry
from hpo_mab.surrogates import analytic, yahpo
from hpo_mab.surrogates.base import Benchmark
from hpo_mab.surrogates.lookup import LookupBenchmark, read_table, table_stem
from hpo_mab.surrogates.model_based import ModelBenchmark

BUNDLED_HP_CONF = hp_conf_folder()
BUNDLED_DATA = data_folder()


def bundled_names() -> list[str]:
    """Names of the hp_confs shipped with hpo-mab."""
    return sorted(p.stem for p in BUNDLED_HP_CONF.iterdir() if p.suffix in CONFIG_SUFFIXES)


def known_names() -> list[str]:
    """Bundled tables and analytic functions (what CONFIG may name without a path)."""
    return bundled_names() + sorted(analytic.FUNCTIONS)


def resolve_hp_conf(config: str, hp_dir: Path | None, key: str = "CONFIG") -> Path:
    """Path of the hp_conf named by ``config`` (path, name in ``hp_dir``, or bundled name); ``key`` names the
    argument in the error."""
    directory = hp_dir if hp_dir is not None else BUNDLED_HP_CONF
    try:
        return find_config(config, directory, "hp_conf")
    except InputError:
        if hp_dir is not None and config in bundled_names():
            return find_config(config, BUNDLED_HP_CONF, "hp_conf")
        raise InputError(
            f"no benchmark or hp_conf named {config!r} (looked for a file, in {directory}/, and among the known: "
            f"{', '.join(known_names())}; YAHPO surrogates are named yahpo:<scenario>:<instance>)",
            key=key,
        ) from None


def is_user_hp_conf(config: str, hp_dir: Path | None) -> bool:
    """True when CONFIG is a file of the user's (a path, or a name in ``-hc``), not a name of a bundled one."""
    if hp_dir is None:
        return Path(config).is_file()
    try:
        find_config(config, hp_dir, "hp_conf")  # a path, or a name in hp_dir
    except InputError:
        return False
    return True


def table_path(conf: HpConf) -> Path:
    """The table file of ``config.surrogate``: relative to the hp_conf, else in the bundled data."""
    name = conf.config["surrogate"]
    for base in (conf.directory, BUNDLED_DATA):
        candidate = (base / name).resolve()
        if candidate.is_file():
            return candidate
    raise InputError(
        f"table {name!r} not found next to the hp_conf nor in {BUNDLED_DATA}", conf.source, "config.surrogate"
    )


def _is_file_config(config: str, hp_dir: Path | None) -> bool:
    """True when CONFIG names an hp_conf file (a path, or a name in ``-hc``), which wins over built-ins."""
    try:
        find_config(config, hp_dir if hp_dir is not None else BUNDLED_HP_CONF, "hp_conf")
    except InputError:
        return False
    return True


@dataclass(frozen=True)
class BenchmarkInfo:
    """One line of ``surrogates list``."""

    name: str
    source: str
    hyperparameters: int
    epochs: int
    size: str
    optimum: float | None
    goal: float | None


def list_benchmarks(
    hp_dir: Path | None = None, yahpo_data: Path | None = None
) -> tuple[list[BenchmarkInfo], list[str]]:
    """Every benchmark available (hp_confs bundled and in ``hp_dir``, analytic functions, YAHPO
    instances), and one error line per hp_conf file that cannot be used."""
    infos, problems = [], []
    folders = [BUNDLED_HP_CONF] + ([hp_dir] if hp_dir is not None and hp_dir.resolve() != BUNDLED_HP_CONF else [])
    for folder in folders:
        for path in sorted(p for p in folder.iterdir() if p.suffix in CONFIG_SUFFIXES):
            try:
                infos.append(_file_info(path))
            except InputError as exc:  # one broken user file does not hide the others
                problems.append(exc.line())
    for entry in SOURCES:
        offered, unusable = entry.factory.listing(yahpo_data)
        infos += offered
        problems += unusable
    return infos, problems


def _optional_yahpo_dir(option: Path | None) -> Path | None:
    try:
        return yahpo.data_dir(option)
    except InputError:
        if option is not None:
            raise
        return None


def _file_info(path: Path) -> BenchmarkInfo:
    conf = load_hp_conf(path)
    surrogate = conf.config.get("surrogate", "")
    if not surrogate or surrogate.startswith((analytic.PREFIX, yahpo.PREFIX)):
        source = surrogate or "objective (no table)"
        return BenchmarkInfo(conf.name, source, len(conf.hyperparams), conf.max_epoch or 1, "-", None, None)
    table = table_path(conf)
    meta_path = table.parent / f"{table_stem(table)}.meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        rows, optimum, goal = meta["rows"], meta["optimum_accuracy"], meta["tenth_best_accuracy"]
    else:
        bench = LookupBenchmark(conf.name, conf, read_table(table, conf), table)
        best = bench.best_accuracies()
        rows, optimum, goal = len(bench.table.configs), float(best[0]), bench.default_goal()
    goal = float(conf.config["goal"]) if "goal" in conf.config else goal
    return BenchmarkInfo(conf.name, _short(table), len(conf.hyperparams), conf.max_epoch, f"{rows} rows", optimum, goal)


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(BUNDLED_DATA.parents[1]))
    except ValueError:
        return str(path)


def _yahpo_builtin(config: str, hp_dir: Path | None, yahpo_data: Path | None) -> Any:
    """``yahpo:<scenario>:<instance>`` names a YAHPO model."""
    return yahpo.load_model(config, yahpo_data) if config.startswith(yahpo.PREFIX) else None


def _analytic_builtin(config: str, hp_dir: Path | None, yahpo_data: Path | None) -> Any:
    """An analytic function's name (unless an hp_conf file has that name)."""
    if config in analytic.FUNCTIONS and not _is_file_config(config, hp_dir):
        return analytic.load_model(config)
    return None


def _no_builtin(config: str, hp_dir: Path | None, yahpo_data: Path | None) -> Any:
    return None


def _yahpo_from_conf(conf: HpConf, path: Path, pool: PoolSettings, yahpo_data: Path | None) -> Benchmark:
    model = yahpo.load_model(conf.config["surrogate"], yahpo_data)
    return ModelBenchmark(conf.name, yahpo.YahpoModel(model.scenario, model.instance, conf, load_mapping(path)), pool)


def _analytic_from_conf(conf: HpConf, path: Path, pool: PoolSettings, yahpo_data: Path | None) -> Benchmark:
    return ModelBenchmark(conf.name, analytic.AnalyticModel(conf, load_mapping(path)), pool)


def _table_from_conf(conf: HpConf, path: Path, pool: PoolSettings, yahpo_data: Path | None) -> Benchmark:
    table = table_path(conf)
    return LookupBenchmark(conf.name, conf, read_table(table, conf), table)


def _analytic_listing(yahpo_data: Path | None) -> tuple[list[BenchmarkInfo], list[str]]:
    infos = []
    for name in sorted(analytic.FUNCTIONS):
        bench = ModelBenchmark(name, analytic.load_model(name), PoolSettings())
        conf = bench.hp_conf
        seconds, spread = analytic.parse_cost(conf)
        infos.append(
            BenchmarkInfo(
                name,
                f"analytic, {seconds:g} s/evaluation" + (f" ±{spread:.0%}" if spread else ""),
                len(conf.hyperparams),
                1,
                f"{PoolSettings().num_samples}-pt pool",
                1.0,
                bench.default_goal(),
            )
        )
    return infos, []


def _yahpo_listing(yahpo_data: Path | None) -> tuple[list[BenchmarkInfo], list[str]]:
    """The instances of every YAHPO scenario of the data folder, and a line per scenario that cannot be read."""
    folder = _optional_yahpo_dir(yahpo_data)
    if folder is None:
        return [], []
    infos, problems = [], []
    for scenario_name in yahpo.scenario_names(folder):
        try:
            scenario = yahpo.load_scenario(folder, scenario_name)
        except InputError as exc:  # one broken scenario does not hide the others
            problems.append(exc.line())
            continue
        count = len(
            [p for p in scenario.parameters if p["name"] not in (scenario.spec.instance, scenario.spec.fidelity)]
        )
        for instance in scenario.instances:
            infos.append(
                BenchmarkInfo(
                    yahpo.benchmark_name(scenario_name, instance),
                    f"YAHPO {scenario_name} ONNX",
                    count,
                    scenario.epochs,
                    f"{PoolSettings().num_samples}-pt pool",
                    None,
                    None,
                )
            )
    return infos, problems


def _none_listed(yahpo_data: Path | None) -> tuple[list[BenchmarkInfo], list[str]]:
    return [], []


@dataclass(frozen=True)
class Source:
    """Where a benchmark's values come from.

    ``prefix``: how an hp_conf's ``config.surrogate`` names it (None: a table file); ``builtin``: the
    model a CONFIG argument names directly (or None); ``from_conf``: the benchmark of an hp_conf;
    ``listing``: the benchmarks it offers without an hp_conf file (``surrogates list``), and a line for
    each source of them that cannot be read.
    """

    prefix: str | None
    builtin: Callable[[str, Path | None, Path | None], Any]
    from_conf: Callable[[HpConf, Path, PoolSettings, Path | None], Benchmark]
    listing: Callable[[Path | None], tuple[list[BenchmarkInfo], list[str]]]


SOURCES: Registry[Source] = Registry(
    "benchmark source",
    [
        Entry("analytic", Source(analytic.PREFIX, _analytic_builtin, _analytic_from_conf, _analytic_listing)),
        Entry("yahpo", Source(yahpo.PREFIX, _yahpo_builtin, _yahpo_from_conf, _yahpo_listing)),
        Entry("table", Source(None, _no_builtin, _table_from_conf, _none_listed)),
    ],
)


def _source_of(surrogate: str) -> Source:
    """The source whose prefix ``config.surrogate`` has (a table file otherwise)."""
    for entry in SOURCES:
        if entry.factory.prefix is not None and surrogate.startswith(entry.factory.prefix):
            return entry.factory
    return SOURCES["table"].factory


def _builtin_model(config: str, hp_dir: Path | None, yahpo_data: Path | None) -> Any:
    """The model a CONFIG argument names directly (a YAHPO name, an analytic function), or None."""
    for entry in SOURCES:
        model = entry.factory.builtin(config, hp_dir, yahpo_data)
        if model is not None:
            return model
    return None


def load_benchmark(
    config: str, hp_dir: Path | None = None, pool: PoolSettings | None = None, yahpo_data: Path | None = None
) -> Benchmark:
    """Load the benchmark named by the CONFIG argument (model-based ones sample ``pool``)."""
    pool = pool if pool is not None else PoolSettings()
    model = _builtin_model(config, hp_dir, yahpo_data)
    if model is not None:
        return ModelBenchmark(config.replace(":", "-"), model, pool)
    path = resolve_hp_conf(config, hp_dir)
    conf = load_hp_conf(path)
    surrogate = conf.config.get("surrogate")
    if surrogate is None:
        raise InputError(
            "this hp_conf has no config.surrogate (a table file, analytic:<function> or yahpo:<scenario>:<instance>);"
            " give a real objective to evaluate it with --objective MOD:FUNC or --command 'CMD {name}'",
            conf.source,
            "config.surrogate",
        )
    return _source_of(surrogate).from_conf(conf, path, pool, yahpo_data)


def hp_conf_text(config: str, hp_dir: Path | None = None, yahpo_data: Path | None = None, key: str = "CONFIG") -> str:
    """The hp_conf of a benchmark as text: the file as written, or the generated one as JSON."""
    model = _builtin_model(config, hp_dir, yahpo_data)
    if model is not None:
        return json.dumps(model.document, indent=2) + "\n"
    return resolve_hp_conf(config, hp_dir, key).read_text()
