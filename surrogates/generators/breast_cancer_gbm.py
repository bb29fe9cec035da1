"""Generate the bundled ``breast-cancer-gbm`` lookup table by really training gradient boosting.

Each row is one configuration of ``hp_conf/breast-cancer-gbm.json`` (a scrambled Sobol point,
fixed seed): scikit-learn's ``GradientBoostingClassifier`` with 200 boosting rounds on the
breast-cancer data (stratified 60/40 split, 341 train / 228 test). One epoch is 5 boosting rounds:
``acc_e`` is the test accuracy of the first 5·e rounds (``staged_predict``), and ``train_time`` is
the measured wall time of fitting all 200 rounds (evaluation excluded).

    python -m hpo_mab.surrogates.generators.breast_cancer_gbm [--rows 5000] [--jobs 2] [--out surrogates/data]
"""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np

from hpo_mab.surrogates.generators import tables

ROUNDS_PER_EPOCH = 5


@lru_cache(maxsize=1)
def _dataset():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    return train_test_split(x, y, test_size=0.4, stratify=y, random_state=0)


def train_row(args: tuple[int, dict, int]) -> tuple[int, list[float], float]:
    """Fit one configuration for ``epochs`` × 5 rounds; return (row, per-epoch accuracy, seconds)."""
    from sklearn.ensemble import GradientBoostingClassifier

    row, config, epochs = args
    x_train, x_test, y_train, y_test = _dataset()
    clf = GradientBoostingClassifier(
        n_estimators=epochs * ROUNDS_PER_EPOCH,
        learning_rate=config["learning_rate"],
        max_depth=config["max_depth"],
        min_samples_leaf=config["min_samples_leaf"],
        subsample=config["subsample"],
        max_features=config["max_features"],
        loss=config["loss"],
        random_state=row,
    )
    start = time.perf_counter()
    clf.fit(x_train, y_train)
    seconds = time.perf_counter() - start
    staged = list(clf.staged_predict(x_test))
    accuracies = [float(np.mean(staged[e * ROUNDS_PER_EPOCH - 1] == y_test)) for e in range(1, epochs + 1)]
    return row, accuracies, seconds


RECIPE = tables.TableRecipe(
    name="breast-cancer-gbm",
    description="scikit-learn GradientBoostingClassifier on the breast-cancer data (341 train / 228 test, "
    "stratified), 200 boosting rounds; one epoch = 5 rounds, test accuracy of the first 5*e rounds",
    sobol_seed=20261126,
    default_rows=5000,
    module="hpo_mab.surrogates.generators.breast_cancer_gbm",
    train_row=train_row,
)
HP_CONF = RECIPE.hp_conf_path
generate = RECIPE.generate
sample_configs = RECIPE.sample_configs


if __name__ == "__main__":
    tables.main(RECIPE)
