"""The run_conf options of the optimizers: each model's section and the arm-level settings.

Declared apart from the models so that reading a run_conf (or rendering the CLI help) does not
import numpy/scipy; each model reads its own class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import AllOf, AtLeast, AtMost, Flag, Interval, Nullable, Number, OneOf, option

SHAPING = {"none": "", "log_err": "LE", "hybrid_log": "HLE"}
# Limits (README "Limits"): each bounds the work of one proposal, which the pool multiplies
MAX_MCMC_ITERS = 100  # GP posteriors over the pool per step
MAX_RESTARTS = 100  # L-BFGS-B runs per hyperparameter fit
MAX_TREES = 1000  # trees of the forest, each fitted and evaluated over the pool per step
MAX_EI_CANDIDATES = 10_000  # TPE samples scored per proposal
MAX_KAPPA = 1000.0  # UCB weight of sigma
MAX_REFINE_STARTS = 100  # local optimisations of the acquisition per proposal
MAX_REFINE_ITER = 1000  # iterations of each


@dataclass(frozen=True)
class GPOptions:
    """run_conf ``gp: {...}``: the Gaussian process of the GP arms."""

    SECTION: ClassVar[str] = "gp"
    mcmc_iters: int = option(
        0, AllOf((AtLeast(0), AtMost(MAX_MCMC_ITERS))), "slice-sampled hyperparameter samples (0: MAP)"
    )
    noiseless: bool = option(False, Flag(numeric=True), "fix the noise at 1e-6")
    max_obs: int | None = option(None, Nullable(AtLeast(1)), "fit on a random subset of this many observations")
    covar: str = option("Matern52", OneOf(("Matern52",)), "kernel")
    restarts: int = option(
        2, AllOf((AtLeast(0), AtMost(MAX_RESTARTS))), "random restarts of the MAP fit (first fit and every 10th)"
    )


@dataclass(frozen=True)
class RFOptions:
    """run_conf ``rf: {...}``: the forest of the RF arms."""

    SECTION: ClassVar[str] = "rf"
    n_trees: int = option(
        10, AllOf((Number(positive=True, integer=True), AtMost(MAX_TREES))), "trees (SMAC3's HPO facade: 10)"
    )
    max_depth: int | None = option(None, Nullable(Number(positive=True, integer=True)), "depth limit (none)")
    min_samples_split: int = option(2, Number(positive=True, integer=True), "samples to split a node")
    min_samples_leaf: int = option(1, Number(positive=True, integer=True), "samples in a leaf")
    max_features: float = option(
        1.0, Interval(0, 1, high_open=False, what="a fraction", number_first=False), "features per split"
    )


@dataclass(frozen=True)
class TPEOptions:
    """run_conf ``tpe: {...}``: hyperopt's TPE settings."""

    SECTION: ClassVar[str] = "tpe"
    n_startup_jobs: int = option(20, Number(positive=True, integer=True), "random proposals before TPE")
    gamma: float = option(0.25, Interval(0, 1, number_first=False), "share of the history that is 'good'")
    n_ei_candidates: int = option(
        24, AllOf((Number(positive=True, integer=True), AtMost(MAX_EI_CANDIDATES))), "candidates scored per proposal"
    )


@dataclass(frozen=True)
class OptunaTPEOptions:
    """run_conf ``otpe: {...}``: Optuna's TPESampler settings (its defaults; multivariate as Optuna 5)."""

    SECTION: ClassVar[str] = "otpe"
    multivariate: bool = option(True, Flag(numeric=True), "model the parameters jointly")
    group: bool = option(False, Flag(numeric=True), "split the space into groups of parameters sampled together")
    n_startup_trials: int = option(10, Number(positive=True, integer=True), "random proposals before TPE")
    n_ei_candidates: int = option(
        24, AllOf((Number(positive=True, integer=True), AtMost(MAX_EI_CANDIDATES))), "candidates scored per proposal"
    )


@dataclass(frozen=True)
class TransformOptions:
    """run_conf ``alpha`` (HLE's breakpoint) and ``response_shaping`` (the transform of plain GP/RF/TPE arms)."""

    SECTION: ClassVar[str | None] = None
    response_shaping: str = option("none", OneOf(tuple(SHAPING)), "transform of arms without -LE/-HLE")
    alpha: float = option(0.3, AllOf((Number(positive=True), Interval(0, 1))), "HLE: linear above, log below")


@dataclass(frozen=True)
class AcquisitionOptions:
    """run_conf ``kappa``: UCB's weight of the standard deviation."""

    SECTION: ClassVar[str | None] = None
    kappa: float = option(1.0, AllOf((Number(positive=True), AtMost(MAX_KAPPA))), "UCB = -mu + kappa * sigma")


@dataclass(frozen=True)
class RefineOptions:
    """run_conf ``refine: {...}``: the model arms' proposals beyond the candidate pool (continuous spaces).

    Where any configuration can be evaluated (an analytic function, a YAHPO model, a real
    objective), each GP/RF arm refines its best pool candidates by a local optimisation of its
    acquisition over the continuous (float) parameters, integer and categorical ones kept at the
    start's values: L-BFGS-B with the GP's analytic gradients, rounds of shrinking perturbations
    for the forest. TPE arms propose their own configuration instead of the nearest pool one.
    A lookup table's rows stay the only candidates. On by default; ``enabled: false`` keeps every
    proposal in the pool.
    """

    SECTION: ClassVar[str] = "refine"
    enabled: bool = option(
        True, Flag(numeric=True), "propose configurations off the pool where the space is continuous (tables: rows)"
    )
    starts: int = option(
        5, AllOf((Number(positive=True, integer=True), AtMost(MAX_REFINE_STARTS))), "pool candidates refined per step"
    )
    max_iter: int = option(
        50, AllOf((Number(positive=True, integer=True), AtMost(MAX_REFINE_ITER))), "iterations (rounds) per start"
    )
