import copy
import json

import pytest
import yaml

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.hp_conf import load_hp_conf
from tests.conftest import SMALL_HP_CONF


def write(tmp_path, data, name="conf.json"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if name.endswith((".yaml", ".yml")) else json.dumps(data))
    return path


def error_of(tmp_path, mutate, name="conf.json"):
    data = copy.deepcopy(SMALL_HP_CONF)
    mutate(data)
    path = write(tmp_path, data, name)
    with pytest.raises(InputError) as err:
        load_hp_conf(path)
    return err.value.line().replace(str(path), "FILE")


def test_valid_conf_in_order_with_typed_parameters(tmp_path):
    conf = load_hp_conf(write(tmp_path, SMALL_HP_CONF))
    assert conf.param_names == ["x", "lr", "units", "act"]
    lr = conf.hyperparams[1]
    assert lr.is_log and lr.bounds == (1e-4, 1e-1)
    assert conf.hyperparams[2].bounds == (2, 16)
    assert conf.max_epoch == 5


def test_yaml_equals_json(tmp_path):
    assert (
        load_hp_conf(write(tmp_path, SMALL_HP_CONF, "a.yaml")).hyperparams
        == load_hp_conf(write(tmp_path, SMALL_HP_CONF)).hyperparams
    )


def test_param_order_defaults_to_sorted_names(tmp_path):
    data = copy.deepcopy(SMALL_HP_CONF)
    del data["param_order"]
    assert load_hp_conf(write(tmp_path, data)).param_names == ["act", "lr", "units", "x"]


CASES = [
    (
        lambda d: d.update(extra=1),
        "FILE: extra: unknown key (expected one of: dataset, model, config, hyperparams, "
        "param_order, metric, num_epoch)",
    ),
    (lambda d: d.pop("hyperparams"), "FILE: hyperparams: missing required key"),
    (
        lambda d: d["hyperparams"].update(z={"type": "float", "value_type": "continuous", "range": [0, 1], "scale": 2}),
        "FILE: hyperparams.z.scale: unknown key (expected one of: type, value_type, range, power_of, log, default)",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(type="double"),
        "FILE: hyperparams.x.type: expected one of int, float, str, bool, got 'double'",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(value_type="real"),
        "FILE: hyperparams.x.value_type: expected one of discrete, continuous, categorical, preordered, got 'real'",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(range=[1.0, 0.0]),
        "FILE: hyperparams.x.range: reversed range [1.0, 0.0] (min > max)",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(range=[0.5, 0.5]),
        "FILE: hyperparams.x.range: empty range [0.5, 0.5] (min equals max)",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(range=[0, "1"]),
        "FILE: hyperparams.x.range: expected [min, max] of two numbers, got [0, '1']",
    ),
    (
        lambda d: d["hyperparams"]["units"].update(range=[1, 4.5]),
        "FILE: hyperparams.units.range: expected integer bounds for an int parameter, got [1, 4.5]",
    ),
    (
        lambda d: d["hyperparams"]["lr"].update(power_of=-10),
        "FILE: hyperparams.lr.power_of: expected a base > 1, got -10",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(log=True),
        "FILE: hyperparams.x.range: log scale needs bounds > 0, got [0.0, 1.0]",
    ),
    (lambda d: d["hyperparams"]["x"].update(default=1.5), "FILE: hyperparams.x.default: default 1.5 is outside [0, 1]"),
    (
        lambda d: d["hyperparams"]["x"].update(default="0.5"),
        "FILE: hyperparams.x.default: expected a number, got str '0.5'; write 0.5 without quotes",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(default="half"),
        "FILE: hyperparams.x.default: expected a number, got str 'half'",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(default=True),
        "FILE: hyperparams.x.default: expected a number, got bool True",
    ),
    (
        lambda d: d["hyperparams"]["x"].update(default=[0.5]),
        "FILE: hyperparams.x.default: expected one value in [0, 1], got [0.5]",
    ),
    (
        lambda d: d["hyperparams"]["lr"].update(default=0.5),
        "FILE: hyperparams.lr.default: default 0.5 is outside [0.0001, 0.1]",
    ),
    (
        lambda d: d["hyperparams"]["act"].update(default="gelu"),
        "FILE: hyperparams.act.default: default 'gelu' is outside ['relu', 'tanh']",
    ),
    (
        lambda d: d["hyperparams"]["act"].update(range=["relu", 3]),
        "FILE: hyperparams.act.range[1]: expected a str value, got 3",
    ),
    (
        lambda d: d["hyperparams"]["act"].update(range=[]),
        "FILE: hyperparams.act.range: expected a non-empty list of values, got []",
    ),
    (
        lambda d: d["hyperparams"]["act"].update(range=["relu", "relu"]),
        "FILE: hyperparams.act.range: values must be distinct, got ['relu', 'relu']",
    ),
    (
        lambda d: d["hyperparams"]["act"].update(power_of=2),
        "FILE: hyperparams.act.power_of: applies to discrete/continuous only, not categorical",
    ),
    (
        lambda d: d["hyperparams"]["act"].update(type="float", value_type="continuous"),
        "FILE: hyperparams.act.range: expected [min, max] of two numbers, got ['relu', 'tanh']",
    ),
    (lambda d: d.update(param_order=["x", "lr", "units"]), "FILE: param_order: 'act' of hyperparams is missing"),
    (lambda d: d.update(param_order=["x", "lr", "units", "act", "y"]), "FILE: param_order: 'y' is not in hyperparams"),
    (lambda d: d.update(param_order=["x", "x", "lr", "units", "act"]), "FILE: param_order: 'x' is listed twice"),
    (lambda d: d["config"].update(max_epoch=0), "FILE: config.max_epoch: expected a positive integer, got 0"),
    (
        lambda d: d["config"].update(time_scale="fast"),
        "FILE: config.time_scale: expected a positive number, got 'fast'",
    ),
    (
        lambda d: d["config"].update(metric="f1"),
        "FILE: config.metric: expected one of accuracy, error, perplexity, got 'f1'",
    ),
    (
        lambda d: d["config"].update(epochs=3),
        "FILE: config.epochs: unknown key (expected one of: max_epoch, surrogate, "
        "num_samples, ffr, metric, epoch_column_prefix, time_column, time_scale, goal, description, cost)",
    ),
    (lambda d: d.update(hyperparams={}), "FILE: hyperparams: expected a non-empty mapping of hyperparameters, got {}"),
]


