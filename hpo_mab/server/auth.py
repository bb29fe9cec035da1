"""The API token: created once in RESULTS/server.token (mode 0600), checked on every call."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request, status

COOKIE = "hpo_token"


def load_or_create_token(path: Path, given: str | None = None) -> str:
    """The token: ``given``, else the one stored at ``path``, else a new one written there with mode 0600."""
    if given:
        return given
    if path.is_file():
        text = path.read_text().strip()
        if text:
            return text
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return token


def presented_token(request: Request) -> str | None:
    """The token of a request: ``Authorization: Bearer <token>`` or the ``hpo_token`` cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


async def require_token(request: Request) -> None:
    """A dependency of every API route: 401 without the server's token."""
    token = presented_token(request)
    if token is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing token: send Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    if not secrets.compare_digest(token.encode(), request.app.state.token.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong token", headers={"WWW-Authenticate": "Bearer"})
