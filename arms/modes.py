"""The ``-m MODE -s SPEC`` pairs: which are available, and the arms and strategy each builds."""

from __future__ import annotations

from collections.abc import Callable

from hpo_mab.arms.bandits import EpsilonGreedy, Hedge, KnockOut, RoundRobin, UniformRandom
from hpo_mab.arms.strategy import Arm, SingleArm, Strategy
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.run_conf import ARM_ACQUISITIONS, MODELS, RunConf
from hpo_mab.optimizers.bayes import ModelArmOptimizer, ModelCache, Surrogate
from hpo_mab.optimizers.gp import GaussianProcess
from hpo_mab.optimizers.random_search import RandomSearch
from hpo_mab.optimizers.rf import DEFAULTS as RF_DEFAULTS
from hpo_mab.optimizers.rf import RandomForestSurrogate
from hpo_mab.optimizers.tpe import TPEOptimizer
from hpo_mab.optimizers.transforms import transform_of
from hpo_mab.searchspace.space import SearchSpace

DIV_SPECS = (
    "SEQ",
    "RANDOM",
    "HEDGE",
    "BO-HEDGE",
    "BO-HEDGE-T",
    "BO-HEDGE-LE",
    "BO-HEDGE-LET",
    "EG",
    "EG-LE",
    "GT",
    "GT-LE",
    "SKO",
)
AVAILABLE: dict[str, tuple[str, ...]] = {
    "RANDOM": ("RANDOM",),
    "DIV": DIV_SPECS,
    **{m: ARM_ACQUISITIONS[m.split("-")[0]] for m in MODELS if m not in ("RANDOM", "SOBOL", "NONE")},
    "BATCH": ("ASYNC", "SYNC"),
}
ALIASES = {"SOBOL": "RANDOM", "NONE": "RANDOM", "HYPEROPT": "TPE", "HO": "TPE", "ADA": "DIV"}
DEFAULT_MODE = "DIV"  # S-Div: round robin over the run_conf's arms, as in the original


def resolve_mode(mode: str | None, spec: str | None, time_penalty: bool = False) -> tuple[str, str]:
    """Normalised (mode, spec); unknown or not-yet-available values raise an InputError."""
    mode = (mode or DEFAULT_MODE).upper()
    mode = ALIASES.get(mode, mode)
    available = ", ".join(AVAILABLE)
    if mode not in AVAILABLE:
        raise InputError(f"expected one of {available}, got {mode!r}", key="-m/--mode")
    specs = AVAILABLE[mode]
    spec = (spec or specs[0]).upper()
    if spec not in specs:
        raise InputError(f"expected one of {', '.join(specs)} for mode {mode}, got {spec!r}", key="-s/--spec")
    if time_penalty and (spec != "EI" or mode.startswith(("TPE", "RANDOM", "DIV", "BATCH"))):
        raise InputError(f"applies to the EI of GP and RF arms, not to {mode}-{spec}", key="-tp/--time_penalty")
    return mode, spec


def surrogate_factories(run_conf: RunConf, space: SearchSpace) -> dict[str, Callable[[], Surrogate]]:
    """Constructors of the surrogate models, with the run_conf's model options."""
    gp = dict(run_conf.options.get("gp", {}))
    gp_options = {
        "mcmc_iters": int(gp.get("mcmc_iters", 0)),
        "noiseless": bool(gp.get("noiseless", False)),
        "max_obs": gp.get("max_obs"),
        "restarts": int(gp.get("restarts", 2)),
    }
    rf = dict(run_conf.options.get("rf", {}))
    rf_options = {
        "n_trees": int(rf.get("n_trees", RF_DEFAULTS["n_trees"])),
        "min_samples_split": int(rf.get("min_samples_split", RF_DEFAULTS["min_samples_split"])),
        "min_samples_leaf": int(rf.get("min_samples_leaf", RF_DEFAULTS["min_samples_leaf"])),
        "max_features": float(rf.get("max_features", RF_DEFAULTS["max_features"])),
        "max_depth": rf.get("max_depth", RF_DEFAULTS["max_depth"]),
    }
    return {
        "GP": lambda: GaussianProcess(**gp_options),
        "GP-NM": lambda: GaussianProcess(**{**gp_options, "noiseless": True, "mcmc_iters": 0}),
        "RF": lambda: RandomForestSurrogate(space.configspace, **rf_options),
    }


