"""Gaussian process regression: Matérn-5/2 ARD kernel, constant mean, Gaussian noise, numpy/scipy only.

Targets are standardised. Hyperparameters theta = (log lengthscales [D], log signal variance,
log noise variance, constant mean) get weak priors and are fitted by MAP (L-BFGS-B with analytic
gradients, warm-started from the previous fit plus random restarts) or slice-sampled
(Spearmint-style; ``mcmc_iters`` samples, predictions per sample). MAP starts from the previous
fit; ``restarts`` random starts are added on the first fit and every ``restart_every`` fits.
Hyperparameters are fitted on at most ``hyper_max_obs`` observations (a random subset) and
re-optimised when the data has grown by ``refit_growth`` (5%, at least one point) since the last
time; the posterior is always conditioned on every observation.
``noiseless`` fixes the noise at 1e-6. The predictive variance is that of the latent function (noise excluded).
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_solve, cholesky, lapack, solve_triangular
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

from hpo_mab.optimizers.gp_incremental import (
    SQRT5,
    IncrementalFactor,
    PoolSolve,
    common_prefix,
    matern52_from_sqdist,
    rows_hash,
)
from hpo_mab.optimizers.options import GPOptions

JITTER = 1e-8
NOISELESS_NOISE = 1e-6
LOG_LS_BOUNDS = (math.log(1e-2), math.log(20.0))
LOG_AMP_BOUNDS = (math.log(1e-2), math.log(1e2))
LOG_NOISE_BOUNDS = (math.log(1e-8), math.log(1.0))
MEAN_BOUNDS = (-3.0, 3.0)
PRIOR_LS = (math.log(0.5), 1.0)  # log-normal prior on lengthscales (unit-cube inputs)
PRIOR_AMP = (0.0, 1.0)  # log-normal prior on the signal variance of standardised targets
PRIOR_NOISE = (math.log(1e-3), 2.0)
PRIOR_MEAN = (0.0, 1.0)
PREDICT_BLOCK = 1024  # rows per block: keeps the (block, n) temporaries in cache


def _spread(values: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """``values`` of ``rows`` in an array of ``size``, NaN elsewhere."""
    out = np.full(size, np.nan)
    out[rows] = values
    return out


def matern52(r: np.ndarray) -> np.ndarray:
    """Matérn-5/2 correlation of scaled distances ``r``."""
    s = SQRT5 * r
    return (1.0 + s + s * s / 3.0) * np.exp(-s)


def scaled_sqdist(a: np.ndarray, b: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    """Squared distances between rows of ``a`` and ``b`` after dividing by the lengthscales."""
    a = a / lengthscales
    b = b / lengthscales
    d2 = a @ b.T
    d2 *= -2.0
    d2 += (a * a).sum(1)[:, None]
    d2 += (b * b).sum(1)[None, :]
    return np.maximum(d2, 0.0, out=d2)


@dataclass
class _Fit:
    theta: np.ndarray
    alpha: np.ndarray
    chol_inv_t: np.ndarray  # (L^-1)^T, for predictive variances by one matrix product
    diagonal: float  # what the kernel matrix's diagonal holds beyond the signal variance (noise + jitter)


@dataclass
class GaussianProcess:
    """GP regressor on inputs in [0, 1]^D; ``fit(X, y, rng)`` then ``predict(Xc) -> (mean, var)``."""

    mcmc_iters: int = 0
    noiseless: bool = False
    max_obs: int | None = None
    hyper_max_obs: int = 128
    refit_growth: float = 0.05
    restarts: int = 2
    restart_every: int = 10
    max_iter: int = 100
    burn_in: int = 10
    _theta: np.ndarray | None = field(default=None, repr=False)
    _fits: list[_Fit] = field(default_factory=list, repr=False)
    _num_fits: int = field(default=0, repr=False)
    _thetas: list[np.ndarray] | None = field(default=None, repr=False)
    _fitted_n: int | None = field(default=None, repr=False)
    _factor: IncrementalFactor | None = field(default=None, repr=False)  # the MAP path's growing factor
    _factor_theta: bytes | None = field(default=None, repr=False)
    _base: tuple[int, str] | None = field(default=None, repr=False)  # (rows, hash) under the factor (state)
    _pool: PoolSolve | None = field(default=None, repr=False)
    _pool_key: tuple | None = field(default=None, repr=False)
    _stored_rows: tuple | None = field(default=None, repr=False)  # (pool size, rows, base) of a restored state
    _threads: ThreadpoolController | None = field(default=None, repr=False)  # found once: each search takes ms

    @classmethod
    def from_options(cls, options: GPOptions) -> GaussianProcess:
        """A GP with the run_conf's ``gp`` options."""
        return cls(
            mcmc_iters=int(options.mcmc_iters),
            noiseless=bool(options.noiseless),
            max_obs=options.max_obs,
            restarts=int(options.restarts),
        )

    def fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> GaussianProcess:
        """Fit hyperparameters (MAP or slice sampling) and factorise the kernel matrix."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if self.max_obs is not None and len(y) > self.max_obs:
            keep = np.sort(rng.choice(len(y), self.max_obs, replace=False))  # without replacement
            x, y = x[keep], y[keep]
        self._x = x
        self._y_mean = float(y.mean())
        self._y_std = float(y.std()) if y.std() > 0 else 1.0
        ys = (y - self._y_mean) / self._y_std
        n = len(x)
        dim = x.shape[1]
        refit = self._needs_hyperparameters(n, dim)
        if refit:
            self._fit_hyperparameters(x, ys, rng)
        if self.incremental:
            self._fits = [self._grow_factor(self._thetas[0], x, ys, refit)]
        else:
            self._fits = [self._factorise(t, x, ys) for t in self._thetas]
        return self

    @property
    def incremental(self) -> bool:
        """True for the MAP GP on every observation: its factor grows row by row between refits."""
        return self.mcmc_iters <= 0 and self.max_obs is None

    def _grow_factor(self, theta: np.ndarray, x: np.ndarray, ys: np.ndarray, refit: bool) -> _Fit:
        """The fit of ``theta`` on ``x``: the kept factor grown to ``x``, or a canonical new one."""
        ls, amp, noise, mean = self._unpack(theta)
        scaled = x / ls
        key = theta.tobytes()
        factor = self._factor if self._factor_theta == key and not refit else None
        if factor is not None:
            keep = common_prefix(factor.x, scaled)
            if keep >= factor.base:
                factor.truncate(keep)
                if not all(factor.append(row) for row in scaled[keep:]):
                    factor = None
            else:
                factor = None
        if factor is None:
            base = len(scaled)
            if not refit and self._base is not None and self._factor is None:  # resumed: the stored base
                rows, digest = self._base
                if rows <= len(scaled) and rows_hash(scaled[:rows]) == digest:
                    base = rows
            factor = self._new_factor(scaled, amp, noise, base)
        self._factor, self._factor_theta = factor, key
        self._base = (factor.base, factor.base_hash)
        self._ys_centred = ys - mean
        alpha = factor.solve(self._ys_centred)
        return _Fit(theta, alpha, factor.chol_inv.T, factor.diagonal)

    def _new_factor(self, scaled: np.ndarray, amp: float, noise: float, base: int) -> IncrementalFactor:
        """A canonical factor (base rows by LAPACK, the rest appended), with more jitter if it is singular."""
        jitter, added = JITTER, 0.0
        while True:
            try:
                return IncrementalFactor(scaled, amp, noise + JITTER + added, base)
            except np.linalg.LinAlgError:
                jitter *= 10
                if jitter > 1e-2:
                    raise
                added += jitter

    def _needs_hyperparameters(self, n: int, dim: int) -> bool:
        """Re-optimise the hyperparameters when the data grew by 5% (at least one point) since."""
        if self._thetas is None or self._fitted_n is None or len(self._thetas[0]) != dim + 3:
            return True
        return n - self._fitted_n >= max(1, int(self.refit_growth * self._fitted_n))

    def _fit_hyperparameters(self, x: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> None:
        """MAP (or slice samples) of the hyperparameters, on at most ``hyper_max_obs`` observations."""
        n, dim = x.shape
        subset = np.arange(n) if n <= self.hyper_max_obs else np.sort(rng.choice(n, self.hyper_max_obs, replace=False))
        xs, m = x[subset], len(subset)
        self._diff2 = ((xs.T[:, :, None] - xs.T[:, None, :]) ** 2).reshape(dim, m * m)  # (D, m*m)
        if self._theta is None or len(self._theta) != dim + 3:
            self._theta = np.concatenate([np.full(dim, PRIOR_LS[0]), [0.0, PRIOR_NOISE[0], 0.0]])
        if self._threads is None:
            self._threads = ThreadpoolController()
        with self._threads.limit(limits=1, user_api="blas"):  # small matrices: threads only add overhead
            theta = self._map(ys[subset], rng)
            thetas = [theta] if self.mcmc_iters <= 0 else self._slice_samples(theta, ys[subset], rng)
        del self._diff2
        self._theta, self._thetas, self._fitted_n = theta, thetas, n

    def get_state(self) -> dict:
        """The warm start of the next fit (hyperparameters and fit count)."""
        theta = None if self._theta is None else [float(v) for v in self._theta]
        samples = None if self._thetas is None else [[float(v) for v in t] for t in self._thetas]
        base = None if self._base is None else list(self._base)
        state = {
            "theta": theta, "num_fits": self._num_fits, "samples": samples, "fitted_n": self._fitted_n, "base": base,
        }  # fmt: skip
        if self._pool is not None and self._pool.rows is not None:  # kept for the remaining rows only: which
            mask = np.zeros(len(self._pool_ref), dtype=bool)
            mask[self._pool.rows] = True
            bits = base64.b64encode(np.packbits(mask).tobytes()).decode("ascii")
            base, digest = self._pool_key[3:5]  # the factor the kept solve is of
            state["pool_rows"] = {"size": len(mask), "bits": bits, "base": [base, digest]}
        return state

    def set_state(self, state: dict) -> None:
        """Restore ``get_state``."""
        self._theta = None if state.get("theta") is None else np.asarray(state["theta"], dtype=float)
        self._num_fits = int(state.get("num_fits", 0))
        samples = state.get("samples")
        self._thetas = None if samples is None else [np.asarray(t, dtype=float) for t in samples]
        self._fitted_n = state.get("fitted_n")
        base = state.get("base")
        self._base = None if base is None else (int(base[0]), str(base[1]))
        self._factor = self._factor_theta = self._pool = self._pool_key = None
        kept = state.get("pool_rows")
        self._stored_rows = None
        if kept is not None:
            mask = np.unpackbits(np.frombuffer(base64.b64decode(kept["bits"]), dtype=np.uint8))[: int(kept["size"])]
            self._stored_rows = (int(kept["size"]), np.flatnonzero(mask), (int(kept["base"][0]), str(kept["base"][1])))

    @property
    def theta(self) -> np.ndarray:
        """Hyperparameters of the (last) fit: log lengthscales, log signal var, log noise var, mean."""
        return self._theta

    def predict(self, xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and latent variance at ``xc``, averaged over hyperparameter samples.

        Under MCMC the mixture variance is returned (mean of variances + variance of means).
        """
        means, variances = zip(*(self._predict_one(f, xc) for f in self._fits), strict=True)
        mean = np.mean(means, axis=0)
        var = np.mean(variances, axis=0) + (np.var(means, axis=0) if len(means) > 1 else 0.0)
        return mean, var

    def predict_samples(self, xc: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Mean and variance per hyperparameter sample (for acquisitions averaged over samples)."""
        return [self._predict_one(f, xc) for f in self._fits]

    # -- internals -------------------------------------------------------------------------

    def _unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        dim = len(theta) - 3
        noise = NOISELESS_NOISE if self.noiseless else math.exp(theta[dim + 1])
        return np.exp(theta[:dim]), math.exp(theta[dim]), noise, float(theta[dim + 2])

    def _bounds(self, dim: int) -> list[tuple[float, float]]:
        return [LOG_LS_BOUNDS] * dim + [LOG_AMP_BOUNDS, LOG_NOISE_BOUNDS, MEAN_BOUNDS]

    def _neg_log_posterior(self, theta: np.ndarray, ys: np.ndarray) -> tuple[float, np.ndarray]:
        ls, amp, noise, mean = self._unpack(theta)
        dim = len(ls)
        n = len(ys)
        inv_ls2 = 1.0 / (ls * ls)
        r2 = (inv_ls2 @ self._diff2).reshape(n, n)
        r = np.sqrt(r2)
        e = np.exp(-SQRT5 * r)
        kern = amp * (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * e
        k = kern + (noise + JITTER) * np.eye(n)
        try:
            chol = cholesky(k, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        resid = ys - mean
        alpha = cho_solve((chol, True), resid, check_finite=False)
        nll = 0.5 * resid @ alpha + np.log(np.diag(chol)).sum() + 0.5 * n * math.log(2 * math.pi)
        kinv, info = lapack.dpotri(chol, lower=1)  # K^-1 from the Cholesky factor (lower triangle)
        if info != 0:
            return 1e25, np.zeros_like(theta)
        kinv = np.tril(kinv) + np.tril(kinv, -1).T
        w = np.outer(alpha, alpha) - kinv
        grad = np.empty_like(theta)
        a = amp * (5.0 / 3.0) * (1.0 + SQRT5 * r) * e  # dK/dlog(ls_d) = a * diff2_d / ls_d^2
        grad[:dim] = -0.5 * (self._diff2 @ (w * a).ravel()) * inv_ls2
        grad[dim] = -0.5 * np.sum(w * kern)
        grad[dim + 1] = 0.0 if self.noiseless else -0.5 * noise * np.trace(w)
        grad[dim + 2] = -alpha.sum()
        prior, prior_grad = self._log_prior(theta)
        return float(nll - prior), grad - prior_grad

    def _log_prior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        dim = len(theta) - 3
        centres = np.concatenate([np.full(dim, PRIOR_LS[0]), [PRIOR_AMP[0], PRIOR_NOISE[0], PRIOR_MEAN[0]]])
        scales = np.concatenate([np.full(dim, PRIOR_LS[1]), [PRIOR_AMP[1], PRIOR_NOISE[1], PRIOR_MEAN[1]]])
        z = (theta - centres) / scales
        if self.noiseless:
            z[dim + 1] = 0.0
        return float(-0.5 * np.sum(z * z)), -z / scales

    def _map(self, ys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        dim = len(self._theta) - 3
        bounds = self._bounds(dim)
        lows, highs = np.array(bounds).T
        starts = [np.clip(self._theta, lows, highs)]
        restarts = self.restarts if self._num_fits % self.restart_every == 0 else 0
        self._num_fits += 1
        for _ in range(restarts):
            draw = np.concatenate(
                [rng.normal(PRIOR_LS[0], PRIOR_LS[1], dim), rng.normal([PRIOR_AMP[0], PRIOR_NOISE[0], 0.0], 1.0)]
            )
            starts.append(np.clip(draw, lows, highs))
        best, best_value = starts[0], math.inf
        for start in starts:
            result = minimize(
                self._neg_log_posterior,
                start,
                args=(ys,),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": self.max_iter, "ftol": 1e-7, "gtol": 1e-5},
            )
            if np.isfinite(result.fun) and result.fun < best_value:
                best, best_value = result.x, result.fun
        return np.asarray(best, dtype=float)

    def _slice_samples(self, theta: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Component-wise slice sampling (a unit window around the point, clipped to the bounds, then
        shrinkage) from the MAP point."""
        dim = len(theta) - 3
        bounds = self._bounds(dim)
        active = [i for i in range(len(theta)) if not (self.noiseless and i == dim + 1)]

        def logp(t: np.ndarray) -> float:
            return -self._neg_log_posterior(t, ys)[0]

        current, current_logp = theta.copy(), logp(theta)
        samples = []
        for sweep in range(self.burn_in + self.mcmc_iters):
            for i in active:
                level = current_logp + math.log(rng.uniform())
                width = 1.0
                lo_b, hi_b = bounds[i]
                start = current[i] - width * rng.uniform()  # a window of fixed width around the point
                left, right = max(start, lo_b), min(start + width, hi_b)
                proposal = current.copy()
                for _ in range(50):
                    proposal[i] = rng.uniform(left, right)
                    value = logp(proposal)
                    if value > level:
                        current, current_logp = proposal, value
                        break
                    if proposal[i] < current[i]:
                        left = proposal[i]
                    else:
                        right = proposal[i]
            if sweep >= self.burn_in:
                samples.append(current.copy())
        return samples

    def _factorise(self, theta: np.ndarray, x: np.ndarray, ys: np.ndarray) -> _Fit:
        ls, amp, noise, mean = self._unpack(theta)
        n = len(ys)
        k = amp * matern52_from_sqdist(scaled_sqdist(x, x, ls)) + (noise + JITTER) * np.eye(n)
        jitter, added = JITTER, 0.0
        while True:
            try:
                chol = cholesky(k, lower=True, check_finite=False)
                break
            except np.linalg.LinAlgError:
                jitter *= 10
                if jitter > 1e-2:
                    raise
                k[np.diag_indices_from(k)] += jitter
                added += jitter
        alpha = cho_solve((chol, True), ys - mean, check_finite=False)
        chol_inv = solve_triangular(chol, np.eye(len(ys)), lower=True, check_finite=False)
        return _Fit(theta, alpha, np.ascontiguousarray(chol_inv.T), noise + JITTER + added)

    def _predict_one(
        self, fit: _Fit, xc: np.ndarray, with_mean: bool = True, with_var: bool = True, with_kmax: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        ls, amp, _, mean = self._unpack(fit.theta)
        xc = np.asarray(xc, dtype=float)
        # squared scaled distances as one product: [a, |a|^2, 1] . [-2b, 1, |b|^2]
        a = xc / ls
        b = self._x / ls
        left = np.hstack([a, (a * a).sum(1, keepdims=True), np.ones((len(a), 1))])
        right = np.hstack([-2.0 * b, np.ones((len(b), 1)), (b * b).sum(1, keepdims=True)]).T.copy()
        mu = np.empty(len(xc)) if with_mean else np.empty(0)
        var = np.empty(len(xc)) if with_var or with_kmax else np.empty(0)
        for start in range(0, len(xc), PREDICT_BLOCK):
            block = slice(start, start + PREDICT_BLOCK)
            d2 = left[block] @ right
            np.maximum(d2, 0.0, out=d2)
            kstar = matern52_from_sqdist(d2)  # correlations; k*(x) = amp * kstar
            if with_mean:
                mu[block] = mean + amp * (kstar @ fit.alpha)
            if with_var:
                v = kstar @ fit.chol_inv_t  # rows: L^-1 kstar(x)
                var[block] = np.maximum(amp - amp * amp * np.einsum("ij,ij->i", v, v), 1e-12)
            elif with_kmax:
                var[block] = kstar.max(axis=1)
        if with_kmax:
            return self._y_mean + self._y_std * mu, var
        return self._y_mean + self._y_std * mu, var * self._y_std**2

    def predict_gradient(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Mean and latent variance at one point ``x`` (D,), and their gradients with respect to ``x``.

        Under MCMC, of the mixture over the hyperparameter samples (as ``predict``).
        """
        x = np.asarray(x, dtype=float)
        means, variances, dmeans, dvariances = [], [], [], []
        for fit in self._fits:
            ls, amp, _, const = self._unpack(fit.theta)
            diff = (x[None, :] - self._x) / ls  # (n, D), scaled
            s = SQRT5 * np.sqrt((diff * diff).sum(1))
            e = np.exp(-s)
            k = (1.0 + s + s * s / 3.0) * e  # correlations with the observations
            dk = (-(5.0 / 3.0) * (1.0 + s) * e)[:, None] * diff / ls  # d correlation / dx
            v = k @ fit.chol_inv_t  # L^-1 k
            w = fit.chol_inv_t @ v  # K^-1 k
            latent = amp - amp * amp * float(v @ v)
            floored = latent <= 1e-12
            means.append(self._y_mean + self._y_std * (const + amp * float(k @ fit.alpha)))
            dmeans.append(self._y_std * amp * (dk.T @ fit.alpha))
            variances.append(max(latent, 1e-12) * self._y_std**2)
            dvariances.append(np.zeros(len(x)) if floored else -2.0 * amp * amp * (dk.T @ w) * self._y_std**2)
        if len(means) == 1:
            return means[0], variances[0], dmeans[0], dvariances[0]
        m, dm = np.asarray(means), np.asarray(dmeans)
        mean, dmean = float(m.mean()), dm.mean(axis=0)
        var = float(np.mean(variances) + m.var())
        dvar = np.mean(dvariances, axis=0) + 2.0 * (m[:, None] * dm).mean(axis=0) - 2.0 * mean * dmean
        return mean, var, dmean, dvar

    # -- the lazy path (one hyperparameter sample): means everywhere, variances on demand ---------

    @property
    def supports_lazy_variance(self) -> bool:
        """True when there is one hyperparameter sample (MAP), so variances can be computed per subset."""
        return len(self._fits) == 1

    def predict_mean(self, xc: np.ndarray, active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean at ``xc`` and an upper bound of each variance, without computing variances.

        The bound is the variance given only the most correlated observation (conditioning on more
        data never increases a GP's variance): amp * (1 - amp * k_max^2 / (amp + noise)). Where the
        pool's solve is kept, mean and variance are exact. ``active`` (a mask over ``xc``: the
        candidates still to choose from) lets a pool too large to keep whole keep its solve for
        those rows only; the other rows' means and bounds are then NaN (``mean_at`` computes them).
        """
        fit = self._fits[0]
        _, amp, _, const = self._unpack(fit.theta)
        pool = self._pool_solve(xc, fit, active)
        if pool is not None:  # exact: the variance is its own bound
            w = fit.chol_inv_t.T @ (self._ys_centred)
            mean = self._y_mean + self._y_std * (const + amp * (pool.matrix @ w))
            var = np.maximum(amp - amp * amp * pool.s, 1e-12) * self._y_std**2
            if pool.rows is not None:  # the kept rows only
                mean, var = _spread(mean, pool.rows, len(xc)), _spread(var, pool.rows, len(xc))
            self._pool_var = var
            return mean, self._pool_var
        mean, kmax = self._predict_one(fit, xc, with_var=False, with_kmax=True)
        bound = amp * (1.0 - amp * kmax**2 / (amp + fit.diagonal))
        return mean, np.maximum(bound, 1e-12) * self._y_std**2

    def _pool_solve(self, xc: np.ndarray, fit: _Fit, active: np.ndarray | None = None) -> PoolSolve | None:
        """The kept solve of the pool ``xc`` against the factor: of every row when it fits in memory, else of
        the ``active`` rows when they fit (None: not kept, too large)."""
        n = self._factor.n if self.incremental else None
        if n is not None and PoolSolve.fits(len(xc), n):
            rows = None
        elif n is not None and active is not None and PoolSolve.fits(int(np.count_nonzero(active)), n):
            rows = np.flatnonzero(active)
        else:
            self._pool = self._pool_key = None
            return None
        key = (id(xc), xc.shape, fit.theta.tobytes(), self._factor.base, self._factor.base_hash)
        kept = self._pool
        stale = kept is None or self._pool_key != key or (kept.rows is None) != (rows is None)
        if not stale and rows is not None:  # a candidate outside the kept rows: keep the active ones again
            stale = not PoolSolve.fits(len(kept.rows), n) or not np.isin(rows, kept.rows, assume_unique=True).all()
        if stale and rows is not None:
            rows = self._restored_rows(len(xc), rows, n)
        if stale:
            self._pool = kept = None  # free the old solve before the new one is built
            ls = self._unpack(fit.theta)[0]
            scaled = xc / ls if rows is None else xc[rows] / ls
            self._pool, self._pool_key = PoolSolve(scaled, self._factor.base, rows), key
            self._pool_ref = xc  # keeps the pool alive while its id is the key
        self._pool.sync(self._factor)
        return self._pool

    def _restored_rows(self, size: int, rows: np.ndarray, n: int) -> np.ndarray:
        """The rows the stored state kept (resume: the uninterrupted run still keeps them), when they are of
        this pool and factor, hold every active row and fit; else ``rows``. Used once."""
        stored, self._stored_rows = self._stored_rows, None
        if stored is None or stored[0] != size or stored[2] != (self._factor.base, self._factor.base_hash):
            return rows
        keep = stored[1]
        return keep if PoolSolve.fits(len(keep), n) and np.isin(rows, keep, assume_unique=True).all() else rows

    def predict_var(self, xc: np.ndarray) -> np.ndarray:
        """Posterior latent variance at ``xc``."""
        return self._predict_one(self._fits[0], xc, with_mean=False)[1]

    def predict_var_rows(self, rows: np.ndarray) -> np.ndarray | None:
        """Posterior latent variance at rows of the pool of the last ``predict_mean`` (None: not kept)."""
        if self._pool is None:
            return None
        out = self._pool_var[rows]
        return None if self._pool.rows is not None and np.isnan(out).any() else out
