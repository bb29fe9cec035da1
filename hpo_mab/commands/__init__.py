"""The subcommands of ``hpo-runner``: surrogates, compare, report, and the optimiser's run."""

from hpo_mab.lazy import lazy_exports

__all__ = ["compare", "report", "run_request", "surrogates"]
__getattr__ = lazy_exports(
    __name__,
    {
        "surrogates": "hpo_mab.commands.surrogates",
        "compare": "hpo_mab.commands.compare",
        "report": "hpo_mab.commands.compare",
        "run_request": "hpo_mab.commands.run",
    },
)
