"""Reading and validating what the user gives: config files, typed options, time strings, CLI values."""

from hpo_mab.lazy import lazy_exports

__all__ = [
    "HpConf",
    "InputError",
    "PoolSettings",
    "RunConf",
    "RunConfSchema",
    "describe",
    "json_schema",
    "load_hp_conf",
    "option",
    "parse_hp_conf",
    "parse_options",
    "parse_seconds",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "InputError": "hpo_mab.inputs.errors",
        "load_hp_conf": "hpo_mab.inputs.hp_conf",
        "parse_hp_conf": "hpo_mab.inputs.hp_conf",
        "HpConf": "hpo_mab.inputs.hp_conf",
        "RunConf": "hpo_mab.inputs.run_conf",
        "PoolSettings": "hpo_mab.inputs.run_conf",
        "RunConfSchema": "hpo_mab.inputs.run_conf",
        "parse_seconds": "hpo_mab.inputs.timestr",
        "option": "hpo_mab.inputs.options",
        "parse_options": "hpo_mab.inputs.options",
        "json_schema": "hpo_mab.inputs.options",
        "describe": "hpo_mab.inputs.options",
    },
)
