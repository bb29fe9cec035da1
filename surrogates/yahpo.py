"""YAHPO-Gym surrogates (``yahpo:<scenario>:<instance>``) evaluated with onnxruntime.

The data folder (``--yahpo-data`` or ``HPO_YAHPO_DATA``) holds one folder per scenario, laid out as
in the yahpo_data repository: ``model.onnx``, ``config_space.json`` (ConfigSpace JSON) and
``encoding.json`` (integer codes of categorical values). The ``yahpo-gym`` package itself pins
ConfigSpace < 1, so these files are read here. The network takes ``x_cat`` (int32 codes, in the
scenario's categorical-name order) and ``x_cont`` (float32 raw values, in its continuous-name order)
and returns one column per target. What the columns mean is the scenario's description: built in
for ``lcbench``, or a ``scenario.json`` next to the model with the same keys as
:class:`ScenarioSpec` for any other scenario of the same layout.

A configuration's curve is the target at every value of the epoch fidelity (one batched inference
of E rows); its time is the runtime target at the last epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.hp_conf import HpConf, parse_hp_conf
from hpo_mab.surrogates.base import file_sha256

PREFIX = "yahpo:"
DATA_ENV = "HPO_YAHPO_DATA"
MODEL_FILE, SPACE_FILE, ENCODING_FILE, SCENARIO_FILE = (
    "model.onnx",
    "config_space.json",
    "encoding.json",
    "scenario.json",
)
NA_CODE = "#na#"


@dataclass(frozen=True)
class ScenarioSpec:
    """How to feed a scenario's network and read its outputs."""

    cont_names: tuple[str, ...]
    cat_names: tuple[str, ...]
    y_names: tuple[str, ...]
    target: str
    runtime: str
    fidelity: str
    instance: str | None = None
    target_kind: str = "accuracy"  # accuracy (higher is better) or error
    target_scale: float = 1.0  # divide the target by this (100 for percentages)


BUILTIN = {
    "lcbench": ScenarioSpec(
        cont_names=(
            "epoch",
            "batch_size",
            "learning_rate",
            "momentum",
            "weight_decay",
            "num_layers",
            "max_units",
            "max_dropout",
        ),
        cat_names=("OpenML_task_id",),
        y_names=(
            "time",
            "val_accuracy",
            "val_cross_entropy",
            "val_balanced_accuracy",
            "test_cross_entropy",
            "test_balanced_accuracy",
        ),
        target="val_accuracy",
        runtime="time",
        fidelity="epoch",
        instance="OpenML_task_id",
        target_scale=100.0,
    )
}


def data_dir(option: Path | None) -> Path:
    """The YAHPO data folder: ``--yahpo-data``, else ``HPO_YAHPO_DATA``."""
    folder = option if option is not None else os.environ.get(DATA_ENV)
    if not folder:
        raise InputError(f"YAHPO benchmarks need the data folder: give --yahpo-data DIR or set {DATA_ENV}")
    path = Path(folder)
    if not path.is_dir():
        problem = "is not a folder" if path.exists() else "not found"
        raise InputError(f"YAHPO data folder {problem}: {path}", key="--yahpo-data" if option else DATA_ENV)
    return path


