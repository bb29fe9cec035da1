"""Single-arm modes: deterministic traces, the fallback path, shared fits, time penalty, and GP-EI vs RANDOM."""

import json
import statistics

import numpy as np
import pandas as pd
import pytest

from hpo_mab.arms.strategy import Arm, SingleArm
from hpo_mab.engine.criteria import StopCriterion
from hpo_mab.inputs.hp_conf import parse_hp_conf
from hpo_mab.optimizers.base import History
from hpo_mab.optimizers.bayes import ModelArmOptimizer, ModelCache
from hpo_mab.optimizers.gp import GaussianProcess
from hpo_mab.optimizers.options import RFOptions
from hpo_mab.optimizers.rf import RandomForestSurrogate
from hpo_mab.optimizers.tpe import from_internal, hyperopt_space, to_internal
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.store.sink import StoredRepetition
from hpo_mab.store.sqlite import ResultStore
from hpo_mab.surrogates.lookup import LookupBenchmark, read_table
from tests.conftest import SMALL_HP_CONF, make_table, replay

MODES = [(m, s) for m in ("GP", "GP-NM", "GP-LE", "GP-HLE", "RF", "RF-LE", "RF-HLE") for s in ("EI", "PI", "UCB")]
MODES += [(m, s) for m in ("TPE", "TPE-LE", "TPE-HLE") for s in ("EI", "RANDOM")]
MODES += [("OTPE", "EI"), ("OTPE-HLE", "EI")]


def model_idx(tmp_path, name, rep="0"):
    folder = tmp_path / "results" / "small" / "T604800S"
    return json.loads(next(folder.glob(f"{name}*.json")).read_text())[rep]


@pytest.fixture
def tpe_conf(tmp_path):
    path = tmp_path / "tpe.yaml"
    path.write_text("tpe: {n_startup_jobs: 4}\n")
    return path


@pytest.mark.parametrize(("mode", "spec"), MODES)
def test_every_single_arm_mode_replays_deterministically(cli, small_bench, tmp_path, tpe_conf, mode, spec):
    args = [str(small_bench), "1", "-m", mode, "-s", spec, "-et", "1w", "--max-trials", "12", "--seed", "5"]
    args += ["-c", str(tpe_conf)]
    first = cli(*args)
    assert first.code == 0, first.err
    a = model_idx(tmp_path, f"{mode}-{spec}")
    second = cli(*args, "--results", str(tmp_path / "again"))
    assert second.code == 0
    folder = tmp_path / "again" / "small" / "T604800S"
    b = json.loads(next(folder.glob(f"{mode}-{spec}*.json")).read_text())["0"]
    assert a == b
    assert a["select_trace"] == [f"{mode}_{spec}"] * 12
    assert len(set(a["model_idx"])) == 12


def test_golden_traces_of_the_main_arms(cli, small_bench, tmp_path, tpe_conf):
    expected = {
        ("GP", "EI"): GOLDEN_GP_EI,
        ("RF", "EI"): GOLDEN_RF_EI,
        ("TPE", "EI"): GOLDEN_TPE_EI,
    }
    for (mode, spec), golden in expected.items():
        args = [str(small_bench), "1", "-m", mode, "-s", spec, "-et", "1w", "--max-trials", "12", "--seed", "5"]
        assert cli(*args, "-c", str(tpe_conf)).code == 0
        assert model_idx(tmp_path, f"{mode}-{spec}")["model_idx"] == golden, (mode, spec)


GOLDEN_GP_EI = [201, 241, 32, 227, 121, 113, 59, 39, 123, 154, 197, 181]
GOLDEN_RF_EI = [201, 241, 15, 9, 162, 2, 51, 264, 272, 245, 88, 179]
GOLDEN_TPE_EI = [130, 123, 53, 207, 206, 70, 271, 261, 96, 290, 125, 264]


def small_benchmark(tmp_path, rows=300):
    path = tmp_path / "t.csv"
    make_table(rows=rows).to_csv(path, index=False)
    conf = parse_hp_conf(json.loads(json.dumps(SMALL_HP_CONF)), "small.json", "small")
    return LookupBenchmark("small", conf, read_table(path, conf), path)


class BrokenOptimizer:
    """A plug-in optimizer whose proposals always fail."""

    name = "BROKEN_EI"

    def propose(self, history, pool, rng):
        raise RuntimeError("boom")


def test_a_failing_arm_falls_back_to_random_and_is_on_record(tmp_path):
    bench = small_benchmark(tmp_path)
    with ResultStore(tmp_path / "s.sqlite") as store:
        run = store.create_run("k", {"benchmark": "small", "mode": "X", "spec": "Y", "title": "t"}, 1, 1)
        outcome = replay(
            bench,
            SingleArm(Arm("BROKEN_EI", BrokenOptimizer())),
            StopCriterion("TIME", budget=1e9, max_trials=5),
            sink=StoredRepetition(store, run.id, 0),
        )
        stored = store.trials(run.id)
    assert [t.arm for t in outcome.trials] == ["NONE_RANDOM"] * 5
    assert stored[0].note == "BROKEN_EI failed (RuntimeError: boom); random candidate instead"
    assert len({t.candidate for t in stored}) == 5


