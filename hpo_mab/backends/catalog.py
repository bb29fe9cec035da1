"""The registry of execution backends, and the session that makes one backend per repetition.

``simulated`` replays benchmarks on the simulated clock; ``local`` runs a real objective
here; ``dask`` runs it on a LocalCluster of ``--workers`` processes or on a scheduler's workers.
A session is opened once per run (a Dask cluster starts before the first repetition's clock) and
hands out a fresh backend per repetition, continuing that repetition's stored clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hpo_mab.backends.base import Backend, BackendLost
from hpo_mab.backends.clock import Overhead
from hpo_mab.backends.dask import DaskBackend, DaskOptions
from hpo_mab.backends.dask_cluster import DaskConnection
from hpo_mab.backends.local import LocalBackend
from hpo_mab.backends.simulated import SimulatedBackend
from hpo_mab.registry import Entry, Registry


@dataclass(frozen=True)
class ExecutionRequest:
    """What a backend needs to know about a run: what to evaluate and on how many workers."""

    target: Any  # a Benchmark (simulated) or an objective callable (real)
    workers: int = 1
    scheduler: str | None = None
    overhead: Overhead = field(default_factory=lambda: Overhead("none"))
    options: Any = None  # the backend's typed options
    interim: bool = False  # trials in flight must tell their epochs so far (failover: premature)
    scratch: Path | None = None  # the folder of temporary files (under the results), None: the system's


class ExecutionSession(Protocol):
    """Backends for the repetitions of one run."""

    def backend(self, offset: float) -> Backend:
        """A backend for one repetition whose stored clock is at ``offset``."""
        ...

    def close(self) -> None:
        """Release what the session started."""
        ...


class SimulatedSession:
    """Simulated workers: nothing to start."""

    def __init__(self, request: ExecutionRequest) -> None:
        self.request = request

    def backend(self, offset: float) -> Backend:
        """A fresh event queue."""
        return SimulatedBackend(self.request.target, self.request.overhead, offset)

    def close(self) -> None:
        """Nothing to release."""


class LocalSession:
    """The objective run on this machine, one trial at a time."""

    def __init__(self, request: ExecutionRequest) -> None:
        self.request = request

    def backend(self, offset: float) -> Backend:
        """A backend on a wall clock continuing ``offset``."""
        return LocalBackend(self.request.target, offset, self.request.scratch)

    def close(self) -> None:
        """Nothing to release."""


class DaskSession:
    """One Dask client (and LocalCluster, if started here) shared by the repetitions."""

    def __init__(self, request: ExecutionRequest) -> None:
        self.request = request
        options = request.options or DaskOptions()
        resources = dict(options.resources or {}) or None
        self.connection = DaskConnection(request.workers, request.scheduler, resources, request.scratch)
        if request.scheduler is not None:
            self.connection.client  # noqa: B018 - an unreachable scheduler is refused before any trial

    def backend(self, offset: float) -> Backend:
        """Connect (before the repetition's clock starts), then a backend on its wall clock."""
        client = self.connection.client
        options = self.request.options or DaskOptions()
        return DaskBackend(client, self.request.target, options, offset, self.request.interim)

    def close(self) -> None:
        """Close the client and the cluster this session started."""
        self.connection.close()


class ExternalOnly:
    """External experiments run in a server (``hpo-runner serve``), which hands their session in."""

    def __init__(self, request: ExecutionRequest) -> None:
        raise BackendLost("an external experiment's trials are run by pull workers of `hpo-runner serve`")


def _external(simulated: bool, workers: int, scheduler: str | None) -> bool:
    return False  # chosen by the request (``external``), never by the run's shape


def _simulated(simulated: bool, workers: int, scheduler: str | None) -> bool:
    return simulated


def _dask(simulated: bool, workers: int, scheduler: str | None) -> bool:
    return not simulated and (workers > 1 or scheduler is not None)


def _local(simulated: bool, workers: int, scheduler: str | None) -> bool:
    return not simulated


LEASES = "hpo_mab.backends.external_options:LeaseOptions"
# the first entry whose "applies" holds for (simulated?, workers, scheduler) runs the trials
BACKENDS: Registry[Callable[[ExecutionRequest], ExecutionSession]] = Registry(
    "backend",
    [
        Entry("simulated", SimulatedSession, None, "benchmarks on the simulated clock", facts={"applies": _simulated}),
        Entry("dask", DaskSession, DaskOptions, "real objectives on Dask workers", facts={"applies": _dask}),
        Entry("local", LocalSession, None, "real objectives here, one at a time", facts={"applies": _local}),
        Entry("external", ExternalOnly, LEASES, "trials claimed by pull workers", facts={"applies": _external}),
    ],
)


def backend_for(simulated: bool, workers: int, scheduler: str | None) -> str:
    """The name of the backend that runs a run's trials."""
    return next(e.name for e in BACKENDS if e.facts["applies"](simulated, workers, scheduler))
