"""Generate the bundled ``digits-mlp`` lookup table by really training scikit-learn MLPs.

Each row is one configuration of ``hp_conf/digits-mlp.json`` (a scrambled Sobol point, fixed
seed) trained epoch by epoch with ``MLPClassifier.partial_fit`` on scikit-learn's digits data
(stratified 75/25 split, standardised); after every epoch the test accuracy is recorded, and the
measured training time (wall seconds, evaluation excluded) is stored as ``train_time``.

Rows are appended to a partial CSV as they finish, so the script can run in the background and
resume where it stopped; when every row is done it writes the sorted, gzip-compressed table and a
metadata record next to it. Accuracies are reproducible for the seed; times are measurements.

    python -m hpo_mab.surrogates.generators.digits_mlp [--rows 12000] [--jobs 2] [--out surrogates/data]
"""

from __future__ import annotations

import time
import warnings
from functools import lru_cache

import numpy as np

from hpo_mab.surrogates.generators import tables


@lru_cache(maxsize=1)
def _dataset():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def train_row(args: tuple[int, dict, int]) -> tuple[int, list[float], float]:
    """Train one configuration for ``epochs`` epochs; return (row, per-epoch accuracy, seconds)."""
    row, config, epochs = args
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, x_test, y_train, y_test = _dataset()
    classes = np.unique(y_train)
    clf = MLPClassifier(
        hidden_layer_sizes=(config["n_units"],) * config["n_layers"],
        activation=config["activation"],
        solver=config["solver"],
        alpha=config["alpha"],
        batch_size=config["batch_size"],
        learning_rate_init=config["learning_rate_init"],
        momentum=config["momentum"],
        random_state=row,
    )
    accuracies, seconds = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for _ in range(epochs):
            start = time.perf_counter()
            try:
                clf.partial_fit(x_train, y_train, classes=classes)
            except ValueError:  # the weights diverged (non-finite): the network is dead from here on
                seconds += time.perf_counter() - start
                break
            seconds += time.perf_counter() - start
            accuracies.append(float(np.mean(clf.predict(x_test) == y_test)))
    if len(accuracies) < epochs:
        # a diverged network predicts one class: chance accuracy for the remaining epochs, and the
        # time of the epochs it would still have trained, prorated from the epochs it did train
        majority = np.bincount(y_train).argmax()
        trained = max(len(accuracies), 1)
        seconds *= epochs / trained
        accuracies += [float(np.mean(y_test == majority))] * (epochs - len(accuracies))
    return row, accuracies, seconds


RECIPE = tables.TableRecipe(
    name="digits-mlp",
    description="scikit-learn MLPClassifier on the digits data (1347 train / 450 test, stratified), "
    "trained with partial_fit one epoch at a time; test accuracy after each epoch",
    sobol_seed=20261125,
    default_rows=12000,
    module="hpo_mab.surrogates.generators.digits_mlp",
    train_row=train_row,
)
HP_CONF = RECIPE.hp_conf_path
generate = RECIPE.generate
sample_configs = RECIPE.sample_configs


if __name__ == "__main__":
    tables.main(RECIPE)
