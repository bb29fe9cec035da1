"""The routers the application includes, as ``module:attribute`` (imported when the app is built).

Adding a group of routes is one line here. ``api``: mounted under /api/v1 behind the token;
otherwise mounted at the root (the dashboard's pages check the token themselves).
"""

from __future__ import annotations

from typing import NamedTuple


class RouterSpec(NamedTuple):
    """Where a router lives and whether it is part of the token-protected API."""

    target: str
    api: bool = True


ROUTERS: list[RouterSpec] = [
    RouterSpec("hpo_mab.server.routes_meta:router"),
    RouterSpec("hpo_mab.server.routes_experiments:router"),
    RouterSpec("hpo_mab.server.events:router"),
    RouterSpec("hpo_mab.server.routes_workers:router"),
    RouterSpec("hpo_mab.server.web.api:router"),
    RouterSpec("hpo_mab.server.web.pages:router", api=False),
]
