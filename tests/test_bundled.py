"""The bundled tables (digits-mlp, breast-cancer-gbm): tables, metadata, generators and replays."""

import json

import numpy as np
import pytest

from hpo_mab.inputs.hp_conf import load_hp_conf
from hpo_mab.surrogates.generators import breast_cancer_gbm, digits_mlp
from hpo_mab.surrogates.registry import BUNDLED_DATA, bundled_names, load_benchmark

GENERATORS = {"digits-mlp": digits_mlp, "breast-cancer-gbm": breast_cancer_gbm}
PARAMS = {
    "digits-mlp": [
        "n_layers",
        "n_units",
        "learning_rate_init",
        "alpha",
        "batch_size",
        "activation",
        "solver",
        "momentum",
    ],
    "breast-cancer-gbm": ["learning_rate", "max_depth", "min_samples_leaf", "subsample", "max_features", "loss"],
}
EPOCHS = {"digits-mlp": 30, "breast-cancer-gbm": 40}


@pytest.fixture(scope="module", params=sorted(GENERATORS))
def bundled(request):
    name = request.param
    return name, load_benchmark(name), json.loads((BUNDLED_DATA / f"{name}.meta.json").read_text())


def test_table_size_shape_and_metadata(bundled):
    name, bench, meta = bundled
    assert (BUNDLED_DATA / f"{name}.csv.gz").stat().st_size < 10 * 2**20
    assert name in bundled_names()
    assert len(bench.table.configs) == meta["rows"] >= 3000
    assert bench.table.epochs == meta["epochs"] == EPOCHS[name]
    assert bench.space.names == PARAMS[name]
    best = bench.best_accuracies()
    assert best[0] == meta["optimum_accuracy"] and best[9] == meta["tenth_best_accuracy"]
    assert bench.default_goal() == meta["tenth_best_accuracy"]
    assert np.all(bench.table.train_time > 0)
    assert meta["total_train_time_s"] == pytest.approx(bench.table.train_time.sum(), abs=0.1)
    assert meta["generator"] == f"python -m {GENERATORS[name].__name__}"
    assert meta["hardware"] and meta["description"]


def test_rows_are_the_generator_configurations_and_retrain_identically(bundled):
    name, bench, _ = bundled
    generator = GENERATORS[name]
    conf = load_hp_conf(generator.HP_CONF)
    configs = generator.sample_configs(conf, 3)
    for row in range(3):
        assert bench.pool().config(bench.pool().position_of(row)) == pytest.approx(configs[row])
        _, accuracies, _ = generator.train_row((row, configs[row], conf.max_epoch))
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
