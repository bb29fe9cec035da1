import json

import pytest
import yaml

from hpo_mab.arms.options import HedgeOptions
from hpo_mab.assembly.catalog import load_run_conf
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.run_conf import DEFAULT_ARMS, ORIGINAL_ARMS, PoolSettings


def load(tmp_path, data, name="run.json"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if name.endswith(".yaml") else json.dumps(data))
    return load_run_conf(path), path


def error(tmp_path, data, name="run.json"):
    with pytest.raises(InputError) as err:
        load(tmp_path, data, name)
    return err.value.line().replace(str(tmp_path / name), "FILE")


def test_original_keys_are_read(tmp_path):
    conf, _ = load(
        tmp_path,
        {
            "title": "hedge3",
            "arms": [{"model": "GP", "acq_func": "EI"}, {"model": "GP", "acq_func": "PI"}],
            "eta": 0.1,
            "search_space": {"num_samples": 5000, "seed": 3, "sample_method": "latin"},
            "gp": {"mcmc_iters": 1, "noiseless": 1, "max_obs": 200},
        },
    )
    assert conf.title == "hedge3"
    assert conf.arms == (("GP", "EI"), ("GP", "PI"))
    assert conf.pool == PoolSettings(5000, 3, "latin", False)
    assert conf.get(HedgeOptions).eta == 0.1 and conf.given["eta"] == 0.1


def test_defaults_are_the_six_hybrid_log_arms_and_optunas_tpe(tmp_path):
    conf, _ = load(tmp_path, {"title": "x"}, "run.yaml")
    assert conf.arms == DEFAULT_ARMS
    assert (*ORIGINAL_ARMS, ("OTPE", "EI")) == DEFAULT_ARMS
    assert ORIGINAL_ARMS[0] == ("GP-HLE", "EI") and len(ORIGINAL_ARMS) == 6
    assert conf.pool == PoolSettings(20000, 1, "sobol", False)


def test_legacy_grid_maps_to_pool(tmp_path):
    conf, _ = load(tmp_path, {"grid": {"num_samples": 100, "grid_seed": 4, "one_hot": True, "order": None}})
    assert conf.pool == PoolSettings(100, 4, "sobol", False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"titel": "x"},
            "FILE: titel: unknown key (expected one of: title, description, arms, bandits, eta, discount, init_eps, "
            "decay_factor, time_unit, knockout_period, top_share, ts_discount, response_shaping, alpha, kappa, refine, "
            "gp, rf, tpe, otpe, early_term_rule, etr, failover, max_failures, failures_before_success, stopped_trials, "
            "stop_grace, resources, max_retries, heartbeat, lease_ttl, search_space, grid)",
        ),
        ({"title": "a b"}, "FILE: title: expected letters, digits and . _ + - only (it names files), got 'a b'"),
        ({"arms": []}, "FILE: arms: expected a non-empty list of {model, acq_func}, got []"),
        (
            {"arms": [{"model": "XGB"}]},
            "FILE: arms[0].model: expected one of RANDOM, SOBOL, NONE, GP, GP-NM, GP-LE, "
            "GP-HLE, RF, RF-LE, RF-HLE, TPE, TPE-LE, TPE-HLE, OTPE, OTPE-LE, OTPE-HLE, got 'XGB'",
        ),
        (
            {"arms": [{"model": "GP", "acq_func": "EI", "kappa": 2}]},
            "FILE: arms[0].kappa: unknown key (expected one of: model, acq_func)",
        ),
        ({"arms": [{"acq_func": "EI"}]}, "FILE: arms[0].model: missing required key"),
        ({"eta": -1}, "FILE: eta: expected a positive number, got -1"),
        ({"init_eps": 2}, "FILE: init_eps: expected a number in [0, 1], got 2"),
        ({"alpha": 1.5}, "FILE: alpha: expected a number in (0, 1), got 1.5"),
        ({"time_unit": "D"}, "FILE: time_unit: expected one of H, M, S, got 'D'"),
        ({"search_space": {"num_samples": 0}}, "FILE: search_space.num_samples: expected a positive integer, got 0"),
        ({"search_space": {"seed": "random"}}, "FILE: search_space.seed: expected an integer >= 0, got 'random'"),
        (
            {"search_space": {"sample_method": "genetic"}},
            "FILE: search_space.sample_method: expected one of Sobol, uniform, latin, got 'genetic'",
        ),
        (
            {"search_space": {"resample_steps": 3}},
            "FILE: search_space.resample_steps: unknown key (expected one of: "
            "num_samples, seed, sample_method, starts_from_default)",
        ),
        (
            {"grid": {"num_samples": 10}, "search_space": {}},
            "FILE: grid: give either search_space or the legacy grid, not both",
        ),
        ({"gp": {"mcmc_iters": -1}}, "FILE: gp.mcmc_iters: expected an integer >= 0, got -1"),
        ({"gp": {"covar": "RBF"}}, "FILE: gp.covar: expected one of Matern52, got 'RBF'"),
        ({"rf": {"n_trees": 0}}, "FILE: rf.n_trees: expected a positive integer, got 0"),
        ({"rf": {"max_features": 2}}, "FILE: rf.max_features: expected a fraction in (0, 1], got 2"),
        (
            {"early_term_rule": "Deca-Tercet"},
            "FILE: early_term_rule: expected one of None, DecaTercet, PentaTercet, TetraTercet, Median, Percentile,"
            " AdaptiveMedian, Interval, ASHA, ASHA-PROMOTE, Hyperband, CurveNN, got 'Deca-Tercet'",
        ),
        ({"resources": ["GPU"]}, "FILE: resources: expected a mapping like {GPU: 1}, got ['GPU']"),
        ({"resources": {"GPU": 0}}, "FILE: resources.GPU: expected a positive number, got 0"),
        ({"bandits": [{"mode": "DIV"}]}, "FILE: bandits[0].spec: missing required key"),
        ({"max_failures": -2}, "FILE: max_failures: expected an integer >= 0, got -2"),
    ],
)
def test_each_run_conf_error_is_one_located_line(tmp_path, data, message):
    assert error(tmp_path, data) == message


