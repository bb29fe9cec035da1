"""Generate the bundled ``digits-mlp`` lookup table by really training scikit-learn MLPs.

Each row is one configuration of ``hp_conf/digits-mlp.json`` (a scrambled Sobol point, fixed
seed) trained epoch by epoch with ``MLPClassifier.partial_fit`` on scikit-learn's digits data
(stratified 75/25 split, standardised); after every epoch the test accuracy is recorded, and the
measured training time (wall seconds, evaluation excluded) is stored as ``train_time``.

Rows are appended to a partial CSV as they finish, so the script can run in the background and
resume where it stopped; when every row is done it writes the sorted, gzip-compressed table and a
metadata record next to it. Accuracies are reproducible for the seed; times are measurements.

    python -m surrogates.generators.digits_mlp [--rows 12000] [--jobs 2] [--out surrogates/data]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from inputs.hp_conf import HpConf, load_hp_conf  # noqa: E402
from searchspace.space import SearchSpace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HP_CONF = REPO / "hp_conf" / "digits-mlp.json"
NAME = "digits-mlp"
SOBOL_SEED = 20261125
DEFAULT_ROWS = 12000


def sample_configs(conf: HpConf, rows: int, seed: int = SOBOL_SEED) -> list[dict]:
    """The table's configurations: the first ``rows`` points of a scrambled Sobol sequence."""
    space = SearchSpace(conf.hyperparams)
    return space.from_unit(space.sample_unit(rows, "sobol", seed)).to_dict("records")


def _dataset():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


_DATA = None


def train_row(args: tuple[int, dict, int]) -> tuple[int, list[float], float]:
    """Train one configuration for ``epochs`` epochs; return (row, per-epoch accuracy, seconds)."""
    global _DATA  # per worker-process cache of the data set, filled on first use
    row, config, epochs = args
    if _DATA is None:
        _DATA = _dataset()
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, x_test, y_train, y_test = _DATA
    classes = np.unique(y_train)
    clf = MLPClassifier(
        hidden_layer_sizes=(config["n_units"],) * config["n_layers"],
        activation=config["activation"],
        solver=config["solver"],
        alpha=config["alpha"],
        batch_size=config["batch_size"],
        learning_rate_init=config["learning_rate_init"],
        momentum=config["momentum"],
        random_state=row,
    )
    accuracies, seconds = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for _ in range(epochs):
            start = time.perf_counter()
            try:
                clf.partial_fit(x_train, y_train, classes=classes)
            except ValueError:  # the weights diverged (non-finite): the network is dead from here on
                seconds += time.perf_counter() - start
                break
            seconds += time.perf_counter() - start
            accuracies.append(float(np.mean(clf.predict(x_test) == y_test)))
    if len(accuracies) < epochs:
        # a diverged network predicts one class: chance accuracy for the remaining epochs, and the
        # time of the epochs it would still have trained, prorated from the epochs it did train
        majority = np.bincount(y_train).argmax()
        trained = max(len(accuracies), 1)
        seconds *= epochs / trained
        accuracies += [float(np.mean(y_test == majority))] * (epochs - len(accuracies))
    return row, accuracies, seconds


def header(conf: HpConf) -> list[str]:
    """Columns of the table: hyperparameters, acc_1..acc_E, train_time."""
    epochs = conf.max_epoch
    return ["row", *conf.param_names, *(f"acc_{e}" for e in range(1, epochs + 1)), "train_time"]


def _done_rows(partial: Path) -> set[int]:
    """Rows already in the partial file; a line cut short by a kill is removed first."""
    if not partial.exists():
        return set()
    data = partial.read_bytes()
    if data and not data.endswith(b"\n"):
        with partial.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)
    with partial.open(newline="") as handle:
        return {int(rec["row"]) for rec in csv.DictReader(handle) if rec.get("train_time")}


def generate(rows: int, jobs: int, out_dir: Path) -> Path:
    """Train every missing row (appending to the partial file), then write the final table."""
    conf = load_hp_conf(HP_CONF)
    configs = sample_configs(conf, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{NAME}.partial.csv"
    done = _done_rows(partial)
    todo = [(i, configs[i], conf.max_epoch) for i in range(rows) if i not in done]
    print(f"{len(done)} rows done, {len(todo)} to train with {jobs} processes", flush=True)
    new_file = not partial.exists()
    started = time.time()
    with partial.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(header(conf))
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for k, (row, accs, secs) in enumerate(pool.imap_unordered(train_row, todo, chunksize=1), 1):
                values = [configs[row][n] for n in conf.param_names]
                writer.writerow([row, *values, *(f"{a:.6f}" for a in accs), f"{secs:.4f}"])
                handle.flush()
                if k % 100 == 0:
                    rate = k / (time.time() - started)
                    print(f"{len(done) + k}/{rows} rows, {rate:.2f} rows/s", flush=True)
    return finalize(conf, partial, out_dir, rows, jobs)


def finalize(conf: HpConf, partial: Path, out_dir: Path, rows: int, jobs: int) -> Path:
    """Sort the partial rows, write ``<name>.csv.gz`` (reproducible gzip) and ``<name>.meta.json``."""
    import pandas as pd

    table = pd.read_csv(partial).drop_duplicates("row").sort_values("row")
    if len(table) != rows:
        raise SystemExit(f"{partial}: {len(table)} of {rows} rows present; run again to finish")
    acc_cols = [f"acc_{e}" for e in range(1, conf.max_epoch + 1)]
    best = table[acc_cols].max(axis=1).sort_values(ascending=False).to_numpy()
    target = out_dir / f"{NAME}.csv.gz"
    text = table.drop(columns="row").to_csv(index=False, lineterminator="\n")
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode())
    meta = {
        "name": NAME,
        "description": "scikit-learn MLPClassifier on the digits data (1347 train / 450 test, stratified), "
        "trained with partial_fit one epoch at a time; test accuracy after each epoch",
        "generator": "python -m surrogates.generators.digits_mlp",
        "rows": len(table),
        "epochs": conf.max_epoch,
        "sobol_seed": SOBOL_SEED,
        "hardware": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} training processes, "
        f"Python {platform.python_version()}",
        "total_train_time_s": round(float(table["train_time"].sum()), 1),
        "median_train_time_s": round(float(table["train_time"].median()), 4),
        "optimum_accuracy": float(best[0]),
        "tenth_best_accuracy": float(best[min(9, len(best) - 1)]),
    }
    (out_dir / f"{NAME}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return target


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "surrogates" / "data")
    args = parser.parse_args()
    generate(args.rows, args.jobs, args.out)


if __name__ == "__main__":
    main()
