"""Find the benchmark a CONFIG argument names: a bundled benchmark, an hp_conf name or a path."""

from __future__ import annotations

from pathlib import Path

from inputs.errors import InputError
from inputs.files import CONFIG_SUFFIXES, find_config
from inputs.hp_conf import HpConf, load_hp_conf
from surrogates.lookup import LookupBenchmark, read_table

REPO = Path(__file__).resolve().parents[1]
BUNDLED_HP_CONF = REPO / "hp_conf"
BUNDLED_DATA = REPO / "surrogates" / "data"


def bundled_names() -> list[str]:
    """Names of the hp_confs shipped with hpo-mab."""
    return sorted(p.stem for p in BUNDLED_HP_CONF.iterdir() if p.suffix in CONFIG_SUFFIXES)


def resolve_hp_conf(config: str, hp_dir: Path | None) -> Path:
    """Path of the hp_conf named by ``config`` (path, name in ``hp_dir``, or bundled name)."""
    directory = hp_dir if hp_dir is not None else BUNDLED_HP_CONF
    try:
        return find_config(config, directory, "hp_conf")
    except InputError:
        if hp_dir is not None and config in bundled_names():
            return find_config(config, BUNDLED_HP_CONF, "hp_conf")
        known = ", ".join(bundled_names())
        raise InputError(
            f"no benchmark or hp_conf named {config!r} "
            f"(looked for a file, in {directory}/, and among the bundled: {known})",
            key="CONFIG",
        ) from None


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


def load_benchmark(config: str, hp_dir: Path | None = None) -> LookupBenchmark:
    """Load the benchmark named by the CONFIG argument."""
    conf = load_hp_conf(resolve_hp_conf(config, hp_dir))
    if "surrogate" not in conf.config:
        raise InputError(
            "this hp_conf has no lookup table (config.surrogate); objectives without a table are not supported yet",
            conf.source,
            "config.surrogate",
        )
    path = table_path(conf)
    return LookupBenchmark(conf.name, conf, read_table(path, conf), path)
