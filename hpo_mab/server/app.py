"""``create_app(settings)``: the FastAPI application of a results folder (routers from ``routers.ROUTERS``)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from hpo_mab.server.auth import load_or_create_token, require_token
from hpo_mab.server.routers import ROUTERS
from hpo_mab.server.settings import API_PREFIX, ServerSettings
from hpo_mab.version import package_version


def _router(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def create_app(settings: ServerSettings) -> FastAPI:
    """The application: the token, the catalog and the launcher in ``app.state``, every router of ROUTERS."""
    from hpo_mab.server.benchmarks import LoadedBenchmarks
    from hpo_mab.server.catalog import Catalog
    from hpo_mab.server.external_runs import ExternalRuns
    from hpo_mab.server.launcher import Launcher

    settings.results_dir.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings)
    external = ExternalRuns(settings.results_dir)
    launcher = Launcher(settings, catalog, external)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        launcher.resume_interrupted(relaunch=settings.resume)
        launcher.warm_when_idle()
        yield
        launcher.shutdown()

    app = FastAPI(
        title="hpo-mab",
        version=package_version(),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.benchmarks = LoadedBenchmarks()
    app.state.token = load_or_create_token(settings.token_path, settings.token)
    app.state.catalog = catalog
    app.state.launcher = launcher
    app.state.external = external
    for spec in ROUTERS:
        router = _router(spec.target)
        if spec.api:
            app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(require_token)])
        else:
            app.include_router(router)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """An unexpected error: one line, no traceback in the response."""
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    return app
