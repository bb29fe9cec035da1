"""Analytic benchmarks: known optima, normalised regret, the cost model and its validation."""

import copy
import json
import math

import numpy as np
import pytest

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.hp_conf import parse_hp_conf
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.surrogates import analytic
from hpo_mab.surrogates.model_based import ModelBenchmark
from hpo_mab.surrogates.registry import load_benchmark

OPTIMA = {
    "branin": [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)],
    "six-hump-camel": [(0.0898, -0.7126), (-0.0898, 0.7126)],
    "goldstein-price": [(0.0, -1.0)],
    "hartmann3": [(0.114614, 0.555649, 0.852547)],
    "hartmann6": [(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)],
    "rosenbrock4": [(1.0, 1.0, 1.0, 1.0)],
}


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_known_minima_have_error_zero_and_accuracy_one(name):
    function = analytic.FUNCTIONS[name]
    x = np.array(OPTIMA[name], dtype=float)
    assert function.function(x) == pytest.approx(function.minimum, abs=2e-4)
    assert np.all(function.error(x) < 1e-4)
    lows = np.array([b[0] for b in function.bounds])
    highs = np.array([b[1] for b in function.bounds])
    corners = np.array([lows, highs, (lows + highs) / 2])
    assert np.all((function.error(corners) >= 0) & (function.error(corners) <= 1))


def test_branin_error_is_the_regret_over_its_range():
    branin = analytic.FUNCTIONS["branin"]
    x = np.array([[0.0, 0.0], [-5.0, 0.0]])
    assert branin.function(x)[0] == pytest.approx(55.60211, abs=1e-4)
    assert branin.error(x).tolist() == pytest.approx([(55.60211 - 0.397887) / (308.129096 - 0.397887), 1.0], abs=1e-6)


def test_benchmark_values_and_the_cost_model():
    document = analytic.hp_conf_document(analytic.FUNCTIONS["branin"], {"seconds": 100, "spread": 0.5})
    conf = parse_hp_conf(document, "branin.json", "branin")
    bench = ModelBenchmark("branin", analytic.AnalyticModel(conf, document), PoolSettings(num_samples=64))
    configs = bench.pool().configs
    x = configs[["x1", "x2"]].to_numpy(float)
    unit_mean = np.mean((x - [-5, 0]) / [15, 15], axis=1)
    for position in (0, 17, 63):
        result = bench.evaluate(int(bench.pool().ids[position]))
        assert result.error == pytest.approx(analytic.FUNCTIONS["branin"].error(x[[position]])[0])
        assert result.exec_time == pytest.approx(100 * (1 + 0.5 * (2 * unit_mean[position] - 1)))
        assert result.epochs == 1 and result.accuracy == pytest.approx(1 - result.error)
    assert bench.default_goal() == pytest.approx(np.sort(1 - analytic.FUNCTIONS["branin"].error(x))[::-1][9])


def test_default_cost_is_300_seconds_per_evaluation():
    bench = load_benchmark("hartmann6", pool=PoolSettings(num_samples=16))
    assert {bench.evaluate(int(i)).exec_time for i in bench.pool().ids} == {300.0}
    assert bench.space.names == ["x1", "x2", "x3", "x4", "x5", "x6"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["config"].update(cost={"seconds": 0}), "F: config.cost.seconds: expected a number > 0, got 0"),
        (lambda d: d["config"].update(cost={"spread": 1}), "F: config.cost.spread: expected a number in [0, 1), got 1"),
        (lambda d: d["config"].update(cost={"sec": 1}), "F: config.cost: unknown key 'sec'; expected seconds, spread"),
        (
            lambda d: d["config"].update(surrogate="analytic:sphere"),
            "F: config.surrogate: unknown analytic function 'sphere'; expected one of branin, six-hump-camel, "
            "goldstein-price, hartmann3, hartmann6, rosenbrock4",
        ),
        (
            lambda d: d["hyperparams"]["x1"].update(range=[-6, 10]),
            "F: hyperparams.x1: range must lie within [-5, 10], got [-6.0, 10.0]",
        ),
        (
            lambda d: (d["hyperparams"].pop("x2"), d.update(param_order=["x1"])),
            "F: hyperparams: branin takes 2 parameters, got 1",
        ),
    ],
)
def test_bad_analytic_hp_confs_are_one_located_line(tmp_path, change, message):
    document = copy.deepcopy(analytic.hp_conf_document(analytic.FUNCTIONS["branin"]))
    change(document)
    path = tmp_path / "F.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as err:
        load_benchmark(str(path))
    assert err.value.line().replace(str(path), "F") == message


def test_a_user_hp_conf_may_narrow_the_domain_and_change_the_cost(tmp_path):
    document = analytic.hp_conf_document(analytic.FUNCTIONS["branin"], {"seconds": 60})
    document["hyperparams"]["x1"]["range"] = [0, 5]
    path = tmp_path / "narrow.json"
    path.write_text(json.dumps(document))
    bench = load_benchmark(str(path), pool=PoolSettings(num_samples=32))
    assert bench.name == "narrow"
    assert bench.pool().configs["x1"].between(0, 5).all()
    assert bench.evaluate(int(bench.pool().ids[0])).exec_time == 60.0
