"""API routes the pages draw from (under /api/v1, behind the token): an experiment's curves, a comparison."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from hpo_mab.server.web.comparison import compare_experiments, compare_folders, folder_tidy, summarise
from hpo_mab.server.web.curves import experiment_curves

router = APIRouter(tags=["dashboard"])


@router.post("/experiments:check")
def check(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /experiments?validate_only=true`` answered 200 either way: ``{valid: true, command, run_conf, notes}``
    or ``{valid: false, detail: [...]}`` with the 422's details (the form checks every edit; a browser logs
    each 4xx answer as a console error)."""
    from pydantic import ValidationError

    from hpo_mab.server.requests import ExperimentBody
    from hpo_mab.server.routes_experiments import create_experiment

    try:
        model = ExperimentBody.model_validate(body)
    except ValidationError as exc:
        detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return {"valid": False, "detail": detail}
    answer = create_experiment(request, model, validate_only=True)
    content = json.loads(answer.body)
    return content if answer.status_code == 200 else {"valid": False, **content}


@router.get("/experiments/{experiment_id}/curves")
def curves(request: Request, experiment_id: str) -> dict[str, Any]:
    """The anytime curve (median, q25, q75 of the best error over repetitions) and the arm shares over time."""
    from hpo_mab.server.routes_experiments import experiments_of, found

    experiments = experiments_of(request)
    item = found(request, experiment_id)
    budget = experiments.to_json(item)["progress"]["budget_s"]
    return experiment_curves(experiments.store.path, item.run_id, budget)


@router.get("/compare")
def compare(
    request: Request, ids: list[str] = Query([], max_length=50), folder: str | None = Query(None, max_length=500)
) -> dict[str, Any]:
    """The report's tables and plot data of the experiments ``ids``, or of a compare ``folder`` of the results."""
    results = request.app.state.settings.results_dir
    if folder is not None:
        if folder not in compare_folders(results):
            raise HTTPException(404, f"no compare results in {folder!r}")
        result = summarise(*folder_tidy(results / folder))
    else:
        result = compare_experiments(results, chosen_experiments(request, ids))
    if result is None:
        raise HTTPException(409, "nothing to compare yet: no successful trial")
    return result


def chosen_experiments(request: Request, ids: list[str]) -> list[dict[str, Any]]:
    """The experiment JSON of each id (404 for an unknown one)."""
    from hpo_mab.server.routes_experiments import experiments_of, found, plain

    experiments = experiments_of(request)
    return [plain(experiments.to_json(found(request, i))) for i in ids]


@router.get("/experiments/{experiment_id}/stream", response_class=StreamingResponse)
async def stream(request: Request, experiment_id: str, after: int = Query(0, ge=0)) -> StreamingResponse:
    """The experiment's event stream (as ``/events``) from the trials stored after cursor ``after``.

    ``EventSource`` cannot send ``Last-Event-ID`` on its first connection; a page that rendered the
    trials up to a cursor passes it here instead, so it is not sent every stored trial again.
    """
    from anyio import to_thread

    from hpo_mab.server.events import STREAM_HEADERS, experiment_stream
    from hpo_mab.server.routes_experiments import experiments_of, found

    await to_thread.run_sync(found, request, experiment_id)
    events = experiment_stream(request, experiments_of(request), experiment_id, str(after))
    return StreamingResponse(events, media_type="text/event-stream", headers=STREAM_HEADERS)
