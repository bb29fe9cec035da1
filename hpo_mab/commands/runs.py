"""``hpo_runner.py runs [show ID]``: the stored runs of a results folder, read from its store only."""

from __future__ import annotations

from pathlib import Path

import click

from hpo_mab.inputs.errors import InputError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
RESULTS_HELP = "Folder of the result store (hpo.sqlite)."


def _store_path(results: Path) -> Path:
    from hpo_mab.assembly.session import STORE_NAME

    path = results / STORE_NAME
    if not path.is_file():
        raise InputError(f"no result store ({STORE_NAME}) here", str(results))
    return path


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.option("--results", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help=RESULTS_HELP)  # fmt: skip
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def runs(ctx: click.Context, results: Path, debug: bool) -> None:
    """List the stored runs: id, benchmark, mode, criterion, seed, repetitions finished/asked, status, best."""
    ctx.obj = results
    if ctx.invoked_subcommand is not None:
        return
    from hpo_mab.store.sqlite import ResultStore
    from hpo_mab.terminal.runs import runs_table

    with ResultStore(_store_path(results)) as store:
        click.echo(runs_table(store, results))


@runs.command(context_settings=CONTEXT)
@click.argument("run_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--results", type=click.Path(path_type=Path), default=None, help=RESULTS_HELP + " [default: results]")
@click.pass_obj
def show(group_results: Path, run_id: int, results: Path | None) -> None:
    """One run's settings, status, per-repetition bests and best configuration."""
    from hpo_mab.store.sqlite import ResultStore
    from hpo_mab.terminal.runs import run_lines

    results = results if results is not None else group_results
    path = _store_path(results)
    with ResultStore(path) as store:
        try:
            run = store.run(run_id)
        except KeyError:
            ids = [r.id for r in store.runs()]
            stored = f"runs #{ids[0]} to #{ids[-1]}" if ids else "no runs"
            raise InputError(f"no run #{run_id} (stored: {stored})", str(path)) from None
        for line in run_lines(store, results, run):
            click.echo(line)
