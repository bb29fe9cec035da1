"""What a server is started with: its results folder, address and token."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
API_PREFIX = "/api/v1"
CATALOG_NAME = "server.sqlite"
TOKEN_NAME = "server.token"
SERVER_DIR = "server"  # RESULTS/server/experiments/<id>/: the server's own files of each experiment


@dataclass(frozen=True)
class ServerSettings:
    """The settings of one server. ``token``: given, else read from (or created in) RESULTS/server.token."""

    results_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    resume: bool = True  # resume the experiments left running when the server starts

    @property
    def catalog_path(self) -> Path:
        """The server's catalog of experiments (SQLite)."""
        return self.results_dir / CATALOG_NAME

    @property
    def token_path(self) -> Path:
        """The token file."""
        return self.results_dir / TOKEN_NAME

    def experiment_dir(self, experiment_id: str) -> Path:
        """The server's folder of one experiment (its log, inline hp_conf/run_conf); ids are server-made."""
        return self.results_dir / SERVER_DIR / "experiments" / experiment_id
