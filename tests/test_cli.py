"""Command-line values: each bad one is a single line on stderr with exit code 2; help and version."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_runner import split_short_equals

REPO = Path(__file__).resolve().parents[1]
DIV_SPECS = "SEQ, RANDOM, HEDGE, BO-HEDGE, BO-HEDGE-T, BO-HEDGE-LE, BO-HEDGE-LET, EG, EG-LE, GT, GT-LE, SKO, TS"
MODES = "RANDOM, DIV, GP, GP-NM, GP-LE, GP-HLE, RF, RF-LE, RF-HLE, TPE, TPE-LE, TPE-HLE, OTPE, OTPE-LE, OTPE-HLE, BATCH"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-et", "12x"],
            "error: -et/--exp_time: expected seconds or a number with s, m, h, d or w "
            "(e.g. 45s, 30m, 12h, 1.5h, 1h30m, 1d), got '12x'",
        ),
        (["-m", "BATCH", "-s", "SEQ"], "error: -s/--spec: expected one of ASYNC, SYNC for mode BATCH, got 'SEQ'"),
        (["-m", "XGB"], f"error: -m/--mode: expected one of {MODES}, got 'XGB'"),
        (["-s", "EI"], "error: -s/--spec: expected one of RANDOM for mode RANDOM, got 'EI'"),
        (
            ["-m", "DIV", "-s", "SYNC"],
            f"error: -s/--spec: expected one of {DIV_SPECS} for mode DIV, got 'SYNC'",
        ),
        (["-m", "TPE", "-s", "UCB"], "error: -s/--spec: expected one of EI, RANDOM for mode TPE, got 'UCB'"),
        (["-m", "GP", "-s", "SEQ"], "error: -s/--spec: expected one of EI, PI, UCB for mode GP, got 'SEQ'"),
        (
            ["-m", "DIV", "-s", "HEDGE", "-tp"],
            "error: -tp/--time_penalty: applies to the EI of GP and RF arms, not to DIV-HEDGE",
        ),
        (
            ["-m", "GP", "-s", "UCB", "-tp"],
            "error: -tp/--time_penalty: applies to the EI of GP and RF arms, not to GP-UCB",
        ),
        (["-m", "TPE", "-tp"], "error: -tp/--time_penalty: applies to the EI of GP and RF arms, not to TPE-EI"),
        (["-m", "OTPE", "-tp"], "error: -tp/--time_penalty: applies to the EI of GP and RF arms, not to OTPE-EI"),
        (["-s", "FOO"], "error: -s/--spec: expected one of RANDOM for mode RANDOM, got 'FOO'"),
        (["--overhead", "lots"], "error: --overhead: expected measured, none or seconds per trial, got 'lots'"),
        (["--overhead", "-3"], "error: --overhead: expected seconds >= 0, got '-3'"),
        (
            ["-w", "my-cluster"],
            "error: -w/--worker_url: expected none or an address like tcp://HOST:PORT, got 'my-cluster'",
        ),
        (["-e", "GOAL", "-eg", "1.5"], "error: -eg/--exp_goal: expected an error in [0, 1], got 1.5"),
        (["-e", "SOON"], "error: Invalid value for '-e' / '--exp_crt': 'SOON' is not one of 'time', 'goal'."),
        (["-gm", "f1"], "error: Invalid value for '-gm' / '--goal_metric': 'f1' is not one of 'error', 'accuracy'."),
        (["--seed", "-1"], "error: Invalid value for '--seed': -1 is not in the range 0<=x<=9223372036854775807."),
        (["--max-trials", "0"], "error: Invalid value for '--max-trials': 0 is not in the range 1<=x<=1000000."),
        (
            ["-l", "chatty"],
            "error: Invalid value for '-l' / '--log_level': 'chatty' is not one of 'debug', 'info', "
            "'warn', 'error', 'log'.",
        ),
        (["--bogus"], "error: No such option '--bogus'. Did you mean '--jobs'?"),  # click suggests the closest option
    ],
)
def test_bad_values_are_one_line_and_exit_2(cli, small_bench, args, message):
    result = cli(str(small_bench), "1", "-m", "RANDOM", *args)
    assert result.code == 2
    assert result.err.strip() == message
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: Missing argument 'CONFIG'. (see hpo_runner.py --help)"),
        (["surrogates"], "error: hpo_runner.py surrogates: give a command: list, materialize, show (see --help)"),
        (["surrogates", "foo"], "error: No such command 'foo'."),
        (["compare"], "error: Missing option '--benchmarks'. (see hpo_runner.py compare --help)"),
    ],
)
def test_a_missing_command_or_argument_is_one_line_that_points_to_help(args, message):
    proc = subprocess.run([sys.executable, str(REPO / "hpo_runner.py"), *args], capture_output=True, text=True)
    assert (proc.returncode, proc.stderr.strip()) == (2, message)


def test_bad_positionals(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "0")
    assert (result.code, result.err.strip()) == (
        2,
        "error: Invalid value for 'NUM_TRIALS': 0 is not in the range 1<=x<=10000.",
    )
    result = cli("no-such-benchmark", "1")
    assert result.code == 2
    assert result.err.startswith("error: CONFIG: no benchmark or hp_conf named 'no-such-benchmark' (looked for a file,")
    assert "among the known: breast-cancer-gbm, digits-mlp, branin" in result.err


def test_missing_folders_and_run_conf(cli, small_bench, tmp_path):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-hc", str(tmp_path / "nope"))
    assert (result.code, result.err.strip()) == (2, f"error: -hc/--hp_conf: not a folder: {tmp_path / 'nope'}")
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-c", "missing-conf", "-rc", str(tmp_path))
    assert (result.code, result.err.strip()) == (
        2,
        f"error: -c/--conf: no run_conf named 'missing-conf' (looked for a file and in {tmp_path}/)",
    )


def test_bad_run_conf_file_is_located(cli, small_bench, tmp_path):
    conf = tmp_path / "r.json"
    conf.write_text('{"search_space": {"num_samples": -5}}')
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-c", str(conf))
    assert result.code == 2
    assert result.err.strip() == f"error: {conf}: search_space.num_samples: expected a positive integer, got -5"


def test_hp_conf_without_table_is_refused_clearly(cli, tmp_path):
    conf = tmp_path / "objective.json"
    conf.write_text('{"hyperparams": {"x": {"type": "float", "value_type": "continuous", "range": [0, 1]}}}')
    result = cli(str(conf), "1")
    assert result.code == 2
    assert result.err.strip() == (
        f"error: {conf}: config.surrogate: this hp_conf has no config.surrogate (a table file, "
        "analytic:<function> or yahpo:<scenario>:<instance>); give a real objective to evaluate it with "
        "--objective MOD:FUNC or --command 'CMD {name}'"
    )


def test_debug_shows_the_traceback(small_bench, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "hpo_runner.py"), str(small_bench), "1", "-et", "12x", "--debug"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "Traceback" in proc.stderr and "InputError" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: -et/--exp_time: ")


def test_worker_url_is_validated_and_noted(cli, small_bench):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "-w", "tcp://127.0.0.1:8786", "--seed", "1")
    assert result.code == 0
    assert "is not used: surrogate replays simulate their workers in this process" in result.err


def test_goal_ignored_under_time_is_noted(cli, small_bench):
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "-eg", "0.1", "--seed", "1")
    assert "note: -eg/--exp_goal is ignored under -e TIME" in result.err


def test_split_short_equals():
    assert split_short_equals(["-m=GP", "-s=EI", "-eg=0.9", "--seed=3", "x=y"]) == [
        "-m",
        "GP",
        "-s",
        "EI",
        "-eg=0.9",
        "--seed=3",
        "x=y",
    ]


def test_console_script_and_module_are_the_same_cli(tmp_path):
    script = Path(sys.executable).with_name("hpo-runner")
    env = {**os.environ, "NO_COLOR": "1"}
    via_script = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env, check=True)
    via_file = subprocess.run(
        [sys.executable, str(REPO / "hpo_runner.py"), "--help"], capture_output=True, text=True, env=env, check=True
    )
    assert via_script.stdout.startswith("Usage: hpo-runner [OPTIONS] CONFIG NUM_TRIALS")
    assert via_file.stdout.startswith("Usage: hpo_runner.py [OPTIONS] CONFIG NUM_TRIALS")
    assert via_script.stdout.replace("hpo-runner", "hpo_runner.py", 1) == via_file.stdout
    for option in (
        "-m, --mode",
        "-s, --spec",
        "-e, --exp_crt",
        "-eg, --exp_goal",
        "-gm, --goal_metric",
        "-et, --exp_time",
        "-c, --conf",
        "-rc, --run_conf",
        "-hc, --hp_conf",
        "-w, --worker_url",
        "-l, --log_level",
        "-r, --rerun",
        "-p, --pkl",
        "-tp, --time_penalty",
        "--seed",
        "--max-trials",
        "--results",
        "--overhead",
        "--debug",
    ):
        assert option in via_script.stdout
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "hpo-runner, version 0.1.0"


def test_results_must_be_a_folder_holding_a_store(cli, small_bench, tmp_path):
    not_a_folder = tmp_path / "afile"
    not_a_folder.write_text("x")
    result = cli(str(small_bench), "1", "-m", "RANDOM", "--results", str(not_a_folder))
    assert (result.code, result.err.strip()) == (2, f"error: --results: not a folder: {not_a_folder}")
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "hpo.sqlite").write_text("not sqlite at all, but long enough to have a header" * 10)
    result = cli(str(small_bench), "1", "-m", "RANDOM", "-et", "30m", "--results", str(folder))
    assert result.code == 2
    assert result.err.startswith(f"error: {folder / 'hpo.sqlite'}: not a result store of hpo-mab (")
