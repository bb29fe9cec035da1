"""HPO algorithms that propose the next candidate from the history: one interface, many plug-ins."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "GPOptions",
    "GaussianProcess",
    "History",
    "ModelArmOptimizer",
    "ModelCache",
    "Optimizer",
    "Proposal",
    "RFOptions",
    "RandomForestSurrogate",
    "RandomSearch",
    "TPEOptimizer",
    "TPEOptions",
    "Transform",
    "acquisition",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "History": "hpo_mab.optimizers.base",
        "Proposal": "hpo_mab.optimizers.base",
        "Optimizer": "hpo_mab.optimizers.base",
        "GaussianProcess": "hpo_mab.optimizers.gp",
        "RandomForestSurrogate": "hpo_mab.optimizers.rf",
        "TPEOptimizer": "hpo_mab.optimizers.tpe",
        "RandomSearch": "hpo_mab.optimizers.random_search",
        "ModelArmOptimizer": "hpo_mab.optimizers.bayes",
        "ModelCache": "hpo_mab.optimizers.bayes",
        "Transform": "hpo_mab.optimizers.transforms",
        "acquisition": "hpo_mab.optimizers.acquisitions",
        "GPOptions": "hpo_mab.optimizers.options",
        "RFOptions": "hpo_mab.optimizers.options",
        "TPEOptions": "hpo_mab.optimizers.options",
    },
)
