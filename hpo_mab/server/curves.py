"""A trial's per-epoch curve: recorded by a real objective, else the benchmark's table up to the epochs trained."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hpo_mab.inputs.errors import InputError
from hpo_mab.store.records import Trial


@lru_cache(maxsize=8)
def _benchmark(name: str) -> Any:
    from hpo_mab.inputs.run_conf import PoolSettings
    from hpo_mab.surrogates.registry import load_benchmark

    return load_benchmark(name, None, PoolSettings(), None)


def table_curve(benchmark: Any, candidate: int, epochs: int) -> list[float]:
    """The accuracy of epochs 1..``epochs`` of a candidate of a lookup-table benchmark ([] for other kinds)."""
    table = getattr(benchmark, "table", None)
    if table is None:
        return []
    row = table.accuracy[candidate]
    return [float(a) for a in row[:epochs]]


def trial_curve(benchmark_name: str, trial: Trial) -> list[dict[str, float]]:
    """``[{epoch, accuracy}]`` of the epochs the trial trained (from epoch 1)."""
    values = list(trial.curve)
    if not values:
        try:
            values = table_curve(_benchmark(benchmark_name), trial.candidate, trial.epochs)
        except (InputError, OSError, KeyError):  # a benchmark that cannot be loaded here has no curve to show
            values = []
    return [{"epoch": i + 1, "accuracy": float(a)} for i, a in enumerate(values)]
