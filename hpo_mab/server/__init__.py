"""``hpo-runner serve``: the Experiments REST API (FastAPI on uvicorn) over a results folder.

``create_app(settings)`` builds the application; the experiments it launches run the CLI in
their own processes and write the results folder exactly as the CLI does.
"""

from hpo_mab.lazy import lazy_exports

__all__ = ["ROUTERS", "Catalog", "Launcher", "ServerSettings", "create_app"]
__getattr__ = lazy_exports(
    __name__,
    {
        "create_app": "hpo_mab.server.app",
        "ServerSettings": "hpo_mab.server.settings",
        "Catalog": "hpo_mab.server.catalog",
        "Launcher": "hpo_mab.server.launcher",
        "ROUTERS": "hpo_mab.server.routers",
    },
)
