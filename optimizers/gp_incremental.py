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
from scipy.linalg import blas, cholesky, solve_triangular

SQRT5 = math.sqrt(5.0)
ELEMENT_BLOCK = 1 << 21  # kernel values per block of the element-wise computation
COLUMN_BLOCK = 64  # the correlations' buffer grows by whole blocks of columns
BASE_ROW_BLOCK = 2048  # pool rows per block of the base product (a block's temporaries: 2048 x base)
GROWTH = 1.25  # buffers grow to this multiple of what they hold (memory x 1.25 at most, one copy per 25% growth)


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
        out[start : start + rows] = matern52_from_sqdist(d2)
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


def capacity_for(n: int) -> int:
    """Rows (columns) a buffer that must hold ``n`` gets: ``GROWTH`` times that, in whole ``COLUMN_BLOCK``s."""
    return COLUMN_BLOCK * math.ceil(GROWTH * max(n, 1) / COLUMN_BLOCK)


class IncrementalFactor:
    """L^-1 of amp * C(x, x) + diagonal * I for one set of hyperparameters, and the rows of L appended
    after the base block (the pool's solve needs those; the base block of L is not kept)."""

    def __init__(self, scaled_x: np.ndarray, amp: float, diagonal: float, base: int) -> None:
        self.amp, self.diagonal = amp, diagonal
        self.base = base
        capacity = capacity_for(len(scaled_x))
        self._linv = np.zeros((capacity, capacity))
        self._appended: list[np.ndarray] = []  # row j >= base of L: L[j, :j + 1]
        self.x = np.zeros((0, scaled_x.shape[1]))
        head = scaled_x[:base]
        k = amp * correlations(head, head)
        k[np.diag_indices_from(k)] += diagonal
        chol = cholesky(k, lower=True, check_finite=False)
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

    def chol_row(self, j: int) -> np.ndarray:
        """Row j (>= base) of L up to its diagonal, L[j, :j + 1]."""
        return self._appended[j - self.base]

    @property
    def chol_inv(self) -> np.ndarray:
        """L^-1 (view, lower triangular)."""
        return self._linv[: self.n, : self.n]

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` rows (never below ``base``)."""
        self.x = self.x[:n]
        del self._appended[max(n, self.base) - self.base :]

    def append(self, row: np.ndarray) -> bool:
        """Add one observation; False if it would make the matrix singular (the factor is unchanged)."""
        n = self.n
        if n + 1 > len(self._linv):
            self._grow(capacity_for(n + 1))
        k = self.amp * correlations(self.x, row[None, :])[:, 0] if n else np.zeros(0)
        l_row = self._linv[:n, :n] @ k if n else np.zeros(0)
        d2 = self.amp + self.diagonal - float(l_row @ l_row)
        if not d2 > 1e-14:
            return False
        d = math.sqrt(d2)
        self._appended.append(np.append(l_row, d))
        self._linv[n, :n] = -(l_row @ self._linv[:n, :n]) / d
        self._linv[n, n] = 1.0 / d
        self.x = np.vstack([self.x, row[None, :]])
        return True

    def _grow(self, capacity: int) -> None:
        old = self._linv
        self._linv = np.zeros((capacity, capacity))
        self._linv[: len(old), : len(old)] = old

    def solve(self, r: np.ndarray) -> np.ndarray:
        """(K + diagonal)^-1 r, by the inverse factor."""
        linv = self.chol_inv
        return linv.T @ (linv @ r)


def matern52_from_sqdist(d2: np.ndarray) -> np.ndarray:
    """Matérn-5/2 of squared scaled distances (>= 0), computed in place in ``d2``."""
    np.sqrt(d2, out=d2)
    d2 *= SQRT5  # s
    e = np.exp(-d2)
    poly = d2 * d2
    poly *= 1.0 / 3.0
    poly += d2
    poly += 1.0
    poly *= e
    return poly


class PoolSolve:
    """V = C(pool, X) L^-T (pool x n) for one factor, grown column by column, and s = sum over columns of V**2.

    With it the posterior over the whole pool is exact at O(pool x n) per step: mean = c + amp V w
    (w = L^-1 (y - c)) and variance = amp - amp^2 s. The first ``base`` columns are one
    triangular product (BLAS dtrmm) with the base block of L^-1, in blocks of ``BASE_ROW_BLOCK``
    pool rows (so that the temporaries stay a block's size); each later column j is a forward
    substitution, (C(pool, x_j) - V[:, :j] L[j, :j]) / L[j, j]; each correlation column is one matrix-vector
    product (whatever the batch) and the Matérn function element-wise, so the numbers depend only
    on the factor, not on the path that led to it. V's buffer grows to ``GROWTH`` times the
    columns it holds, so ``MAX_BYTES`` is close to what it really uses.
    """

    MAX_BYTES = 1.5e9  # beyond this nothing is kept and predictions are computed in blocks

    def __init__(self, scaled_pool: np.ndarray, base: int, rows: np.ndarray | None = None) -> None:
        self.pool = scaled_pool
        self.rows = rows  # the pool rows these are (None: every row, in order)
        # squared distances as one product: [a, |a|^2, 1] . [-2b, 1, |b|^2]
        self._left = np.hstack([scaled_pool, (scaled_pool**2).sum(1, keepdims=True), np.ones((len(scaled_pool), 1))])
        self.base = base
        self._v = np.zeros((len(scaled_pool), 0))
        self.x = np.zeros((0, scaled_pool.shape[1]))
        self._s_base = np.zeros(len(scaled_pool))
        self.s = np.zeros(len(scaled_pool))

    @staticmethod
    def fits(pool_size: int, n: int) -> bool:
        """True when keeping pool x n values stays within memory."""
        return pool_size * capacity_for(n) * 8 <= PoolSolve.MAX_BYTES

    @property
    def matrix(self) -> np.ndarray:
        """V (view)."""
        return self._v[:, : len(self.x)]

    def _correlations(self, rows: np.ndarray, pool_rows: slice = slice(None)) -> np.ndarray:
        left = self._left[pool_rows]
        d2 = np.empty((len(left), len(rows)))
        for j, row in enumerate(rows):  # one matrix-vector product per column: the same bits in any batch
            d2[:, j] = left @ np.concatenate([-2.0 * row, [1.0, float(row @ row)]])
        np.maximum(d2, 0.0, out=d2)
        return matern52_from_sqdist(d2)

    def sync(self, factor: IncrementalFactor) -> None:
        """Make V that of ``factor`` (same base): keep the columns of the common prefix, compute the rest."""
        keep = max(common_prefix(self.x, factor.x), 0)
        n = factor.n
        if n > self._v.shape[1]:
            grown = np.zeros((len(self.pool), capacity_for(n)))
            grown[:, :keep] = self._v[:, :keep]
            self._v = grown
        if keep < self.base:  # the base block, by one product with the base block of L^-1
            base_inv = np.asfortranarray(factor.chol_inv[: self.base, : self.base])
            for start in range(0, len(self.pool), BASE_ROW_BLOCK):  # in row blocks: temporaries stay small
                rows = slice(start, start + BASE_ROW_BLOCK)
                block = self._correlations(factor.x[: self.base], rows)  # times L^-T: a triangular product
                self._v[rows, : self.base] = blas.dtrmm(1.0, base_inv, block, side=1, lower=1, trans_a=1)
            self._s_base = np.einsum("ij,ij->i", self._v[:, : self.base], self._v[:, : self.base])
            keep = self.base
        elif keep < len(self.x):  # truncated: the sums again from the base
            self.s = self._s_base.copy()
            for j in range(self.base, keep):
                self.s += self._v[:, j] ** 2
        if keep == self.base:
            self.s = self._s_base.copy()
        for j in range(keep, n):
            column = self._correlations(factor.x[j : j + 1])[:, 0]
            row = factor.chol_row(j)
            if j:
                column -= self._v[:, :j] @ row[:j]
            column /= row[j]
            self._v[:, j] = column
            self.s += column**2
        self.x = factor.x.copy()
