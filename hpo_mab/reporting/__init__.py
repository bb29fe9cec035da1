"""Reports of comparisons and traces: tidy tables, checkpoints, ranks, statistics, plots, HTML."""

from hpo_mab.lazy import lazy_exports

__all__ = ["build_report", "summary_tables", "summary_text"]
__getattr__ = lazy_exports(
    __name__,
    {
        "build_report": "hpo_mab.reporting.report",
        "summary_tables": "hpo_mab.reporting.report",
        "summary_text": "hpo_mab.reporting.report",
    },
)
