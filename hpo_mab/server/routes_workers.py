"""The worker protocol of external experiments: claim a trial, report epochs, complete, fail, heartbeat.

``POST /experiments/{id}/trials:claim {worker_id}`` answers 200 ``{trial: {id, attempt, params,
lease_ttl_s, heartbeat_s, rep, candidate}}`` (the same trial again for the same worker), 204 when
nothing is pending now, 410 when the experiment is over. Every call on a trial names its
``attempt``: a superseded one (its lease expired and another worker took the trial) gets 409.
A report answers ``{stop, rule, reason}``; the same attempt and epoch again gets the same answer.
"""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hpo_mab.backends.external import CONTINUE, VERDICT_TIMEOUT
from hpo_mab.objectives.base import report_value
from hpo_mab.server.external_runs import ExternalRuns
from hpo_mab.server.routes_experiments import found
from hpo_mab.store.leases import LeaseError, NotFound

router = APIRouter(tags=["workers"])
WORKER_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,199}$"


class ClaimBody(BaseModel):
    """Who asks for work."""

    model_config = ConfigDict(extra="forbid")
    worker_id: str = Field(..., pattern=WORKER_ID, description="A name unique per worker (host:gpu, say).")


class AttemptBody(BaseModel):
    """Which attempt of the trial speaks."""

    model_config = ConfigDict(extra="forbid")
    attempt: int = Field(..., ge=1, le=1_000_000)


class ReportBody(AttemptBody):
    """An epoch's metrics: ``accuracy`` or ``error`` in [0, 1], and any others (kept with the report)."""

    epoch: int = Field(..., ge=1, le=1_000_000)
    metrics: dict[str, Any]


class CompleteBody(AttemptBody):
    """The trial's result: ``accuracy`` or ``error`` (optional ``epochs``, ``exec_time``)."""

    metrics: dict[str, Any]


class FailBody(AttemptBody):
    """Why the trial failed (one line)."""

    reason: str = Field(..., min_length=1, max_length=2000)


def external_runs(request: Request) -> ExternalRuns:
    """The server's external experiments."""
    return request.app.state.external


def _refused(exc: LeaseError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _unprocessable(key: str, message: str) -> JSONResponse:
    detail = [{"loc": ["body", "metrics", key], "msg": message, "type": "value_error"}]
    return JSONResponse({"detail": detail}, status_code=422)


def _json_safe(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics without values JSON cannot hold (NaN, infinities)."""
    return {k: v for k, v in metrics.items() if not (isinstance(v, float) and not math.isfinite(v))}


@router.post("/experiments/{experiment_id}/trials:claim", response_model=None)
async def claim_trial(request: Request, experiment_id: str, body: ClaimBody) -> dict[str, Any] | Response:
    """A trial for this worker: 200 with it, 204 if none is pending now, 410 once the experiment is over."""
    try:  # the lease store first (one transaction); the catalog only for experiments it does not know
        lease = external_runs(request).claim(experiment_id, body.worker_id)
    except NotFound:
        return _not_claimable(request, experiment_id)
    except LeaseError as exc:
        raise _refused(exc) from None
    if lease is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return {"trial": lease.as_json()}


def _not_claimable(request: Request, experiment_id: str) -> Response:
    """An experiment whose loop has not run: 404 unknown, 409 not external, 204 not started yet."""
    item = found(request, experiment_id)
    if item.experiment is None or not item.experiment.body.get("external"):
        raise HTTPException(status.HTTP_409_CONFLICT, f"experiment {experiment_id} is not an external experiment")
    if item.experiment.status in ("created", "running"):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    raise HTTPException(status.HTTP_410_GONE, f"experiment {experiment_id} is {item.experiment.status}")


@router.post("/trials/{trial_id}/reports", response_model=None)
async def report_epoch(request: Request, trial_id: str, body: ReportBody) -> dict[str, Any] | JSONResponse:
    """Store an epoch's report; ``{stop, rule, reason}`` from the experiment's early-termination rule.

    Asynchronous: a report waiting for the rule's verdict holds no thread.
    """
    metrics = body.metrics
    try:
        epoch, accuracy = report_value(body.epoch, metrics.get("accuracy"), metrics.get("error"))
    except ValueError as exc:
        return _unprocessable("accuracy" if "accuracy" in metrics else "error", str(exc))
    try:
        answer = external_runs(request).report(trial_id, body.attempt, epoch, accuracy, _json_safe(metrics))
    except LeaseError as exc:
        raise _refused(exc) from None
    if isinstance(answer, Future):
        try:
            return await asyncio.wait_for(asyncio.wrap_future(answer), VERDICT_TIMEOUT)
        except TimeoutError:
            return CONTINUE
    return answer


@router.post("/trials/{trial_id}:complete", response_model=None)
async def complete_trial(request: Request, trial_id: str, body: CompleteBody) -> dict[str, Any] | JSONResponse:
    """Store the trial's result (a repeated one is not counted again): ``{status}``."""
    try:
        return external_runs(request).complete(trial_id, body.attempt, body.metrics)
    except LeaseError as exc:
        raise _refused(exc) from None
    except ValueError as exc:
        key = next((k for k in ("error", "accuracy", "epochs") if k in str(exc)), "accuracy")
        return _unprocessable(key, str(exc))


@router.post("/trials/{trial_id}:fail")
async def fail_trial(request: Request, trial_id: str, body: FailBody) -> dict[str, Any]:
    """Store the trial as failed with its reason: ``{status}``."""
    try:
        return external_runs(request).fail(trial_id, body.attempt, body.reason.splitlines()[0][:500])
    except LeaseError as exc:
        raise _refused(exc) from None


@router.post("/trials/{trial_id}:heartbeat")
async def heartbeat(request: Request, trial_id: str, body: AttemptBody) -> dict[str, Any]:
    """Extend the lease of the attempt: ``{status, stop}`` (stop: the trial ended or the experiment stopped)."""
    try:
        return external_runs(request).heartbeat(trial_id, body.attempt)
    except LeaseError as exc:
        raise _refused(exc) from None
