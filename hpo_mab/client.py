"""Talk to an hpo-mab server from a training script: standard library only (a training image needs nothing else).

``hpo-runner worker`` runs the script with ``HPO_SERVER``, ``HPO_TOKEN``, ``HPO_TRIAL``,
``HPO_ATTEMPT`` and ``HPO_PARAMS`` (JSON) in its environment (``http.client``, ``json``: nothing to install)::

    from hpo_mab import client

    lr = client.params()["lr"]
    for epoch in range(1, epochs + 1):
        accuracy = train_one_epoch(lr)
        if client.report(epoch, accuracy=accuracy):  # the early-termination rule says stop
            break
    else:
        client.complete(accuracy=accuracy)

A dropped connection (or a server restarting) is retried with backoff; the epoch is the report's
idempotency key, so a report sent twice is answered the same and counted once. A superseded
attempt (its lease expired and the trial went to another worker) raises ``Superseded``.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

API = "/api/v1"
RETRIED_STATUS = (502, 503, 504)


class ServerError(Exception):
    """The server refused a call: ``status`` and its one-line ``detail``."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class Superseded(ServerError):
    """409: this attempt is no longer the trial's (its lease expired; another worker runs it)."""


class Server:
    """JSON calls to ``/api/v1`` with the token over a kept-alive connection (one per thread).

    A dropped connection, a refused one (the server restarting) and 502/503/504 are retried with
    backoff; any other refusal raises ``ServerError`` (``Superseded`` for 409).
    """

    def __init__(
        self,
        url: str,
        token: str,
        retries: int = 8,
        backoff: float = 0.25,
        timeout: float = 120.0,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        try:
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
        except ValueError:  # a port that is not a number in 0..65535
            valid = False
        if not valid:
            raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
        self.url, self.base = url.rstrip("/"), parts.path + API
        self._parts = parts
        self.token, self.retries, self.backoff, self.timeout = token, retries, backoff, timeout
        self.on_retry = on_retry  # told why, before each wait of a retry
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            connection = kind(self._parts.hostname, self._parts.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def call(self, path: str, body: dict | None = None) -> tuple[int, Any]:
        """POST ``body`` (GET without one) to ``path``: (status, JSON answer or None)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        delay = self.backoff
        for attempt in range(self.retries + 1):
            reused = getattr(self._local, "connection", None) is not None
            try:
                connection = self._connection()
                connection.request("GET" if body is None else "POST", self.base + path, data, headers)
                answer = connection.getresponse()
                text = answer.read()
            except (OSError, http.client.HTTPException) as exc:  # dropped, refused, reset, timed out
                self._drop()
                if attempt >= self.retries:
                    raise
                if reused:
                    continue  # a kept-alive connection the server closed meanwhile: again at once, on a new one
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            else:
                if answer.status < 400:
                    return answer.status, json.loads(text) if text else None
                if answer.status not in RETRIED_STATUS or attempt >= self.retries:
                    detail = _detail(text, answer.reason)
                    raise (Superseded if answer.status == 409 else ServerError)(answer.status, detail)
                reason = f"HTTP {answer.status}"
            if self.on_retry is not None:
                self.on_retry(f"{self.url}: {reason}; retry {attempt + 1} of {self.retries} in {delay:g} s")
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def claim(self, experiment: str, worker: str) -> tuple[int, dict | None]:
        """(200, trial) or (204, None); ServerError 410 once the experiment is over."""
        status, answer = self.call(f"/experiments/{experiment}/trials:claim", {"worker_id": worker})
        return status, (answer or {}).get("trial")

    def heartbeat(self, trial: str, attempt: int) -> dict:
        """Extend the lease: ``{status, stop}``."""
        return self.call(f"/trials/{trial}:heartbeat", {"attempt": attempt})[1]

    def report(self, trial: str, attempt: int, epoch: int, metrics: dict) -> dict:
        """An epoch's metrics: ``{stop, rule, reason}``."""
        return self.call(f"/trials/{trial}/reports", {"attempt": attempt, "epoch": epoch, "metrics": metrics})[1]

    def complete(self, trial: str, attempt: int, metrics: dict) -> dict:
        """The trial's result: ``{status}``."""
        return self.call(f"/trials/{trial}:complete", {"attempt": attempt, "metrics": metrics})[1]

    def fail(self, trial: str, attempt: int, reason: str) -> dict:
        """The trial failed: ``{status}``."""
        return self.call(f"/trials/{trial}:fail", {"attempt": attempt, "reason": reason})[1]


def _detail(text: bytes, reason: str) -> Any:
    try:
        return json.loads(text or b"{}").get("detail", reason)
    except (ValueError, AttributeError):
        return reason


class Trial:
    """The trial a worker runs this script for (from the environment ``hpo-runner worker`` sets)."""

    def __init__(self, server: Server, trial: str, attempt: int, params: dict) -> None:
        self.server, self.id, self.attempt, self.params = server, trial, attempt, params

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Trial:
        """The trial of ``HPO_SERVER``, ``HPO_TOKEN``, ``HPO_TRIAL``, ``HPO_ATTEMPT``, ``HPO_PARAMS``."""
        env = os.environ if environ is None else environ
        missing = [k for k in ("HPO_SERVER", "HPO_TOKEN", "HPO_TRIAL", "HPO_ATTEMPT") if not env.get(k)]
        if missing:
            raise RuntimeError(f"not run by `hpo-runner worker`: {', '.join(missing)} not set")
        params = json.loads(env.get("HPO_PARAMS") or "{}")
        return cls(Server(env["HPO_SERVER"], env["HPO_TOKEN"]), env["HPO_TRIAL"], int(env["HPO_ATTEMPT"]), params)

    def report(self, epoch: int, accuracy: float | None = None, error: float | None = None, **metrics: Any) -> bool:
        """Report an epoch (``accuracy`` or ``error``, and any other metrics); True if the trial should stop."""
        values = {**metrics, **({"accuracy": accuracy} if accuracy is not None else {})}
        values.update({"error": error} if error is not None else {})
        return bool(self.server.report(self.id, self.attempt, int(epoch), values)["stop"])

    def complete(self, accuracy: float | None = None, error: float | None = None, **metrics: Any) -> str:
        """Send the result (``accuracy`` or ``error``; optional ``epochs``, ``exec_time``); the trial's status."""
        values = {**metrics, **({"accuracy": accuracy} if accuracy is not None else {})}
        values.update({"error": error} if error is not None else {})
        return self.server.complete(self.id, self.attempt, values)["status"]

    def fail(self, reason: str) -> str:
        """Mark the trial failed with ``reason``; its status."""
        return self.server.fail(self.id, self.attempt, reason)["status"]


def params() -> dict:
    """The trial's hyperparameters."""
    return Trial.from_env().params


def report(epoch: int, accuracy: float | None = None, error: float | None = None, **metrics: Any) -> bool:
    """Report an epoch of this script's trial; True if it should stop now."""
    return Trial.from_env().report(epoch, accuracy, error, **metrics)


def complete(accuracy: float | None = None, error: float | None = None, **metrics: Any) -> str:
    """Send this script's result."""
    return Trial.from_env().complete(accuracy, error, **metrics)


def fail(reason: str) -> str:
    """Mark this script's trial failed."""
    return Trial.from_env().fail(reason)
