"""The GP against a direct dense computation, its fit, and its state for resume."""

import numpy as np
import pytest

from hpo_mab.optimizers.bayes import Prediction
from hpo_mab.optimizers.gp import GaussianProcess, matern52
from hpo_mab.optimizers.gp_incremental import BASE_ROW_BLOCK, PoolSolve, capacity_for


def dense_posterior(x, y, xc, theta):
    dim = x.shape[1]
    ls, amp, noise, mean = np.exp(theta[:dim]), np.exp(theta[dim]), np.exp(theta[dim + 1]), theta[dim + 2]
    ym, ys = y.mean(), y.std()
    t = (y - ym) / ys

    def k(a, b):
        r = np.sqrt((((a[:, None, :] - b[None, :, :]) / ls) ** 2).sum(-1))
        return amp * matern52(r)

    kxx = k(x, x) + (noise + 1e-8) * np.eye(len(x))
    inv = np.linalg.inv(kxx)
    ks = k(xc, x)
    mu = mean + ks @ inv @ (t - mean)
    var = amp - np.einsum("ij,jk,ik->i", ks, inv, ks)
    return ym + ys * mu, var * ys**2


def test_posterior_matches_dense_computation():
    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    y = np.sin(4 * x[:, 0]) + x[:, 1] ** 2
    xc = rng.random((500, 3))
    gp = GaussianProcess().fit(x, y, np.random.default_rng(1))
    mu, var = gp.predict(xc)
    mu_d, var_d = dense_posterior(x, y, xc, gp.theta)
    assert mu == pytest.approx(mu_d, abs=1e-6)
    assert var == pytest.approx(var_d, abs=1e-5 * y.var())
    assert np.all(var > 0)


def test_fit_recovers_a_smooth_function_and_interpolates():
    rng = np.random.default_rng(2)
    x = rng.random((60, 2))
    y = (x[:, 0] - 0.3) ** 2 + 0.5 * x[:, 1]
    gp = GaussianProcess().fit(x, y, rng)
    test = rng.random((200, 2))
    mu, _ = gp.predict(test)
    truth = (test[:, 0] - 0.3) ** 2 + 0.5 * test[:, 1]
    assert np.max(np.abs(mu - truth)) < 0.02
    mu_train, var_train = gp.predict(x)
    assert np.max(np.abs(mu_train - y)) < 5e-3 and np.max(var_train) < 1e-3 * y.var()


def test_same_seed_same_fit_and_state_round_trip():
    rng_data = np.random.default_rng(3)
    x, y = rng_data.random((30, 4)), rng_data.random(30)
    a = GaussianProcess().fit(x, y, np.random.default_rng(5))
    b = GaussianProcess().fit(x, y, np.random.default_rng(5))
    assert np.array_equal(a.theta, b.theta)
    c = GaussianProcess()
    c.set_state(a.get_state())
    d = GaussianProcess()
    d.set_state(a.get_state())
    assert np.array_equal(c.fit(x, y, np.random.default_rng(9)).theta, d.fit(x, y, np.random.default_rng(9)).theta)


def test_noiseless_and_mcmc_variants():
    rng = np.random.default_rng(4)
    x, y = rng.random((25, 2)), rng.random(25)
    noiseless = GaussianProcess(noiseless=True).fit(x, y, rng)
    mu, _ = noiseless.predict(x)
    assert mu == pytest.approx(y, abs=1e-3)  # interpolates
    mcmc = GaussianProcess(mcmc_iters=3, burn_in=2).fit(x, y, np.random.default_rng(0))
    samples = mcmc.predict_samples(rng.random((10, 2)))
    assert len(samples) == 3
    assert not np.allclose(samples[0][0], samples[2][0])  # different hyperparameter samples


def test_max_obs_subsamples_without_replacement():
    rng = np.random.default_rng(6)
    x, y = rng.random((50, 2)), rng.random(50)
    gp = GaussianProcess(max_obs=20).fit(x, y, rng)
    assert len(gp._x) == 20 and len(np.unique(gp._x, axis=0)) == 20


