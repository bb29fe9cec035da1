"""The new-experiment form: its choices (from the registries, as the API lists them) and a copy's initial values."""

from __future__ import annotations

import os
from typing import Any

from hpo_mab.engine.options import MAX_JOBS
from hpo_mab.inputs.run_conf import DEFAULT_ARMS

DEFAULTS = {
    "source": "benchmark", "benchmark": "digits-mlp", "mode": "DIV", "spec": "SEQ", "criterion": "TIME",
    "budget": "12h", "goal": "", "repetitions": 3, "seed": "", "workers": "", "early_term_rule": "None",
    "name": "", "objective": "", "command": "", "hp_conf": "", "arms": [list(a) for a in DEFAULT_ARMS],
}  # fmt: skip
SOURCES = (("benchmark", "a benchmark"), ("objective", "a Python objective"), ("command", "a shell command"),
           ("external", "external workers"))  # fmt: skip


def form_choices() -> dict[str, Any]:
    """Benchmarks (size, epochs, optimum, goal), modes with their specs, arms, rules, bundled hp_confs."""
    from hpo_mab.arms.catalog import acquisitions_of, model_names
    from hpo_mab.bundled import hp_conf_folder
    from hpo_mab.server.routes_meta import benchmarks, optimizers

    meta = optimizers()
    arms = [(m, a) for m in model_names(aliases=False) if m != "RANDOM" for a in acquisitions_of(m)]
    return {
        "benchmarks": benchmarks(),
        "modes": meta["modes"],
        "strategies": {s["name"]: s["help"] for s in meta["strategies"]},
        "rules": meta["early_term_rules"],
        "arms": [["RANDOM", "RANDOM"], *map(list, arms)],
        "default_arms": DEFAULTS["arms"],
        "hp_confs": sorted(p.stem for p in hp_conf_folder().iterdir() if p.suffix in (".json", ".yaml", ".yml")),
        "sources": SOURCES,
    }


def _budget_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and float(seconds / size).is_integer():
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def default_jobs() -> int:
    """Repetitions replayed at once by default: one per core of this machine."""
    return max(1, min(os.cpu_count() or 1, MAX_JOBS))


def copy_of(experiment: dict[str, Any] | None) -> dict[str, Any]:
    """The form's initial values: the defaults, or those of an earlier experiment's request."""
    values = {**DEFAULTS, "jobs": default_jobs()}
    if experiment is None:
        return values
    request = experiment.get("request") or {}
    for key in ("benchmark", "objective", "command", "mode", "spec", "criterion", "budget", "goal", "repetitions",
                "seed", "workers", "jobs", "early_term_rule"):  # fmt: skip
        if request.get(key) is not None:
            values[key] = request[key]
    if request.get("budget_s"):
        values["budget"] = _budget_text(float(request["budget_s"]))
    for key in ("objective", "command"):
        if request.get(key):
            values["source"] = key
    if request.get("external"):
        values["source"] = "external"
    if isinstance(request.get("hp_conf"), str):
        values["hp_conf"] = request["hp_conf"]
    run_conf = request.get("run_conf")
    if isinstance(run_conf, dict) and run_conf.get("arms"):
        values["arms"] = [[a.get("model"), a.get("acq_func")] for a in run_conf["arms"]]
    values["name"] = f"copy of {experiment['name']}" if experiment.get("name") else ""
    return values
