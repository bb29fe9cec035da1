"""`surrogates list|show|materialize`, user tables (CSV.gz, Parquet) and replays of materialised tables."""

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SMALL_HP_CONF, make_table

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "yahpo"
needs_yahpo = pytest.mark.skipif(not (DATA / "lcbench").is_dir(), reason=f"YAHPO data not found at {DATA}")

LIST_HEAD = """\
name                  source                                    params  epochs  size            optimum      goal
--------------------  ----------------------------------------  ------  ------  -------------  --------  --------
breast-cancer-gbm     surrogates/data/breast-cancer-gbm.csv.gz       6      40  5000 rows      0.986842  0.986842
digits-mlp            surrogates/data/digits-mlp.csv.gz              8      30  12000 rows     0.988889  0.986667
branin                analytic, 300 s/evaluation                     2       1  20000-pt pool         1  0.999917
goldstein-price       analytic, 300 s/evaluation                     2       1  20000-pt pool         1  0.959659
hartmann3             analytic, 300 s/evaluation                     3       1  20000-pt pool         1   0.99039
hartmann6             analytic, 300 s/evaluation                     6       1  20000-pt pool         1  0.831414
rosenbrock4           analytic, 300 s/evaluation                     4       1  20000-pt pool         1  0.629524
six-hump-camel        analytic, 300 s/evaluation                     2       1  20000-pt pool         1  0.999933
"""


@needs_yahpo
def test_list_shows_bundled_analytic_and_yahpo_benchmarks(cli, monkeypatch):
    monkeypatch.delenv("HPO_YAHPO_DATA", raising=False)
    result = cli("surrogates", "list", "--yahpo-data", str(DATA))
    assert result.code == 0
    lines = result.out.splitlines()
    assert "\n".join(lines[:10]) + "\n" == LIST_HEAD
    yahpo_lines = [line for line in lines if line.startswith("yahpo:lcbench:")]
    assert len(yahpo_lines) == 34 and len(lines) == 10 + 34 + 2
    assert yahpo_lines[0].split() == [
        "yahpo:lcbench:3945",
        "YAHPO",
        "lcbench",
        "ONNX",
        "7",
        "52",
        "20000-pt",
        "pool",
        "-",
        "-",
    ]
    assert lines[-1].startswith("optimum and goal are accuracies")


