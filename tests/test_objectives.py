"""Real objectives: shell commands and Python functions, every failure kind with its reason."""

import json
import sqlite3
import sys

import pytest

from hpo_mab.objectives.python import PythonObjective
from hpo_mab.objectives.shell import ShellObjective

PY = sys.executable
QUADRATIC = "examples/quadratic.json"


def shell(script: str, timeout=None) -> ShellObjective:
    return ShellObjective(f"{PY} -c {json.dumps(script)} {{x}}", timeout=timeout)


def test_result_is_the_last_json_object_and_epoch_lines_are_reports():
    script = (
        "import json,sys; print('training...');"
        "[print(json.dumps({'epoch': e, 'accuracy': a})) for e, a in [(1, .5), (2, .9), (3, .8)]];"
        "print(json.dumps({'accuracy': .9, 'exec_time': 12.5}))"
    )
    outcome = shell(script)({"x": 0.25})
    assert outcome.ok and outcome.accuracy == 0.9 and outcome.error == pytest.approx(0.1)
    assert outcome.curve == (0.5, 0.9, 0.8) and outcome.best_epoch == 2 and outcome.exec_time == 12.5


def test_values_are_substituted_shell_quoted_and_the_config_file_is_given():
    objective = ShellObjective(
        f"{PY} -c \"import json,os,sys; c=json.load(open(os.environ['HPO_CONFIG_FILE']));"
        f" print(json.dumps({{'accuracy': 0.5 if sys.argv[1] == c['name'] else 0.0}}))\" {{name}}"
    )
    assert objective.command({"name": "a b; rm -rf /"}).endswith("'a b; rm -rf /'")
    assert objective({"name": "a b; rm -rf /"}).accuracy == 0.5


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("import sys; sys.stderr.write('boom\\n'); sys.exit(3)", "exit code 3"),
        ("print('no json here')", "no JSON result on stdout"),
        ("print('{\"accuracy\": NaN}')", "accuracy is nan"),
        ('print(\'{"accuracy": "high"}\')', "accuracy is not a number: 'high'"),
        ("print('{\"loss\": 0.2}')", "result has neither error nor accuracy: {'loss': 0.2}"),
        ('print(\'{"epoch": 1, "accuracy": "x"}\'); print(\'{"accuracy": 0.5}\')', "bad per-epoch report"),
    ],
)
def test_each_failure_kind_is_a_failed_trial_with_its_reason(script, reason):
    outcome = shell(script)({"x": 1})
    assert not outcome.ok and outcome.reason.startswith(reason)
    if "boom" in script:
        assert outcome.stderr_tail == "boom\n"


def test_a_command_over_its_timeout_is_killed():
    outcome = shell("import time; time.sleep(30)", timeout=0.5)({"x": 1})
    assert not outcome.ok and outcome.reason == "timed out after 0.5 s"


def test_python_objectives_numbers_dicts_exceptions_and_timeouts():
    ok = PythonObjective("examples.objectives:quadratic")({"x": 0.3, "lr": 0.01})
    assert ok.ok and ok.accuracy == pytest.approx(0.98 * 0.875) and ok.epochs == 3 and ok.best_epoch == 3
    assert len(ok.curve) == 3
    error_metric = PythonObjective("tests.test_objectives:as_number", metric="error")({"x": 0.25})
    assert error_metric.ok and error_metric.error == 0.25 and error_metric.accuracy == 0.75
    raised = PythonObjective("tests.test_objectives:raises")({"x": 1})
    assert not raised.ok and raised.reason == "exception ZeroDivisionError: division by zero"
    assert "ZeroDivisionError" in raised.stderr_tail
    slow = PythonObjective("tests.test_objectives:sleeps", timeout=0.5)({"x": 1})
    assert not slow.ok and slow.reason == "timed out after 0.5 s"
    quick = PythonObjective("tests.test_objectives:as_number", timeout=30)({"x": 0.5})
    assert quick.ok and quick.accuracy == 0.5


def as_number(config, report):
    return config["x"]


def raises(config, report):
    return 1 / 0


def sleeps(config, report):
    import time

    time.sleep(30)


def test_failed_trials_are_stored_reported_and_kept_out_of_the_models(cli, tmp_path):
    command = f"{PY} -c \"import json,sys; x=float(sys.argv[1]); assert x < 0.5, 'too big'; print(json.dumps({{'accuracy': x}}))\" {{x}}"  # noqa: E501
    result = cli(QUADRATIC, "1", "-m", "GP", "--command", command, "--max-trials", "12", "--seed", "3", "-et", "1d")
    assert result.code == 0, result.err
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    rows = db.execute("SELECT trial, status, note, accuracy, config FROM trials ORDER BY trial").fetchall()
    assert [r[0] for r in rows] == list(range(12))
    failed = [r for r in rows if r[1] == "failed"]
    assert failed and all(json.loads(r[4])["x"] >= 0.5 for r in failed)
    assert all(r[2].startswith("failed: exit code 1; stderr: ") and "too big" in r[2] for r in failed)
    assert all(json.loads(r[4])["x"] < 0.5 and r[3] == json.loads(r[4])["x"] for r in rows if r[1] == "ok")
    trace = json.loads(next((tmp_path / "results" / "quadratic").glob("*/GP-EI(1).json")).read_text())["0"]
    assert len(trace["error"]) == sum(r[1] == "ok" for r in rows)  # failed trials: store and CSV only
    assert "best: error" in result.out


