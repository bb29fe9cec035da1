"""``GET /benchmarks`` (as ``surrogates list``) and ``GET /optimizers`` (every plug-in with its option schema)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hpo_mab.registry import Registry

router = APIRouter(tags=["meta"])


@router.get("/benchmarks")
def benchmarks() -> list[dict[str, Any]]:
    """Every benchmark this server can replay: name, source, params, epochs, size, optimum, goal."""
    from hpo_mab.surrogates.registry import list_benchmarks

    infos, _problems = list_benchmarks(None, None)
    return [
        {"name": i.name, "source": i.source, "params": i.hyperparameters, "epochs": i.epochs, "size": i.size,
         "optimum": i.optimum, "goal": i.goal}
        for i in infos
    ]  # fmt: skip


def with_schemas(registry: Registry) -> list[dict[str, Any]]:
    """The entries of a registry: name, help and the JSON schema of their typed options."""
    from hpo_mab.inputs.options import json_schema

    out = []
    for entry in registry:
        cls = entry.options_class()
        schema = json_schema(cls) if cls is not None else {"type": "object", "properties": {}}
        out.append({"name": entry.name, "help": entry.help, "options_schema": schema})
    return out


@router.get("/optimizers")
def optimizers() -> dict[str, Any]:
    """Modes with their specs, DIV strategies and early-termination rules with option schemas, arms, peers."""
    from hpo_mab.arms.catalog import STRATEGIES, model_names
    from hpo_mab.assembly.methods import available
    from hpo_mab.peers.optimizers import PEERS
    from hpo_mab.stopping.catalog import RULES

    return {
        "modes": [{"name": mode, "specs": list(specs)} for mode, specs in available().items()],
        "strategies": with_schemas(STRATEGIES),
        "arms": model_names(aliases=False),
        "early_term_rules": with_schemas(RULES),
        "peers": PEERS.names(),
    }
