"""Lookup-table benchmarks: real training runs replayed from a table on the simulated clock.

Table format (CSV, CSV.gz or Parquet; one row per configuration):

* one column per hyperparameter, named as in the hp_conf (``param_order``), values in its domain;
* ``<prefix>1`` .. ``<prefix>E``: the metric after each epoch, E = ``config.max_epoch``
  (prefix ``config.epoch_column_prefix``, default ``acc_``; metric ``config.metric``: accuracy in
  [0, 1] by default, or error, or perplexity -> accuracy (1000 - ppl) / 1000);
* ``config.time_column`` (default ``train_time``): seconds to train all E epochs (>= 0);
* optional extra metrics in columns named ``metric_<name>``.

Error of a row after k epochs = 1 - max(acc_1..acc_k); time for k epochs = total * k / E, times
``config.time_scale`` (simulated seconds per table second, default 1). The pool is the rows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.hp_conf import HpConf
from hpo_mab.searchspace.space import CandidatePool, SearchSpace
from hpo_mab.surrogates.base import Result, curve_result, file_sha256, tenth_best

EXTRA_PREFIX = "metric_"
SUFFIXES = (".csv", ".csv.gz", ".parquet")
MAX_SECONDS = 1e9  # training seconds of one table row (31 years; README "Limits"), before config.time_scale


def table_stem(path: Path) -> str:
    """The file name without its table suffix (``lcbench.csv.gz`` -> ``lcbench``)."""
    name = path.name
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


@dataclass
class LookupTable:
    """Validated per-epoch accuracies and training times of a table."""

    configs: pd.DataFrame
    accuracy: np.ndarray  # (rows, epochs)
    train_time: np.ndarray  # (rows,)
    extras: pd.DataFrame

    @property
    def epochs(self) -> int:
        """Number of epochs E."""
        return self.accuracy.shape[1]


def read_table(path: Path, conf: HpConf) -> LookupTable:
    """Read and validate a table against its hp_conf; errors name the file, row and column."""
    source = str(path)
    name = Path(path).name.lower()
    if not name.endswith(SUFFIXES):
        raise InputError(f"expected a .csv, .csv.gz or .parquet table, got {Path(path).name!r}", source)
    try:
        frame = (
            pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path, dtype=str, keep_default_na=False)
        )
    except FileNotFoundError as exc:
        raise InputError("table file not found", source) from exc
    except (OSError, ValueError, ImportError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        raise InputError(f"cannot read table ({type(exc).__name__}: {exc})", source) from exc
    if not name.endswith(".parquet"):
        _refuse_duplicated_columns(path, source)
    config = conf.config
    epochs = conf.max_epoch
    if epochs is None:
        raise InputError("a lookup table needs config.max_epoch", conf.source, "config.max_epoch")
    prefix = config.get("epoch_column_prefix", "acc_")
    time_col = config.get("time_column", "train_time")
    metric = config.get("metric", "accuracy")
    epoch_cols = [f"{prefix}{e}" for e in range(1, epochs + 1)]
    expected = conf.param_names + epoch_cols + [time_col]
    columns = list(frame.columns)
    for col in expected:
        if col not in columns:
            raise InputError(f"missing column {col!r} (expected {_describe(conf, prefix, epochs, time_col)})", source)
    for col in columns:
        if col not in expected and not str(col).startswith(EXTRA_PREFIX):
            hint = " (more epochs than config.max_epoch?)" if str(col).startswith(prefix) else ""
            raise InputError(
                f"unexpected column {col!r}{hint}; extra metrics must be named {EXTRA_PREFIX}<name>", source
            )
    if frame.empty:
        raise InputError("the table has no rows", source)
    values = np.column_stack([_numeric(frame, c, source) for c in epoch_cols])
    if metric == "error":
        values = 1.0 - values
    elif metric == "perplexity":
        values = (1000.0 - values) / 1000.0
    bad = np.argwhere((values < 0) | (values > 1))
    if len(bad):
        r, c = bad[0]
        limits = "[0, 1000]" if metric == "perplexity" else "[0, 1]"
        raise InputError(f"row {r + 1}, column {epoch_cols[c]!r}: {metric} must lie in {limits}", source)
    times = _numeric(frame, time_col, source)
    negative = np.flatnonzero(times < 0)
    if len(negative):
        raise InputError(f"row {negative[0] + 1}, column {time_col!r}: negative time {times[negative[0]]:g}", source)
    huge = np.flatnonzero(times > MAX_SECONDS)
    if len(huge):
        raise InputError(
            f"row {huge[0] + 1}, column {time_col!r}: time {times[huge[0]]:g} s is above {MAX_SECONDS:g} s", source
        )
    configs = pd.DataFrame({hp.name: _hp_column(frame, hp, source) for hp in conf.hyperparams})
    extras = frame[[c for c in columns if str(c).startswith(EXTRA_PREFIX)]]
    return LookupTable(configs, values, times, extras)


def _refuse_duplicated_columns(path: Path, source: str) -> None:
    """pandas renames a repeated header (``acc_1`` -> ``acc_1.1``); the header as written is checked here."""
    try:
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
    except (OSError, ValueError, EOFError, UnicodeDecodeError, zlib.error, IndexError):
        return  # the full read reports it
    seen = set()
    for col in header:
        if col in seen:
            raise InputError(f"duplicated column {col!r}", source)
        seen.add(col)


def _describe(conf: HpConf, prefix: str, epochs: int, time_col: str) -> str:
    return f"{', '.join(conf.param_names)}, {prefix}1..{prefix}{epochs}, {time_col}"


def _numeric(frame: pd.DataFrame, col: str, source: str) -> np.ndarray:
    converted = pd.to_numeric(frame[col], errors="coerce")
    bad = np.flatnonzero(~np.isfinite(converted.to_numpy(dtype=float)))
    if len(bad):
        raise InputError(
            f"row {bad[0] + 1}, column {col!r}: expected a finite number, got {frame[col].iloc[bad[0]]!r}", source
        )
    return converted.to_numpy(dtype=float)


def _hp_column(frame: pd.DataFrame, hp, source: str) -> pd.Series:
    raw = frame[hp.name]
    if hp.type in ("int", "float"):
        numbers = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy())
        if len(bad):
            raise InputError(
                f"row {bad[0] + 1}, column {hp.name!r}: expected a number, got {raw.iloc[bad[0]]!r}", source
            )
        values = [int(v) if hp.type == "int" and float(v).is_integer() else float(v) for v in numbers]
    elif hp.type == "bool":
        mapping = {"true": True, "false": False, "1": True, "0": False}
        values = [mapping.get(str(v).strip().lower(), v) for v in raw]
    else:
        values = [str(v) for v in raw]
    outside = np.flatnonzero(~hp.contains_each(values))
    if len(outside):
        i = outside[0]
        raise InputError(f"row {i + 1}, column {hp.name!r}: {values[i]!r} is outside {hp.describe_domain()}", source)
    return pd.Series(values, dtype=object)


class LookupBenchmark:
    """A benchmark whose evaluations are rows of a lookup table."""

    simulated = True  # replayed on the simulated clock

    def __init__(self, name: str, conf: HpConf, table: LookupTable, table_path: Path) -> None:
        self.name = name
        self.hp_conf = conf
        self.space = SearchSpace(conf.hyperparams)
        self.table = table
        self.table_path = table_path
        self.time_scale = float(conf.config.get("time_scale", 1.0))
        self._pool = CandidatePool.build(self.space, table.configs)

    def pool(self) -> CandidatePool:
        """The table's rows (identical configurations once), all remaining."""
        return self._pool.fresh_copy()

    def evaluate(self, candidate_id: int, epochs: int | None = None) -> Result:
        """Row ``candidate_id`` trained for ``epochs`` (default: all) epochs."""
        return curve_result(
            self.table.accuracy[candidate_id], self.table.train_time[candidate_id], epochs, self.time_scale
        )

    def best_accuracies(self) -> np.ndarray:
        """Best-epoch accuracy of every configuration of the pool, in descending order."""
        return np.sort(self.table.accuracy[self._pool.ids].max(axis=1))[::-1]

    def best_known(self) -> float | None:
        """The table's best accuracy (the table is in memory)."""
        return float(self.best_accuracies()[0])

    def default_goal(self) -> float | None:
        """The 10th-best accuracy of the table (or ``config.goal``)."""
        if "goal" in self.hp_conf.config:
            return float(self.hp_conf.config["goal"])
        return tenth_best(self.best_accuracies())

    def fingerprint(self) -> dict[str, str]:
        """The table file's SHA-256."""
        return {
            "hp_conf_sha256": file_sha256(Path(self.hp_conf.source)),
            "table_sha256": file_sha256(self.table_path),
        }
