import numpy as np
import pandas as pd
import pytest
from ConfigSpace import CategoricalHyperparameter, OrdinalHyperparameter, UniformFloatHyperparameter

from hpo_mab.searchspace.hyperparams import HyperParameter
from hpo_mab.searchspace.space import CandidatePool, SearchSpace

LR = HyperParameter("lr", "float", "continuous", (-4, -1), power_of=10, default=1e-3)
UNITS = HyperParameter("units", "int", "discrete", (1, 4), power_of=2)
LAYERS = HyperParameter("layers", "int", "discrete", (1, 3))
ACT = HyperParameter("act", "str", "categorical", ("relu", "tanh", "sigmoid"))
BATCH = HyperParameter("batch", "int", "preordered", (16, 32, 64, 128))
WD = HyperParameter("wd", "float", "continuous", (1e-6, 1e-2), log=True)


def test_power_of_is_sampled_and_encoded_in_log_space():
    assert LR.from_unit(np.array([0.0, 1 / 3, 2 / 3, 1.0])) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert LR.to_unit([1e-4, 1e-2, 1e-1]) == pytest.approx([0.0, 2 / 3, 1.0])


def test_log_true_is_sampled_and_encoded_in_log_space():
    assert WD.from_unit(np.array([0.0, 0.5, 1.0])) == pytest.approx([1e-6, 1e-4, 1e-2])
    assert WD.to_unit([1e-4]) == pytest.approx([0.5])


def test_integers_are_unbiased_and_powers_are_whole():
    assert LAYERS.from_unit(np.array([0.0, 0.33, 0.34, 0.66, 0.67, 0.999, 1.0])) == [1, 1, 2, 2, 3, 3, 3]
    assert UNITS.from_unit(np.array([0.0, 0.3, 0.6, 0.99])) == [2, 4, 8, 16]
    assert all(isinstance(v, int) for v in UNITS.from_unit(np.linspace(0, 1, 9)))
    assert UNITS.to_unit([2, 4, 16]) == pytest.approx([0.0, 1 / 3, 1.0])


def test_categorical_one_hot_and_preordered_rank():
    assert ACT.from_unit(np.array([0.0, 0.34, 0.99])) == ["relu", "tanh", "sigmoid"]
    assert ACT.encode(["tanh", "relu"]).tolist() == [[0, 1, 0], [1, 0, 0]]
    assert BATCH.encode([16, 64, 128]).ravel().tolist() == pytest.approx([0, 2 / 3, 1])


def test_space_encoding_width_and_values():
    space = SearchSpace([LR, ACT, BATCH])
    configs = pd.DataFrame({"lr": [1e-4, 1e-1], "act": ["sigmoid", "relu"], "batch": [32, 128]})
    assert space.encoded_dim == 5
    assert space.encode(configs) == pytest.approx(np.array([[0, 0, 0, 1, 1 / 3], [1, 1, 0, 0, 1]]))


@pytest.mark.parametrize("method", ["sobol", "uniform", "latin"])
def test_pools_are_seeded_and_differ_by_seed(method):
    space = SearchSpace([LR, WD, ACT])
    a = CandidatePool.sample(space, 200, method, seed=5)
    b = CandidatePool.sample(space, 200, method, seed=5)
    c = CandidatePool.sample(space, 200, method, seed=6)
    assert a.configs.equals(b.configs)
    assert not a.configs.equals(c.configs)
    assert len(a) == 200 and a.num_remaining == 200


def test_sobol_pool_is_stable():
    pool = CandidatePool.sample(SearchSpace([LR, LAYERS]), 4, "sobol", seed=1)
    assert [pool.config(i) for i in range(4)] == [
        {"lr": 0.00029268195930185593, "layers": 2},
        {"lr": 0.03274569031878389, "layers": 1},
        {"lr": 0.006918895010417397, "layers": 3},
        {"lr": 0.0018638929983110374, "layers": 2},
    ]


def test_duplicates_are_removed_and_taken_candidates_leave():
    space = SearchSpace([LAYERS, ACT])
    pool = CandidatePool.sample(space, 64, "sobol", seed=2)
    assert len(pool) == 9  # 3 layers x 3 activations
    assert len({tuple(pool.config(i).items()) for i in range(len(pool))}) == 9
    first = int(pool.ids[0])
    pool.take(first)
    assert pool.num_remaining == 8 and 0 not in pool.remaining_positions()
    pool.reset()
    assert pool.num_remaining == 9


def test_default_configuration_comes_first():
    space = SearchSpace([HyperParameter("x", "float", "continuous", (0.0, 1.0), default=0.25), LR])
    pool = CandidatePool.sample(space, 16, "sobol", seed=1, start_from_default=True)
    assert pool.config(0) == {"x": 0.25, "lr": 1e-3}
    assert len(pool) == 17


def test_configspace_translation_keeps_log_and_kinds():
    cs = SearchSpace([LR, UNITS, ACT, BATCH, WD]).to_configspace()
    lr = cs["lr"]
    assert isinstance(lr, UniformFloatHyperparameter) and lr.log and lr.lower == pytest.approx(1e-4)
    assert lr.default_value == pytest.approx(1e-3)
    assert isinstance(cs["units"], OrdinalHyperparameter) and list(cs["units"].sequence) == [2, 4, 8, 16]
    assert isinstance(cs["act"], CategoricalHyperparameter) and list(cs["act"].choices) == ["relu", "tanh", "sigmoid"]
    assert list(cs["batch"].sequence) == [16, 32, 64, 128]
    assert cs["wd"].log


@pytest.mark.parametrize(
    ("hp", "values"),
    [
        (LR, [1e-4, 0.05, 0.2, 1e-5, "a"]),
        (UNITS, [2, 3, 16, 32, 4.0]),
        (LAYERS, [1, 2.5, 3, 0, 2.0]),
        (ACT, ["relu", "gelu", "tanh", 1, True]),
        (BATCH, [16, 17, 128, 256, 32]),
    ],
)
def test_vectorised_domain_check_agrees_with_contains(hp, values):
    assert hp.contains_each(values).tolist() == [hp.contains(v) for v in values]
