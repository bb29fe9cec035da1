"""The registries of arms' models and of DIV strategies, and how an arm or a strategy is built.

A model entry names a surrogate family (``GP``, ``GP-NM``, ``RF``, ``TPE``, ``RANDOM``), its
options class, the acquisitions it pairs with and the cost transforms it takes as a suffix
(``GP-HLE``). A strategy entry names a DIV strategy (``-s SEQ``, ``HEDGE``, ...) with its options
class. Adding one is a class plus one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from hpo_mab.registry import Entry, Registry

if TYPE_CHECKING:  # the registries are read for help and validation without importing numpy
    from hpo_mab.arms.strategy import Arm, Strategy
    from hpo_mab.inputs.run_conf import RunConf
    from hpo_mab.optimizers.bayes import ModelCache, Surrogate
    from hpo_mab.optimizers.transforms import Transform
    from hpo_mab.searchspace.space import SearchSpace

TRANSFORMS = ("LE", "HLE")
GP_OPTIONS = "hpo_mab.optimizers.options:GPOptions"
RF_OPTIONS = "hpo_mab.optimizers.options:RFOptions"
TPE_OPTIONS = "hpo_mab.optimizers.options:TPEOptions"
OTPE_OPTIONS = "hpo_mab.optimizers.options:OptunaTPEOptions"
HEDGE_OPTIONS = "hpo_mab.arms.options:HedgeOptions"
EG_OPTIONS = "hpo_mab.arms.options:EpsilonGreedyOptions"
SKO_OPTIONS = "hpo_mab.arms.options:KnockOutOptions"
TS_OPTIONS = "hpo_mab.arms.options:ThompsonOptions"


class ArmContext(NamedTuple):
    """What building an arm needs: the run_conf's options, the space, the shared model cache."""

    run_conf: RunConf
    space: SearchSpace
    cache: ModelCache
    time_penalty: bool = False


def _model_arm(label: str, family: str, acquisition: str, transform: Transform, ctx: ArmContext) -> Any:
    from hpo_mab.optimizers.bayes import ModelArmOptimizer
    from hpo_mab.optimizers.options import AcquisitionOptions, RefineOptions
    from hpo_mab.optimizers.refine import Refiner

    kappa = float(ctx.run_conf.get(AcquisitionOptions).kappa)
    refine = ctx.run_conf.get(RefineOptions)
    refiner = Refiner(acquisition, kappa, int(refine.starts), int(refine.max_iter)) if refine.enabled else None
    return ModelArmOptimizer(label, family, transform, acquisition, ctx.cache, kappa, ctx.time_penalty, refiner)


def _tpe_arm(label: str, family: str, acquisition: str, transform: Transform, ctx: ArmContext) -> Any:
    from hpo_mab.optimizers.options import TPEOptions
    from hpo_mab.optimizers.tpe import TPEOptimizer

    return TPEOptimizer(label, ctx.space, transform, acquisition == "RANDOM", ctx.run_conf.get(TPEOptions))


def _optuna_tpe_arm(label: str, family: str, acquisition: str, transform: Transform, ctx: ArmContext) -> Any:
    from hpo_mab.optimizers.options import OptunaTPEOptions
    from hpo_mab.optimizers.optuna_tpe import OptunaTPEOptimizer

    return OptunaTPEOptimizer(label, ctx.space, transform, ctx.run_conf.get(OptunaTPEOptions))


def _random_arm(label: str, family: str, acquisition: str, transform: Transform, ctx: ArmContext) -> Any:
    from hpo_mab.optimizers.random_search import RandomSearch

    return RandomSearch()


def _gp(run_conf: RunConf, space: SearchSpace) -> Surrogate:
    from hpo_mab.optimizers.gp import GaussianProcess
    from hpo_mab.optimizers.options import GPOptions

    return GaussianProcess.from_options(run_conf.get(GPOptions))


def _gp_noiseless(run_conf: RunConf, space: SearchSpace) -> Surrogate:
    from dataclasses import replace

    from hpo_mab.optimizers.gp import GaussianProcess
    from hpo_mab.optimizers.options import GPOptions

    return GaussianProcess.from_options(replace(run_conf.get(GPOptions), noiseless=True, mcmc_iters=0))


