"""A Dask client: on a running scheduler, or on a LocalCluster started (and stopped) here.

The LocalCluster listens on 127.0.0.1 only (scheduler, workers, nannies and the HTTP endpoints
of the dashboard, on a free port), keeps its files in the scratch folder under the results
(``local_directory``, Dask's ``temporary-directory`` and the workers' ``TMPDIR``), and its
``distributed`` log lines follow the level of the root logger (``-l``). It is stopped client
first, then workers, each given time to end by itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hpo_mab.inputs.errors import InputError

LOCALHOST = "127.0.0.1"
WORKER_CLOSE_TIMEOUT = 30.0  # seconds a worker process has to end before its nanny kills it
CLUSTER_CLOSE_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0  # seconds to reach a -w scheduler (README "Limits")


def local_cluster_options(workers: int, resources: dict[str, float] | None, scratch: Path | None) -> dict[str, Any]:
    """The LocalCluster's keyword arguments: one thread per worker process, everything on 127.0.0.1."""
    options: dict[str, Any] = {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "host": LOCALHOST,
        "dashboard_address": f"{LOCALHOST}:0",  # a free port: the default :8787 clashes between clusters
        "resources": resources,
        "worker_class": patient_nanny(),
    }
    if scratch is not None:
        options["local_directory"] = str(scratch)
        options["env"] = {"TMPDIR": str(scratch)}
    return options


def patient_nanny() -> type:
    """A Nanny that gives its worker process ``WORKER_CLOSE_TIMEOUT`` seconds to end when it is closed.

    Distributed's nanny waits 4 seconds before it kills the worker ("Worker process still alive
    after 4.0 seconds, killing"), too short for a worker that imported the model libraries on a
    busy machine; it stops waiting as soon as the process ends.
    """
    from distributed import Nanny

    class PatientNanny(Nanny):
        async def close(self, timeout: float = WORKER_CLOSE_TIMEOUT, reason: str = "nanny-close"):
            return await super().close(timeout=max(timeout, WORKER_CLOSE_TIMEOUT), reason=reason)

    return PatientNanny


class DaskConnection:
    """Connects lazily on first use of ``client``; ``close`` stops what it started."""

    def __init__(
        self,
        workers: int,
        scheduler: str | None = None,
        resources: dict[str, float] | None = None,
        scratch: Path | None = None,
    ) -> None:
        self.workers, self.scheduler, self.resources, self.scratch = workers, scheduler, resources, scratch
        self._cluster: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The connected client."""
        if self._client is None:
            import dask
            from distributed import Client, LocalCluster

            logging.getLogger("distributed").setLevel(logging.NOTSET)  # follow the root logger (-l)
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
                settings = {"temporary-directory": str(self.scratch)} if self.scratch is not None else {}
                with dask.config.set(settings):
                    self._cluster = LocalCluster(**local_cluster_options(self.workers, self.resources, self.scratch))
                self._client = Client(self._cluster)
        return self._client

    def close(self) -> None:
        """Close the client, then the LocalCluster this connection started."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close(timeout=CLUSTER_CLOSE_TIMEOUT)
        self._client = self._cluster = None

    def __enter__(self) -> DaskConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