def test_list_shows_user_tables_and_skips_broken_files(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("HPO_YAHPO_DATA", raising=False)
    user = tmp_path / "mine"
    user.mkdir()
    make_table(rows=40).to_csv(user / "small.csv", index=False)
    (user / "small.json").write_text(json.dumps(SMALL_HP_CONF))
    (user / "broken.json").write_text('{"hyperparams": {}}')
    result = cli("surrogates", "list", "-hc", str(user))
    assert result.code == 0
    small = make_table(rows=40)
    best = small[[f"acc_{e}" for e in range(1, 6)]].max(axis=1).sort_values(ascending=False).to_numpy()
    line = next(line for line in result.out.splitlines() if line.startswith("small "))
    assert line.split() == [
        "small",
        str(user / "small.csv"),
        "4",
        "5",
        "40",
        "rows",
        f"{best[0]:.6g}",
        f"{best[9]:.6g}",
    ]
    assert result.err.strip() == (
        f"skipped {user / 'broken.json'}: hyperparams: expected a non-empty mapping of hyperparameters, got {{}}"
    )


def test_list_without_yahpo_data_lists_the_rest(cli, monkeypatch):
    monkeypatch.delenv("HPO_YAHPO_DATA", raising=False)
    result = cli("surrogates", "list")
    assert result.code == 0 and "yahpo:" not in result.out and "branin" in result.out
    bad = cli("surrogates", "list", "--yahpo-data", "/no/such/folder")
    assert bad.code == 2 and bad.err.strip() == "error: --yahpo-data: YAHPO data folder not found: /no/such/folder"


def test_show_prints_the_hp_conf(cli):
    shown = cli("surrogates", "show", "digits-mlp")
    assert shown.code == 0 and json.loads(shown.out)["config"]["surrogate"] == "digits-mlp.csv.gz"
    branin = json.loads(cli("surrogates", "show", "branin").out)
    assert branin["config"] == {
        "max_epoch": 1,
        "surrogate": "analytic:branin",
        "cost": {"seconds": 300.0, "spread": 0.0},
        "description": "branin test function, minimum 0.397887",
    }
    assert branin["hyperparams"]["x2"] == {"type": "float", "value_type": "continuous", "range": [0.0, 15.0]}
    missing = cli("surrogates", "show", "nope")
    assert missing.code == 2 and "no benchmark or hp_conf named 'nope'" in missing.err


@needs_yahpo
def test_show_generates_the_yahpo_hp_conf(cli):
    shown = json.loads(cli("surrogates", "show", "yahpo:lcbench:3945", "--yahpo-data", str(DATA)).out)
    assert shown["param_order"] == [
        "batch_size",
        "learning_rate",
        "max_dropout",
        "max_units",
        "momentum",
        "num_layers",
        "weight_decay",
    ]
    assert shown["hyperparams"]["batch_size"] == {
        "type": "int",
        "value_type": "discrete",
        "range": [16, 512],
        "log": True,
        "default": 91,
    }


def trace(results: Path, bench: str, name: str) -> dict:
    return json.loads(next((results / bench).glob(f"*/{name}")).read_text())


@needs_yahpo
@pytest.mark.parametrize(("mode", "spec"), [("RANDOM", "RANDOM"), ("GP", "EI")])
def test_a_materialised_yahpo_table_replays_like_the_model(cli, tmp_path, mode, spec):
    out = tmp_path / "tables" / "lc.csv.gz"
    made = cli(
        "surrogates", "materialize", "yahpo:lcbench:3945", "--num-samples", "300", "-o", str(out), "--yahpo-data",
        str(DATA),
    )  # fmt: skip
    assert made.code == 0, made.err
    assert made.out.splitlines()[0].startswith("300 configurations x 52 epochs in ")
    table = pd.read_csv(out)
    assert len(table) == 300 and list(table.columns[-3:]) == ["acc_51", "acc_52", "train_time"]
    meta = json.loads((tmp_path / "tables" / "lc.meta.json").read_text())
    assert meta["source"] == "yahpo:lcbench:3945" and meta["rows"] == 300 and meta["pool"]["num_samples"] == 300
    assert meta["optimum_accuracy"] == table[[f"acc_{e}" for e in range(1, 53)]].max(axis=1).max()
    run_conf = tmp_path / "pool.yaml"
    # the model's pool is the table's rows; refinement off, so the model-based run proposes rows too
    run_conf.write_text("search_space: {num_samples: 300}\nrefine: {enabled: false}\n")
    args = [str(mode), "-m", mode, "-s", spec, "-et", "3h", "--seed", "4", "-c", str(run_conf)]
    replay = cli(str(tmp_path / "tables" / "lc.json"), "2", *args[1:], "--results", str(tmp_path / "a"))
    model = cli("yahpo:lcbench:3945", "2", *args[1:], "--results", str(tmp_path / "b"), "--yahpo-data", str(DATA))
    assert replay.code == model.code == 0
    name = f"{mode}-{spec}(2).json"
    assert trace(tmp_path / "a", "lc", name) == trace(tmp_path / "b", "yahpo-lcbench-3945", name)


def test_materialize_refuses_tables_and_unknown_suffixes(cli, tmp_path):
    table = cli("surrogates", "materialize", "digits-mlp", "-o", str(tmp_path / "x.csv"))
    assert table.code == 2
    assert "'digits-mlp' is already a lookup table; materialize takes a YAHPO or analytic source" in table.err
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = cli("surrogates", "materialize", "branin", "--num-samples", "8", "-o", str(blocked / "x.csv"))
    assert unwritable.code == 2 and unwritable.err.startswith(f"error: -o/--out: cannot write {blocked / 'x.csv'} (")
    suffix = cli("surrogates", "materialize", "branin", "-o", str(tmp_path / "x.txt"))
    assert suffix.err.strip() == "error: -o/--out: expected a .csv, .csv.gz or .parquet file name, got 'x.txt'"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["list", "-hc", "/no/such/folder"],
            "error: Invalid value for '-hc' / '--hp_conf': Directory '/no/such/folder'",
        ),
        (["show", "nothere"], "error: NAME: no benchmark or hp_conf named 'nothere'"),
        (
            ["materialize", "branin", "--num-samples", "8", "--seed", "-1", "-o", "x.csv"],
            "error: Invalid value for '--seed': -1 is not in the range 0<=x<=9223372036854775807.",
        ),
        (
            ["materialize", "branin", "--num-samples", "8", "--seed", str(2**63), "-o", "x.csv"],
            "error: Invalid value for '--seed': 9223372036854775808 is not in the range",
        ),
    ],
)
def test_bad_surrogates_options_are_one_line(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = cli("surrogates", *args)
    assert result.code == 2 and result.err.startswith(message) and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_materialised_analytic_table_in_parquet_replays(cli, tmp_path):
    out = tmp_path / "h3.parquet"
    assert cli("surrogates", "materialize", "hartmann3", "--num-samples", "200", "-o", str(out)).code == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["x1", "x2", "x3", "acc_1", "train_time"] and len(frame) == 200
    assert set(frame["train_time"]) == {300.0}
    result = cli(str(tmp_path / "h3.json"), "1", "-m", "RANDOM", "-et", "1h", "--seed", "2")
    assert result.code == 0
    rep = trace(tmp_path / "results", "h3", "RANDOM-RANDOM(1).json")["0"]
    assert rep["cum_exec_time"] == [300.0 * k for k in range(1, 13)]


def test_user_tables_in_csv_gz_and_parquet_are_benchmarks(cli, tmp_path):
    frame = make_table(rows=50)
    traces = []
    for suffix in (".csv.gz", ".parquet"):
        folder = tmp_path / suffix.strip(".")
        folder.mkdir()
        table = folder / f"small{suffix}"
        frame.to_parquet(table, index=False) if suffix == ".parquet" else frame.to_csv(table, index=False)
        conf = dict(SMALL_HP_CONF, config=dict(SMALL_HP_CONF["config"], surrogate=table.name))
        (folder / "small.json").write_text(json.dumps(conf))
        result = cli(str(folder / "small.json"), "1", "-m", "RANDOM", "-et", "1h", "--seed", "5", "--results",
                     str(folder / "r"))  # fmt: skip
        assert result.code == 0
        traces.append(trace(folder / "r", "small", "RANDOM-RANDOM(1).json"))
    assert traces[0] == traces[1]


def test_malformed_parquet_table_names_row_and_column(cli, tmp_path):
    frame = make_table(rows=10)
    frame.loc[6, "train_time"] = -1.0
    frame.to_parquet(tmp_path / "small.parquet", index=False)
    conf = dict(SMALL_HP_CONF, config=dict(SMALL_HP_CONF["config"], surrogate="small.parquet"))
    (tmp_path / "small.json").write_text(json.dumps(conf))
    result = cli(str(tmp_path / "small.json"), "1")
    assert result.code == 2
    assert result.err.strip() == f"error: {tmp_path / 'small.parquet'}: row 7, column 'train_time': negative time -1"


def test_materialize_keeps_the_files_it_would_overwrite(cli, tmp_path):
    out = tmp_path / "lc.v2.csv"
    first = cli("surrogates", "materialize", "branin", "--num-samples", "8", "-o", str(out))
    assert first.code == 0, first.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lc.v2.csv", "lc.v2.json", "lc.v2.meta.json"]
    table = out.read_bytes()
    again = cli("surrogates", "materialize", "branin", "--num-samples", "8", "--seed", "2", "-o", str(out))
    assert again.code == 0, again.err
    assert again.err.splitlines() == [
        "note: kept the previous lc.v2.csv as lc.v2.csv.~1~",
        "note: kept the previous lc.v2.json as lc.v2.json.~1~",
        "note: kept the previous lc.v2.meta.json as lc.v2.meta.json.~1~",
    ]
    assert (tmp_path / "lc.v2.csv.~1~").read_bytes() == table and out.read_bytes() != table
