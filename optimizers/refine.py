"""Refinement of a model arm's proposal beyond the candidate pool, where the space is continuous.

The arm's best pool candidates (by acquisition value) and the incumbent are starting points of a
local optimisation of the acquisition over the float parameters; integer and categorical
parameters keep the start's values, so every result is a valid configuration:

* a GP (``predict_gradient``): L-BFGS-B in the unit encoding with the analytic gradient of the
  acquisition (through the posterior mean and standard deviation);
* any other surrogate (the forest, piecewise constant): rounds of Gaussian perturbations of the
  float coordinates around each start's best point, their scale halved every round.

The configuration is rebuilt from the optimised unit coordinates (``HyperParameter.from_unit``)
and scored again at its own encoding, which is what the models see once it is evaluated; the
result is deterministic for the repetition's random stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from hpo_mab.optimizers.acquisitions import SIGMA_FLOOR, acquisition, acquisition_gradient
from hpo_mab.searchspace.space import CandidatePool, SearchSpace

PERTURBATION_ROUNDS = 8
PERTURBATIONS = 16  # per start and round
FIRST_SCALE = 0.1  # of the unit coordinates


@dataclass(frozen=True)
class Refined:
    """A configuration off the pool, its acquisition value, and the id of the candidate it was refined from."""

    config: dict
    value: float
    start: int


def float_columns(space: SearchSpace) -> list[int]:
    """Indices of the float (continuous, not choice) parameters, in the unit encoding and in ``space.hyperparams``."""
    out, column = [], 0
    for hp in space.hyperparams:
        if hp.type == "float" and not hp.is_choice:
            out.append(column)
        column += hp.width
    return out


def float_parameters(space: SearchSpace) -> list[int]:
    """Indices in ``space.hyperparams`` of the float parameters (in the order of ``float_columns``)."""
    return [i for i, hp in enumerate(space.hyperparams) if hp.type == "float" and not hp.is_choice]


def config_at(space: SearchSpace, config: dict, units: np.ndarray) -> dict:
    """``config`` with its float parameters at the unit coordinates ``units`` (in ``float_columns`` order)."""
    out = dict(config)
    for index, u in zip(float_parameters(space), units, strict=True):
        hp = space.hyperparams[index]
        out[hp.name] = hp.from_unit(np.array([u]))[0]
    return out


@dataclass
class Refiner:
    """Refines the proposals of one arm (its acquisition, kappa) with a fitted surrogate."""

    acquisition: str
    kappa: float
    starts: int
    max_iter: int

    def refine(
        self,
        surrogate: object,
        best: float,
        pool: CandidatePool,
        start_positions: list[int],
        rng: np.random.Generator,
    ) -> Refined | None:
        """The best configuration found from ``start_positions`` (pool or history positions), or None."""
        space = pool.space
        columns = float_columns(space)
        if not columns or not start_positions:
            return None
        kind = getattr(surrogate, "representation", "unit")
        unit_rows = pool.rows(start_positions, "unit")
        if hasattr(surrogate, "predict_gradient") and kind == "unit":
            points = [self._lbfgsb(surrogate, best, row, columns) for row in unit_rows]
        else:
            points = self._perturb(surrogate, best, pool, start_positions, unit_rows, columns, rng)
        configs = [config_at(space, pool.config(p), z) for p, z in zip(start_positions, points, strict=True)]
        mean, var = surrogate.predict(pool.encode_configs(configs, kind))
        values = acquisition(self.acquisition, mean, np.sqrt(var), best, self.kappa)
        if not np.all(np.isfinite(values)):
            return None
        index = int(np.argmax(values))
        start = start_positions[index]
        return Refined(configs[index], float(values[index]), pool.id_of(start))

    def _lbfgsb(self, surrogate: object, best: float, row: np.ndarray, columns: list[int]) -> np.ndarray:
        """L-BFGS-B of the acquisition over the float columns of ``row``, from ``row``."""
        x = row.copy()

        def value_and_gradient(z: np.ndarray) -> tuple[float, np.ndarray]:
            x[columns] = z
            mu, var, dmu, dvar = surrogate.predict_gradient(x)
            sigma = math.sqrt(var)
            value, d_mu, d_sigma = acquisition_gradient(self.acquisition, mu, sigma, best, self.kappa)
            d_sigma_dx = dvar / (2.0 * sigma) if sigma > SIGMA_FLOOR else np.zeros_like(dvar)
            gradient = d_mu * dmu + d_sigma * d_sigma_dx
            return -value / scale, -gradient[columns] / scale

        start = row[columns].copy()
        scale = 1.0
        first, _ = value_and_gradient(start)
        scale = max(abs(first), 1e-300)
        result = minimize(
            value_and_gradient,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * len(columns),
            options={"maxiter": self.max_iter, "ftol": 1e-10, "gtol": 1e-9},
        )
        return np.clip(result.x, 0.0, 1.0) if np.all(np.isfinite(result.x)) else start

    def _perturb(
        self,
        surrogate: object,
        best: float,
        pool: CandidatePool,
        start_positions: list[int],
        unit_rows: np.ndarray,
        columns: list[int],
        rng: np.random.Generator,
    ) -> list[np.ndarray]:
        """Per start, the best of rounds of shrinking Gaussian perturbations of the float coordinates."""
        space = pool.space
        kind = getattr(surrogate, "representation", "unit")
        local = np.random.default_rng(int(rng.integers(2**63 - 1)))
        bases = [pool.config(p) for p in start_positions]
        current = [row[columns].copy() for row in unit_rows]
        firsts = [config_at(space, c, z) for c, z in zip(bases, current, strict=True)]
        mean, var = surrogate.predict(pool.encode_configs(firsts, kind))
        scores = acquisition(self.acquisition, mean, np.sqrt(var), best, self.kappa)
        scale = FIRST_SCALE
        for _ in range(min(self.max_iter, PERTURBATION_ROUNDS)):
            trials = [
                np.clip(z + scale * local.standard_normal((PERTURBATIONS, len(columns))), 0.0, 1.0) for z in current
            ]
            configs = [config_at(space, c, z) for c, block in zip(bases, trials, strict=True) for z in block]
            mean, var = surrogate.predict(pool.encode_configs(configs, kind))
            values = acquisition(self.acquisition, mean, np.sqrt(var), best, self.kappa).reshape(len(current), -1)
            for i, block in enumerate(trials):
                j = int(np.argmax(values[i]))
                if values[i, j] > scores[i]:
                    current[i], scores[i] = block[j], values[i, j]
            scale /= 2.0
        return current
