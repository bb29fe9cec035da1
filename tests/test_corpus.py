"""The regression corpus of issue 14: every input that hung, crashed or named the wrong thing.

Each case is a file of ``tests/corpus/`` (or a value on the command line) and the one line it must
give, with exit code 2 and no traceback. ``CORPUS`` in a message stands for the corpus folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
RUN = ["1", "-m", "RANDOM", "--max-trials", "2", "--seed", "1"]
TINY = str(CORPUS / "tiny.yaml")
MODES = "RANDOM, DIV, GP, GP-NM, GP-LE, GP-HLE, RF, RF-LE, RF-HLE, TPE, TPE-LE, TPE-HLE, OTPE, OTPE-LE, OTPE-HLE, BATCH"
BOMB = "line 1: more than 200000 values (aliases expanded)"

HP_CONF_CASES = {  # hp_conf file -> message after "error: CORPUS/<file>: "
    "hp-alias-bomb-default.yaml": "line 5: more than 200000 values (aliases expanded)",
    "hp-deep.json": "nested deeper than 64 levels",
    "hp-range-nan.yaml": "hyperparams.x.range: expected finite bounds with a finite width, got [nan, 1.0]",
    "hp-power-of-nan.yaml": "hyperparams.lr.power_of: expected a finite base > 1, got nan",
    "hp-power-of-inf.yaml": "hyperparams.lr.power_of: expected a finite base > 1, got inf",
    "hp-level-nan.yaml": "hyperparams.w.range[0]: expected a finite float value within +-2**53, got nan",
    "hp-default-nan.yaml": "hyperparams.x.default: default nan is outside [0, 1]",
    "hp-int-beyond-int64.yaml": (
        "hyperparams.n.range: expected integer bounds within +-2**53, got [0, 100000000000000000000]"
    ),
    "hp-power-of-float-overflow.yaml": (
        "hyperparams.p.range: 10**-400 is outside the float range; narrow the range of exponents [-400, 400]"
    ),
    "hp-power-of-int-overflow.yaml": (
        "hyperparams.p.range: 2**2000 is outside 2**53; narrow the range of exponents [0, 2000]"
    ),
    "hp-time-scale-nan.yaml": "config.time_scale: expected a finite positive number, got nan",
    "hp-time-scale-inf.yaml": "config.time_scale: expected a finite positive number, got inf",
    "hp-goal-5.yaml": "config.goal: expected an accuracy in [0, 1], got 5",
    "branin-cost-inf.yaml": "config.cost.seconds: expected at most 1e+09, got inf",
}

RUN_CONF_CASES = {  # run_conf file (with the tiny table) -> message after "error: CORPUS/<file>: "
    "rc-alias-bomb-title.yaml": BOMB,
    "rc-alias-bomb-resources.yaml": BOMB,
    "rc-alias-bomb-bandit-config.yaml": BOMB,
    "rc-alias-bomb-etr.yaml": BOMB,
    "rc-deep.yaml": "line 1: nested deeper than 64 levels",
    "rc-recursive-alias.yaml": "line 1: recursive alias *loop",
    "rc-eta-nan.yaml": "eta: expected a finite positive number, got nan",
    "rc-decay-factor-nan.yaml": "decay_factor: expected a finite positive number, got nan",
    "rc-alpha-nan.yaml": "alpha: expected a finite positive number, got nan",
    "rc-kappa-nan.yaml": "kappa: expected a finite positive number, got nan",
    "rc-kappa-inf.yaml": "kappa: expected a finite positive number, got inf",
    "rc-resources-nan.yaml": "resources.GPU: expected a finite positive number, got nan",
    "rc-mcmc-iters-1e9.yaml": "gp.mcmc_iters: expected at most 100, got 1000000000",
    "rc-n-trees-1e6.yaml": "rf.n_trees: expected at most 1000, got 1000000",
    "rc-num-samples-1e15.yaml": "search_space.num_samples: expected at most 50000, got 1000000000000000",
    "rc-num-samples-1e9.yaml": "search_space.num_samples: expected at most 50000, got 1000000000",
    "rc-bandit-config.yaml": "bandits[0].config: unknown key (expected one of: mode, spec)",
    "rc-bandit-mode-xx.yaml": f"bandits[0].mode: expected one of {MODES}, got 'XX'",
    "rc-title-300.yaml": "title: expected at most 100 characters (it names files), got 300",
}


def one_line(result) -> str:
    """The single stderr line of a refused input (and no traceback)."""
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0].replace(str(CORPUS), "CORPUS")


@pytest.mark.parametrize(("name", "message"), HP_CONF_CASES.items())
def test_hp_conf_corpus(cli, name, message):
    assert one_line(cli(str(CORPUS / name), *RUN)) == f"error: CORPUS/{name}: {message}"


@pytest.mark.parametrize(("name", "message"), RUN_CONF_CASES.items())
def test_run_conf_corpus(cli, name, message):
    assert one_line(cli(TINY, *RUN, "-c", str(CORPUS / name))) == f"error: CORPUS/{name}: {message}"


def test_the_tiny_corpus_benchmark_runs(cli):
    result = cli(TINY, *RUN)
    assert result.code == 0, result.err


def test_many_levels_and_hyperparameters_are_refused(cli, tmp_path):
    base = json.loads(json.dumps({"config": {"max_epoch": 5, "surrogate": str(CORPUS / "tiny.csv")}}))
    levels = {**base, "hyperparams": {"w": {"type": "int", "value_type": "categorical", "range": list(range(100000))}}}
    many = {
        **base,
        "hyperparams": {f"p{i}": {"type": "float", "value_type": "continuous", "range": [0, 1]} for i in range(2000)},
    }
    (tmp_path / "levels.json").write_text(json.dumps(levels))
    (tmp_path / "many.json").write_text(json.dumps(many))
    assert one_line(cli(str(tmp_path / "levels.json"), *RUN)) == (
        f"error: {tmp_path}/levels.json: hyperparams.w.range: at most 1000 values, got 100000"
    )
    assert one_line(cli(str(tmp_path / "many.json"), *RUN)) == (
        f"error: {tmp_path}/many.json: hyperparams: at most 100 hyperparameters, got 2000"
    )


def test_duplicated_table_column_is_named_as_written(cli):
    assert one_line(cli(str(CORPUS / "hp-duplicated-column.yaml"), *RUN)) == (
        "error: CORPUS/duplicated-column.csv: duplicated column 'acc_1'"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [TINY, "1000000000", "-m", "RANDOM"],
            "error: Invalid value for 'NUM_TRIALS': 1000000000 is not in the range 1<=x<=10000.",
        ),
        (
            [TINY, *RUN, "--workers", "100000"],
            "error: Invalid value for '--workers': 100000 is not in the range 1<=x<=256.",
        ),
        (
            [TINY, "1", "-m", "RANDOM", "--seed", str(2**63)],
            "error: Invalid value for '--seed': 9223372036854775808 is not in the range 0<=x<=9223372036854775807.",
        ),
        ([TINY, *RUN, "--results", ""], "error: --results: expected a folder, got ''"),
        (
            [TINY, *RUN, "-et", "99999999999999999999999d"],
            "error: -et/--exp_time: expected at most 1e+09 seconds, got '99999999999999999999999d'",
        ),
        ([TINY, *RUN, "--overhead", "1e308"], "error: --overhead: expected at most 1e+09 seconds, got '1e308'"),
        (
            ["branin", *RUN, "--objective", "examples.objectives:quadratic"],
            "error: CONFIG: 'branin' is a built-in benchmark, evaluated without --objective; a real objective needs an"
            " hp_conf file (write one with: surrogates show branin > space.json)",
        ),
    ],
)
def test_command_line_corpus(cli, args, message):
    assert one_line(cli(*args)) == message


def test_results_below_a_file_or_unwritable_are_refused_before_any_work(cli, tmp_path):
    (tmp_path / "file").write_text("")
    assert one_line(cli(TINY, *RUN, "--results", str(tmp_path / "file" / "below"))) == (
        f"error: --results: cannot create {tmp_path}/file/below: {tmp_path}/file is a file"
    )
    assert one_line(cli(TINY, *RUN, "--results", "/proc/hpo-results")).startswith(
        "error: --results: cannot write to /proc ("
    )
    assert not (tmp_path / "results").exists()


def test_unreachable_scheduler_is_one_line_within_the_timeout(cli, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))
    args = ["examples/quadratic.json", *RUN[:1], "--objective", "examples.objectives:quadratic", "--max-trials", "2"]
    assert one_line(cli(*args, "-w", "tcp://127.0.0.1:9")) == (
        "error: -w/--worker_url: no Dask scheduler answered at tcp://127.0.0.1:9 within 10 s (OSError)"
    )


def test_compare_with_a_missing_peer_is_refused_before_any_cell(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "skopt", None)  # as if scikit-optimize were not installed
    args = ["compare", "--benchmarks", "branin", "--strategies", "RANDOM,skopt-gphedge", "--reps", "1", "-et", "1h"]
    line = one_line(cli(*args, "--workers", "1", "--results", str(tmp_path / "cmp")))
    assert line.startswith("error: --strategies: skopt-gphedge needs scikit-optimize, which is not installed (")
    assert not (tmp_path / "cmp").exists()


def test_yaml_anchors_that_expand_a_little_still_load(tmp_path):
    from hpo_mab.inputs.files import load_mapping

    path = tmp_path / "ok.yaml"
    path.write_text("a: &x [1, 2]\nb: [*x, *x]\nc: &s 3\nd: *s\n")
    assert load_mapping(path) == {"a": [1, 2], "b": [[1, 2], [1, 2]], "c": 3, "d": 3}
