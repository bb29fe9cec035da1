"""How an experiment is named on the pages."""

from __future__ import annotations

from typing import Any


def experiment_label(experiment: dict[str, Any]) -> str:
    """Its name, else ``benchmark MODE-SPEC`` from its request (``#id`` of the store for CLI runs)."""
    if experiment.get("name"):
        return str(experiment["name"])
    request = experiment.get("request") or {}
    what = request.get("benchmark") or request.get("objective") or request.get("command") or "external"
    method = "-".join(str(request[k]) for k in ("mode", "spec") if request.get(k)) or "DIV-SEQ"
    return f"{what} {method}"
