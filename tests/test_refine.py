"""Refinement off the candidate pool: gradients, valid configurations, pool ids, and tables keep their rows."""

import json

import numpy as np
import pandas as pd
import pytest

from hpo_mab.optimizers.acquisitions import expected_improvement
from hpo_mab.optimizers.base import History
from hpo_mab.optimizers.bayes import ModelArmOptimizer, ModelCache
from hpo_mab.optimizers.gp import GaussianProcess
from hpo_mab.optimizers.options import RFOptions
from hpo_mab.optimizers.refine import Refiner, float_columns
from hpo_mab.optimizers.rf import RandomForestSurrogate
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.searchspace.hyperparams import HyperParameter
from hpo_mab.searchspace.space import CandidatePool, SearchSpace

SPACE = SearchSpace(
    [
        HyperParameter("lr", "float", "continuous", (1e-4, 1e-1), log=True),
        HyperParameter("dropout", "float", "continuous", (0.0, 0.5)),
        HyperParameter("layers", "int", "discrete", (1, 4)),
        HyperParameter("act", "str", "categorical", ("relu", "tanh", "elu")),
    ]
)


def error_of(config: dict) -> float:
    """Smooth in the floats, with steps for the integer and the category."""
    return (
        0.1 * (np.log10(config["lr"]) + 2.2) ** 2
        + (config["dropout"] - 0.23) ** 2
        + 0.02 * abs(config["layers"] - 2)
        + 0.05 * (config["act"] != "tanh")
    )


def grown_history(pool: CandidatePool, n: int) -> History:
    history = History()
    for position in np.random.default_rng(4).choice(len(pool), n, replace=False):
        history.add(int(position), error_of(pool.config(int(position))), 1.0)
        pool.remaining[position] = False
    return history


def test_gp_gradient_of_mean_and_variance_matches_finite_differences():
    pool = CandidatePool.sample(SPACE, 256, seed=2)
    history = grown_history(pool, 30)
    gp = GaussianProcess().fit(history.features(pool), np.asarray(history.errors), np.random.default_rng(1))
    x = pool.features[5].copy()
    mean, var, dmean, dvar = gp.predict_gradient(x)
    exact_mean, exact_var = gp.predict(x[None, :])
    assert mean == pytest.approx(exact_mean[0], rel=1e-9) and var == pytest.approx(exact_var[0], rel=1e-7)
    for d in range(len(x)):
        step = np.zeros(len(x))
        step[d] = 1e-6
        means, variances = gp.predict(np.array([x + step, x - step]))
        assert dmean[d] == pytest.approx((means[0] - means[1]) / 2e-6, rel=1e-4, abs=1e-7)
        assert dvar[d] == pytest.approx((variances[0] - variances[1]) / 2e-6, rel=1e-4, abs=1e-7)


def test_a_refined_gp_proposal_is_a_valid_configuration_better_than_the_pool():
    pool = CandidatePool.sample(SPACE, 256, seed=2)
    pool.continuous = True
    history = grown_history(pool, 24)
    arm = ModelArmOptimizer("GP_EI", "GP", Transform(""), "EI", ModelCache({"GP": GaussianProcess}))
    arm.refiner = Refiner("EI", 1.0, 3, 30)
    proposal = arm.propose(history, pool, np.random.default_rng(7))
    assert proposal.off_pool and proposal.position == -1
    config = proposal.config
    assert all(hp.contains(config[hp.name]) for hp in SPACE.hyperparams)
    start = pool.config(pool.position_of(proposal.internals["refined_from"]))
    assert (config["layers"], config["act"]) == (start["layers"], start["act"])  # kept from the start
    assert proposal.internals["refined_value"] > proposal.internals["acq_value"]  # better than the pool's best
    again = arm.propose(history, pool, np.random.default_rng(7))
    assert again.config == config  # deterministic for a seed


def test_the_forests_perturbations_never_end_below_their_starts():
    pool = CandidatePool.sample(SPACE, 256, seed=2)
    pool.continuous = True
    history = grown_history(pool, 40)
    forest = RandomForestSurrogate(SPACE.configspace, RFOptions())
    forest.fit(history.features(pool, "configspace"), np.asarray(history.errors), np.random.default_rng(1))
    best = min(history.errors)
    starts = [int(p) for p in pool.remaining_positions()[:4]]
    mean, var = forest.predict(pool.rows(starts, "configspace"))
    refined = Refiner("EI", 1.0, 4, 8).refine(forest, best, pool, starts, np.random.default_rng(3))
    assert refined.value >= float(expected_improvement(mean, np.sqrt(var), best).max())
    assert all(hp.contains(refined.config[hp.name]) for hp in SPACE.hyperparams)
    again = Refiner("EI", 1.0, 4, 8).refine(forest, best, pool, starts, np.random.default_rng(3))
    assert again == refined


