"""A Dask client: on a running scheduler, or on a LocalCluster started (and stopped) here."""

from __future__ import annotations

from typing import Any

from hpo_mab.inputs.errors import InputError

CONNECT_TIMEOUT = 10.0  # seconds to reach a -w scheduler (README "Limits")


class DaskConnection:
    """Connects lazily on first use of ``client``; ``close`` stops what it started.

    The LocalCluster has one thread per worker process and its HTTP endpoints on a free port (the
    default :8787 clashes as soon as two clusters run on one machine).
    """

    def __init__(self, workers: int, scheduler: str | None = None, resources: dict[str, float] | None = None) -> None:
        self.workers, self.scheduler, self.resources = workers, scheduler, resources
        self._cluster: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The connected client."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler is not None:
                try:
                    self._client = Client(self.scheduler, timeout=f"{CONNECT_TIMEOUT:g}s")
                except OSError as exc:  # refused, unreachable or timed out
                    raise InputError(
                        f"no Dask scheduler answered at {self.scheduler} within {CONNECT_TIMEOUT:g} s "
                        f"({type(exc).__name__})",
                        key="-w/--worker_url",
                    ) from None
            else:
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    resources=self.resources,
                )
                self._client = Client(self._cluster)
        return self._client

    def close(self) -> None:
        """Close the client and the LocalCluster this connection started."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def __enter__(self) -> DaskConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
