"""Shared fixtures: a small synthetic lookup benchmark and an in-process CLI runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_runner

SMALL_HP_CONF = {
    "dataset": "synthetic",
    "model": "toy",
    "config": {"max_epoch": 5, "surrogate": "small.csv", "time_scale": 2},
    "hyperparams": {
        "x": {"type": "float", "value_type": "continuous", "range": [0.0, 1.0], "default": 0.5},
        "lr": {"type": "float", "value_type": "continuous", "range": [-4, -1], "power_of": 10, "default": 0.001},
        "units": {"type": "int", "value_type": "discrete", "range": [1, 4], "power_of": 2, "default": 4},
        "act": {"type": "str", "value_type": "categorical", "range": ["relu", "tanh"], "default": "relu"},
    },
    "param_order": ["x", "lr", "units", "act"],
}


# Modules whose tests start servers, browsers and killed processes (tens of seconds each), then those
# of many runs of a few seconds. They run first, so that under pytest-xdist (``make test``) the suite
# does not end on one long test while the other workers are idle.
LONG_MODULES = (
    "test_dashboard", "test_resume", "test_server_runs", "test_etr", "test_exposure", "test_workers",
    "test_parallel_reps", "test_compare", "test_dask_workers", "test_server_fuzz", "test_etr_real", "test_wheel",
    "test_golden", "test_objective_failures", "test_scheduler_lost", "test_server_api", "test_bundled", "test_arms",
    "test_digits_generator", "test_spare",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first, in ``LONG_MODULES`` order; the rest after them, in collection order (a stable sort)."""
    rank = {name: i for i, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


def make_table(rows: int = 300, epochs: int = 5, seed: int = 0) -> pd.DataFrame:
    """A deterministic synthetic table in the documented format."""
    rng = np.random.default_rng(seed)
    x = rng.random(rows)
    lr = 10 ** rng.uniform(-4, -1, rows)
    units = 2 ** rng.integers(1, 5, rows)
    act = rng.choice(["relu", "tanh"], rows)
    quality = 0.98 - 0.5 * (x - 0.3) ** 2 - 0.02 * np.abs(np.log10(lr) + 2.5) - 0.01 * (act == "tanh")
    frame = pd.DataFrame({"x": x, "lr": lr, "units": units, "act": act})
    for e in range(1, epochs + 1):
        noise = rng.normal(0, 0.005, rows)
        frame[f"acc_{e}"] = np.round(np.clip(quality * (1 - np.exp(-e / 1.5)) + noise, 0, 1), 6)
    frame["train_time"] = np.round(60 + 240 * rng.random(rows) * units / 16, 3)
    return frame


@pytest.fixture
def small_bench(tmp_path: Path) -> Path:
    """Path of the hp_conf of a 300-row, 5-epoch synthetic lookup benchmark."""
    folder = tmp_path / "bench"
    folder.mkdir()
    make_table().to_csv(folder / "small.csv", index=False)
    path = folder / "small.json"
    path.write_text(json.dumps(SMALL_HP_CONF, indent=1))
    return path


@pytest.fixture
def big_bench(tmp_path: Path) -> Path:
    """A 20,000-row table, so that a run lasts long enough to be killed in the middle."""
    folder = tmp_path / "bench"
    folder.mkdir()
    make_table(rows=20000, seed=1).to_csv(folder / "big.csv", index=False)
    conf = {**SMALL_HP_CONF, "config": {**SMALL_HP_CONF["config"], "surrogate": "big.csv"}}
    path = folder / "big.json"
    path.write_text(json.dumps(conf))
    return path


@dataclass
class CliResult:
    """Exit code and captured output of one in-process CLI call."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, tmp_path: Path):
    """Call the CLI in-process: ``cli(*args)`` -> CliResult (results default to tmp_path/results)."""

    def call(*args: str) -> CliResult:
        argv = list(args)
        if "--results" not in argv and argv[:1] not in (["surrogates"], ["report"]):
            argv += ["--results", str(tmp_path / "results")]
        capsys.readouterr()
        code = hpo_runner.main(argv)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def replay(benchmark, strategy, criterion, seed: int = 1, rep: int = 0, sink=None):
    """One repetition of ``strategy`` on ``benchmark`` through the trial loop (one simulated worker)."""
    from hpo_mab.backends.clock import Overhead
    from hpo_mab.backends.simulated import SimulatedBackend
    from hpo_mab.engine.loop import LoopPlan, run_repetition
    from hpo_mab.store.sink import MemoryRepetition

    return run_repetition(
        pool=benchmark.pool(),
        strategies=[strategy],
        backend=SimulatedBackend(benchmark, Overhead("none")),
        plan=LoopPlan(),
        criterion=criterion,
        sink=sink if sink is not None else MemoryRepetition(),
        rep=rep,
        seed=seed,
    )