@pytest.mark.parametrize(("mutate", "message"), CASES)
def test_each_validation_error_is_one_located_line(tmp_path, mutate, message):
    assert error_of(tmp_path, mutate) == message


def test_yaml_errors_are_located_too(tmp_path):
    message = error_of(tmp_path, lambda d: d["hyperparams"]["x"].update(range=[1.0, 0.0]), "conf.yaml")
    assert message == "FILE: hyperparams.x.range: reversed range [1.0, 0.0] (min > max)"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '{\n  "hyperparams": {\n    "x": oops\n  }\n}', "line 3: invalid JSON (Expecting value)"),
        ("bad.yaml", "hyperparams:\n  x: [1, 2\n  y: 3\n", "line 3: invalid YAML"),
        ("list.json", "[1, 2]", "expected a mapping at the top level, got list"),
        ("latin1.yaml", "dataset: caf\xe9\n", "not UTF-8 text (byte 12)"),
    ],
)
def test_unreadable_files_are_one_located_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError) as err:
        load_hp_conf(path)
    assert err.value.line().startswith(f"{path}: {message}")


def test_log_true_and_power_of_are_exclusive(tmp_path):
    message = error_of(tmp_path, lambda d: d["hyperparams"]["lr"].update(log=True))
    assert message == "FILE: hyperparams.lr.log: use either power_of (range of exponents) or log (range of values)"


def test_int_defaults_must_be_levels_or_integers(tmp_path):
    assert (
        error_of(tmp_path, lambda d: d["hyperparams"]["units"].update(default=6))
        == "FILE: hyperparams.units.default: default 6 is outside [2, 4, 8, 16]"
    )
    data_int = {"type": "int", "value_type": "discrete", "range": [1, 3], "default": 1.5}
    assert (
        error_of(tmp_path, lambda d: d["hyperparams"].update(n=data_int) or d.update(param_order=None))
        == "FILE: hyperparams.n.default: default 1.5 is outside integers in [1, 3]"
    )
    data_whole = dict(data_int, default=2.0)
    assert (
        error_of(tmp_path, lambda d: d["hyperparams"].update(n=data_whole) or d.update(param_order=None))
        == "FILE: hyperparams.n.default: expected an integer, got float 2.0; write 2"
    )
