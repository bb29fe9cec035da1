"""Real objectives: Python functions and shell commands, and what they return."""

from hpo_mab.lazy import lazy_exports

__all__ = ["ObjectiveTask", "Outcome", "PythonObjective", "ShellObjective", "StopTrial", "failed"]
__getattr__ = lazy_exports(
    __name__,
    {
        "Outcome": "hpo_mab.objectives.base",
        "failed": "hpo_mab.objectives.base",
        "PythonObjective": "hpo_mab.objectives.python",
        "ShellObjective": "hpo_mab.objectives.shell",
        "StopTrial": "hpo_mab.objectives.runner",
        "ObjectiveTask": "hpo_mab.objectives.task",
    },
)