def test_arms_of_one_model_share_one_fit_per_step(tmp_path):
    bench = small_benchmark(tmp_path)
    pool = bench.pool()
    cache = ModelCache({"GP": GaussianProcess})
    arms = [ModelArmOptimizer(f"GP_{a}", "GP", Transform("HLE"), a, cache) for a in ("EI", "PI", "UCB")]
    history = History()
    rng = np.random.default_rng(0)
    for position in (3, 50, 120, 200):
        history.add(position, bench.evaluate(int(pool.ids[position])).error, 1.0)
        pool.remaining[position] = False
    proposals = [arm.propose(history, pool, rng) for arm in arms]
    assert cache.fits == 1
    assert len({p.position for p in proposals}) >= 2  # different acquisitions, same posterior
    other = ModelArmOptimizer("GP_EI", "GP", Transform(""), "EI", cache)  # another transform: its own fit
    other.propose(history, pool, rng)
    assert cache.fits == 2
    history.add(7, 0.5, 1.0)
    pool.remaining[7] = False
    arms[0].propose(history, pool, rng)
    assert cache.fits == 3


def test_time_penalty_prefers_faster_configurations(cli, small_bench, tmp_path):
    table = make_table()
    table["train_time"] = 20.0 * table["units"] ** 2  # 80 s .. 5120 s, unrelated to accuracy
    table.to_csv(small_bench.parent / "small.csv", index=False)
    base = [str(small_bench), "1", "-m", "GP", "-s", "EI", "-et", "1w", "--max-trials", "40", "--seed", "2"]
    assert cli(*base, "--results", str(tmp_path / "plain")).code == 0
    assert cli(*base, "-tp", "--results", str(tmp_path / "penalised")).code == 0
    times = {
        kind: json.loads((tmp_path / kind / "small" / "T604800S" / "GP-EI(1).json").read_text())["0"]["exec_time"]
        for kind in ("plain", "penalised")
    }
    assert statistics.mean(times["penalised"][2:]) < 0.75 * statistics.mean(times["plain"][2:])


FOREST_CASES = [
    (20, RFOptions()),
    (150, RFOptions()),
    (150, RFOptions(max_features=0.5, min_samples_leaf=2, max_depth=6)),
]


@pytest.mark.parametrize("n, options", FOREST_CASES)
def test_fast_forest_is_smac3s_random_forest_bit_for_bit(tmp_path, n, options):
    from smac.model.random_forest import RandomForest

    from hpo_mab.optimizers.rf import FastForest

    bench = small_benchmark(tmp_path)
    pool = bench.pool()
    x = pool.encoding("configspace")
    y = np.array([bench.evaluate(int(i)).error for i in pool.ids])
    smac = RandomForest(
        bench.space.configspace,
        n_trees=options.n_trees,
        ratio_features=options.max_features,
        min_samples_split=options.min_samples_split,
        min_samples_leaf=options.min_samples_leaf,
        max_depth=options.max_depth if options.max_depth is not None else 2**20,
        max_leaf_nodes=None,
        bootstrapping=True,
        n_jobs=1,
        seed=4321,
    )
    smac.train(x[:n], y[:n].reshape(-1, 1))
    mean, var = smac.predict_marginalized(x)
    fast_mean, fast_var = FastForest(options, 4321).fit(x[:n], y[:n]).predict(x)
    assert np.array_equal(mean.ravel(), fast_mean) and np.array_equal(var.ravel(), fast_var)


def test_random_forest_mean_and_variance_across_trees(tmp_path):
    bench = small_benchmark(tmp_path)
    pool = bench.pool()
    x = pool.encoding("configspace")
    assert x.shape == (300, 4) and x.min() >= 0
    y = np.array([bench.evaluate(int(i)).error for i in pool.ids])
    a = RandomForestSurrogate(bench.space.configspace, RFOptions(n_trees=10)).fit(
        x[:100], y[:100], np.random.default_rng(3)
    )
    b = RandomForestSurrogate(bench.space.configspace, RFOptions(n_trees=10)).fit(
        x[:100], y[:100], np.random.default_rng(3)
    )
    mean_a, var_a = a.predict(x)
    mean_b, var_b = b.predict(x)
    assert np.array_equal(mean_a, mean_b) and np.array_equal(var_a, var_b)
    assert np.all(var_a >= 1e-10) and np.mean(var_a[100:]) > np.mean(var_a[:100])
    assert np.corrcoef(mean_a[100:], y[100:])[0, 1] > 0.5


def test_tpe_translation_round_trips(tmp_path):
    bench = small_benchmark(tmp_path)
    space = bench.space
    labels = hyperopt_space(space)
    assert set(labels) == {"x", "lr", "units", "act"}
    config = bench.pool().config(0)
    internal = {p.name: to_internal(p, config[p.name]) for p in space.hyperparams}
    assert internal["units"] == np.log2(config["units"]) and internal["act"] in (0.0, 1.0)
    assert {p.name: from_internal(p, internal[p.name]) for p in space.hyperparams} == config


