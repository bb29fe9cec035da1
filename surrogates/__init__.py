"""Benchmark objectives: lookup tables (and their bundled data), analytic functions, YAHPO-Gym surrogates."""

from hpo_mab.lazy import lazy_exports

__all__ = ["SOURCES", "Benchmark", "LookupBenchmark", "ModelBenchmark", "Result", "list_benchmarks", "load_benchmark"]
__getattr__ = lazy_exports(
    __name__,
    {
        "Benchmark": "hpo_mab.surrogates.base",
        "Result": "hpo_mab.surrogates.base",
        "load_benchmark": "hpo_mab.surrogates.registry",
        "list_benchmarks": "hpo_mab.surrogates.registry",
        "SOURCES": "hpo_mab.surrogates.registry",
        "LookupBenchmark": "hpo_mab.surrogates.lookup",
        "ModelBenchmark": "hpo_mab.surrogates.model_based",
    },
)
