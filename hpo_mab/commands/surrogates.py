"""``hpo_runner.py surrogates list|show|materialize``: the benchmarks this runner can replay."""

from __future__ import annotations

import time
from pathlib import Path

import click

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.options import INT64_MAX
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.searchspace.space import SAMPLE_METHODS
from hpo_mab.surrogates.materialize import materialize
from hpo_mab.surrogates.model_based import ModelBenchmark
from hpo_mab.surrogates.registry import hp_conf_text, list_benchmarks, load_benchmark
from hpo_mab.terminal.text_table import aligned_table

HP_CONF_DIR = click.option(
    "-hc",
    "--hp_conf",
    "hp_conf_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Folder of user hp_confs (listed next to the bundled ones).",
)
YAHPO_DATA = click.option(
    "--yahpo-data",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="YAHPO-Gym data folder (one sub-folder per scenario). [default: $HPO_YAHPO_DATA]",
)
DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def surrogates() -> None:
    """Benchmarks: bundled tables, user tables, analytic functions and YAHPO-Gym surrogates."""


@surrogates.command("list")
@HP_CONF_DIR
@YAHPO_DATA
@DEBUG
def list_command(hp_conf_dir: Path | None, yahpo_data: Path | None, debug: bool) -> None:
    """Every available benchmark: name, source, hyperparameters, epochs, size, optimum and goal."""
    infos, problems = list_benchmarks(hp_conf_dir, yahpo_data)
    rows = [(i.name, i.source, i.hyperparameters, i.epochs, i.size, i.optimum, i.goal) for i in infos]
    click.echo(aligned_table(("name", "source", "params", "epochs", "size", "optimum", "goal"), rows))
    click.echo("\noptimum and goal are accuracies; the goal is the 10th-best configuration (GOAL runs' default).")
    for problem in problems:
        click.echo(f"skipped {problem}", err=True)


@surrogates.command("show")
@click.argument("name")
@HP_CONF_DIR
@YAHPO_DATA
@DEBUG
def show_command(name: str, hp_conf_dir: Path | None, yahpo_data: Path | None, debug: bool) -> None:
    """Print the hp_conf of benchmark NAME (save it, edit it, and pass the file as CONFIG)."""
    click.echo(hp_conf_text(name, hp_conf_dir, yahpo_data, key="NAME"), nl=False)


@surrogates.command("materialize")
@click.argument("source")
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Table file.")
@click.option(
    "--num-samples", type=click.IntRange(min=1, max=PoolSettings.MAX_SAMPLES), default=20000, show_default=True
)
@click.option(
    "--seed",
    type=click.IntRange(0, INT64_MAX),
    default=1,
    show_default=True,
    help="Seed of the sampled configurations.",
)
@click.option(
    "--sample-method",
    type=click.Choice(SAMPLE_METHODS, case_sensitive=False),
    default="sobol",
    show_default=True,
)
@HP_CONF_DIR
@YAHPO_DATA
@DEBUG
def materialize_command(
    source: str,
    out: Path,
    num_samples: int,
    seed: int,
    sample_method: str,
    hp_conf_dir: Path | None,
    yahpo_data: Path | None,
    debug: bool,
) -> None:
    """Write a lookup table (plus hp_conf and metadata) of a model-based SOURCE (YAHPO, analytic)."""
    started = time.perf_counter()
    pool = PoolSettings(num_samples=num_samples, seed=seed, sample_method=sample_method.lower())
    benchmark = load_benchmark(source, hp_conf_dir, pool, yahpo_data)
    if not isinstance(benchmark, ModelBenchmark):
        raise InputError(f"{source!r} is already a lookup table; materialize takes a YAHPO or analytic source")
    paths = materialize(benchmark, out, lambda message: click.echo(f"note: {message}", err=True))
    rows, epochs = len(benchmark.pool()), benchmark.hp_conf.max_epoch
    click.echo(f"{rows} configurations x {epochs} epochs in {time.perf_counter() - started:.1f} s")
    for kind, path in paths.items():
        click.echo(f"{kind:8} {path}")
    click.echo(f"replay it with: hpo_runner.py {paths['hp_conf']} NUM_TRIALS ...")