def test_yaml_run_conf_errors_are_located(tmp_path):
    assert error(tmp_path, {"eta": "high"}, "run.yaml") == "FILE: eta: expected a positive number, got 'high'"


def test_bundled_arms_run_conf_is_the_original_six(tmp_path):
    from hpo_mab.assembly.build import BUNDLED_RUN_CONF, load_request_run_conf

    conf = load_request_run_conf("arms", None)
    assert conf.source == str(BUNDLED_RUN_CONF / "arms.yaml")
    assert conf.arms == ORIGINAL_ARMS and conf.title == "default"
    assert conf.pool == PoolSettings(20000, 1, "sobol", False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kappa": 0}, "FILE: kappa: expected a positive number, got 0"),
        ({"tpe": {"gamma": 1.5}}, "FILE: tpe.gamma: expected a number in (0, 1), got 1.5"),
        ({"tpe": {"n_startup_jobs": 0}}, "FILE: tpe.n_startup_jobs: expected a positive integer, got 0"),
        (
            {"tpe": {"prior": 1}},
            "FILE: tpe.prior: unknown key (expected one of: n_startup_jobs, gamma, n_ei_candidates)",
        ),
    ],
)
def test_model_option_errors(tmp_path, data, message):
    assert error(tmp_path, data) == message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"arms": [{"model": "GP-HLE", "acq_func": "RANDOM"}]},
            "FILE: arms[0].acq_func: expected one of EI, PI, UCB for model GP-HLE, got 'RANDOM'",
        ),
        (
            {"arms": [{"model": "TPE", "acq_func": "PI"}]},
            "FILE: arms[0].acq_func: expected one of EI, RANDOM for model TPE, got 'PI'",
        ),
        ({"description": 2024}, "FILE: description: expected a string, got 2024"),
    ],
)
def test_arm_pairs_and_plain_values(tmp_path, data, message):
    assert error(tmp_path, data) == message


def test_sobol_arms_are_random_and_yaml_dates_are_refused(tmp_path):
    conf, _ = load(tmp_path, {"arms": [{"model": "SOBOL"}, {"model": "GP"}]})
    assert conf.arms == (("RANDOM", "RANDOM"), ("GP", "EI"))
    path = tmp_path / "d.yaml"
    path.write_text("etr: {start: 2024-05-01}\n")
    with pytest.raises(InputError, match=r"values must be plain numbers, strings, lists or mappings"):
        load_run_conf(path)


def test_bandit_config_is_refused_not_ignored(tmp_path):
    message = error(tmp_path, {"bandits": [{"mode": "DIV", "spec": "SEQ", "config": {"eta": 2}}]})
    assert message == "FILE: bandits[0].config: unknown key (expected one of: mode, spec)"


@pytest.mark.parametrize(("text", "value"), [("1e-3", 0.001), ("1.0e3", 1000.0), ("-2E+1", -20.0), ("2.5", 2.5)])
def test_yaml_exponent_numbers_are_numbers(tmp_path, text, value):
    from hpo_mab.inputs.files import parse_yaml
    from hpo_mab.optimizers.options import AcquisitionOptions

    path = tmp_path / "run.yaml"
    path.write_text(f"kappa: {text.lstrip('-')}\n")
    assert load_run_conf(path).get(AcquisitionOptions).kappa == abs(value)
    assert parse_yaml(f"x: {text}\n", "f.yaml") == {"x": value}


def test_keys_of_different_types_are_not_twice_the_same_key():
    from hpo_mab.inputs.files import parse_yaml

    assert parse_yaml('1: a\n"1": b\n', "f.yaml") == {1: "a", "1": "b"}


def test_a_yaml_exponent_number_out_of_bounds_is_refused_for_its_bound(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("kappa: 1.0e308\n")
    with pytest.raises(InputError) as err:
        load_run_conf(path)
    assert err.value.line() == f"{path}: kappa: expected at most 1000, got 1e+308"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "run.yaml",
            "title: x\neta: 1\ntitle: y\n",
            "FILE: line 3: invalid YAML (key 'title' appears twice in one mapping)",
        ),
        (
            "run.yaml",
            "gp: {mcmc_iters: 1, mcmc_iters: 2}\n",
            "FILE: line 1: invalid YAML (key 'mcmc_iters' appears twice in one mapping)",
        ),
        ("run.json", '{"title": "a", "title": "b"}', "FILE: invalid JSON (key 'title' appears twice in one object)"),
        ("run.yaml", "", "FILE: expected a mapping at the top level, got an empty file"),
        ("run.yaml", "# nothing but a comment\n", "FILE: expected a mapping at the top level, got an empty file"),
        ("run.json", " \n", "FILE: expected a mapping at the top level, got an empty file"),
        (
            "run.yaml",
            "title: a\n---\ntitle: b\n",
            "FILE: line 2: invalid YAML (expected one document, got several (---))",
        ),
    ],
)
def test_twice_given_keys_empty_files_and_several_documents_are_one_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_run_conf(path)
    assert err.value.line().replace(str(path), "FILE") == message


def test_yaml_merge_keys_may_still_be_overridden(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("base: &b {n_trees: 5, max_depth: 3}\nrf:\n  <<: *b\n  n_trees: 7\n")
    from hpo_mab.inputs.files import load_mapping

    assert load_mapping(path)["rf"] == {"n_trees": 7, "max_depth": 3}
