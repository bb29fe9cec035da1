"""The trial loop, its plan and its stopping criteria."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "LoopOptions",
    "LoopPlan",
    "RepetitionOutcome",
    "StopCriterion",
    "repetition_rng",
    "restore_repetition",
    "run_repetition",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "run_repetition": "hpo_mab.engine.loop",
        "LoopPlan": "hpo_mab.engine.loop",
        "RepetitionOutcome": "hpo_mab.engine.loop",
        "restore_repetition": "hpo_mab.engine.loop",
        "repetition_rng": "hpo_mab.engine.loop",
        "StopCriterion": "hpo_mab.engine.criteria",
        "LoopOptions": "hpo_mab.engine.options",
    },
)
