"""Search spaces: hyperparameters, their [0, 1] encoding and candidate pools."""

from hpo_mab.lazy import lazy_exports

__all__ = ["CandidatePool", "HyperParameter", "SearchSpace"]
__getattr__ = lazy_exports(
    __name__,
    {
        "SearchSpace": "hpo_mab.searchspace.space",
        "CandidatePool": "hpo_mab.searchspace.space",
        "HyperParameter": "hpo_mab.searchspace.hyperparams",
    },
)
