import copy

import numpy as np
import pytest

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.hp_conf import parse_hp_conf
from hpo_mab.surrogates.lookup import LookupBenchmark, read_table
from tests.conftest import SMALL_HP_CONF, make_table


def conf_with(**config):
    data = copy.deepcopy(SMALL_HP_CONF)
    data["config"].update(config)
    return parse_hp_conf(data, "small.json", "small")


def bench_of(tmp_path, frame, **config):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    conf = conf_with(**config)
    return LookupBenchmark("small", conf, read_table(path, conf), path)


def test_error_is_one_minus_best_epoch_accuracy_and_time_is_prorated(tmp_path):
    frame = make_table(rows=3)
    frame.loc[1, [f"acc_{e}" for e in range(1, 6)]] = [0.5, 0.9, 0.8, 0.85, 0.7]
    frame.loc[1, "train_time"] = 100.0
    bench = bench_of(tmp_path, frame)
    full = bench.evaluate(1)
    assert full.accuracy == 0.9 and full.error == pytest.approx(0.1)
    assert full.best_epoch == 2 and full.epochs == 5
    assert full.exec_time == 200.0  # time_scale 2
    assert full.curve == (0.5, 0.9, 0.8, 0.85, 0.7)
    first = bench.evaluate(1, epochs=1)
    assert first.accuracy == 0.5 and first.exec_time == 40.0 and first.epochs == 1


def test_metric_error_and_perplexity(tmp_path):
    frame = make_table(rows=2)
    acc = [f"acc_{e}" for e in range(1, 6)]
    frame.loc[0, acc] = [0.3, 0.2, 0.1, 0.15, 0.2]
    assert bench_of(tmp_path, frame, metric="error").evaluate(0).accuracy == pytest.approx(0.9)
    frame.loc[0, acc] = [300, 150, 120, 99.2, 110]
    assert bench_of(tmp_path, frame, metric="perplexity").evaluate(0).accuracy == pytest.approx(0.9008)


def test_pool_is_the_rows_and_goal_is_the_tenth_best(tmp_path):
    frame = make_table(rows=50)
    bench = bench_of(tmp_path, frame)
    assert len(bench.pool()) == 50 and list(bench.pool().ids) == list(range(50))
    best = np.sort(frame[[f"acc_{e}" for e in range(1, 6)]].max(axis=1).to_numpy())[::-1]
    assert bench.default_goal() == best[9]
    assert bench_of(tmp_path, frame, goal=0.95).default_goal() == 0.95


def test_identical_configurations_are_pooled_once(tmp_path):
    frame = make_table(rows=10)
    frame.loc[7, ["x", "lr", "units", "act"]] = frame.loc[2, ["x", "lr", "units", "act"]].to_numpy()
    pool = bench_of(tmp_path, frame).pool()
    assert len(pool) == 9 and 7 not in pool.ids


def test_extra_metric_columns_are_kept(tmp_path):
    frame = make_table(rows=4)
    frame["metric_loss"] = 1.0
    assert list(bench_of(tmp_path, frame).table.extras.columns) == ["metric_loss"]


def malformed(tmp_path, change):
    frame = make_table(rows=6).astype(object)
    frame = change(frame)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_table(path, conf_with())
    return err.value.line().replace(str(path), "FILE")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.drop(columns="acc_3"),
            "FILE: missing column 'acc_3' (expected x, lr, units, act, acc_1..acc_5, train_time)",
        ),
        (
            lambda f: f.drop(columns="lr"),
            "FILE: missing column 'lr' (expected x, lr, units, act, acc_1..acc_5, train_time)",
        ),
        (
            lambda f: f.drop(columns="train_time"),
            "FILE: missing column 'train_time' (expected x, lr, units, act, acc_1..acc_5, train_time)",
        ),
        (
            lambda f: f.assign(acc_6=0.5),
            "FILE: unexpected column 'acc_6' (more epochs than config.max_epoch?); "
            "extra metrics must be named metric_<name>",
        ),
        (lambda f: f.assign(loss=0.5), "FILE: unexpected column 'loss'; extra metrics must be named metric_<name>"),
        (
            lambda f: f.assign(acc_2=["0.5", "0.6", "n/a", "0.7", "0.1", "0.2"]),
            "FILE: row 3, column 'acc_2': expected a finite number, got 'n/a'",
        ),
        (
            lambda f: f.assign(acc_4=[0.5, 0.6, 0.7, 1.7, 0.1, 0.2]),
            "FILE: row 4, column 'acc_4': accuracy must lie in [0, 1]",
        ),
        (lambda f: f.assign(train_time=[1, 2, 3, 4, -5, 6]), "FILE: row 5, column 'train_time': negative time -5"),
        (
            lambda f: f.assign(act=["relu", "gelu", "relu", "relu", "relu", "relu"]),
            "FILE: row 2, column 'act': 'gelu' is outside ['relu', 'tanh']",
        ),
        (
            lambda f: f.assign(lr=[0.5, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3]),
            "FILE: row 1, column 'lr': 0.5 is outside [0.0001, 0.1]",
        ),
        (lambda f: f.assign(units=[2, 4, 3.5, 8, 16, 2]), "FILE: row 3, column 'units': 3.5 is outside [2, 4, 8, 16]"),
        (lambda f: f.iloc[0:0], "FILE: the table has no rows"),
    ],
)
def test_malformed_tables_name_file_row_and_column(tmp_path, change, message):
    assert malformed(tmp_path, change) == message


def test_missing_table_and_wrong_suffix(tmp_path):
    with pytest.raises(InputError, match="table file not found"):
        read_table(tmp_path / "nope.csv", conf_with())
    with pytest.raises(InputError, match=r"expected a \.csv, \.csv\.gz or \.parquet table, got 'x.txt'"):
        read_table(tmp_path / "x.txt", conf_with())


def test_infinite_times_perplexity_range_and_broken_files(tmp_path):
    frame = make_table(rows=4)
    frame["train_time"] = frame["train_time"].astype(object)
    frame.loc[2, "train_time"] = "inf"
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 3, column 'train_time': expected a finite number, got 'inf'"):
        read_table(path, conf_with())
    frame = make_table(rows=4)
    frame.loc[1, "acc_2"] = 1200.0
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 2, column 'acc_2': perplexity must lie in \[0, 1000\]"):
        read_table(path, conf_with(metric="perplexity"))
    gz = tmp_path / "t.csv.gz"
    make_table(rows=50).to_csv(gz, index=False)
    gz.write_bytes(gz.read_bytes()[:200])  # an interrupted copy
    with pytest.raises(InputError, match=r"cannot read table \((EOFError|BadGzipFile|error)"):
        read_table(gz, conf_with())
