"""Acquisition functions in minimisation form, vectorised over the candidate pool (larger is better).

With u = (best - mu - xi) / sigma:
* EI = sigma * (u * Phi(u) + phi(u));
* PI = Phi(u);
* UCB (a lower confidence bound for minimisation) = -mu + kappa * sigma.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

SIGMA_FLOOR = 1e-12
ACQUISITIONS = ("EI", "PI", "UCB")


def _u(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float) -> tuple[np.ndarray, np.ndarray]:
    sigma = np.maximum(sigma, SIGMA_FLOOR)
    return (best - mu - xi) / sigma, sigma


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """EI of each candidate over the incumbent ``best``."""
    u, sigma = _u(mu, sigma, best, xi)
    return sigma * (u * ndtr(u) + np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi))


def probability_of_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """PI of each candidate over the incumbent ``best``."""
    u, _ = _u(mu, sigma, best, xi)
    return ndtr(u)


def upper_confidence_bound(mu: np.ndarray, sigma: np.ndarray, kappa: float = 1.0) -> np.ndarray:
    """Optimistic bound ``-mu + kappa * sigma`` (the lower confidence bound of a minimisation)."""
    return -np.asarray(mu) + kappa * np.asarray(sigma)


def upper_bound(name: str, mu: np.ndarray, sigma_max: np.ndarray, best: float, kappa: float = 1.0) -> np.ndarray:
    """The largest value the acquisition can take at ``mu`` for any sigma <= ``sigma_max`` (per candidate).

    EI and UCB grow with sigma; PI grows with sigma above the incumbent and shrinks below it
    (where its bound is 1).
    """
    sigma = np.broadcast_to(np.asarray(sigma_max, dtype=float), np.shape(mu))
    if name == "PI":
        return np.where(mu < best, 1.0, probability_of_improvement(mu, sigma, best))
    return acquisition(name, mu, sigma, best, kappa)


def acquisition(name: str, mu: np.ndarray, sigma: np.ndarray, best: float, kappa: float = 1.0) -> np.ndarray:
    """Values of acquisition ``name`` (EI, PI or UCB)."""
    if name == "EI":
        return expected_improvement(mu, sigma, best)
    if name == "PI":
        return probability_of_improvement(mu, sigma, best)
    if name == "UCB":
        return upper_confidence_bound(mu, sigma, kappa)
    raise ValueError(f"unknown acquisition {name!r}; expected one of {ACQUISITIONS}")


def acquisition_gradient(
    name: str, mu: float, sigma: float, best: float, kappa: float = 1.0
) -> tuple[float, float, float]:
    """(value, d value / d mu, d value / d sigma) of acquisition ``name`` at one point."""
    if name == "UCB":
        return -mu + kappa * sigma, -1.0, kappa
    sigma = max(sigma, SIGMA_FLOOR)
    u = (best - mu) / sigma
    cdf, pdf = float(ndtr(u)), math.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)
    if name == "EI":
        return sigma * (u * cdf + pdf), -cdf, pdf
    if name == "PI":
        return cdf, -pdf / sigma, -pdf * u / sigma
    raise ValueError(f"unknown acquisition {name!r}; expected one of {ACQUISITIONS}")
