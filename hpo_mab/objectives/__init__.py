"""Real objectives: Python functions and shell commands, and what they return."""

from hpo_mab.lazy import lazy_exports

__all__ = ["ObjectiveTask", "Outcome", "PythonObjective", "ShellObjective", "failed"]
__getattr__ = lazy_exports(
    __name__,
    {
        "Outcome": "hpo_mab.objectives.base",
        "failed": "hpo_mab.objectives.base",
        "PythonObjective": "hpo_mab.objectives.python",
        "ShellObjective": "hpo_mab.objectives.shell",
        "ObjectiveTask": "hpo_mab.objectives.task",
    },
)