def test_max_failures_ends_the_run_with_a_clear_reason(cli, tmp_path):
    conf = tmp_path / "fail.yaml"
    conf.write_text("max_failures: 3\n")
    result = cli(QUADRATIC, "1", "-m", "RANDOM", "--command", "exit 7", "-c", str(conf), "--seed", "1")
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*), MIN(status) FROM trials").fetchone() == (3, "failed")
    assert db.execute("SELECT stop_reason FROM reps").fetchone()[0] == "max_failures"
    assert "max_failures" in result.out + result.err


def test_a_broken_objective_gives_up_after_ten_failures_and_says_why_in_each_line(cli, tmp_path):
    result = cli(QUADRATIC, "1", "-m", "RANDOM", "--command", "exit 7", "--seed", "1", "-l", "log")
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*), MIN(status), MAX(status) FROM trials").fetchone() == (10, "failed", "failed")
    assert db.execute("SELECT stop_reason FROM reps").fetchone()[0] == "no_success"
    lines = [line for line in result.out.splitlines() if line.startswith("rep 0 trial")]
    assert len(lines) == 10
    assert all(" failed: exit code 7 best inf " in line for line in lines), lines[0]
    assert "rep 0 stopped: no_success after 10 trials" in result.out
    assert result.code == 4


def test_failures_after_a_success_do_not_give_up(cli, tmp_path):
    script = tmp_path / "flaky.py"
    script.write_text(
        "import json, pathlib, sys\n"
        "count = pathlib.Path(sys.argv[1]); n = int(count.read_text()) if count.exists() else 0\n"
        "count.write_text(str(n + 1))\n"
        "sys.exit(3) if n else print(json.dumps({'accuracy': 0.5}))\n"
    )
    conf = tmp_path / "cap.yaml"
    conf.write_text("max_failures: 14\n")
    command = f"{PY} {script} {tmp_path / 'count'} {{x}}"
    cli(QUADRATIC, "1", "-m", "RANDOM", "--command", command, "-c", str(conf), "--seed", "1")
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT status, COUNT(*) FROM trials GROUP BY status ORDER BY status").fetchall() == [
        ("failed", 14),
        ("ok", 1),
    ]
    assert db.execute("SELECT stop_reason FROM reps").fetchone()[0] == "max_failures"


def test_giving_up_can_be_switched_off(cli, tmp_path):
    conf = tmp_path / "never.yaml"
    conf.write_text("failures_before_success: null\nmax_failures: 12\n")
    cli(QUADRATIC, "1", "-m", "RANDOM", "--command", "exit 7", "-c", str(conf), "--seed", "1")
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 12
    assert db.execute("SELECT stop_reason FROM reps").fetchone()[0] == "max_failures"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objective", "nosuchmodule:f"], "error: --objective: cannot import 'nosuchmodule' (ModuleNotFoundError"),
        (["--objective", "examples.objectives:nothing"], "error: --objective: 'examples.objectives' has no function"),
        (["--objective", "justaname"], "error: --objective: expected package.module:function, got 'justaname'"),
        (["--command", "train --depth {depth}"], "error: --command: {depth} is not a hyperparameter of quadratic"),
        (["--command", "x", "--objective", "a:b"], "error: --objective: give either --objective or --command"),
        (["--command", "x", "-e", "GOAL"], "error: -eg/--exp_goal: a GOAL run on a real objective needs -eg"),
        (["--command", "x", "--trial-timeout", "soon"], "error: --trial-timeout:"),
        (
            ["--command", "x", "-m", "DIV", "-s", "BO-HEDGE-T"],
            "error: -s/--spec: the -T strategies credit the true error of every nominee, which only benchmarks know",
        ),
    ],
)
def test_bad_objective_options_are_one_line(cli, args, message):
    result = cli(QUADRATIC, "1", *args)
    assert result.code == 2 and result.err.startswith(message), result.err


def test_an_objective_module_that_does_not_compile_is_one_line(cli, tmp_path, monkeypatch):
    (tmp_path / "broken_objective.py").write_text("def f(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = cli(QUADRATIC, "1", "--objective", "broken_objective:f")
    assert result.code == 2
    assert result.err.startswith("error: --objective: cannot import 'broken_objective' (SyntaxError: invalid syntax")


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        (
            "digits-mlp",
            ["--objective", "examples.objectives:quadratic"],
            "error: CONFIG: 'digits-mlp' is a built-in benchmark, evaluated without --objective; a real objective "
            "needs an hp_conf file (write one with: surrogates show digits-mlp > space.json)",
        ),
        ("breast-cancer-gbm", ["--command", "echo {n_estimators}"], "evaluated without --command"),
        (QUADRATIC, ["--command", "  "], "error: --command: expected a shell command, got an empty one"),
    ],
)
def test_an_objective_for_a_bundled_benchmark_name_or_an_empty_command_is_refused(cli, config, args, message):
    result = cli(config, "1", *args)
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1, result.err


def test_the_hp_conf_that_surrogates_show_writes_takes_a_real_objective(cli, tmp_path):
    shown = cli("surrogates", "show", "digits-mlp")
    space = tmp_path / "space.json"
    space.write_text(shown.out)  # it keeps config.surrogate; with an objective the table is not read
    command = f"{PY} -c \"import json; print(json.dumps({{'accuracy': 0.5}}))\" {{n_layers}}"
    result = cli(str(space), "1", "-m", "RANDOM", "--command", command, "--max-trials", "3", "--seed", "1")
    assert result.code == 0, result.err
    db = sqlite3.connect(tmp_path / "results" / "hpo.sqlite")
    assert db.execute("SELECT COUNT(*), MIN(status), MIN(error) FROM trials").fetchone() == (3, "ok", 0.5)