def branin_benchmark(tmp_path, rows=2000):
    from scipy.stats import qmc

    u = qmc.Sobol(2, scramble=True, seed=0).random_base2(11)[:rows]
    x1, x2 = -5 + 15 * u[:, 0], 15 * u[:, 1]
    f = (x2 - 5.1 / (4 * np.pi**2) * x1**2 + 5 / np.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x1) + 10
    error = (f - f.min()) / (f.max() - f.min())
    pd.DataFrame({"x1": x1, "x2": x2, "err_1": error, "train_time": 60.0}).to_csv(tmp_path / "branin.csv", index=False)
    conf = {
        "dataset": "branin",
        "config": {"max_epoch": 1, "surrogate": "branin.csv", "metric": "error", "epoch_column_prefix": "err_"},
        "hyperparams": {
            "x1": {"type": "float", "value_type": "continuous", "range": [-5, 10]},
            "x2": {"type": "float", "value_type": "continuous", "range": [0, 15]},
        },
        "param_order": ["x1", "x2"],
    }
    path = tmp_path / "branin.json"
    path.write_text(json.dumps(conf))
    return path


def test_gp_ei_beats_random_on_branin_over_ten_seeds(cli, tmp_path):
    bench = branin_benchmark(tmp_path)
    best = {}
    for mode in ("RANDOM", "GP"):
        result = cli(str(bench), "10", "-m", mode, "-et", "1w", "--max-trials", "25", "--seed", "1")
        assert result.code == 0, result.err
        name = "RANDOM-RANDOM(10).json" if mode == "RANDOM" else "GP-EI(10).json"
        trace = json.loads((tmp_path / "results" / "branin" / "T604800S" / name).read_text())
        best[mode] = statistics.median(min(rep["error"]) for rep in trace.values())
    assert best["GP"] < 0.5 * best["RANDOM"]


@pytest.mark.parametrize("acq", ["EI", "PI", "UCB"])
@pytest.mark.parametrize("penalty", [False, True])
def test_bounded_argmax_equals_the_exhaustive_argmax(tmp_path, acq, penalty):
    from hpo_mab.optimizers.acquisitions import acquisition
    from hpo_mab.optimizers.bayes import predicted_seconds

    bench = small_benchmark(tmp_path, rows=300)
    pool, history, rng = bench.pool(), History(), np.random.default_rng(1)
    for position in np.random.default_rng(2).choice(300, 25, replace=False):
        result = bench.evaluate(int(pool.ids[position]))
        history.add(int(position), result.error, result.exec_time)
        pool.remaining[position] = False
    cache = ModelCache({"GP": GaussianProcess})
    arm = ModelArmOptimizer("GP_" + acq, "GP", Transform("HLE"), acq, cache, time_penalty=penalty)
    chosen = arm.propose(history, pool, rng).position
    post = cache.posterior("GP", Transform("HLE"), history, pool, rng)
    assert np.isnan(post.prediction._var).sum() > 0  # not every variance was needed
    remaining = pool.remaining_positions()
    values = acquisition(acq, post.mean[remaining], np.sqrt(post.prediction.var[remaining]), post.best)
    if penalty:
        values = values / predicted_seconds(cache, history, pool, rng)[remaining]
    assert chosen == remaining[int(np.argmax(values))]


def test_tpe_internal_values_of_float_levels_written_as_integers():
    from hpo_mab.searchspace.hyperparams import HyperParameter

    rate = HyperParameter("rate", "float", "preordered", (0, 0.25, 0.5))
    flag = HyperParameter("flag", "bool", "categorical", (False, True))
    assert to_internal(rate, 0.0) == 0.0 and to_internal(rate, 0.5) == 2.0
    assert to_internal(flag, True) == 1.0 and to_internal(flag, False) == 0.0


def test_optuna_tpe_told_step_by_step_proposes_what_a_fresh_study_proposes(tmp_path):
    """The samplers of one study share Optuna's cached search space: the same proposals as from scratch."""
    from hpo_mab.optimizers.options import OptunaTPEOptions
    from hpo_mab.optimizers.optuna_tpe import OptunaTPEOptimizer

    bench = small_benchmark(tmp_path, rows=300)
    pool, history = bench.pool(), History()
    options = OptunaTPEOptions(n_startup_trials=3)
    kept = OptunaTPEOptimizer("OTPE_EI", bench.space, Transform("HLE"), options)
    for step in range(30):
        fresh = OptunaTPEOptimizer("OTPE_EI", bench.space, Transform("HLE"), options)
        proposal = kept.propose(history, pool, np.random.default_rng(step))
        assert proposal == fresh.propose(history, pool, np.random.default_rng(step))
        result = bench.evaluate(int(pool.ids[proposal.position]))
        history.add(proposal.position, result.error, result.exec_time)
        pool.remaining[proposal.position] = False
    assert kept._told == 29 and len(set(history.positions)) == 30
