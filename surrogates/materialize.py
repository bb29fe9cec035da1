"""Turn a model-based benchmark (YAHPO, analytic) into a lookup table of our format.

Writes ``FILE`` (.csv, .csv.gz or .parquet) with the sampled pool's configurations, per-epoch
accuracies and training seconds, an hp_conf ``<stem>.json`` next to it whose ``config.surrogate``
names the table (so ``hpo_runner.py <stem>.json ...`` replays it like a bundled benchmark), and a
metadata record ``<stem>.meta.json`` (source, pool, optimum, 10th-best accuracy). Files already
there are kept as ``<name>.~k~``, as the runner keeps earlier traces.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

from hpo_mab.backups import keep_previous
from hpo_mab.inputs.errors import InputError
from hpo_mab.surrogates.base import tenth_best
from hpo_mab.surrogates.lookup import SUFFIXES, table_stem
from hpo_mab.surrogates.model_based import ModelBenchmark
from hpo_mab.version import package_version


def output_paths(out: Path) -> dict[str, Path]:
    """A table's files: itself, its hp_conf and its metadata (``lc.csv.gz``: lc.json, lc.meta.json)."""
    stem = table_stem(out)
    return {"table": out, "hp_conf": out.with_name(f"{stem}.json"), "meta": out.with_name(f"{stem}.meta.json")}


def materialize(benchmark: ModelBenchmark, out: Path, note: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Evaluate every pool candidate and write table, hp_conf and metadata; return their paths. Files already
    there are kept as ``<name>.~k~`` (each told to ``note``)."""
    if not out.name.lower().endswith(SUFFIXES):
        raise InputError(f"expected a .csv, .csv.gz or .parquet file name, got {out.name!r}", key="-o/--out")
    if out.name.lower().endswith(".parquet"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError("writing Parquet needs pyarrow (pip install pyarrow)", key="-o/--out") from None
    table = benchmark.as_table()
    epochs = table.epochs
    frame = table.configs.copy()
    for e in range(epochs):
        frame[f"acc_{e + 1}"] = table.accuracy[:, e]
    frame["train_time"] = table.train_time
    paths = output_paths(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for path in paths.values():
            backup = keep_previous(path)
            if backup is not None and note is not None:
                note(f"kept the previous {path.name} as {backup.name}")
        _write(frame, out)
    except OSError as exc:
        raise InputError(f"cannot write {out} ({exc.strerror or exc})", key="-o/--out") from None
    conf = benchmark.hp_conf
    document = dict(benchmark.model.document)
    document["config"] = {
        "max_epoch": epochs,
        "surrogate": out.name,
        "metric": "accuracy",
        "epoch_column_prefix": "acc_",
        "time_column": "train_time",
        "description": f"materialised from {conf.config['surrogate']}",
    }
    if "time_scale" in conf.config:
        document["config"]["time_scale"] = conf.config["time_scale"]
    paths["hp_conf"].write_text(json.dumps(document, indent=2) + "\n")
    best = benchmark.best_accuracies()
    meta = {
        "name": table_stem(out),
        "source": conf.config["surrogate"],
        **benchmark.model.describe(),
        "pool": benchmark.pool_settings.__dict__,
        "rows": len(frame),
        "epochs": epochs,
        "optimum_accuracy": float(best[0]),
        "tenth_best_accuracy": tenth_best(best),
        "hpo_mab_version": package_version(),
    }
    paths["meta"].write_text(json.dumps(meta, indent=2) + "\n")
    return paths


def _write(frame, out: Path) -> None:
    name = out.name.lower()
    if name.endswith(".parquet"):
        frame.to_parquet(out, index=False)
        return
    text = frame.to_csv(index=False, lineterminator="\n").encode()
    if name.endswith(".gz"):
        with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(text)
    else:
        out.write_bytes(text)
