"""Server-sent events, from tailing the result store that the experiments' processes write.

``GET /experiments/{id}/events``: ``trial`` (trial JSON, its ``id:`` the listing's cursor, so a
``Last-Event-ID`` resumes after it), ``repetition`` (``{rep, stop_reason, best_error}``), ``status``
(experiment JSON, when its status changes) and ``end`` (the experiment is over; the stream closes).
``GET /events``: ``experiment`` (experiment JSON) whenever an experiment changes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from hpo_mab.server.routes_experiments import experiments_of, found, plain
from hpo_mab.server.views import Experiments, trial_json

router = APIRouter(tags=["events"])
POLL_S = 0.2
GLOBAL_POLL_S = 0.5  # the list page: every experiment's JSON is rebuilt each time
BATCH = 500
OVER = ("done", "failed", "stopped")
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any, event_id: str | None = None) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(plain(data), separators=(',', ':'))}\n\n"


def _cursor(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 19 else 0


async def experiment_stream(request: Request, experiments: Experiments, experiment_id: str,
                            last_event_id: str | None) -> AsyncIterator[str]:  # fmt: skip
    """The events of one experiment until it is over (or the client leaves)."""
    cursor = _cursor(last_event_id)
    told_reps: set[int] | None = None
    told_status = None
    while not await request.is_disconnected():
        item = await to_thread.run_sync(experiments.find, experiment_id)
        if item is None:
            return
        rows = []
        if item.run_id is not None:
            rows = await to_thread.run_sync(experiments.store.trials_after, item.run_id, cursor, BATCH)
        for row_cursor, trial in rows:
            cursor = row_cursor
            yield sse("trial", trial_json(row_cursor, trial), str(row_cursor))
        experiment = await to_thread.run_sync(experiments.to_json, item)
        finished = {d["rep"]: d for d in experiment["repetitions_detail"] if d["stop_reason"] is not None}
        if told_reps is None:
            told_reps = set(finished) if last_event_id else set()
        for rep in sorted(set(finished) - told_reps):
            told_reps.add(rep)
            yield sse("repetition", {k: finished[rep][k] for k in ("rep", "stop_reason", "best_error")})
        if experiment["status"] != told_status:
            told_status = experiment["status"]
            yield sse("status", experiment)
        if len(rows) < BATCH and told_status in OVER:
            more = item.run_id is not None and await to_thread.run_sync(
                experiments.store.trials_after, item.run_id, cursor, 1
            )
            if not more:
                yield sse("end", {"id": experiment_id, "status": told_status})
                return
        if len(rows) < BATCH:
            await asyncio.sleep(POLL_S)


@router.get("/experiments/{experiment_id}/events", response_class=StreamingResponse)
async def experiment_events(
    request: Request, experiment_id: str, last_event_id: str | None = Header(None)
) -> StreamingResponse:
    """The event stream of one experiment (text/event-stream)."""
    await to_thread.run_sync(found, request, experiment_id)
    stream = experiment_stream(request, experiments_of(request), experiment_id, last_event_id)
    return StreamingResponse(stream, media_type="text/event-stream", headers=STREAM_HEADERS)


async def global_stream(request: Request, experiments: Experiments) -> AsyncIterator[str]:
    """An ``experiment`` event whenever an experiment's JSON changes (every one at the start)."""
    told: dict[str, str] = {}
    number = 0
    while not await request.is_disconnected():
        listed = await to_thread.run_sync(lambda: [experiments.to_json(i) for i in experiments.listing()])
        for experiment in listed:
            text = json.dumps(plain(experiment), sort_keys=True)
            if told.get(experiment["id"]) != text:
                told[experiment["id"]] = text
                number += 1
                yield sse("experiment", experiment, str(number))
        await asyncio.sleep(GLOBAL_POLL_S)


@router.get("/events", response_class=StreamingResponse)
async def all_events(request: Request) -> StreamingResponse:
    """The event stream of every experiment, for the list page (text/event-stream)."""
    return StreamingResponse(global_stream(request, experiments_of(request)), media_type="text/event-stream",
                             headers=STREAM_HEADERS)  # fmt: skip
