"""The tables of the quality suite that are made, not shipped: YAHPO lcbench tasks and a mixed space.

Each is written once into a folder (an hp_conf next to its table) and reused; both are
deterministic for their seed, so a re-made table is the same table.

``xgb-mixed13`` is a synthetic response surface of an XGBoost-like space with 13 parameters (4
categorical, 4 integer of which one preordered, 5 float, 4 of them on a log scale): a trade-off
between learning rate and rounds, a depth optimum that depends on the grow policy, a booster that
ignores the tree parameters, subsampling whose optimum moves with the sampling method, a
histogram method hurt by few bins, and a small rugged term; evaluations cost seconds that grow
with rounds and depth. Nobody tuned an arm on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MIXED_NAME = "xgb-mixed13"
MIXED_ROWS = 5000
CATEGORICAL = {
    "booster": ["gbtree", "dart", "gblinear"],
    "grow_policy": ["depthwise", "lossguide"],
    "tree_method": ["exact", "approx", "hist"],
    "sampling_method": ["uniform", "gradient_based"],
}
MAX_BIN_LEVELS = [32, 64, 128, 256, 512]
INTEGER_LOG = {"min_child_weight": (1, 128), "num_round": (16, 2048)}
FLOAT_LOG = {"eta": (1e-3, 1.0), "lambda": (1e-3, 1e3), "alpha": (1e-3, 1e3)}
FLOAT_LINEAR = {"subsample": (0.1, 1.0), "colsample_bytree": (0.1, 1.0)}


def lcbench_table(folder: Path, task: str, yahpo: Path, rows: int = MIXED_ROWS) -> Path:
    """The hp_conf of a table materialised from yahpo:lcbench:TASK (``rows`` Sobol configurations, seed 1)."""
    conf = folder / f"lcbench-{task}.json"
    if not conf.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        runner = Path(__file__).resolve().parents[1] / "hpo_runner.py"
        subprocess.run(
            [sys.executable, str(runner), "surrogates", "materialize", f"yahpo:lcbench:{task}", "-o",
             str(folder / f"lcbench-{task}.csv.gz"), "--num-samples", str(rows), "--yahpo-data", str(yahpo)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return conf


def _log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def mixed_configs(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` random configurations of the mixed space (log-uniform where the space is on a log scale)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.choice(levels, rows) for name, levels in CATEGORICAL.items()})
    frame["max_depth"] = rng.integers(1, 16, rows)
    for name, (low, high) in INTEGER_LOG.items():
        frame[name] = np.clip(np.round(_log_uniform(rng, low, high, rows)), low, high).astype(int)
    frame["max_bin"] = rng.choice(MAX_BIN_LEVELS, rows)
    for name, (low, high) in FLOAT_LOG.items():
        frame[name] = _log_uniform(rng, low, high, rows)
    for name, (low, high) in FLOAT_LINEAR.items():
        frame[name] = rng.uniform(low, high, rows)
    return frame


def mixed_error(frame: pd.DataFrame, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(error in [0, 1], training seconds) of each configuration of the mixed space."""
    rng = np.random.default_rng(seed + 1)
    depth = frame["max_depth"].to_numpy(dtype=float)
    linear = (frame["booster"] == "gblinear").to_numpy()
    dart = (frame["booster"] == "dart").to_numpy()
    lossguide = (frame["grow_policy"] == "lossguide").to_numpy()
    gradient = (frame["sampling_method"] == "gradient_based").to_numpy()
    budget = np.log10(frame["eta"].to_numpy()) + np.log10(frame["num_round"].to_numpy()) - np.where(dart, 0.3, 0.0)
    learn = np.where(budget < 2.0, 0.05 * (budget - 2.0) ** 2, 0.012 * (budget - 2.0) ** 2)
    best_depth = np.where(lossguide, 9.0, 6.0)
    mcw = np.log2(frame["min_child_weight"].to_numpy(dtype=float))
    trees = 0.003 * (depth - best_depth) ** 2 + 0.002 * (mcw - (1.0 + depth / 4.0)) ** 2
    sub = frame["subsample"].to_numpy()
    sampling = np.where(gradient, 0.06 * (sub - 0.3) ** 2 - 0.004, 0.05 * (sub - 0.8) ** 2)
    cols = 0.03 * (frame["colsample_bytree"].to_numpy() - 0.6) ** 2
    reg = (
        0.002 * np.log10(frame["lambda"].to_numpy()) ** 2
        + 0.004 * np.maximum(0.0, np.log10(frame["alpha"].to_numpy()) + 1.0) ** 2
    )
    bins = np.log2(512.0 / frame["max_bin"].to_numpy(dtype=float))
    method = frame["tree_method"].map({"exact": 0.0, "approx": 0.003, "hist": 0.001}).to_numpy() + np.where(
        frame["tree_method"] == "hist", 0.0015 * bins, 0.0
    )
    model = np.where(linear, 0.06 + 0.3 * cols, trees + sampling + cols + method - np.where(dart, 0.004, 0.0))
    error = 0.08 + learn + model + reg + 0.004 * rng.standard_normal(len(frame))
    rounds = frame["num_round"].to_numpy(dtype=float)
    work = rounds * np.where(linear, 0.3, 1.0 + depth / 4.0) * (0.4 + 0.6 * sub) * np.where(dart, 1.5, 1.0)
    return np.clip(error, 0.0, 1.0), 20.0 + 0.5 * work


def mixed_table(folder: Path, rows: int = MIXED_ROWS) -> Path:
    """The hp_conf of the ``xgb-mixed13`` table (made once)."""
    conf = folder / f"{MIXED_NAME}.json"
    if conf.is_file():
        return conf
    folder.mkdir(parents=True, exist_ok=True)
    frame = mixed_configs(rows)
    error, seconds = mixed_error(frame)
    table = frame.copy()
    table["err_1"] = np.round(error, 9)
    table["train_time"] = np.round(seconds, 3)
    table.to_csv(folder / f"{MIXED_NAME}.csv", index=False)
    hyperparams: dict[str, dict] = {
        name: {"type": "str", "value_type": "categorical", "range": levels} for name, levels in CATEGORICAL.items()
    }
    hyperparams["max_depth"] = {"type": "int", "value_type": "discrete", "range": [1, 15]}
    for name, (low, high) in INTEGER_LOG.items():
        hyperparams[name] = {"type": "int", "value_type": "discrete", "range": [low, high], "log": True}
    hyperparams["max_bin"] = {"type": "int", "value_type": "preordered", "range": MAX_BIN_LEVELS}
    for name, (low, high) in FLOAT_LOG.items():
        hyperparams[name] = {"type": "float", "value_type": "continuous", "range": [low, high], "log": True}
    for name, (low, high) in FLOAT_LINEAR.items():
        hyperparams[name] = {"type": "float", "value_type": "continuous", "range": [low, high]}
    document = {
        "dataset": MIXED_NAME,
        "model": "synthetic XGBoost-like response surface",
        "config": {"max_epoch": 1, "surrogate": f"{MIXED_NAME}.csv", "metric": "error", "epoch_column_prefix": "err_",
                   "time_column": "train_time"},
        "hyperparams": hyperparams,
        "param_order": list(hyperparams),
    }  # fmt: skip
    conf.write_text(json.dumps(document, indent=1))
    return conf
