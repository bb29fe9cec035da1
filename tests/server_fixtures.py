"""A real ``hpo-runner serve`` process on 127.0.0.1 (a free port, a temporary results folder) for the server tests.

Use it from a test module with ``from tests.server_fixtures import server  # noqa: F401`` (or ``Server``
directly to start, kill -9 and restart one). ``server.client`` is an httpx client with the token.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.processes import alive, wait_for

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-0123456789"


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One server process; ``start``/``kill``/``stop`` it, ``client`` talks to it with the token."""

    def __init__(self, results: Path, token: str | None = TOKEN, *extra: str) -> None:
        self.results = results
        self.token = token
        self.extra = extra
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = results.parent / f"server-{self.port}.log"
        self.client: httpx.Client | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start the process and wait until the API answers."""
        args = [sys.executable, str(ROOT / "hpo_runner.py"), "serve", "--port", str(self.port),
                "--results", str(self.results), *self.extra]  # fmt: skip
        if self.token:
            args += ["--token", self.token]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=ROOT)
        token = self.token or self._token_from_file()
        self.client = httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"},
                                   timeout=60)  # fmt: skip
        wait_for(self._answers, f"the server on port {self.port} (log: {self.log})", 60)
        return self

    def _token_from_file(self) -> str:
        path = self.results / "server.token"
        wait_for(lambda: path.is_file() and path.read_text().strip(), "the token file", 60)
        return path.read_text().strip()

    def _answers(self) -> bool:
        assert self.process.poll() is None, f"the server ended: {self.log.read_text()}"
        try:
            return self.client.get("/openapi.json").status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """kill -9 the server (its experiments' processes end themselves)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """End the server as Ctrl-C would, and wait for it."""
        if self.client is not None:
            self.client.close()  # an open keep-alive connection would hold uvicorn's graceful shutdown
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> Server:
        """Start a new process on the same results folder (a new port)."""
        if self.client is not None:
            self.client.close()
        self.port = free_port()
        return self.start()

    def pid_alive(self) -> bool:
        """True while the server process runs."""
        return self.process is not None and alive(self.process.pid)


@pytest.fixture
def server(tmp_path):
    """A started server on a temporary results folder, stopped after the test."""
    instance = Server(tmp_path / "results").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One started server for the tests of a module (they must not depend on each other's experiments)."""
    instance = Server(tmp_path_factory.mktemp("server") / "results").start()
    yield instance
    instance.stop()
