"""What the user sees in a terminal: progress, the summary of a run, aligned tables."""

from hpo_mab.lazy import lazy_exports

__all__ = ["BarReporter", "LineReporter", "aligned_table", "markdown_table", "summary_lines"]
__getattr__ = lazy_exports(
    __name__,
    {
        "LineReporter": "hpo_mab.terminal.progress",
        "BarReporter": "hpo_mab.terminal.progress",
        "summary_lines": "hpo_mab.terminal.summary",
        "aligned_table": "hpo_mab.terminal.text_table",
        "markdown_table": "hpo_mab.terminal.text_table",
    },
)