def arm_label(model: str, spec: str) -> str:
    """The arm's name in traces: ``MODEL_ACQ`` (``GP-HLE_EI``); random search is ``RANDOM``."""
    return "RANDOM" if model == "RANDOM" else f"{model}_{spec}"


def build_arm(
    model: str, spec: str, run_conf: RunConf, space: SearchSpace, cache: ModelCache, time_penalty: bool = False
) -> Arm:
    """One arm: model (with its transform) and acquisition, sharing fits through ``cache``."""
    if model == "RANDOM":
        return Arm("RANDOM", RandomSearch())
    alpha = float(run_conf.options.get("alpha", 0.3))
    transform = transform_of(model, alpha, str(run_conf.options.get("response_shaping", "none")))
    base = "GP-NM" if model == "GP-NM" else model.split("-")[0]
    if base == "TPE":
        tpe = dict(run_conf.options.get("tpe", {}))
        optimizer = TPEOptimizer(
            arm_label(model, spec),
            space,
            transform,
            random=spec == "RANDOM",
            n_startup_jobs=int(tpe.get("n_startup_jobs", 20)),
            gamma=float(tpe.get("gamma", 0.25)),
            n_ei_candidates=int(tpe.get("n_ei_candidates", 24)),
        )
        return Arm(optimizer.name, optimizer)
    if base not in cache.factories:
        raise InputError(f"model {model} is not available in this version", key="-m/--mode")
    optimizer = ModelArmOptimizer(
        arm_label(model, spec), base, transform, spec, cache, float(run_conf.options.get("kappa", 1.0)), time_penalty
    )
    return Arm(optimizer.name, optimizer)


def build_strategy(
    mode: str,
    spec: str,
    run_conf: RunConf,
    space: SearchSpace,
    time_penalty: bool = False,
    oracle: Callable[[int], float] | None = None,
) -> Strategy:
    """A fresh strategy (with its arms and model cache) for one repetition.

    ``oracle`` gives the true error of a candidate (lookup benchmarks), for ``BO-HEDGE-T``.
    """
    cache = ModelCache(surrogate_factories(run_conf, space))
    if mode != "DIV":
        return SingleArm(build_arm(mode, spec, run_conf, space, cache, time_penalty), cache)
    arms = [build_arm(model, acq, run_conf, space, cache) for model, acq in run_conf.arms]
    options = run_conf.options
    if spec == "SEQ":
        return RoundRobin(arms, cache, options)
    if spec == "RANDOM":
        return UniformRandom(arms, cache, options)
    if spec in ("EG", "EG-LE", "GT", "GT-LE"):
        return EpsilonGreedy(arms, cache, options, by_time=spec.startswith("GT"))
    if spec == "SKO":
        return KnockOut(arms, cache, options)
    truth = oracle if spec.endswith(("-T", "-LET")) else None
    return Hedge(arms, cache, options, oracle=truth, log_scale=spec.endswith(("-LE", "-LET")), name=spec)


def batch_members(run_conf: RunConf) -> list[tuple[str, str]]:
    """(mode, spec) of each BATCH strategy: the run_conf's ``bandits`` (one per worker), else DIV-SEQ."""
    bandits = run_conf.options.get("bandits") or [{"mode": DEFAULT_MODE, "spec": "SEQ"}]
    members = []
    for i, bandit in enumerate(bandits):
        mode, spec = resolve_mode(bandit["mode"], bandit["spec"])
        if mode == "BATCH":
            raise InputError("a BATCH member cannot itself be BATCH", run_conf.source, f"bandits[{i}].mode")
        members.append((mode, spec))
    return members
