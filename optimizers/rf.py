"""Random-forest surrogate: SMAC3's forest (mean and variance across trees), built without its per-tree overhead.

Inputs are ConfigSpace vectors (``CandidatePool.encoding("configspace")``). SMAC3's
``RandomForest`` is scikit-learn's forest of ``DecisionTreeRegressor`` with bootstrapping; a
fit through it spends most of its time outside the trees (cloning each estimator, validating
inputs per tree, building a ``RandomState`` several times per tree). ``FastForest`` builds the
same trees directly with scikit-learn's tree builder: the same seeds (one ``RandomState`` of the
fit's seed gives each tree its seed, as ``_set_random_states`` does), the same bootstrap counts,
splitter, criterion and stopping settings (``max_leaf_nodes=None``: the depth-first builder), and
predicts the mean and variance across trees as SMAC3 does (variance floored at 1e-10). Its
numbers are bit-identical to SMAC3's forest for the pinned scikit-learn (tests/test_arms.py
compares them); each fit is seeded from the repetition's random stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.tree._criterion import MSE
from sklearn.tree._splitter import BestSplitter
from sklearn.tree._tree import DepthFirstTreeBuilder, Tree

from hpo_mab.optimizers.options import RFOptions

MAX_INT = np.iinfo(np.int32).max
VAR_FLOOR = 1e-10  # SMAC3's VERY_SMALL_NUMBER
UNLIMITED_DEPTH = 2**20  # SMAC3's default depth
MIN_IMPURITY_DECREASE = 1e-8  # SMAC3's default: a split must reduce the impurity by this much


class FastForest:
    """Bootstrapped regression trees as SMAC3's ``RandomForest`` (no conditional hyperparameters) builds them."""

    def __init__(self, options: RFOptions, seed: int) -> None:
        self.options = options
        self.seed = seed
        self.trees: list = []

    def fit(self, x: np.ndarray, y: np.ndarray) -> FastForest:
        """Build ``n_trees`` trees on ``x`` (n, d) and ``y`` (n,)."""
        o = self.options
        x32 = np.asarray(x, dtype=np.float32)
        if not np.isfinite(x32).all():
            raise ValueError("the forest's inputs must be finite")
        targets = np.ascontiguousarray(np.asarray(y, dtype=np.float64).reshape(-1, 1))
        n, dim = x32.shape
        max_features = 0 if float(o.max_features) > 1.0 else max(1, int(dim * float(o.max_features)))
        leaf = int(o.min_samples_leaf)
        split = max(int(o.min_samples_split), 2 * leaf)
        depth = int(o.max_depth) if o.max_depth is not None else UNLIMITED_DEPTH
        seeds = np.random.RandomState(self.seed)
        self.trees = []
        for _ in range(int(o.n_trees)):
            tree_seed = seeds.randint(MAX_INT)
            counts = np.random.RandomState(tree_seed).randint(0, n, n).astype(np.int32)
            weights = np.bincount(counts, minlength=n).astype(np.float64)
            splitter = BestSplitter(MSE(1, n), max_features, leaf, 0.0, np.random.RandomState(tree_seed), None)
            tree = Tree(dim, np.array([1], dtype=np.intp), 1)
            builder = DepthFirstTreeBuilder(splitter, split, leaf, 0.0, depth, MIN_IMPURITY_DECREASE)
            builder.build(tree, x32, targets, weights, None)
            self.trees.append(tree)
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance across trees."""
        x32 = np.asarray(x, dtype=np.float32)
        preds = np.zeros((len(x32), len(self.trees)), dtype=np.float64)
        for index, tree in enumerate(self.trees):
            preds[:, index] = tree.predict(x32)[:, 0]
        mean = preds.mean(axis=1)
        var = preds.var(axis=1)
        var[var < VAR_FLOOR] = VAR_FLOOR
        var[np.isnan(var)] = VAR_FLOOR
        return mean, var


@dataclass
class RandomForestSurrogate:
    """SMAC3's random forest on ConfigSpace vectors; ``fit(X, y, rng)`` then ``predict(X) -> (mean, var)``."""

    configspace: object
    options: RFOptions = RFOptions()
    representation: str = "configspace"
    _model: FastForest | None = field(default=None, repr=False)

    def fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> RandomForestSurrogate:
        """Train a fresh forest (bootstrapped trees) on ``x``, ``y``."""
        self._model = FastForest(self.options, int(rng.integers(2**31 - 1))).fit(x, y)
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance across trees (variance floored at 1e-10)."""
        return self._model.predict(x)

    def get_state(self) -> dict:
        """No warm start: a forest depends only on the data and its seed."""
        return {}

    def set_state(self, state: dict) -> None:
        """Nothing to restore."""
