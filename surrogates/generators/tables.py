"""Shared machinery of the table generators: Sobol configurations, resumable training, final files.

A generator module defines a :class:`TableRecipe` (name, hp_conf, seed, description) and a
module-level ``train_row((row, config, epochs)) -> (row, per-epoch accuracies, seconds)``; this
module trains every missing row in worker processes, appends rows to a partial CSV as they finish
(so a killed generator resumes where it stopped), and writes the sorted, gzip-compressed table and
its metadata record once every row is done. Accuracies are reproducible for the seed; times are
measurements.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import multiprocessing
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hpo_mab.bundled import data_folder, hp_conf_folder
from hpo_mab.inputs.hp_conf import HpConf, load_hp_conf
from hpo_mab.searchspace.space import SearchSpace

BUNDLED_DATA = data_folder()

TrainRow = Callable[[tuple[int, dict, int]], tuple[int, list[float], float]]


@dataclass(frozen=True)
class TableRecipe:
    """How one bundled table is made."""

    name: str
    description: str
    sobol_seed: int
    default_rows: int
    module: str
    train_row: TrainRow

    @property
    def hp_conf_path(self) -> Path:
        """The bundled hp_conf of the table."""
        return hp_conf_folder() / f"{self.name}.json"

    def sample_configs(self, conf: HpConf, rows: int) -> list[dict]:
        """The table's configurations: the first ``rows`` points of the recipe's Sobol sequence."""
        return sample_configs(conf, rows, self.sobol_seed)

    def generate(self, rows: int, jobs: int, out_dir: Path) -> Path:
        """Train every missing row, then write the table and its metadata."""
        return generate(self, rows, jobs, out_dir)


def limit_threads() -> None:
    """One BLAS/OpenMP thread per training process (call before numpy is imported by workers)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def sample_configs(conf: HpConf, rows: int, seed: int) -> list[dict]:
    """The table's configurations: the first ``rows`` points of a scrambled Sobol sequence."""
    space = SearchSpace(conf.hyperparams)
    return space.from_unit(space.sample_unit(rows, "sobol", seed)).to_dict("records")


def header(conf: HpConf) -> list[str]:
    """Columns of the partial file: row, hyperparameters, acc_1..acc_E, train_time."""
    return ["row", *conf.param_names, *(f"acc_{e}" for e in range(1, conf.max_epoch + 1)), "train_time"]


def done_rows(partial: Path) -> set[int]:
    """Rows already in the partial file; a line cut short by a kill is removed first."""
    if not partial.exists():
        return set()
    data = partial.read_bytes()
    if data and not data.endswith(b"\n"):
        with partial.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)
    with partial.open(newline="") as handle:
        return {int(rec["row"]) for rec in csv.DictReader(handle) if rec.get("train_time")}


def generate(recipe: TableRecipe, rows: int, jobs: int, out_dir: Path) -> Path:
    """Train every missing row (appending to the partial file), then write the final table."""
    limit_threads()
    conf = load_hp_conf(recipe.hp_conf_path)
    configs = sample_configs(conf, rows, recipe.sobol_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{recipe.name}.partial.csv"
    done = done_rows(partial)
    todo = [(i, configs[i], conf.max_epoch) for i in range(rows) if i not in done]
    print(f"{len(done)} rows done, {len(todo)} to train with {jobs} processes", flush=True)
    new_file = not partial.exists()
    started = time.time()
    with partial.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(header(conf))
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for k, (row, accs, secs) in enumerate(pool.imap_unordered(recipe.train_row, todo, chunksize=1), 1):
                values = [configs[row][n] for n in conf.param_names]
                writer.writerow([row, *values, *(f"{a:.6f}" for a in accs), f"{secs:.4f}"])
                handle.flush()
                if k % 100 == 0:
                    rate = k / (time.time() - started)
                    print(f"{len(done) + k}/{rows} rows, {rate:.2f} rows/s", flush=True)
    return finalize(recipe, conf, partial, out_dir, rows, jobs)


def finalize(recipe: TableRecipe, conf: HpConf, partial: Path, out_dir: Path, rows: int, jobs: int) -> Path:
    """Sort the partial rows, write ``<name>.csv.gz`` (reproducible gzip) and ``<name>.meta.json``."""
    import pandas as pd

    table = pd.read_csv(partial).drop_duplicates("row").sort_values("row")
    if len(table) != rows:
        raise SystemExit(f"{partial}: {len(table)} of {rows} rows present; run again to finish")
    acc_cols = [f"acc_{e}" for e in range(1, conf.max_epoch + 1)]
    best = table[acc_cols].max(axis=1).sort_values(ascending=False).to_numpy()
    target = out_dir / f"{recipe.name}.csv.gz"
    text = table.drop(columns="row").to_csv(index=False, lineterminator="\n")
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode())
    meta = {
        "name": recipe.name,
        "description": recipe.description,
        "generator": f"python -m {recipe.module}",
        "rows": len(table),
        "epochs": conf.max_epoch,
        "sobol_seed": recipe.sobol_seed,
        "hardware": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} training processes, "
        f"Python {platform.python_version()}",
        "total_train_time_s": round(float(table["train_time"].sum()), 1),
        "median_train_time_s": round(float(table["train_time"].median()), 4),
        "optimum_accuracy": float(best[0]),
        "tenth_best_accuracy": float(best[min(9, len(best) - 1)]),
    }
    (out_dir / f"{recipe.name}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return target


def main(recipe: TableRecipe) -> None:
    """Command-line entry point of a generator module."""
    parser = argparse.ArgumentParser(description=f"Generate the bundled {recipe.name!r} lookup table.")
    parser.add_argument("--rows", type=int, default=recipe.default_rows)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=BUNDLED_DATA)
    args = parser.parse_args()
    generate(recipe, args.rows, args.jobs, args.out)