def test_configurations_off_the_pool_get_the_next_ids_whatever_order_they_are_re_added():
    pool = CandidatePool.sample(SPACE, 100, seed=2)
    pool.continuous = True
    configs = [{**pool.config(i), "dropout": 0.01 * i} for i in range(3)]
    positions = [pool.add(c) for c in configs]
    assert positions == [100, 101, 102] and [pool.id_of(p) for p in positions] == [100, 101, 102]
    assert pool.config(101) == configs[1] and pool.is_extra_id(102) and not pool.is_extra_id(99)
    assert pool.num_remaining == 100  # they never were candidates
    resumed = CandidatePool.sample(SPACE, 100, seed=2)
    resumed.continuous = True
    for candidate in (102, 100, 101):  # trials stored in the order they finished
        resumed.add(configs[candidate - 100], candidate)
    assert [resumed.position_of(c) for c in (100, 101, 102)] == positions
    assert np.array_equal(resumed.rows(positions), pool.rows(positions))
    assert np.array_equal(pool.rows([101]), SPACE.encode(pd.DataFrame([configs[1]], dtype=object)))
    assert float_columns(SPACE) == [0, 1]
    with pytest.raises(ValueError, match="takes no configuration off it"):
        CandidatePool.sample(SPACE, 10, seed=2).add(configs[0])


def test_a_lookup_table_keeps_choosing_its_rows_with_refinement_enabled(tmp_path):
    """Refinement on (the default) on a table: the same trace as with refine: {enabled: false} (rows only)."""
    import hpo_runner

    conf = tmp_path / "pool.yaml"
    conf.write_text("title: default\nrefine: {enabled: false}\n")
    args = ["breast-cancer-gbm", "1", "-m", "GP", "-s", "EI", "-et", "2h", "--seed", "3"]
    assert hpo_runner.main([*args, "--results", str(tmp_path / "refined")]) == 0
    assert hpo_runner.main([*args, "-c", str(conf), "--results", str(tmp_path / "plain")]) == 0
    name = "breast-cancer-gbm/T7200S/GP-EI(1).json"
    plain = json.loads((tmp_path / "plain" / name).read_bytes())
    refined = json.loads((tmp_path / "refined" / name).read_bytes())
    assert refined == plain and max(plain["0"]["model_idx"]) < 5000  # rows of the 5,000-row table


def test_an_analytic_function_is_refined_by_default_and_enabled_false_keeps_the_pool(tmp_path):
    """branin: the default run is the refine: {enabled: true} run, proposing ids past the 20,000-point
    pool; refine: {enabled: false} proposes pool candidates only."""
    import hpo_runner

    args = ["branin", "1", "-m", "GP", "-s", "EI", "-et", "1h", "--seed", "3"]
    traces = {}
    for label, text in (("default", None), ("on", "refine: {enabled: true}"), ("off", "refine: {enabled: false}")):
        extra = []
        if text is not None:
            conf = tmp_path / f"{label}.yaml"
            conf.write_text(f"title: default\n{text}\n")
            extra = ["-c", str(conf)]
        assert hpo_runner.main([*args, *extra, "--results", str(tmp_path / label)]) == 0
        traces[label] = json.loads((tmp_path / label / "branin/T3600S/GP-EI(1).json").read_bytes())["0"]
    assert traces["default"] == traces["on"]
    assert max(traces["off"]["model_idx"]) < 20000
    assert max(traces["on"]["model_idx"]) >= 20000 and min(traces["on"]["error"]) < min(traces["off"]["error"])


def test_true_error_hedge_credits_refined_nominees_with_their_true_errors(tmp_path):
    """BO-HEDGE-T on branin (refined by default): every nominee, on the pool or off it, is credited with the
    function's value at it, so the arms' gains differ (credits of unknown errors would be equal for all)."""
    import sqlite3

    import hpo_runner

    args = ["branin", "1", "-s", "BO-HEDGE-T", "-et", "1h", "--seed", "3", "--results", str(tmp_path)]
    assert hpo_runner.main(args) == 0
    with sqlite3.connect(tmp_path / "hpo.sqlite") as db:
        rows = db.execute("SELECT candidate, selection FROM trials ORDER BY trial").fetchall()
    assert any(candidate >= 20000 for candidate, _ in rows)  # refined nominees were played
    values = json.loads(rows[-1][1])["values"]
    assert all(np.isfinite(values)) and len({round(v, 9) for v in values}) == len(values)
