"""YAHPO-Gym surrogates through onnxruntime: inputs, values, scenarios and errors."""

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime
import pandas as pd
import pytest

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.run_conf import PoolSettings
from hpo_mab.surrogates import yahpo
from hpo_mab.surrogates.registry import load_benchmark

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "yahpo"
pytestmark = pytest.mark.skipif(not (DATA / "lcbench").is_dir(), reason=f"YAHPO data not found at {DATA}")

CONFIG = {
    "batch_size": 64,
    "learning_rate": 0.01,
    "max_dropout": 0.2,
    "max_units": 256,
    "momentum": 0.9,
    "num_layers": 3,
    "weight_decay": 0.001,
}
# model.onnx evaluated directly (x_cat = code of task 3945, x_cont in lcbench's order) at epochs 1, 26, 52:
# (time, val_accuracy)
EXPECTED = {1: (20.783333, 40.407314), 26: (91.845558, 89.148285), 52: (155.768082, 90.646866)}


@pytest.fixture
def model():
    return yahpo.load_model("yahpo:lcbench:3945", DATA)


def test_hp_conf_is_read_from_the_config_space(model):
    spaces = {hp.name: (hp.type, hp.value_type, hp.range, hp.log) for hp in model.hp_conf.hyperparams}
    assert spaces == {
        "batch_size": ("int", "discrete", (16, 512), True),
        "learning_rate": ("float", "continuous", (0.00010000000000000009, 0.10000000000000002), True),
        "max_dropout": ("float", "continuous", (0.0, 1.0), False),
        "max_units": ("int", "discrete", (64, 1024), True),
        "momentum": ("float", "continuous", (0.1, 0.99), False),
        "num_layers": ("int", "discrete", (1, 5), False),
        "weight_decay": ("float", "continuous", (1e-05, 0.1), False),
    }
    assert model.hp_conf.max_epoch == 52


def test_inputs_follow_the_scenario_layout(model):
    x_cat, x_cont = model.inputs(pd.DataFrame([CONFIG]))
    assert x_cat.dtype == np.int32 and x_cont.dtype == np.float32
    assert x_cat.shape == (52, 1) and set(x_cat[:, 0]) == {34}  # encoding.json: "3945": 34
    assert x_cont[0].tolist() == pytest.approx([1, 64, 0.01, 0.9, 0.001, 3, 256, 0.2])
    assert x_cont[:, 0].tolist() == list(range(1, 53))


def test_values_agree_with_the_onnx_model_evaluated_directly(model):
    session = onnxruntime.InferenceSession(str(DATA / "lcbench" / "model.onnx"))
    x_cont = np.array([[e, 64, 0.01, 0.9, 0.001, 3, 256, 0.2] for e in EXPECTED], dtype=np.float32)
    direct = session.run(None, {"x_cat": np.full((3, 1), 34, dtype=np.int32), "x_cont": x_cont})[0]
    assert direct[:, :2].ravel().tolist() == pytest.approx([v for pair in EXPECTED.values() for v in pair], abs=1e-4)
    accuracy, seconds = model.curves(pd.DataFrame([CONFIG]))
    assert [accuracy[0, e - 1] for e in EXPECTED] == pytest.approx([v / 100 for _, v in EXPECTED.values()], abs=1e-6)
    assert seconds[0] == pytest.approx(EXPECTED[52][0], abs=1e-4)


def test_batched_curves_equal_one_by_one(model):
    bench = load_benchmark("yahpo:lcbench:3945", pool=PoolSettings(num_samples=40), yahpo_data=DATA)
    ids = bench.pool().ids
    single = [bench.evaluate(int(i)) for i in ids[:5]]
    accuracy, seconds = bench.evaluate_all()
    assert [r.curve for r in single] == [tuple(accuracy[k]) for k in range(5)]
    assert [r.exec_time for r in single] == seconds[:5].tolist()
    assert bench.name == "yahpo-lcbench-3945"
    result = bench.evaluate(int(ids[0]), epochs=10)
    assert result.epochs == 10 and result.exec_time == pytest.approx(seconds[0] * 10 / 52)
    assert result.error == pytest.approx(1 - max(accuracy[0, :10]))