def _rf(run_conf: RunConf, space: SearchSpace) -> Surrogate:
    from hpo_mab.optimizers.options import RFOptions
    from hpo_mab.optimizers.rf import RandomForestSurrogate

    return RandomForestSurrogate(space.configspace, run_conf.get(RFOptions))


MODEL_ACQUISITIONS = ("EI", "PI", "UCB")

MODELS: Registry[Callable[..., Any]] = Registry(
    "model",
    [
        Entry("RANDOM", _random_arm, None, "random search over the pool", ("SOBOL", "NONE"),
              {"acquisitions": ("RANDOM",)}),
        Entry(
            "GP", _model_arm, GP_OPTIONS, "Gaussian process (Matérn-5/2 ARD)", (),
            {"acquisitions": MODEL_ACQUISITIONS, "transforms": TRANSFORMS, "surrogate": _gp},
        ),
        Entry(
            "GP-NM", _model_arm, GP_OPTIONS, "noiseless GP, one hyperparameter sample", (),
            {"acquisitions": MODEL_ACQUISITIONS, "transforms": (), "surrogate": _gp_noiseless},
        ),
        Entry(
            "RF", _model_arm, RF_OPTIONS, "SMAC3's random forest", (),
            {"acquisitions": MODEL_ACQUISITIONS, "transforms": TRANSFORMS, "surrogate": _rf},
        ),
        Entry(
            "TPE", _tpe_arm, TPE_OPTIONS, "hyperopt's TPE (EI) or its random sampler (RANDOM)", ("HYPEROPT", "HO"),
            {"acquisitions": ("EI", "RANDOM"), "transforms": TRANSFORMS},
        ),
        Entry(
            "OTPE", _optuna_tpe_arm, OTPE_OPTIONS, "Optuna's TPESampler (multivariate)", (),
            {"acquisitions": ("EI",), "transforms": TRANSFORMS},
        ),
    ],
)  # fmt: skip


def _hedge(oracle_credit: bool = False, log_scale: bool = False) -> Callable[..., Strategy]:
    def build(name: str, arms: list[Arm], models: ModelCache, options: Any, oracle: Any) -> Strategy:
        from hpo_mab.arms.bandits import Hedge

        return Hedge(arms, models, options, oracle=oracle if oracle_credit else None, log_scale=log_scale, name=name)

    return build


def _egreedy(by_time: bool) -> Callable[..., Strategy]:
    def build(name: str, arms: list[Arm], models: ModelCache, options: Any, oracle: Any) -> Strategy:
        from hpo_mab.arms.bandits import EpsilonGreedy

        return EpsilonGreedy(arms, models, options, by_time=by_time)

    return build


def _plain(cls: str) -> Callable[..., Strategy]:
    def build(name: str, arms: list[Arm], models: ModelCache, options: Any, oracle: Any) -> Strategy:
        from hpo_mab.arms import bandits

        return getattr(bandits, cls)(arms, models, options)

    return build


ORACLE = {"oracle": True}  # credits the true error of every nominee: only benchmarks can tell it
STRATEGIES: Registry[Callable[..., Strategy]] = Registry(
    "strategy",
    [
        Entry("SEQ", _plain("RoundRobin"), None, "round robin over the arms, in run_conf order (S-Div)"),
        Entry("RANDOM", _plain("UniformRandom"), None, "a uniformly random arm every step (R-Div)"),
        Entry("HEDGE", _hedge(), HEDGE_OPTIONS, "GP-Hedge, every nominee credited by its arm's refitted model"),
        Entry("BO-HEDGE", _hedge(), HEDGE_OPTIONS, "as HEDGE"),
        Entry("BO-HEDGE-T", _hedge(oracle_credit=True), HEDGE_OPTIONS, "GP-Hedge by true errors", facts=ORACLE),
        Entry("BO-HEDGE-LE", _hedge(log_scale=True), HEDGE_OPTIONS, "GP-Hedge credited on the log-error scale"),
        Entry("BO-HEDGE-LET", _hedge(True, True), HEDGE_OPTIONS, "GP-Hedge, true log errors", facts=ORACLE),
        Entry("EG", _egreedy(False), EG_OPTIONS, "epsilon-greedy on quantile rewards"),
        Entry("EG-LE", _egreedy(False), EG_OPTIONS, "as EG (its reward is already scale-free)"),
        Entry("GT", _egreedy(True), EG_OPTIONS, "greedy-time: epsilon decays with the clock"),
        Entry("GT-LE", _egreedy(True), EG_OPTIONS, "as GT"),
        Entry("SKO", _plain("KnockOut"), SKO_OPTIONS, "round robin, the worst arm knocked out periodically"),
        Entry("TS", _plain("ThompsonSampling"), TS_OPTIONS, "Thompson sampling on discounted top-share successes"),
    ],
)  # fmt: skip


