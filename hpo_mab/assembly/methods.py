"""``-m MODE -s SPEC``: which pairs exist, and the strategies a resolved method builds per worker.

A mode is a single arm (a model of the arms' registry: ``GP``, ``GP-HLE``, ``TPE``, ``RANDOM``,
with an acquisition as spec), ``DIV`` (the run_conf's arms under a DIV strategy as spec) or
``BATCH`` (``SYNC``/``ASYNC`` workers, each with the strategy of a run_conf ``bandits`` entry). The
spec is interpreted here once; everything after works with a ``Method``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from hpo_mab.arms.catalog import STRATEGIES, acquisitions_of, build_div, build_single_arm, model_names
from hpo_mab.inputs.errors import InputError

if TYPE_CHECKING:  # modes are resolved (and listed in the CLI help) without importing numpy
    from hpo_mab.arms.strategy import Strategy
    from hpo_mab.inputs.run_conf import RunConf
    from hpo_mab.searchspace.space import SearchSpace

DEFAULT_MODE = "DIV"
DEFAULT_SPECS = {"DIV": "TS"}  # measured the most robust by benchmarks/quality.py (README "Quality suite")
BATCH_SPECS = ("ASYNC", "SYNC")
ALIASES = {"SOBOL": "RANDOM", "NONE": "RANDOM", "HYPEROPT": "TPE", "HO": "TPE", "ADA": "DIV"}


def available() -> dict[str, tuple[str, ...]]:
    """Every mode and its specs, in help order."""
    singles = {m: acquisitions_of(m) for m in model_names(aliases=False) if m != "RANDOM"}
    return {"RANDOM": ("RANDOM",), "DIV": tuple(STRATEGIES.names()), **singles, "BATCH": BATCH_SPECS}


def resolve_mode(mode: str | None, spec: str | None, time_penalty: bool = False) -> tuple[str, str]:
    """Normalised (mode, spec); unknown values raise an InputError."""
    modes = available()
    mode = (mode or DEFAULT_MODE).upper()
    mode = ALIASES.get(mode, mode)
    if mode not in modes:
        raise InputError(f"expected one of {', '.join(modes)}, got {mode!r}", key="-m/--mode")
    specs = modes[mode]
    spec = (spec or DEFAULT_SPECS.get(mode, specs[0])).upper()
    if spec not in specs:
        raise InputError(f"expected one of {', '.join(specs)} for mode {mode}, got {spec!r}", key="-s/--spec")
    if time_penalty and (spec != "EI" or mode.startswith(("TPE", "OTPE", "RANDOM", "DIV", "BATCH"))):
        raise InputError(f"applies to the EI of GP and RF arms, not to {mode}-{spec}", key="-tp/--time_penalty")
    return mode, spec


class Method(NamedTuple):
    """A resolved mode/spec: the (mode, spec) of each worker's strategy, or a peer system."""

    mode: str
    spec: str
    members: tuple[tuple[str, str], ...]
    peer: str | None = None

    @property
    def sync(self) -> bool:
        """BATCH SYNC: every worker proposes together, the batch waits for its slowest trial."""
        return self.mode == "BATCH" and self.spec == "SYNC"

    @property
    def batch(self) -> bool:
        """BATCH: workers with their own strategies."""
        return self.mode == "BATCH"

    def needs_oracle(self) -> bool:
        """True when a member strategy credits the true error of nominees (only benchmarks know it)."""
        return any(m == "DIV" and STRATEGIES[s].facts.get("oracle") for m, s in self.members)

    def strategies(
        self,
        run_conf: RunConf,
        space: SearchSpace,
        time_penalty: bool,
        oracle: Callable[[int], float] | None,
        max_epoch: int | None = None,
    ) -> list[Strategy]:
        """Fresh strategies (with their arms and model caches) for one repetition, one per member."""
        if self.peer is not None:
            from hpo_mab.arms.strategy import Arm, SingleArm
            from hpo_mab.peers.optimizers import make_peer

            return [SingleArm(Arm(self.peer, make_peer(self.peer, space, max_epoch)))]
        out = []
        for mode, spec in self.members:
            if mode == "DIV":
                out.append(build_div(spec, run_conf, space, oracle))
            else:
                out.append(build_single_arm(mode, spec, run_conf, space, time_penalty))
        return out


def method_of(mode: str, spec: str, run_conf: RunConf, peer: str | None = None) -> Method:
    """The method of a resolved (mode, spec): BATCH members come from the run_conf's ``bandits``
    (checked whatever the mode, so that a mistake there is named even when it is not used)."""
    members = bandit_members(run_conf)
    if mode != "BATCH":
        return Method(mode, spec, ((mode, spec),), peer)
    return Method(mode, spec, members, peer)


def bandit_members(run_conf: RunConf) -> tuple[tuple[str, str], ...]:
    """The (mode, spec) of each run_conf ``bandits`` entry (default one DIV-SEQ), errors at ``bandits[i]``."""
    bandits = run_conf.bandits or ((DEFAULT_MODE, "SEQ"),)
    members = []
    for i, (member_mode, member_spec) in enumerate(bandits):
        try:
            resolved = resolve_mode(member_mode, member_spec)
        except InputError as exc:
            field = "mode" if exc.key == "-m/--mode" else "spec"
            raise InputError(exc.message, run_conf.source, f"bandits[{i}].{field}") from None
        if resolved[0] == "BATCH":
            raise InputError("a BATCH member cannot itself be BATCH", run_conf.source, f"bandits[{i}].mode")
        members.append(resolved)
    return tuple(members)