def scenario_names(folder: Path) -> list[str]:
    """Scenarios of the data folder (sub-folders with a model, a config space and an encoding)."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if all((p / f).is_file() for f in (MODEL_FILE, SPACE_FILE, ENCODING_FILE))
        and (p.name in BUILTIN or (p / SCENARIO_FILE).is_file())
    )


@dataclass(frozen=True)
class Scenario:
    """One scenario folder: its spec, config space and encodings."""

    name: str
    folder: Path
    spec: ScenarioSpec
    parameters: tuple[dict, ...]
    encoding: dict

    @property
    def instances(self) -> list[str]:
        """The instance values (task ids), or [""] for a scenario without instances."""
        if self.spec.instance is None:
            return [""]
        return [str(c) for c in self.parameter(self.spec.instance)["choices"]]

    def parameter(self, name: str) -> dict:
        """The config-space entry of ``name``."""
        return next(p for p in self.parameters if p["name"] == name)

    @property
    def epochs(self) -> int:
        """Number of values of the epoch fidelity (1 for a continuous fidelity, evaluated at its top)."""
        fidelity = self.parameter(self.spec.fidelity)
        return int(fidelity["upper"]) if fidelity["type"] == "uniform_int" else 1


def load_scenario(folder: Path, name: str) -> Scenario:
    """Read a scenario folder, refusing spaces this runner cannot represent."""
    path = folder / name
    if name not in scenario_names(folder):
        known = ", ".join(scenario_names(folder)) or "none"
        raise InputError(f"no YAHPO scenario {name!r} in {folder} (found: {known})", key="CONFIG")
    spec = BUILTIN.get(name)
    if (path / SCENARIO_FILE).is_file():
        spec = _read_spec(path / SCENARIO_FILE)
    space = _read_json(path / SPACE_FILE)
    if space.get("conditions"):
        raise InputError(
            "conditional (hierarchical) spaces are not supported: the space has conditions", str(path / SPACE_FILE)
        )
    return Scenario(name, path, spec, tuple(space["hyperparameters"]), _read_json(path / ENCODING_FILE))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read ({type(exc).__name__}: {exc})", str(path)) from exc


def _read_spec(path: Path) -> ScenarioSpec:
    data = _read_json(path)
    names = [f.name for f in fields(ScenarioSpec)]
    for key in data:
        if key not in names:
            raise InputError(f"unknown key {key!r}; expected {', '.join(names)}", str(path), key)
    try:
        spec = ScenarioSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    except TypeError as exc:
        raise InputError(f"incomplete scenario description ({exc})", str(path)) from exc
    for key in ("target", "runtime"):
        if getattr(spec, key) not in spec.y_names:
            raise InputError(f"{getattr(spec, key)!r} is not one of y_names", str(path), key)
    return spec


def hp_conf_document(scenario: Scenario, instance: str) -> dict:
    """The hp_conf of one instance: every searchable parameter (instance, fidelity and constants aside)."""
    fixed = {scenario.spec.instance, scenario.spec.fidelity}
    hyperparams = {}
    for p in scenario.parameters:
        if p["name"] in fixed or p["type"] == "constant":
            continue
        hyperparams[p["name"]] = _hyperparam(p, scenario.folder / SPACE_FILE)
    return {
        "dataset": f"{scenario.name}/{instance}" if instance else scenario.name,
        "model": f"YAHPO {scenario.name} surrogate",
        "config": {
            "max_epoch": scenario.epochs,
            "surrogate": benchmark_name(scenario.name, instance),
            "description": f"YAHPO-Gym {scenario.name} surrogate (ONNX), target {scenario.spec.target}",
        },
        "hyperparams": hyperparams,
        "param_order": list(hyperparams),
    }


def benchmark_name(scenario: str, instance: str) -> str:
    """``yahpo:<scenario>:<instance>`` (or ``yahpo:<scenario>`` without instances)."""
    return f"{PREFIX}{scenario}:{instance}" if instance else f"{PREFIX}{scenario}"


def _hyperparam(p: dict, source: Path) -> dict:
    kind = p["type"]
    if kind in ("uniform_int", "uniform_float"):
        spec = {
            "type": "int" if kind == "uniform_int" else "float",
            "value_type": "discrete" if kind == "uniform_int" else "continuous",
            "range": [p["lower"], p["upper"]],
        }
        if p.get("log"):
            spec["log"] = True
        if p.get("default") is not None and p["lower"] <= p["default"] <= p["upper"]:
            spec["default"] = p["default"]
        return spec
    if kind in ("categorical", "ordinal"):
        levels = [str(v) for v in p["choices" if kind == "categorical" else "sequence"]]
        spec = {"type": "str", "value_type": "categorical" if kind == "categorical" else "preordered", "range": levels}
        if p.get("default") is not None:
            spec["default"] = str(p["default"])
        return spec
    raise InputError(f"parameter {p['name']!r} has type {kind!r}, which is not supported", str(source))


def parse_name(name: str) -> tuple[str, str]:
    """(scenario, instance) of ``yahpo:<scenario>[:<instance>]``."""
    parts = name[len(PREFIX) :].split(":")
    if len(parts) > 2 or not parts[0]:
        raise InputError(f"expected yahpo:<scenario>:<instance>, got {name!r}", key="CONFIG")
    return parts[0], parts[1] if len(parts) == 2 else ""


class YahpoModel:
    """Per-epoch curves of configurations from a scenario's ONNX network."""

    def __init__(self, scenario: Scenario, instance: str, conf: HpConf, document: dict) -> None:
        import onnxruntime

        if instance not in scenario.instances:
            shown = ", ".join(scenario.instances[:6])
            raise InputError(
                f"{scenario.name} has no instance {instance!r} (it has {len(scenario.instances)}: {shown}, ...)",
                key="CONFIG",
            )
        known = {p["name"] for p in scenario.parameters} - {scenario.spec.instance, scenario.spec.fidelity}
        for hp in conf.hyperparams:
            if hp.name not in known:
                raise InputError(
                    f"{hp.name!r} is not a parameter of YAHPO {scenario.name} (it has {', '.join(sorted(known))})",
                    conf.source,
                    f"hyperparams.{hp.name}",
                )
        self.scenario, self.instance = scenario, instance
        self.hp_conf, self.document = conf, document
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # deterministic, and no oversubscription when runs are parallel
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(scenario.folder / MODEL_FILE), sess_options=options)
        self._inputs = [i.name for i in self._session.get_inputs()]
        spec = scenario.spec
        self._target = spec.y_names.index(spec.target)
        self._runtime = spec.y_names.index(spec.runtime)

    def inputs(self, configs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(x_cat, x_cont) of every configuration at every epoch (configuration-major)."""
        spec, epochs, n = self.scenario.spec, self.scenario.epochs, len(configs)
        fidelity = self.scenario.parameter(spec.fidelity)
        steps = np.arange(1, epochs + 1, dtype=float) if epochs > 1 else np.array([float(fidelity["upper"])])
        constants = _fixed_values(self.scenario.parameters)
        cont = np.zeros((n * epochs, len(spec.cont_names)), dtype=np.float32)
        for j, name in enumerate(spec.cont_names):
            if name == spec.fidelity:
                cont[:, j] = np.tile(steps, n)
            elif name in configs.columns:
                cont[:, j] = np.repeat(configs[name].to_numpy(dtype=float), epochs)
            elif constants.get(name) is not None:
                cont[:, j] = float(constants[name])
        cat = np.zeros((n * epochs, len(spec.cat_names)), dtype=np.int32)
        for j, name in enumerate(spec.cat_names):
            codes = self.scenario.encoding.get(name, {})
            if name == spec.instance:
                cat[:, j] = codes[self.instance]
            elif name in configs.columns:
                cat[:, j] = np.repeat([codes[str(v)] for v in configs[name]], epochs)
            else:
                cat[:, j] = codes.get(str(constants.get(name, NA_CODE)), codes.get(NA_CODE, 0))
        return cat, cont

    def predict(self, x_cat: np.ndarray, x_cont: np.ndarray) -> np.ndarray:
        """The network's raw outputs (rows, targets)."""
        return self._session.run(None, {self._inputs[0]: x_cat, self._inputs[1]: x_cont})[0]

    def curves(self, configs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Accuracy per epoch in [0, 1] and the runtime at the last epoch (>= 0)."""
        spec, epochs = self.scenario.spec, self.scenario.epochs
        out = self.predict(*self.inputs(configs)).astype(float)
        target = out[:, self._target].reshape(len(configs), epochs) / spec.target_scale
        accuracy = target if spec.target_kind == "accuracy" else 1.0 - target
        seconds = out[:, self._runtime].reshape(len(configs), epochs)[:, -1]
        return np.clip(accuracy, 0.0, 1.0), np.maximum(seconds, 0.0)

    def fingerprint(self) -> dict[str, str]:
        """The ONNX model's bytes and the generated hp_conf."""
        text = json.dumps(self.document, sort_keys=True)
        return {
            "hp_conf_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "model_sha256": file_sha256(self.scenario.folder / MODEL_FILE),
        }

    def describe(self) -> dict:
        """Metadata of a materialised table."""
        return {
            "description": f"YAHPO-Gym {self.scenario.name} surrogate, instance {self.instance}, "
            f"target {self.scenario.spec.target}, evaluated with onnxruntime",
            "model_sha256": file_sha256(self.scenario.folder / MODEL_FILE),
        }


def _fixed_values(parameters: tuple[dict, ...]) -> dict:
    """Values of parameters a configuration may lack: constants, else the config-space default."""
    return {p["name"]: p["value"] if p["type"] == "constant" else p.get("default") for p in parameters}


def load_model(name: str, folder: Path | None) -> YahpoModel:
    """The model of ``yahpo:<scenario>:<instance>`` from the data folder."""
    scenario_name, instance = parse_name(name)
    scenario = load_scenario(data_dir(folder), scenario_name)
    if not instance and scenario.spec.instance is not None:
        shown = ", ".join(scenario.instances[:6])
        raise InputError(
            f"name an instance: yahpo:{scenario_name}:<instance> ({len(scenario.instances)}: {shown}, ...)",
            key="CONFIG",
        )
    document = hp_conf_document(scenario, instance)
    conf = parse_hp_conf(document, benchmark_name(scenario_name, instance), benchmark_name(scenario_name, instance))
    return YahpoModel(scenario, instance, conf, document)
