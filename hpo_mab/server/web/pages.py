"""The dashboard's pages (server-rendered with Jinja2): experiments, new experiment, one experiment, compare.

Each page is complete HTML from the server (the first screen needs no script); the scripts in
``static/`` then keep it live from the API's event streams and call the API for actions.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from fastapi.templating import Jinja2Templates

from hpo_mab.inputs.timestr import format_seconds
from hpo_mab.server.requests import SEED_BOUND
from hpo_mab.server.web.access import logged_in, login_redirect, valid
from hpo_mab.server.web.assets import asset_path
from hpo_mab.server.web.forms import copy_of, form_choices
from hpo_mab.server.web.labels import experiment_label

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["duration"] = lambda s: "–" if s is None else format_seconds(float(s))
TEMPLATES.env.filters["num"] = lambda v: "–" if v is None else f"{float(v):.6g}"
TEMPLATES.env.filters["label"] = experiment_label
PAGE_ROWS = 50


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def _login(request: Request, error: str | None) -> Response:
    """The login page, in place of the page asked for (200: a browser logs a 401 page as a console error)."""
    response = _page(request, "login.html", {"error": error})
    response.headers["Cache-Control"] = "no-store"
    return response


def gate(request: Request) -> Response | None:
    """The login redirect (``?token=``), the login page (no valid token), or None to show the page."""
    token = request.query_params.get("token")
    if token is not None:
        if valid(request, token):
            return login_redirect(request, token)
        return _login(request, "That token is not this server's.")
    if not logged_in(request):
        return _login(request, None)
    return None


def _experiment_json(request: Request, experiment_id: str) -> dict[str, Any]:
    """The experiment JSON of the API (404 for an unknown id)."""
    from hpo_mab.server.routes_experiments import experiments_of, found, plain

    return plain(experiments_of(request).to_json(found(request, experiment_id)))


@router.get("/")
def experiments_page(request: Request) -> Response:
    """Every experiment of the results folder, live."""
    if (denied := gate(request)) is not None:
        return denied
    from hpo_mab.server.routes_experiments import list_experiments

    experiments = list_experiments(request)["experiments"]
    return _page(request, "experiments.html", {"experiments": experiments, "nav": "experiments"})


@router.get("/experiments/new")
def new_experiment_page(request: Request, copy: str | None = Query(None, max_length=100)) -> Response:
    """The form of a new experiment (``copy``: start from an earlier experiment's request)."""
    if (denied := gate(request)) is not None:
        return denied
    from hpo_mab.server.routes_experiments import list_experiments

    try:
        source = _experiment_json(request, copy) if copy else None
    except HTTPException as exc:
        return _page(request, "missing.html", {"message": exc.detail, "nav": ""}, exc.status_code)
    experiments = list_experiments(request)["experiments"]
    initial = copy_of(source)
    if initial["seed"] in ("", None):  # drawn here, so the command shown is the one that runs
        initial["seed"] = secrets.randbelow(SEED_BOUND)
    context = {"choices": form_choices(), "initial": initial, "copied": source, "experiments": experiments,
               "nav": "new"}  # fmt: skip
    return _page(request, "new.html", context)


@router.get("/experiments/{experiment_id}")
def experiment_page(
    request: Request,
    experiment_id: str,
    status: str | None = Query(None, max_length=30),
    rep: int | None = Query(None, ge=0),
    sort: str = Query("id", max_length=30),
    order: str = Query("desc", pattern="^(asc|desc)$"),
    offset: int = Query(0, ge=0),
) -> Response:
    """One experiment: progress, curves, the trial table (first page rendered here), actions, downloads."""
    if (denied := gate(request)) is not None:
        return denied
    from hpo_mab.server.routes_experiments import list_trials
    from hpo_mab.server.store_view import SORT_COLUMNS, STATUS_WHERE, STORE_NAME
    from hpo_mab.server.web.curves import newest_cursor

    try:
        experiment = _experiment_json(request, experiment_id)
    except HTTPException as exc:
        return _page(request, "missing.html", {"message": exc.detail, "nav": ""}, exc.status_code)
    store = request.app.state.settings.results_dir / STORE_NAME
    cursor = newest_cursor(store, experiment["run_id"])  # before the table: a trial stored between is shown once
    sort = sort if sort in SORT_COLUMNS else "id"
    status = status if status in STATUS_WHERE else None
    page = list_trials(request, experiment_id, None, PAGE_ROWS, status, rep, sort, order, offset)
    table = {"status": status or "", "rep": rep, "sort": sort, "order": order, "offset": offset, "limit": PAGE_ROWS,
             "total": page["total"]}  # fmt: skip
    context = {"e": experiment, "trials": page["trials"], "total": page["total"], "table": table, "cursor": cursor,
               "nav": ""}  # fmt: skip
    return _page(request, "experiment.html", context)


@router.get("/compare")
def compare_page(
    request: Request, ids: list[str] = Query([], max_length=50), folder: str | None = Query(None, max_length=500)
) -> Response:
    """Choose experiments (or a compare folder): the report's tables and plots of them together."""
    if (denied := gate(request)) is not None:
        return denied
    from hpo_mab.server.routes_experiments import list_experiments
    from hpo_mab.server.web.comparison import compare_experiments, compare_folders, folder_tidy, summarise

    results = request.app.state.settings.results_dir
    experiments = list_experiments(request)["experiments"]
    folders = compare_folders(results)
    chosen = [e for e in experiments if e["id"] in ids]
    if folder in folders:
        result = summarise(*folder_tidy(results / folder))
    else:
        result = compare_experiments(results, chosen) if chosen else None
    context = {"experiments": experiments, "ids": ids, "folders": folders, "folder": folder, "result": result,
               "asked": bool(chosen) or folder in folders, "nav": "compare"}  # fmt: skip
    return _page(request, "compare.html", context)


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    """The pages' scripts, style sheet and charting library (no login needed: nothing secret)."""
    path = asset_path(name)
    if path is None:
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