def test_variance_bound_holds_and_lazy_parts_match_predict():
    rng = np.random.default_rng(8)
    x, y = rng.random((80, 3)), rng.random(80)
    gp = GaussianProcess().fit(x, y, rng)
    xc = np.vstack([rng.random((3000, 3)), x[:5] + 1e-4])
    mean, var = gp.predict(xc)
    lazy_mean, bound = gp.predict_mean(xc)
    assert lazy_mean == pytest.approx(mean, abs=1e-10)  # kept pool correlations: the same numbers
    assert np.array_equal(gp.predict_var(xc), var)
    assert gp.predict_var_rows(np.arange(len(xc))) == pytest.approx(var, rel=1e-6, abs=1e-10)
    assert np.all(var <= bound * (1 + 1e-9))
    assert np.all(bound[-5:] < 0.05 * bound[:3000].max())  # tight next to observations


def test_hyperparameters_from_a_subset_posterior_from_all():
    rng = np.random.default_rng(9)
    x = rng.random((260, 2))
    y = np.sin(5 * x[:, 0]) + x[:, 1]
    gp = GaussianProcess(hyper_max_obs=100).fit(x, y, np.random.default_rng(1))
    assert len(gp._x) == 260
    mu, _ = gp.predict(x)
    assert np.max(np.abs(mu - y)) < 1e-2  # conditioned on every observation


def test_the_factor_grows_row_by_row_and_matches_the_dense_posterior():
    rng = np.random.default_rng(11)
    x = rng.random((140, 3))
    y = np.sin(4 * x[:, 0]) + x[:, 1] ** 2 + 0.01 * rng.standard_normal(140)
    pool = rng.random((700, 3))
    gp = GaussianProcess()
    for n in range(100, 141):  # 5 % growth: one hyperparameter refit at 105, appends in between
        gp.fit(x[:n], y[:n], np.random.default_rng(n))
        mean, bound = gp.predict_mean(pool)
        var = gp.predict_var_rows(np.arange(len(pool)))
        mu_d, var_d = dense_posterior(x[:n], y[:n], pool, gp.theta)
        assert mean == pytest.approx(mu_d, abs=1e-6) and var == pytest.approx(var_d, abs=1e-6 * y.var())
        assert np.all(var <= bound * (1 + 1e-9))
    assert gp._factor.base < 140  # the last rows were appended, not refactorised


def test_buffers_grow_by_a_quarter_and_a_pool_of_several_row_blocks_matches_the_dense_posterior():
    """Long runs: the factor's and the pool's buffers grow to 1.25x what they hold (whole blocks of 64),
    the base block of a pool larger than one row block (2048) is computed block by block, and the
    posterior stays the dense one through every regrowth and refit."""
    rng = np.random.default_rng(13)
    x = rng.random((150, 3))
    y = np.cos(3 * x[:, 0]) + x[:, 2] ** 2 + 0.01 * rng.standard_normal(150)
    pool = rng.random((2 * BASE_ROW_BLOCK + 300, 3))
    gp = GaussianProcess()
    for n in [60, 64, 65, 80, 81, 100, 128, 129, 150]:
        gp.fit(x[:n], y[:n], np.random.default_rng(n))
        mean, _ = gp.predict_mean(pool)
        var = gp.predict_var_rows(np.arange(len(pool)))
        mu_d, var_d = dense_posterior(x[:n], y[:n], pool, gp.theta)
        assert mean == pytest.approx(mu_d, abs=1e-6) and var == pytest.approx(var_d, abs=1e-6 * y.var()), n
        assert len(gp._factor._linv) <= capacity_for(n) and gp._pool._v.shape[1] <= capacity_for(n), n
        assert len(gp._factor._appended) == n - gp._factor.base  # L: only the rows after the base block
    assert [capacity_for(n) for n in (1, 51, 52, 65, 4000)] == [64, 64, 128, 128, 5056]
    # a 20,000-row pool keeps its solve up to ~7,500 observations (1.5 GB), not beyond
    assert PoolSolve.fits(20_000, 7_400) and not PoolSolve.fits(20_000, 7_600)


