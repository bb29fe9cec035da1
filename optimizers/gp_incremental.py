"""The MAP GP's factorisation and pool correlations, grown one observation at a time.

Between two hyperparameter refits (every 5% of growth) the kernel's hyperparameters are fixed, so
a new observation only adds one row to the Cholesky factor L of K + noise (O(n^2) instead of
O(n^3)) and one column to the correlations between the pool and the observations (O(pool) instead
of O(pool x n)). A history that shares only a prefix with the last one (a trial in flight that
left the models' view) keeps the factor of the common prefix: the leading block of a Cholesky
factor, and of its inverse, is the factor of the leading block.

Everything is built canonically, so that the numbers depend only on (hyperparameters, rows,
``base``) and not on the path that led there: LAPACK factorises the first ``base`` rows (``base``:
the rows at the last full factorisation), every later row is appended alone, and every kernel
value is computed element-wise with the same order of operations, in whatever block it is
needed. A resumed run, which has only ``base`` and a hash of those rows, rebuilds the same bits.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from scipy.linalg import cholesky, solve_triangular

SQRT5 = math.sqrt(5.0)
ELEMENT_BLOCK = 1 << 21  # kernel values per block of the element-wise computation


def correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matérn-5/2 correlations of the rows of ``a`` (n, D) and ``b`` (m, D), already divided by the lengthscales.

    The squared distance is accumulated dimension by dimension, so each value is the same in any
    block shape (unlike a matrix product, whose blocking can change the last bits).
    """
    n, m = len(a), len(b)
    out = np.empty((n, m))
    rows = max(1, ELEMENT_BLOCK // max(1, m))
    for start in range(0, n, rows):
        block = a[start : start + rows]
        d2 = np.zeros((len(block), m))
        for d in range(a.shape[1]):
            diff = block[:, d, None] - b[None, :, d]
            diff *= diff
            d2 += diff
        np.sqrt(d2, out=d2)
        d2 *= SQRT5
        e = np.exp(-d2)
        poly = d2 * d2
        poly *= 1.0 / 3.0
        poly += d2
        poly += 1.0
        poly *= e
        out[start : start + rows] = poly
    return out


def rows_hash(x: np.ndarray) -> str:
    """A short hash of an array's bytes (whether the rows under a factorisation are still those)."""
    return hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest()[:16]


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """The number of leading rows that ``a`` and ``b`` share exactly."""
    m = min(len(a), len(b))
    if m == 0:
        return 0
    differs = np.flatnonzero(np.any(a[:m] != b[:m], axis=1))
    return int(differs[0]) if len(differs) else m


class IncrementalFactor:
    """L and L^-1 of amp * C(x, x) + diagonal * I for one set of hyperparameters."""

    def __init__(self, scaled_x: np.ndarray, amp: float, diagonal: float, base: int) -> None:
        self.amp, self.diagonal = amp, diagonal
        self.base = base
        capacity = max(16, 2 * len(scaled_x))
        self._l = np.zeros((capacity, capacity))
        self._linv = np.zeros((capacity, capacity))
        self.x = np.zeros((0, scaled_x.shape[1]))
        head = scaled_x[:base]
        k = amp * correlations(head, head)
        k[np.diag_indices_from(k)] += diagonal
        chol = cholesky(k, lower=True, check_finite=False)
        self._l[:base, :base] = chol
        self._linv[:base, :base] = solve_triangular(chol, np.eye(base), lower=True, check_finite=False)
        self.x = head.copy()
        self.base_hash = rows_hash(head)
        for row in scaled_x[base:]:
            if not self.append(row):
                raise np.linalg.LinAlgError("an appended row made the kernel matrix singular")

    @property
    def n(self) -> int:
        """Rows factorised."""
        return len(self.x)

    @property
    def chol(self) -> np.ndarray:
        """L (view)."""
        return self._l[: self.n, : self.n]

    @property
    def chol_inv(self) -> np.ndarray:
        """L^-1 (view, lower triangular)."""
        return self._linv[: self.n, : self.n]

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` rows (never below ``base``)."""
        self.x = self.x[:n]

    def append(self, row: np.ndarray) -> bool:
        """Add one observation; False if it would make the matrix singular (the factor is unchanged)."""
        n = self.n
        if n + 1 > len(self._l):
            self._grow(2 * (n + 1))
        k = self.amp * correlations(self.x, row[None, :])[:, 0] if n else np.zeros(0)
        l_row = self._linv[:n, :n] @ k if n else np.zeros(0)
        d2 = self.amp + self.diagonal - float(l_row @ l_row)
        if not d2 > 1e-14:
            return False
        d = math.sqrt(d2)
        self._l[n, :n] = l_row
        self._l[n, n] = d
        self._linv[n, :n] = -(l_row @ self._linv[:n, :n]) / d
        self._linv[n, n] = 1.0 / d
        self.x = np.vstack([self.x, row[None, :]])
        return True

    def _grow(self, capacity: int) -> None:
        for name in ("_l", "_linv"):
            old = getattr(self, name)
            new = np.zeros((capacity, capacity))
            new[: len(old), : len(old)] = old
            setattr(self, name, new)

    def solve(self, r: np.ndarray) -> np.ndarray:
        """(K + diagonal)^-1 r, by the inverse factor."""
        linv = self.chol_inv
        return linv.T @ (linv @ r)


class PoolCorrelations:
    """C(pool, observations) for one set of hyperparameters, one column per observation, and each row's max."""

    MAX_BYTES = 1.5e9  # beyond this the correlations are recomputed in blocks instead of kept

    def __init__(self, scaled_pool: np.ndarray) -> None:
        self.pool = scaled_pool
        self._k = np.zeros((len(scaled_pool), 0))
        self.x = np.zeros((0, scaled_pool.shape[1]))
        self.kmax = np.zeros(len(scaled_pool))

    @staticmethod
    def fits(pool_size: int, n: int) -> bool:
        """True when keeping pool x n correlations stays within memory."""
        return pool_size * max(n, 16) * 2 * 8 <= PoolCorrelations.MAX_BYTES

    @property
    def matrix(self) -> np.ndarray:
        """C(pool, observations) (view)."""
        return self._k[:, : len(self.x)]

    def sync(self, scaled_x: np.ndarray) -> None:
        """Make the columns those of ``scaled_x``: keep the common prefix, add the new observations."""
        keep = common_prefix(self.x, scaled_x)
        truncated = keep < len(self.x)
        self.x = self.x[:keep]
        new = scaled_x[keep:]
        if len(new):
            if keep + len(new) > self._k.shape[1]:
                grown = np.zeros((len(self.pool), max(16, 2 * (keep + len(new)))))
                grown[:, :keep] = self._k[:, :keep]
                self._k = grown
            self._k[:, keep : keep + len(new)] = correlations(self.pool, new)
            self.x = np.vstack([self.x, new])
        if truncated:
            self.kmax = self.matrix.max(axis=1) if len(self.x) else np.zeros(len(self.pool))
        elif len(new):
            np.maximum(self.kmax, self._k[:, keep : keep + len(new)].max(axis=1), out=self.kmax)
