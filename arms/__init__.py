"""The bandit: arms (optimizer + acquisition + transform) and the strategies that choose among them."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "MODELS",
    "STRATEGIES",
    "Arm",
    "Decision",
    "SingleArm",
    "Strategy",
    "build_arm",
    "build_div",
    "build_single_arm",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "Arm": "hpo_mab.arms.strategy",
        "Decision": "hpo_mab.arms.strategy",
        "Strategy": "hpo_mab.arms.strategy",
        "SingleArm": "hpo_mab.arms.strategy",
        "MODELS": "hpo_mab.arms.catalog",
        "STRATEGIES": "hpo_mab.arms.catalog",
        "build_div": "hpo_mab.arms.catalog",
        "build_single_arm": "hpo_mab.arms.catalog",
        "build_arm": "hpo_mab.arms.catalog",
    },
)