def test_a_pool_too_large_to_keep_whole_keeps_its_solve_for_the_candidates_still_to_choose(monkeypatch):
    """Beyond the memory bound for the whole pool, the solve is kept for the active rows only: their means and
    variances are the whole pool's, the other rows are NaN and computed on demand (a Hedge nominee already
    evaluated), and a candidate that becomes active again makes the solve be kept anew."""
    rng = np.random.default_rng(14)
    x = rng.random((130, 3))
    y = np.sin(3 * x[:, 0]) + x[:, 1] + 0.01 * rng.standard_normal(130)
    pool = rng.random((3000, 3))
    active = rng.random(3000) < 0.3
    whole = GaussianProcess().fit(x[:120], y[:120], np.random.default_rng(1))
    mean_whole, var_whole = whole.predict(pool)
    monkeypatch.setattr(PoolSolve, "MAX_BYTES", 2e6)  # 3000 rows x 192 columns x 8 B do not fit, 900 rows do
    assert not PoolSolve.fits(3000, 120) and PoolSolve.fits(int(active.sum()), 120)
    gp = GaussianProcess().fit(x[:120], y[:120], np.random.default_rng(1))
    prediction = Prediction(gp, pool, "unit", active)
    assert prediction.mean[active] == pytest.approx(mean_whole[active], abs=1e-10)
    assert np.isnan(prediction.mean[~active]).all() and np.isnan(prediction.var_bound[~active]).all()
    rows = np.flatnonzero(active)
    assert prediction.variance(rows) == pytest.approx(var_whole[active], rel=1e-8, abs=1e-12)
    other = int(np.flatnonzero(~active)[0])
    assert gp.predict_var_rows(np.array([other])) is None
    assert prediction.variance(np.array([other]))[0] == pytest.approx(var_whole[other], rel=1e-8, abs=1e-12)
    assert prediction.mean_at(None, other) == pytest.approx(mean_whole[other], abs=1e-10)
    kept = gp._pool
    shrunk = active.copy()
    shrunk[rows[:50]] = False  # chosen candidates leave the pool: the kept rows are a superset, nothing is redone
    for n in range(121, 125):
        gp.fit(x[:n], y[:n], np.random.default_rng(n))
        mean, _ = gp.predict_mean(pool, shrunk)
        assert gp._pool is kept
        assert mean[shrunk] == pytest.approx(dense_posterior(x[:n], y[:n], pool[shrunk], gp.theta)[0], abs=1e-6)
    shrunk[other] = True  # a candidate back in the pool (a promotion under random failover): kept anew, with it
    mean, _ = gp.predict_mean(pool, shrunk)
    assert gp._pool is not kept and other in gp._pool.rows
    assert mean[other] == pytest.approx(dense_posterior(x[:124], y[:124], pool[[other]], gp.theta)[0][0], abs=1e-6)
    monkeypatch.setattr(PoolSolve, "MAX_BYTES", 1e5)  # not even the active rows: nothing kept, every row computed
    mean, _ = gp.predict_mean(pool, shrunk)
    assert gp._pool is None and not np.isnan(mean).any()


def test_a_restored_gp_computes_the_same_bits_as_the_one_that_kept_its_factor():
    """Resume: a GP rebuilt from its stored state (base rows and hash) equals the uninterrupted one exactly,
    also after a view with pending rows (trials in flight) that the next history does not share."""
    rng = np.random.default_rng(12)
    x = rng.random((130, 4))
    y = rng.random(130)
    pool = rng.random((900, 4))
    kept = GaussianProcess()
    histories = [(x[:n], y[:n]) for n in range(100, 115)]
    pending = rng.random((3, 4))
    histories.insert(6, (np.vstack([x[:105], pending]), np.concatenate([y[:105], [0.9, 0.9, 0.9]])))
    for step, (hx, hy) in enumerate(histories):
        state = kept.get_state()
        kept.fit(hx, hy, np.random.default_rng(step))
        restored = GaussianProcess()
        restored.set_state(state)
        restored.fit(hx, hy, np.random.default_rng(step))
        a_mean, a_bound = kept.predict_mean(pool)
        b_mean, b_bound = restored.predict_mean(pool)
        assert np.array_equal(a_mean, b_mean) and np.array_equal(a_bound, b_bound), step
        rows = np.arange(0, 900, 7)
        assert np.array_equal(kept.predict_var_rows(rows), restored.predict_var_rows(rows)), step


