"""The plug-ins a run_conf may configure, gathered from their registries; reading run_confs with them."""

from __future__ import annotations

from pathlib import Path

from hpo_mab.arms.catalog import MODELS, STRATEGIES, acquisitions_of, model_names
from hpo_mab.backends.catalog import BACKENDS
from hpo_mab.engine.options import LoopOptions
from hpo_mab.inputs import run_conf as reader
from hpo_mab.inputs.run_conf import RunConf, RunConfSchema
from hpo_mab.objectives.options import ObjectiveOptions
from hpo_mab.optimizers.options import AcquisitionOptions, RefineOptions, TransformOptions
from hpo_mab.stopping.catalog import RuleChoice


def run_conf_schema() -> RunConfSchema:
    """Every options class of the registered plug-ins, and the arm models with their acquisitions."""
    options = [
        *STRATEGIES.options_classes(),
        TransformOptions,
        AcquisitionOptions,
        RefineOptions,
        *MODELS.options_classes(),
        RuleChoice,
        LoopOptions,
        ObjectiveOptions,
        *BACKENDS.options_classes(),
    ]
    aliases = {alias: entry.name for entry in MODELS for alias in entry.aliases if entry.name == "RANDOM"}
    models = {name: acquisitions_of(aliases.get(name, name)) for name in model_names()}
    return RunConfSchema(tuple(dict.fromkeys(options)), models, aliases)


def load_run_conf(path: Path) -> RunConf:
    """Read and validate a run_conf file (JSON or YAML)."""
    return reader.load_run_conf(path, run_conf_schema())


def parse_run_conf(data: dict, source: str) -> RunConf:
    """Validate a run_conf mapping read from ``source``."""
    return reader.parse_run_conf(data, source, run_conf_schema())
