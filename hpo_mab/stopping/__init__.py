"""Early termination: rules that watch a trial's learning curve and may stop (or pause) it."""

from hpo_mab.stopping.base import NO_RULE, NoRule, Rule

__all__ = ["NO_RULE", "NoRule", "Rule"]
