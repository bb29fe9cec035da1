"""Logging a browser in: the ``?token=`` link (as ``serve`` prints it) sets the ``hpo_token`` cookie.

The cookie is HttpOnly (page scripts never see the token) and SameSite=Strict (no other site's
page can make the browser use it). Pages without a valid token show only the login page.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from hpo_mab.server.auth import COOKIE, presented_token


def valid(request: Request, token: str | None) -> bool:
    """True when ``token`` is the server's."""
    return token is not None and secrets.compare_digest(token.encode(), request.app.state.token.encode())


def logged_in(request: Request) -> bool:
    """True when the request carries the server's token (cookie or Bearer header)."""
    return valid(request, presented_token(request))


def login_redirect(request: Request, token: str) -> RedirectResponse:
    """303 to the same page without ``token`` in its address, setting the cookie."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = request.url.path + ("?" + urlencode(query) if query else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response
