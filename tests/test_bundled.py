"""The bundled digits-mlp benchmark: its table, its metadata, its generator and its replays."""

import json

import numpy as np
import pytest

from surrogates.generators.digits_mlp import HP_CONF, sample_configs, train_row
from surrogates.registry import BUNDLED_DATA, bundled_names, load_benchmark

TABLE = BUNDLED_DATA / "digits-mlp.csv.gz"
META = json.loads((BUNDLED_DATA / "digits-mlp.meta.json").read_text())


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("digits-mlp")


def test_table_size_shape_and_metadata(bench):
    assert TABLE.stat().st_size < 10 * 2**20
    assert "digits-mlp" in bundled_names()
    assert len(bench.table.configs) == META["rows"] >= 3000
    assert bench.table.epochs == META["epochs"] == 30
    assert bench.space.names == [
        "n_layers",
        "n_units",
        "learning_rate_init",
        "alpha",
        "batch_size",
        "activation",
        "solver",
        "momentum",
    ]
    best = bench.best_accuracies()
    assert best[0] == META["optimum_accuracy"] and best[9] == META["tenth_best_accuracy"]
    assert bench.default_goal() == META["tenth_best_accuracy"]
    assert np.all(bench.table.train_time > 0)
    assert META["total_train_time_s"] == pytest.approx(bench.table.train_time.sum(), abs=0.1)


def test_rows_are_the_generator_configurations_and_retrain_identically(bench):
    from inputs.hp_conf import load_hp_conf

    conf = load_hp_conf(HP_CONF)
    configs = sample_configs(conf, 3)
    for row in range(3):
        assert bench.pool().config(bench.pool().position_of(row)) == pytest.approx(configs[row])
        _, accuracies, _ = train_row((row, configs[row], conf.max_epoch))
        assert accuracies == pytest.approx(bench.table.accuracy[row].tolist(), abs=1e-6)


def test_the_done_when_command_is_deterministic(cli, tmp_path):
    args = ["digits-mlp", "3", "-m", "RANDOM", "-s", "RANDOM", "-et", "2h", "--seed", "7"]
    assert cli(*args).code == 0
    path = tmp_path / "results" / "digits-mlp" / "T7200S" / "RANDOM-RANDOM(3).json"
    first = path.read_bytes()
    assert cli(*args, "--results", str(tmp_path / "again")).code == 0
    assert (tmp_path / "again" / "digits-mlp" / "T7200S" / "RANDOM-RANDOM(3).json").read_bytes() == first
    trace = json.loads(first)
    assert all(rep["cum_exec_time"][-1] >= 7200 > rep["cum_exec_time"][-2] for rep in trace.values())


@pytest.mark.parametrize(("mode", "spec"), [("GP-HLE", "EI"), ("RF", "UCB"), ("TPE", "EI")])
def test_model_arms_replay_digits_deterministically(cli, tmp_path, mode, spec):
    args = ["digits-mlp", "1", "-m", mode, "-s", spec, "-et", "12h", "--max-trials", "25", "--seed", "3"]
    assert cli(*args).code == 0
    assert cli(*args, "--results", str(tmp_path / "again")).code == 0
    name = f"digits-mlp/T43200S/{mode}-{spec}(1).json"
    assert (tmp_path / "results" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