def test_data_folder_comes_from_the_option_or_the_environment(monkeypatch):
    monkeypatch.delenv(yahpo.DATA_ENV, raising=False)
    with pytest.raises(InputError, match="give --yahpo-data DIR or set HPO_YAHPO_DATA"):
        load_benchmark("yahpo:lcbench:3945")
    monkeypatch.setenv(yahpo.DATA_ENV, str(DATA))
    assert load_benchmark("yahpo:lcbench:3945", pool=PoolSettings(num_samples=8)).hp_conf.max_epoch == 52


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("yahpo:lcbench:1", "lcbench has no instance '1' (it has 34: 3945, 7593, 34539, 126025, 126026, 126029, ...)"),
        ("yahpo:nb301:CIFAR10", "no YAHPO scenario 'nb301' in DATA (found: lcbench)"),
        ("yahpo:lcbench:3945:x", "expected yahpo:<scenario>:<instance>, got 'yahpo:lcbench:3945:x'"),
        (
            "yahpo:lcbench",
            "name an instance: yahpo:lcbench:<instance> (34: 3945, 7593, 34539, 126025, 126026, 126029, ...)",
        ),
    ],
)
def test_unknown_scenarios_and_instances(name, message):
    with pytest.raises(InputError) as err:
        load_benchmark(name, yahpo_data=DATA)
    assert err.value.message.replace(str(DATA), "DATA") == message


def copy_scenario(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    for f in ("config_space.json", "encoding.json"):
        shutil.copy(DATA / "lcbench" / f, folder / f)
    (folder / "model.onnx").symlink_to(DATA / "lcbench" / "model.onnx")
    return folder


def test_other_scenarios_are_described_by_a_scenario_file(tmp_path):
    folder = copy_scenario(tmp_path, "mynet")
    spec = {f: getattr(yahpo.BUILTIN["lcbench"], f) for f in ("cont_names", "cat_names", "y_names", "fidelity")}
    spec |= {"target": "val_balanced_accuracy", "runtime": "time", "instance": "OpenML_task_id"}
    (folder / "scenario.json").write_text(json.dumps(spec))
    bench = load_benchmark("yahpo:mynet:3945", pool=PoolSettings(num_samples=4), yahpo_data=tmp_path)
    accuracy, _ = yahpo.load_model("yahpo:lcbench:3945", DATA).curves(pd.DataFrame([CONFIG]))
    custom = bench.model.curves(pd.DataFrame([CONFIG]))[0]
    assert custom[0, -1] == pytest.approx(0.717651, abs=1e-6)  # val_balanced_accuracy column, not val_accuracy / 100
    assert custom[0, -1] != pytest.approx(accuracy[0, -1])
    (folder / "scenario.json").write_text(json.dumps(spec | {"target": "f1"}))
    with pytest.raises(InputError, match=r"scenario.json: target: 'f1' is not one of y_names"):
        load_benchmark("yahpo:mynet:3945", yahpo_data=tmp_path)


def test_conditional_spaces_are_refused(tmp_path):
    folder = copy_scenario(tmp_path, "lcbench")
    space = json.loads((folder / "config_space.json").read_text())
    space["conditions"] = [{"child": "momentum", "parent": "num_layers", "type": "EQ", "value": 2}]
    (folder / "config_space.json").write_text(json.dumps(space))
    with pytest.raises(InputError, match="conditional \\(hierarchical\\) spaces are not supported"):
        load_benchmark("yahpo:lcbench:3945", yahpo_data=tmp_path)


def test_a_user_hp_conf_may_fix_parameters_to_their_defaults(tmp_path):
    document = yahpo.load_model("yahpo:lcbench:3945", DATA).document
    document["hyperparams"]["momentum"] = {"type": "float", "value_type": "continuous", "range": [0.5, 0.9]}
    del document["hyperparams"]["num_layers"]
    document["param_order"].remove("num_layers")
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(document))
    bench = load_benchmark(str(path), pool=PoolSettings(num_samples=8), yahpo_data=DATA)
    _, x_cont = bench.model.inputs(bench.pool().configs)
    assert set(x_cont[:, 5]) == {3.0}  # num_layers at its config-space default
    document["hyperparams"]["depth"] = {"type": "int", "value_type": "discrete", "range": [1, 3]}
    document["param_order"].append("depth")
    path.write_text(json.dumps(document))
    with pytest.raises(InputError, match=r"mine.json: hyperparams.depth: 'depth' is not a parameter of YAHPO lcbench"):
        load_benchmark(str(path), yahpo_data=DATA)


def test_a_broken_scenario_is_skipped_with_its_line_and_the_others_are_listed(cli, tmp_path):
    copy_scenario(tmp_path / "data", "lcbench")
    broken = copy_scenario(tmp_path / "data", "mynet")
    (broken / "scenario.json").write_text("{not json")
    result = cli("surrogates", "list", "--yahpo-data", str(tmp_path / "data"))
    assert result.code == 0
    assert len([line for line in result.out.splitlines() if line.startswith("yahpo:lcbench:")]) == 34
    assert "yahpo:mynet" not in result.out
    (skipped,) = [line for line in result.err.splitlines() if "mynet" in line]
    assert skipped.startswith(f"skipped {broken / 'scenario.json'}: cannot read (JSONDecodeError: ")
