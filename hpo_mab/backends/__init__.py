"""Where trials run: simulated workers on the clock, this process, or Dask workers."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "BACKENDS",
    "Backend",
    "DaskBackend",
    "DaskConnection",
    "DaskOptions",
    "Finished",
    "LocalBackend",
    "Overhead",
    "Report",
    "SimulatedBackend",
    "SimulatedClock",
    "Ticket",
    "Verdict",
    "WallClock",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "Backend": "hpo_mab.backends.base",
        "Ticket": "hpo_mab.backends.base",
        "Report": "hpo_mab.backends.base",
        "Finished": "hpo_mab.backends.base",
        "Verdict": "hpo_mab.backends.base",
        "Overhead": "hpo_mab.backends.clock",
        "SimulatedClock": "hpo_mab.backends.clock",
        "WallClock": "hpo_mab.backends.clock",
        "SimulatedBackend": "hpo_mab.backends.simulated",
        "LocalBackend": "hpo_mab.backends.local",
        "DaskBackend": "hpo_mab.backends.dask",
        "DaskOptions": "hpo_mab.backends.dask",
        "BACKENDS": "hpo_mab.backends.catalog",
        "DaskConnection": "hpo_mab.backends.dask_cluster",
    },
)
