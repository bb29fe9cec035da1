"""hpo-mab: hyperparameter optimisation whose surrogate/acquisition arms are chosen by a multi-armed bandit.

The library behind ``hpo-runner``: ``run(RunRequest(config="digits-mlp", num_trials=5, exp_time="12h"))``
assembles and executes a run as the command line does."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "Assembly",
    "InputError",
    "RunReport",
    "RunRequest",
    "SessionSettings",
    "assemble",
    "execute",
    "package_version",
    "run",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "RunRequest": "hpo_mab.assembly.request",
        "assemble": "hpo_mab.assembly.build",
        "Assembly": "hpo_mab.assembly.build",
        "execute": "hpo_mab.assembly.session",
        "run": "hpo_mab.assembly.session",
        "SessionSettings": "hpo_mab.assembly.session",
        "RunReport": "hpo_mab.assembly.session",
        "InputError": "hpo_mab.inputs.errors",
        "package_version": "hpo_mab.version",
    },
)
