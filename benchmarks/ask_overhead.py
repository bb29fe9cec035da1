"""Time of one suggestion per arm (fit + acquisition over a 20,000-candidate pool, 9 hyperparameters).

    python benchmarks/ask_overhead.py [--sizes 100 200 500] [--steps 9] [--warmup 6] [--pool 20000] [--no-peers]
        [--cpu] [--blas-threads 1] [--only NAME ...]

For each history size n, every arm proposes ``--steps`` times in a row, the history growing by one
evaluation between proposals, and the median, p90 and mean of those proposal times are printed.
``--only`` names the systems to time as the table does ("hpo-mab DIV-HEDGE (7 arms)", "Optuna
GPSampler"). Our systems' steps are interleaved (step k of each in turn), so that a busy machine
slows them alike; ``--cpu`` times them by the process's CPU time instead (preemption on a shared
machine left out). Our systems run on ``--blas-threads`` BLAS threads, one by default, as in a run
of ``hpo_runner.py``. The timed steps start in the state a real run reaches: ``--warmup`` untimed
steps first (at least one per arm of a DIV strategy), so every arm's model has been fitted
(hyperparameters, warm starts, the pool's correlations) and a Hedge strategy has its previous
nominees pending, to be credited by the refitted models in the first timed step. DIV strategies
run over the default seven arms (the six GP-HLE/RF-HLE arms and OTPE, Optuna's TPE); DIV-HEDGE also
over the original six. A last table gives the ratios that the targets are about: a DIV-HEDGE step
over a GP-EI step, and Optuna's GPSampler over our GP steps.
With the optional ``bench`` extra installed (``pip install -e ".[bench]"`` plus ``torch==2.13.0``
for Optuna's GPSampler), the same is measured for Optuna's GPSampler and TPESampler,
scikit-optimize's gp_hedge and SMAC3's HPO facade (ask after tell, on the same history). Times are
wall-clock on a shared machine: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.assembly.methods import method_of, resolve_mode  # noqa: E402
from hpo_mab.inputs.run_conf import DEFAULT_ARMS, ORIGINAL_ARMS, RunConf  # noqa: E402
from hpo_mab.optimizers.base import History  # noqa: E402
from hpo_mab.peers.optimizers import optuna_distributions, skopt_dimensions  # noqa: E402
from hpo_mab.searchspace.hyperparams import HyperParameter  # noqa: E402
from hpo_mab.searchspace.space import CandidatePool, SearchSpace  # noqa: E402

SPACE = SearchSpace(
    [
        HyperParameter("lr", "float", "continuous", (-5, -1), power_of=10),
        HyperParameter("weight_decay", "float", "continuous", (1e-6, 1e-2), log=True),
        HyperParameter("dropout", "float", "continuous", (0.0, 0.5)),
        HyperParameter("momentum", "float", "continuous", (0.5, 0.99)),
        HyperParameter("n_layers", "int", "discrete", (1, 8)),
        HyperParameter("width", "int", "discrete", (5, 9), power_of=2),
        HyperParameter("batch_size", "int", "preordered", (16, 32, 64, 128, 256)),
        HyperParameter("optimizer", "str", "categorical", ("adam", "sgd", "rmsprop")),
        HyperParameter("activation", "str", "categorical", ("relu", "tanh")),
    ]
)
ArmSet = tuple[tuple[str, str], ...]
# (model, spec, the arms of a DIV strategy): the default seven (six GP/RF-HLE arms and OTPE) and the original six
ARMS: list[tuple[str, str, ArmSet]] = [
    ("GP", "EI", ()),
    ("GP-HLE", "EI", ()),
    ("GP", "UCB", ()),
    ("RF", "EI", ()),
    ("RF-HLE", "EI", ()),
    ("TPE", "EI", ()),
    ("OTPE", "EI", ()),
    ("RANDOM", "RANDOM", ()),
    ("DIV", "SEQ", DEFAULT_ARMS),
    ("DIV", "HEDGE", ORIGINAL_ARMS),
    ("DIV", "HEDGE", DEFAULT_ARMS),
]


def error_of(config: dict) -> float:
    """A smooth synthetic error with categorical effects, in (0, 1)."""
    value = (
        0.02 * (np.log10(config["lr"]) + 2.5) ** 2
        + 0.3 * config["dropout"] ** 2
        + 0.05 * (config["optimizer"] == "sgd")
        + 0.01 * abs(np.log2(config["width"]) - 7)
        + 0.005 * config["n_layers"]
        + 0.02 * abs(np.log10(config["weight_decay"]) + 4)
    )
    return float(0.02 + value)


def synthetic_problem(pool_size: int) -> tuple[CandidatePool, np.ndarray, np.ndarray]:
    """The benchmark's pool (Sobol, seed 1), every candidate's error and the order the history grows in."""
    pool = CandidatePool.sample(SPACE, pool_size, "sobol", seed=1)
    errors = np.array([error_of(pool.config(i)) for i in range(len(pool))])
    return pool, errors, np.random.default_rng(7).permutation(len(pool))


def summary(times: list[float]) -> tuple[float, float, float]:
    """Median, p90 and mean in milliseconds."""
    ms = np.array(times) * 1000
    return float(np.median(ms)), float(np.percentile(ms, 90)), float(ms.mean())


def arm_steps(
    model: str,
    spec: str,
    arm_set: ArmSet,
    pool: CandidatePool,
    errors: np.ndarray,
    order: np.ndarray,
    n: int,
    steps: int,
    warmup: int,
    cpu: bool = False,
) -> Iterator[float]:
    """Times of the steps (propose + update) of one of our arms, or of a DIV strategy over ``arm_set``, one by one.

    The history grows along a fixed random order, so every system sees the same data; ``warmup``
    untimed steps (at least one per arm) bring the strategy to the state of a real run, then steps
    are timed at history sizes n .. n + steps - 1 (``cpu``: the process's CPU time, not wall time).
    """
    run_conf = RunConf(arms=arm_set or DEFAULT_ARMS)
    (strategy,) = method_of(*resolve_mode(model, spec), run_conf).strategies(run_conf, SPACE, False, None)
    rng = np.random.default_rng(0)
    history = History()
    pool.reset()
    warmup = max(warmup, len(strategy.arms))
    for position in order[: n - warmup]:
        history.add(int(position), float(errors[position]), 100.0)
        pool.remaining[position] = False
    clock = time.process_time if cpu else time.perf_counter
    for step in range(warmup + steps):
        start = clock()
        decision = strategy.propose(len(history), history, pool, rng, 0.0)
        position = decision.proposal.position
        strategy.update(decision, float(errors[position]), history)
        elapsed = clock() - start
        history.add(position, float(errors[position]), 100.0)
        pool.remaining[position] = False
        if step >= warmup:  # the warm-up: imports, first fits with restarts, every arm's model fitted
            yield elapsed


def time_arms(
    arms: list[tuple[str, str, ArmSet]], pool: CandidatePool, errors: np.ndarray, order: np.ndarray, n: int, args
) -> list[list[float]]:
    """The step times of several of our systems at size n, their steps interleaved (step k of each, in turn),
    so that a busy machine slows them alike and their ratios hold."""
    runs = [
        arm_steps(m, s, a, pool.fresh_copy(), errors, order, n, args.steps, args.warmup, args.cpu) for m, s, a in arms
    ]
    times: list[list[float]] = [[] for _ in arms]
    with threadpool_limits(args.blas_threads, user_api="blas"):
        for _ in range(args.steps):
            for run, out in zip(runs, times, strict=True):
                out.append(next(run))
    return times


def time_optuna(sampler_name: str, configs: list[dict], errors: list[float], n: int, steps: int) -> list[float]:
    """ask() + sampling every parameter, after n - 1 .. told trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.GPSampler(seed=0) if sampler_name == "gp" else optuna.samplers.TPESampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    dists = optuna_distributions(SPACE)
    for config, err in zip(configs[: n - 1], errors[: n - 1], strict=True):
        study.add_trial(optuna.trial.create_trial(params=config, distributions=dists, value=err))
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        trial = study.ask(dists)
        elapsed = time.perf_counter() - start
        study.tell(trial, errors[n - 1 + step])
        if step > 0:  # the first ask is the warm-up
            times.append(elapsed)
    return times


def time_skopt(configs: list[dict], errors: list[float], n: int, steps: int) -> list[float]:
    """tell(one point) + ask() of skopt's Optimizer(GP, gp_hedge)."""
    from skopt import Optimizer

    dims = skopt_dimensions(SPACE)
    opt = Optimizer(dims, base_estimator="GP", acq_func="gp_hedge", random_state=0, n_initial_points=1)
    points = [[c[hp.name] for hp in SPACE.hyperparams] for c in configs]
    opt.tell(points[: n - 2], errors[: n - 2])
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        opt.tell(points[n - 2 + step], errors[n - 2 + step])
        opt.ask()
        if step > 0:
            times.append(time.perf_counter() - start)
    return times


def time_smac(configs: list[dict], errors: list[float], n: int, steps: int) -> list[float]:
    """ask() of SMAC3's HPO facade after telling n - 1 .. trials (its per-ask cost is spiky: see mean)."""
    from ConfigSpace import Configuration
    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.runhistory.dataclasses import TrialInfo, TrialValue

    cs = SPACE.to_configspace(seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(cs, deterministic=True, n_trials=n + steps + 10, seed=0, output_directory=Path(tmp))
        facade = HyperparameterOptimizationFacade(
            scenario,
            lambda config, seed=0: 0.0,
            initial_design=HyperparameterOptimizationFacade.get_initial_design(scenario, n_configs=1),
            overwrite=True,
            logging_level=40,
        )
        for config, err in zip(configs[: n - 1], errors[: n - 1], strict=True):
            facade.tell(TrialInfo(Configuration(cs, values=config), seed=0), TrialValue(cost=err))
        times = []
        for step in range(steps + 1):
            start = time.perf_counter()
            info = facade.ask()
            elapsed = time.perf_counter() - start
            facade.tell(info, TrialValue(cost=errors[n - 1 + step]))
            if step > 0:
                times.append(elapsed)
    return times


def label(model: str, spec: str, arm_set: ArmSet) -> str:
    """The table's name of one of our systems."""
    name = f"hpo-mab {model}-{spec}" if model != "RANDOM" else "hpo-mab RANDOM"
    return name + (f" ({len(arm_set)} arms)" if model == "DIV" else "")


def peers() -> dict[str, Callable]:
    """The peer systems importable here."""
    found = {}
    with contextlib.suppress(ImportError):
        import optuna  # noqa: F401

        found["Optuna TPESampler"] = lambda c, e, n, s: time_optuna("tpe", c, e, n, s)
        with contextlib.suppress(ImportError):
            import torch  # noqa: F401

            found["Optuna GPSampler"] = lambda c, e, n, s: time_optuna("gp", c, e, n, s)
    with contextlib.suppress(ImportError):
        import skopt  # noqa: F401

        found["skopt gp_hedge"] = time_skopt
    with contextlib.suppress(ImportError):
        import smac  # noqa: F401

        found["SMAC3 HPO facade"] = time_smac
    return found


def main() -> None:
    """Print the table (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500])
    parser.add_argument("--steps", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=6, help="untimed steps first (at least one per arm)")
    parser.add_argument("--cpu", action="store_true", help="our systems' CPU time instead of wall time (busy machines)")
    parser.add_argument(
        "--blas-threads", type=int, default=1, help="BLAS threads of our systems (1: as a run of hpo_runner.py)"
    )
    parser.add_argument("--pool", type=int, default=20000)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="arm or peer names to run (default: all)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("smac").setLevel(logging.ERROR)
    pool, errors, order = synthetic_problem(args.pool)
    need = max(args.sizes) + args.steps + 2
    configs = [pool.config(int(i)) for i in order[:need]]
    errs = [float(errors[i]) for i in order[:need]]
    rows = []
    ours = [(m, s, a, label(m, s, a)) for m, s, a in ARMS if not args.only or label(m, s, a) in args.only]
    for n in args.sizes:
        timed = time_arms([(m, s, a) for m, s, a, _ in ours], pool, errors, order, n, args)
        for (*_, name), times in zip(ours, timed, strict=True):
            rows.append((name, n, *summary(times)))
            print(f"  {rows[-1][0]} @{n}: {rows[-1][2]:.1f} ms", file=sys.stderr, flush=True)
    for name, timer in ({} if args.no_peers else peers()).items():
        if args.only and name not in args.only:
            continue
        for n in args.sizes:
            rows.append((name, n, *summary(timer(configs, errs, n, args.steps))))
            print(f"  {rows[-1][0]} @{n}: {rows[-1][2]:.1f} ms", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows, columns=["system", "n", "median", "p90", "mean"])
    wide = table.pivot_table(index="system", columns="n", values=["median", "p90", "mean"], sort=False)
    print(
        f"| system (ms per suggestion, pool {args.pool}, 9 hyperparameters) | "
        + " | ".join(f"n={n} median / p90 / mean" for n in args.sizes)
        + " |"
    )
    print("|---|" + "---|" * len(args.sizes))
    for system in dict.fromkeys(table["system"]):
        cells = [
            f"{wide.loc[system, ('median', n)]:.1f} / {wide.loc[system, ('p90', n)]:.1f} / "
            f"{wide.loc[system, ('mean', n)]:.1f}"
            for n in args.sizes
        ]
        print(f"| {system} | " + " | ".join(cells) + " |")
    print_ratios(wide, args.sizes)


RATIOS = [
    ("DIV-HEDGE (7 arms) step / GP-EI step (target <= 2)", "hpo-mab DIV-HEDGE (7 arms)", "hpo-mab GP-EI"),
    ("DIV-HEDGE (6 arms) step / GP-EI step (target <= 2)", "hpo-mab DIV-HEDGE (6 arms)", "hpo-mab GP-EI"),
    ("Optuna GPSampler / GP-EI step (target >= 5)", "Optuna GPSampler", "hpo-mab GP-EI"),
    ("Optuna GPSampler / GP-HLE-EI step (target >= 5)", "Optuna GPSampler", "hpo-mab GP-HLE-EI"),
]


def print_ratios(wide: pd.DataFrame, sizes: list[int]) -> None:
    """The targets' ratios (median and mean) for the systems measured."""
    lines = []
    for label, top, bottom in RATIOS:
        if top not in wide.index or bottom not in wide.index:
            continue
        cells = [
            f"{wide.loc[top, ('median', n)] / wide.loc[bottom, ('median', n)]:.2f} / "
            f"{wide.loc[top, ('mean', n)] / wide.loc[bottom, ('mean', n)]:.2f}"
            for n in sizes
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if lines:
        print()
        print("| ratio | " + " | ".join(f"n={n} median / mean" for n in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
        print("\n".join(lines))


if __name__ == "__main__":
    main()