def model_family(model: str) -> tuple[Entry, str]:
    """(registry entry, transform suffix) of a model name such as ``GP-HLE``; KeyError if unknown."""
    if model in MODELS:
        return MODELS[model], ""
    family, _, suffix = model.rpartition("-")
    if family in MODELS and suffix in MODELS[family].facts.get("transforms", ()):
        return MODELS[family], suffix
    raise KeyError(model)


def model_names(aliases: bool = True) -> list[str]:
    """Every model name of an arm (``GP``, ``GP-NM``, ``GP-LE``, ...), grouped by family, in help order.

    ``aliases``: also the random model's old names (SOBOL, NONE), as run_conf arms accept them.
    """
    groups: dict[str, list[str]] = {}
    for entry in MODELS:
        group = groups.setdefault(entry.name.split("-")[0], [])
        group.append(entry.name)
        if aliases and entry.name == "RANDOM":
            group.extend(entry.aliases)
    for entry in MODELS:
        groups[entry.name.split("-")[0]] += [f"{entry.name}-{t}" for t in entry.facts.get("transforms", ())]
    return [name for group in groups.values() for name in group]


def acquisitions_of(model: str) -> tuple[str, ...]:
    """The acquisitions a model pairs with."""
    return model_family(model)[0].facts["acquisitions"]


def arm_label(model: str, spec: str) -> str:
    """The arm's name in traces: ``MODEL_ACQ`` (``GP-HLE_EI``); random search is ``RANDOM``."""
    return "RANDOM" if model == "RANDOM" else f"{model}_{spec}"


def surrogate_factories(run_conf: RunConf, space: SearchSpace) -> dict[str, Callable[[], Surrogate]]:
    """Constructors of the surrogate models, with the run_conf's model options."""
    return {e.name: partial(e.facts["surrogate"], run_conf, space) for e in MODELS if "surrogate" in e.facts}


def build_arm(model: str, spec: str, ctx: ArmContext) -> Arm:
    """One arm: model (with its transform) and acquisition, sharing fits through ``ctx.cache``."""
    from hpo_mab.arms.strategy import Arm
    from hpo_mab.optimizers.options import TransformOptions
    from hpo_mab.optimizers.transforms import transform_of

    entry, _ = model_family(model)
    shaping = ctx.run_conf.get(TransformOptions)
    transform = transform_of(model, float(shaping.alpha), str(shaping.response_shaping))
    label = arm_label(model, spec)
    return Arm(label, entry.factory(label, entry.name, spec, transform, ctx))


def build_single_arm(model: str, spec: str, run_conf: RunConf, space: SearchSpace, time_penalty: bool) -> Strategy:
    """The strategy of a single-arm mode (``-m GP -s EI``)."""
    from hpo_mab.arms.strategy import SingleArm
    from hpo_mab.optimizers.bayes import ModelCache

    cache = ModelCache(surrogate_factories(run_conf, space))
    return SingleArm(build_arm(model, spec, ArmContext(run_conf, space, cache, time_penalty)), cache)


def build_div(spec: str, run_conf: RunConf, space: SearchSpace, oracle: Callable[[int], float] | None) -> Strategy:
    """The strategy of ``-m DIV -s SPEC`` over the run_conf's arms (``oracle``: true errors, benchmarks only)."""
    from hpo_mab.optimizers.bayes import ModelCache

    cache = ModelCache(surrogate_factories(run_conf, space))
    ctx = ArmContext(run_conf, space, cache)
    arms = [build_arm(model, acq, ctx) for model, acq in run_conf.arms]
    entry = STRATEGIES[spec]
    cls = entry.options_class()
    options = run_conf.get(cls) if cls is not None else None
    return entry.factory(entry.name, arms, cache, options, oracle)
