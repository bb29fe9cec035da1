"""Where results go: the SQLite store, the sinks the loop writes to, and exports (JSON traces, CSV, internals)."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "MemoryRepetition",
    "RepetitionSink",
    "ResultStore",
    "RunRecord",
    "StoredRepetition",
    "Trial",
    "trace_dict",
    "write_json_trace",
    "write_trials_csv",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "ResultStore": "hpo_mab.store.sqlite",
        "Trial": "hpo_mab.store.records",
        "RunRecord": "hpo_mab.store.records",
        "RepetitionSink": "hpo_mab.store.sink",
        "StoredRepetition": "hpo_mab.store.sink",
        "MemoryRepetition": "hpo_mab.store.sink",
        "trace_dict": "hpo_mab.store.exports",
        "write_json_trace": "hpo_mab.store.exports",
        "write_trials_csv": "hpo_mab.store.exports",
    },
)