def test_a_restored_gp_keeps_the_same_rows_of_a_pool_too_large_to_keep_whole(monkeypatch):
    """Resume beyond the memory bound for the whole pool: the restored GP keeps the rows the uninterrupted one
    kept (a superset of the remaining candidates, from its last rebuild), so both compute the same bits, a
    taken nominee's mean included."""
    monkeypatch.setattr(PoolSolve, "MAX_BYTES", 2e6)
    rng = np.random.default_rng(15)
    x, y = rng.random((130, 4)), rng.random(130)
    pool = rng.random((3000, 4))
    active = rng.random(3000) < 0.3
    kept = GaussianProcess()
    for step, n in enumerate(range(100, 115)):  # one hyperparameter refit at 105
        state = kept.get_state()
        kept.fit(x[:n], y[:n], np.random.default_rng(step))
        restored = GaussianProcess()
        restored.set_state(state)
        restored.fit(x[:n], y[:n], np.random.default_rng(step))
        a, b = Prediction(kept, pool, "unit", active), Prediction(restored, pool, "unit", active)
        assert np.array_equal(kept._pool.rows, restored._pool.rows), step
        assert np.array_equal(a.mean, b.mean, equal_nan=True) and np.array_equal(
            a.var_bound, b.var_bound, equal_nan=True
        )
        rows = np.flatnonzero(active)
        assert np.array_equal(a.variance(rows), b.variance(rows)), step
        taken = rows[step]
        assert a.mean_at(None, taken) == b.mean_at(None, taken), step
        active[taken] = False  # the nominee is evaluated: it leaves the pool, not the kept rows
    assert len(kept._pool.rows) > active.sum()  # the kept rows are a superset of the remaining ones
    assert "pool_rows" in kept.get_state() and "pool_rows" not in GaussianProcess().get_state()


def test_a_cached_prediction_is_made_again_when_a_candidate_it_did_not_keep_comes_back(monkeypatch):
    """The model cache returns a prediction of the same history only while it holds every remaining candidate."""
    from hpo_mab.optimizers.base import History
    from hpo_mab.optimizers.bayes import ModelCache
    from hpo_mab.optimizers.transforms import Transform
    from hpo_mab.searchspace.hyperparams import HyperParameter
    from hpo_mab.searchspace.space import CandidatePool, SearchSpace

    monkeypatch.setattr(PoolSolve, "MAX_BYTES", 2e6)
    space = SearchSpace([HyperParameter(f"x{i}", "float", "continuous", (0.0, 1.0)) for i in range(3)])
    pool = CandidatePool.sample(space, 3000, "sobol", seed=2)
    history = History()
    for position in range(0, 1200, 10):
        history.add(position, float(np.sin(position)), 1.0)
        pool.remaining[position] = False
    pool.remaining[1200:] = False  # 1,080 candidates left: 1080 x 192 x 8 B fit, 3000 rows do not
    cache = ModelCache({"GP": GaussianProcess})
    first = cache.posterior("GP", Transform(""), history, pool, np.random.default_rng(0)).prediction
    assert np.isnan(first.mean[1500]) and cache.fits == 1
    assert cache.posterior("GP", Transform(""), history, pool, np.random.default_rng(0)).prediction is first
    pool.remaining[1500] = True  # back in the pool (a promotion under random failover)
    again = cache.posterior("GP", Transform(""), history, pool, np.random.default_rng(0)).prediction
    assert again is not first and cache.fits == 1 and not np.isnan(again.mean[pool.remaining]).any()
