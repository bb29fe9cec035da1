"""Acquisition values on hand-computed posteriors; cost transforms and their inverses."""

import math

import numpy as np
import pytest

from hpo_mab.optimizers.acquisitions import acquisition, expected_improvement, probability_of_improvement
from hpo_mab.optimizers.transforms import Transform, transform_of


def phi(u):
    return math.exp(-u * u / 2) / math.sqrt(2 * math.pi)


def cdf(u):
    return 0.5 * (1 + math.erf(u / math.sqrt(2)))


def test_ei_pi_ucb_by_hand():
    mu = np.array([0.20, 0.10, 0.30])
    sigma = np.array([0.05, 0.10, 0.0])
    best = 0.15
    # candidate 0: u = (0.15 - 0.20) / 0.05 = -1; candidate 1: u = 0.5
    ei = [0.05 * (-1 * cdf(-1) + phi(-1)), 0.10 * (0.5 * cdf(0.5) + phi(0.5)), 0.0]
    assert expected_improvement(mu, sigma, best) == pytest.approx(ei, abs=1e-12)
    assert ei[0] == pytest.approx(0.0041658, rel=1e-4) and ei[1] == pytest.approx(0.0697796, rel=1e-4)
    assert probability_of_improvement(mu, sigma, best) == pytest.approx([cdf(-1), cdf(0.5), 0.0], abs=1e-12)
    assert acquisition("UCB", mu, sigma, best, kappa=2.0) == pytest.approx([-0.10, 0.10, -0.30])
    assert acquisition("UCB", mu, sigma, best) == pytest.approx([-0.15, 0.0, -0.30])


def test_zero_sigma_below_best_is_the_improvement():
    assert expected_improvement(np.array([0.1]), np.array([0.0]), 0.15) == pytest.approx([0.05])
    assert probability_of_improvement(np.array([0.1]), np.array([0.0]), 0.15) == pytest.approx([1.0])


def test_unknown_acquisition():
    with pytest.raises(ValueError, match="unknown acquisition 'XI'"):
        acquisition("XI", np.zeros(1), np.ones(1), 0.0)


def test_log_error_transform_and_inverse():
    le = Transform("LE")
    errors = np.array([1e-5, 1e-3, 0.01, 0.1, 1.0])
    assert le.forward(errors) == pytest.approx([0.0, 0.4, 0.6, 0.8, 1.0])
    assert le.inverse(le.forward(errors)) == pytest.approx(errors)
    assert le.forward(np.array([1e-9]))[0] == 0.0  # clipped at 1e-5


def test_hybrid_log_transform_is_continuous_monotone_and_invertible():
    hle = Transform("HLE", 0.3)
    assert hle.forward(np.array([0.5, 0.3]))[0] == 0.5
    assert hle.forward(np.array([0.3]))[0] == pytest.approx(0.3)  # continuous at alpha
    assert hle.forward(np.array([0.03]))[0] == pytest.approx(0.3 - 1.0)  # one decade below alpha: -1
    grid = np.geomspace(1e-5, 1.0, 200)
    values = hle.forward(grid)
    assert np.all(np.diff(values) > 0)
    assert hle.inverse(values) == pytest.approx(grid)
    assert Transform("HLE", 0.1).forward(np.array([0.01]))[0] == pytest.approx(0.1 - 1.0)


def test_identity_and_names():
    assert transform_of("GP").name == "" and transform_of("RF-LE").name == "LE"
    assert transform_of("GP-HLE", 0.2) == Transform("HLE", 0.2)
    assert transform_of("GP-NM").name == ""
    assert Transform("").forward(np.array([0.2]))[0] == 0.2
