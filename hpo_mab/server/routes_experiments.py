"""``/experiments``: create (validated as by the CLI), list, get, start/stop/resume, delete; trials, report, files."""

from __future__ import annotations

import math
import shutil
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import FileResponse, JSONResponse

from hpo_mab.server.catalog import new_id
from hpo_mab.server.launcher import Transition
from hpo_mab.server.requests import BodyError, ExperimentBody, validate
from hpo_mab.server.settings import SERVER_DIR
from hpo_mab.server.store_view import SORT_COLUMNS
from hpo_mab.server.views import Experiments, Listed, trial_json

router = APIRouter(tags=["experiments"])
MAX_LIMIT = 1000
MAX_INDEX = 2**31 - 1  # repetitions, trials and offsets are far below it
TrialStatus = Literal["completed", "early_terminated", "failed"]
SortField = Literal[tuple(SORT_COLUMNS)]  # type: ignore[valid-type]


def plain(value: Any) -> Any:
    """JSON without NaN or infinities (null, "inf", "-inf"), as the report's JSON writes them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def experiments_of(request: Request) -> Experiments:
    """The experiments of the server's results folder."""
    return Experiments(request.app.state.catalog, request.app.state.settings.results_dir)


def found(request: Request, experiment_id: str) -> Listed:
    """The experiment, or 404."""
    item = experiments_of(request).find(experiment_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no experiment {experiment_id!r}")
    return item


def api_experiment(request: Request, experiment_id: str) -> Listed:
    """An experiment created through the API (CLI runs are driven from the command line: 409)."""
    item = found(request, experiment_id)
    if item.experiment is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{experiment_id} is a CLI run; drive it with hpo-runner -r")
    return item


@router.get("/experiments")
def list_experiments(request: Request) -> dict[str, Any]:
    """Every experiment: those created through the API, then the CLI runs of the results folder."""
    experiments = experiments_of(request)
    return plain({"experiments": [experiments.to_json(item) for item in experiments.listing()]})


@router.post("/experiments", status_code=status.HTTP_201_CREATED)
def create_experiment(request: Request, body: ExperimentBody, validate_only: bool = False) -> Any:
    """Create an experiment (status ``created``); ``validate_only``: check it (200) and create nothing."""
    settings = request.app.state.settings
    experiment_id = new_id()
    folder = settings.experiment_dir(experiment_id)
    try:
        checked = validate(body, settings.results_dir, folder, request.app.state.benchmarks.load)
    except BodyError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return JSONResponse({"detail": exc.detail}, status_code=422)
    if validate_only:
        shutil.rmtree(folder, ignore_errors=True)
        return JSONResponse(plain({"valid": True, "command": checked.command, "run_conf": checked.run_conf,
                                   "notes": checked.notes}))  # fmt: skip
    posted = body.model_dump(exclude_unset=True)
    experiment = request.app.state.catalog.create(
        body.name, posted, checked.args, checked.seed, checked.run_key, checked.trace, experiment_id
    )
    experiments = experiments_of(request)
    return plain(experiments.to_json(Listed(experiment.id, experiment, None)))


@router.get("/experiments/{experiment_id}")
def get_experiment(request: Request, experiment_id: str) -> dict[str, Any]:
    """One experiment: status, progress, best so far, clock and each repetition."""
    return plain(experiments_of(request).to_json(found(request, experiment_id)))


def _transition(request: Request, experiment_id: str, action: str) -> dict[str, Any]:
    item = api_experiment(request, experiment_id)
    launcher = request.app.state.launcher
    try:
        getattr(launcher, action)(item.experiment)
    except Transition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return get_experiment(request, experiment_id)


@router.post("/experiments/{experiment_id}:start")
def start_experiment(request: Request, experiment_id: str) -> dict[str, Any]:
    """Start a created experiment in its own process (409 otherwise)."""
    return _transition(request, experiment_id, "start")


@router.post("/experiments/{experiment_id}:stop")
def stop_experiment(request: Request, experiment_id: str) -> dict[str, Any]:
    """Stop a running experiment; its finished trials are kept (409 when it is not running)."""
    return _transition(request, experiment_id, "stop")


@router.post("/experiments/{experiment_id}:resume")
def resume_experiment(request: Request, experiment_id: str) -> dict[str, Any]:
    """Resume a stopped or failed experiment where its store left it (409 otherwise)."""
    return _transition(request, experiment_id, "resume")


@router.delete("/experiments/{experiment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experiment(request: Request, experiment_id: str) -> Response:
    """Forget an experiment (its results stay in the store and the traces); 409 while it runs."""
    item = api_experiment(request, experiment_id)
    if item.experiment.status == "running":
        raise HTTPException(status.HTTP_409_CONFLICT, f"experiment {experiment_id} is running; stop it first")
    request.app.state.catalog.update(experiment_id, deleted=1)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/experiments/{experiment_id}/trials")
def list_trials(
    request: Request,
    experiment_id: str,
    after: str | None = Query(None, description="Cursor: the trials stored after it (incremental listing)."),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    status_filter: TrialStatus | None = Query(None, alias="status"),
    rep: int | None = Query(None, ge=0, le=MAX_INDEX),
    sort: SortField | None = Query(None),
    order: Literal["asc", "desc"] = "asc",
    offset: int | None = Query(None, ge=0, le=MAX_INDEX),
) -> dict[str, Any]:
    """Trials: incremental (``after``, answers ``next``) or a sorted, filtered page (answers ``total``)."""
    if after is not None and not (after.isdigit() and len(after) < 19):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            [{"loc": ["query", "after"], "msg": f"expected a cursor from 'next', got {after!r}",
                              "type": "value_error"}])  # fmt: skip
    item = found(request, experiment_id)
    store = experiments_of(request).store
    paged = status_filter is not None or rep is not None or sort is not None or offset is not None
    if item.run_id is None:
        return {"trials": [], "total": 0} if paged else {"trials": [], "next": after}
    if paged and after is None:
        rows, total = store.trials_page(item.run_id, status_filter, rep, sort or "id", order, offset or 0, limit)
        return plain({"trials": [trial_json(c, t) for c, t in rows], "total": total})
    rows = store.trials_after(item.run_id, int(after or 0), limit)
    return plain({"trials": [trial_json(c, t) for c, t in rows], "next": str(rows[-1][0]) if rows else after})


def _trial_id(text: str) -> tuple[int, int] | None:
    rep, _, trial = text.partition("-")
    if rep.isdigit() and trial.isdigit() and len(rep) < 10 and len(trial) < 10:
        return int(rep), int(trial)
    return None


@router.get("/experiments/{experiment_id}/trials/{trial_id}")
def get_trial(request: Request, experiment_id: str, trial_id: str) -> dict[str, Any]:
    """One trial with its per-epoch curve."""
    from hpo_mab.server.curves import trial_curve

    item = found(request, experiment_id)
    key = _trial_id(trial_id)
    row = experiments_of(request).store.trial(item.run_id, *key) if key and item.run_id is not None else None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no trial {trial_id!r} in experiment {experiment_id}")
    cursor, trial = row
    run, _ = experiments_of(request).store.run(item.run_id)
    return plain({**trial_json(cursor, trial), "curve": trial_curve(run.benchmark, trial)})


@router.get("/experiments/{experiment_id}/report")
def experiment_report(request: Request, experiment_id: str) -> dict[str, Any]:
    """The report tables (overview, checkpoints, goals, ranks, tests, arm shares) of the experiment's trace."""
    from hpo_mab.server.reports import report_tables

    item = found(request, experiment_id)
    return plain(report_tables(_trace_path(request, item), _report_dir(request, item)))


def _report_dir(request: Request, item: Listed):
    return request.app.state.settings.results_dir / SERVER_DIR / "reports" / item.id


def _trace_path(request: Request, item: Listed):
    results = request.app.state.settings.results_dir
    relative = experiments_of(request).to_json(item)["results"]["trace"]
    path = results / relative
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"experiment {item.id} has no trace yet (written at its end)")
    return path


@router.get("/experiments/{experiment_id}/files/{kind}")
def experiment_file(request: Request, experiment_id: str, kind: Literal["trace", "csv", "report"]) -> FileResponse:
    """Downloads: the JSON trace, the trials CSV, or the report HTML."""
    from hpo_mab.server.reports import report_html

    item = found(request, experiment_id)
    trace = _trace_path(request, item)
    if kind == "trace":
        return FileResponse(trace, media_type="application/json", filename=trace.name)
    if kind == "csv":
        path = trace.with_suffix(".csv")
        if not path.is_file():
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"experiment {experiment_id} has no trials CSV")
        return FileResponse(path, media_type="text/csv", filename=path.name)
    path = report_html(trace, _report_dir(request, item))
    return FileResponse(path, media_type="text/html", filename="report.html")
