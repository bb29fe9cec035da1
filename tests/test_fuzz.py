"""Property-based tests of the input contract: for any hp_conf, run_conf, table or command line,
the runner exits 0 with a correct run (3 for a GOAL run that missed its goal), or 2 with exactly
one line on stderr and no traceback. Never 1, never a hang.

Examples are tiny (a 20-row table, at most 3 trials) and run in-process. ``HPO_FUZZ_EXAMPLES``
sets the examples per property (default 60, for ``make test``); the long run of the README uses
``HPO_FUZZ_EXAMPLES=1500`` (four properties: 6,000 examples).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import signal
import string
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_runner

CORPUS = Path(__file__).resolve().parent / "corpus"
TINY_TABLE = pd.read_csv(CORPUS / "tiny.csv")
TINY_HP_CONF = yaml.safe_load((CORPUS / "tiny.yaml").read_text())
EXAMPLES = int(os.environ.get("HPO_FUZZ_EXAMPLES", "60"))
HANG_SECONDS = 600  # a guard that turns a hang into a failure; no example comes near it
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Hang(BaseException):
    """An example ran past HANG_SECONDS (a BaseException, so the CLI's last guard does not catch it)."""


def _alarm(signum, frame):
    raise Hang(f"no answer after {HANG_SECONDS} s")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one in-process CLI call."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = hpo_runner.main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, out.getvalue(), err.getvalue()


def check_contract(code: int, out: str, err: str, max_trials: int | None = None) -> None:
    """Exit 0/3 with a trace of valid trials, or exit 2 with one error line; nothing else.

    ``max_trials``: the cap, which holds exactly whatever the number of workers."""
    assert "Traceback" not in err, err
    assert code in (0, 2, 3), f"exit {code}: {err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        return
    trace_lines = [line for line in out.splitlines() if line.startswith("trace: ")]
    assert len(trace_lines) == 1, out
    trace = json.loads(Path(trace_lines[0][len("trace: ") :]).read_text())
    for rep in trace.values():
        assert max_trials is None or len(rep["error"]) <= max_trials
        assert all(math.isfinite(e) and 0 <= e <= 1 for e in rep["error"]), rep["error"]
        assert all(math.isfinite(t) and t >= 0 for t in rep["exec_time"]), rep["exec_time"]


@contextlib.contextmanager
def folder():
    """A fresh folder for one example."""
    path = Path(tempfile.mkdtemp(prefix="hpo-fuzz-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write(path: Path, data, as_yaml: bool) -> Path:
    """``data`` as YAML or JSON (NaN and infinities included, as users write them)."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if as_yaml else json.dumps(data))
    return path


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=6)
ODD_NUMBERS = st.sampled_from(
    [0, 1, -1, 0.5, 2, 3, 10, 100, 1e-320, 1e308, -1e308, 2**53 + 1, 2**63, -(2**63) - 1, 2**70, 1e20]
)
NUMBER = st.one_of(
    st.integers(-5, 5),
    st.floats(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**80), 2**80),
    ODD_NUMBERS,
)
WEIRD = st.one_of(
    NUMBER,
    st.booleans(),
    st.none(),
    TEXT,
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(string.ascii_lowercase, max_size=3), st.integers(-3, 3), max_size=2),
)


def mostly(valid: st.SearchStrategy, odd: st.SearchStrategy = WEIRD) -> st.SearchStrategy:
    """``valid`` nine times in ten, else ``odd``: most examples are runs, every value is sometimes odd."""
    return st.integers(0, 9).flatmap(lambda k: odd if k == 9 else valid)  # hypothesis favours 0


SMALL_COUNT = mostly(st.integers(1, 4))


def _sorted(pair: list) -> list:
    try:
        return sorted(pair)
    except TypeError:
        return pair


@st.composite
def hyperparameter(draw) -> dict:
    """A spec that is valid more often than not, with odd values anywhere."""
    kind = draw(mostly(st.sampled_from(["int", "float", "str", "bool", "unicode"]), st.just("double")))
    choice = draw(st.booleans()) if kind in ("int", "float") else True
    kinds = ("categorical", "preordered") if choice else ("discrete", "continuous")
    value_type = draw(mostly(st.sampled_from(kinds), st.sampled_from(["real", "discrete", "categorical"])))
    if value_type in ("categorical", "preordered"):
        level = {"int": st.integers(-9, 9), "float": st.floats(-9, 9), "bool": st.booleans()}.get(kind, TEXT)
        rng = draw(mostly(st.lists(mostly(level, NUMBER), min_size=1, max_size=5, unique=True)))
    else:
        bound = st.integers(-6, 6) if kind == "int" else st.floats(-6, 6)
        rng = draw(mostly(st.lists(mostly(bound, NUMBER), min_size=2, max_size=2, unique=True).map(_sorted)))
    spec = {"type": kind, "value_type": value_type, "range": rng}
    if draw(st.integers(0, 3)) == 0 and value_type in ("discrete", "continuous"):
        spec["power_of"] = draw(mostly(st.sampled_from([2, 10, 2.0, 1.5, 3])))
    if draw(st.integers(0, 4)) == 0:
        spec["log"] = draw(mostly(st.booleans()))
    if draw(st.booleans()):
        picks = st.sampled_from(rng) if isinstance(rng, list) and rng else NUMBER
        spec["default"] = draw(mostly(picks))
    if draw(st.integers(0, 20)) == 20:
        spec[draw(st.sampled_from(["scale", "typ", "config"]))] = draw(WEIRD)
    return spec


CONFIG_VALUES = {
    "metric": mostly(st.sampled_from(["accuracy", "error"]), st.sampled_from(["perplexity", "f1", 3])),
    "goal": mostly(st.floats(0, 1)),
    "max_epoch": SMALL_COUNT,
    "time_scale": mostly(st.floats(0.1, 100)),
    "num_samples": SMALL_COUNT,
    "ffr": mostly(st.floats(0.1, 1)),
    "description": mostly(TEXT),
    "cost": mostly(st.just({"seconds": 60})),
}


@st.composite
def hp_conf(draw) -> dict:
    """An hp_conf without a table (evaluated by a command), 1 to 4 hyperparameters."""
    names = draw(st.lists(st.one_of(st.sampled_from(["x", "lr", "units"]), TEXT), min_size=1, max_size=4, unique=True))
    document: dict = {"hyperparams": {name: draw(hyperparameter()) for name in names}}
    config = draw(st.fixed_dictionaries({}, optional=CONFIG_VALUES))
    if config or draw(st.booleans()):
        document["config"] = config
    if draw(st.integers(0, 4)) == 0:
        document["param_order"] = draw(mostly(st.permutations(names), st.lists(TEXT, max_size=3)))
    if draw(st.integers(0, 10)) == 10:
        document[draw(st.sampled_from(["dataset", "model", "metric", "num_epoch", "extra"]))] = draw(WEIRD)
    return document


MODES = ["RANDOM", "GP", "GP-HLE", "RF", "RF-LE", "TPE", "DIV", "BATCH", "XGB"]
SPECS = ["EI", "PI", "UCB", "RANDOM", "SEQ", "HEDGE", "BO-HEDGE-LE", "EG", "GT", "SKO", "ASYNC", "SYNC", "NOPE"]
RULES = ["None", "DecaTercet", "VizMedian", "Knock", "Nope"]
ARMS = [{"model": m, "acq_func": a} for m in ("GP", "GP-HLE", "RF", "RF-LE") for a in ("EI", "PI", "UCB")]
ARMS += [
    {"model": "TPE"},
    {"model": "RANDOM"},
    {"model": "SOBOL"},
    {"model": "XGB"},
    {"model": "TPE", "acq_func": "UCB"},
]
BANDITS = [{"mode": m, "spec": sp} for m, sp in (("DIV", "SEQ"), ("DIV", "HEDGE"), ("GP", "EI"), ("RF", "UCB"))]
BANDITS += [{"mode": "RANDOM", "spec": "RANDOM"}, {"mode": "TPE", "spec": "EI"}, {"mode": "XX", "spec": "EI"}]
BANDITS += [{"mode": "BATCH", "spec": "SYNC"}, {"mode": "DIV", "spec": "SEQ", "config": {}}]
RUN_CONF_VALUES = {
    "title": mostly(
        st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=12),
        st.one_of(st.text(string.ascii_letters, min_size=90, max_size=300), TEXT, WEIRD),
    ),
    "eta": mostly(st.floats(0.01, 10)),
    "discount": mostly(st.floats(0.01, 1)),
    "init_eps": mostly(st.floats(0, 1)),
    "decay_factor": mostly(st.floats(0.1, 10)),
    "time_unit": mostly(st.sampled_from(["H", "M", "S"]), st.sampled_from(["D", "h", 1])),
    "knockout_period": SMALL_COUNT,
    "response_shaping": mostly(st.sampled_from(["none", "log_err", "hybrid_log"]), st.just("x")),
    "alpha": mostly(st.floats(0.01, 0.99)),
    "kappa": mostly(st.floats(0.01, 10)),
    "gp": mostly(
        st.fixed_dictionaries(
            {},
            optional={
                "mcmc_iters": SMALL_COUNT,
                "noiseless": mostly(st.booleans()),
                "max_obs": SMALL_COUNT,
                "covar": mostly(st.just("Matern52"), WEIRD),
                "restarts": SMALL_COUNT,
            },
        ),
        WEIRD,
    ),
    "rf": mostly(
        st.fixed_dictionaries(
            {},
            optional={
                "n_trees": SMALL_COUNT,
                "max_depth": SMALL_COUNT,
                "min_samples_split": SMALL_COUNT,
                "min_samples_leaf": SMALL_COUNT,
                "max_features": mostly(st.floats(0.1, 1)),
            },
        ),
        WEIRD,
    ),
    "tpe": mostly(
        st.fixed_dictionaries(
            {},
            optional={
                "n_startup_jobs": SMALL_COUNT,
                "gamma": mostly(st.floats(0.05, 0.95)),
                "n_ei_candidates": SMALL_COUNT,
            },
        ),
        WEIRD,
    ),
    "search_space": mostly(
        st.fixed_dictionaries(
            {},
            optional={
                "num_samples": mostly(st.integers(1, 64), WEIRD),
                "seed": mostly(st.integers(0, 99)),
                "sample_method": mostly(st.sampled_from(["Sobol", "uniform", "latin", "grid"]), WEIRD),
                "starts_from_default": mostly(st.booleans()),
            },
        ),
        WEIRD,
    ),
    "arms": mostly(
        st.lists(
            mostly(st.sampled_from(ARMS), st.fixed_dictionaries({"model": WEIRD}, optional={"acq_func": WEIRD})),
            min_size=1,
            max_size=4,
        ),
    ),
    "bandits": mostly(
        st.lists(
            mostly(st.sampled_from(BANDITS), st.fixed_dictionaries({"mode": WEIRD, "spec": WEIRD})),
            min_size=1,
            max_size=3,
        )
    ),
    "failover": mostly(st.sampled_from(["none", "premature", "random", "next_candidate", "x"]), WEIRD),
    "max_failures": SMALL_COUNT,
    "failures_before_success": SMALL_COUNT,
    "stopped_trials": mostly(st.sampled_from(["partial", "exclude"]), WEIRD),
    "resources": mostly(st.fixed_dictionaries({"GPU": st.floats(0.5, 2)})),
    "max_retries": SMALL_COUNT,
    "stop_grace": mostly(st.floats(0, 10)),
    "early_term_rule": mostly(st.sampled_from(RULES), WEIRD),
    "etr": mostly(st.just({})),
}


@FUZZ
@given(document=hp_conf(), as_yaml=st.booleans(), mode=st.sampled_from(["RANDOM", "GP", "RF", "TPE", "DIV"]))
def test_any_hp_conf_is_a_run_or_one_line(document, as_yaml, mode):
    with folder() as tmp:
        conf = write(tmp / ("space.yaml" if as_yaml else "space.json"), document, as_yaml)
        write(tmp / "run.json", {"search_space": {"num_samples": 16}}, False)
        (tmp / "result.json").write_text('{"accuracy": 0.5}\n')
        argv = [str(conf), "1", "-m", mode, "--max-trials", "3", "--seed", "1", "-c", str(tmp / "run.json")]
        argv += ["--command", f"cat {tmp / 'result.json'}", "--results", str(tmp / "results")]
        check_contract(*run_cli(argv), max_trials=3)


@FUZZ
@given(
    document=st.fixed_dictionaries({}, optional=RUN_CONF_VALUES),
    as_yaml=st.booleans(),
    method=st.sampled_from([("DIV", s) for s in SPECS[4:10]] + [("BATCH", "ASYNC"), ("BATCH", "SYNC"), ("GP", "UCB")]),
)
def test_any_run_conf_is_a_run_or_one_line(document, as_yaml, method):
    with folder() as tmp:
        run_conf = write(tmp / ("run.yaml" if as_yaml else "run.json"), document, as_yaml)
        argv = [str(CORPUS / "tiny.yaml"), "1", "-m", method[0], "-s", method[1], "--max-trials", "3", "--seed", "2"]
        check_contract(*run_cli([*argv, "-c", str(run_conf), "--results", str(tmp / "results")]), max_trials=3)


CLI_VALUES = {
    "-m": mostly(st.sampled_from(MODES[:-1]), st.one_of(st.just("XGB"), TEXT)),
    "-s": mostly(st.sampled_from(SPECS[:-1]), st.one_of(st.just("NOPE"), TEXT)),
    "-e": mostly(st.sampled_from(["TIME", "GOAL", "time"]), st.just("SOON")),
    "-et": mostly(
        st.sampled_from(["1h", "30m", "45s", "600", "1e300", "1.5h"]),
        st.one_of(st.sampled_from(["0", "-1", "nan", "inf", "12x", "99999999999999999999999d"]), TEXT),
    ),
    "-eg": mostly(
        st.sampled_from(["0.02", "0.98", "-0", "0"]), st.one_of(st.sampled_from(["1.5", "nan", "1e400"]), TEXT)
    ),
    "-gm": mostly(st.sampled_from(["error", "accuracy"]), st.just("f1")),
    "--overhead": mostly(
        st.sampled_from(["none", "measured", "0.5", "1e308"]), st.one_of(st.sampled_from(["-1", "nan", "inf"]), TEXT)
    ),
    "--seed": mostly(
        st.sampled_from(["0", "1", str(2**63 - 1)]), st.one_of(st.sampled_from([str(2**63), "-1", "1e3"]), TEXT)
    ),
    "--max-trials": mostly(st.sampled_from(["1", "2", "3"]), st.sampled_from(["0", "1000001", "x", "-5", "1000000"])),
    "--workers": mostly(st.sampled_from(["1", "2", "3", "256"]), st.sampled_from(["257", "0", "100000", "x"])),
    "-etr": mostly(st.sampled_from(RULES[:-1]), st.one_of(st.just("Nope"), TEXT)),
    "-w": mostly(st.sampled_from(["none", "tcp://127.0.0.1:9"]), st.sampled_from(["my-cluster", "tcp://host", ""])),
    "--trial-timeout": mostly(st.just("30m"), st.one_of(st.sampled_from(["0", "-1", "nan"]), TEXT)),
    "-l": mostly(st.sampled_from(["warn", "error", "log"]), st.just("chatty")),
}
FLAGS = ["-tp", "-p", "-r"]


@FUZZ
@given(
    options=st.fixed_dictionaries({}, optional=CLI_VALUES),
    flags=st.lists(st.sampled_from(FLAGS), unique=True, max_size=2),
    num_trials=mostly(st.sampled_from(["1", "2"]), st.sampled_from(["0", "10001", "x", "-1"])),
    results=mostly(st.just("results"), st.sampled_from(["", "/proc/hpo", "FILE/below", "FILE"])),
)
def test_any_command_line_is_a_run_or_one_line(options, flags, num_trials, results):
    with folder() as tmp:
        (tmp / "FILE").write_text("")
        options.setdefault("--max-trials", "3")
        options["--results"] = (
            results.replace("FILE", str(tmp / "FILE")) if results != "results" else str(tmp / results)
        )
        argv = [str(CORPUS / "tiny.yaml"), num_trials, *flags]
        for key, value in options.items():
            argv += [key, value]
        code, out, err = run_cli(argv)
        check_contract(code, out, err)


@st.composite
def table(draw) -> pd.DataFrame:
    """The tiny table with a few cells, columns or the header changed."""
    frame = TINY_TABLE.astype(object).copy()
    cell = st.one_of(
        st.sampled_from(["", "nan", "inf", "-1", "2", "1e400", "relu", "sigmoid", "0.5", "0.9"]), TEXT, NUMBER
    )
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        row, col = draw(st.integers(0, len(frame) - 1)), draw(st.sampled_from(list(frame.columns)))
        frame.at[row, col] = draw(cell)
    columns = list(frame.columns)
    change = draw(st.integers(0, 6))
    if change == 1:
        frame = frame.drop(columns=[draw(st.sampled_from(columns))])
    elif change == 2:
        columns[draw(st.integers(0, len(columns) - 1))] = draw(st.sampled_from([*columns, "acc_6", "metric_f1", "x "]))
        frame.columns = columns
    elif change == 3:
        frame = frame.head(draw(st.integers(0, 2)))
    return frame


@FUZZ
@given(frame=table(), suffix=st.sampled_from([".csv", ".csv.gz"]), mode=st.sampled_from(["RANDOM", "GP", "DIV"]))
def test_any_table_is_a_run_or_one_line(frame, suffix, mode):
    with folder() as tmp:
        frame.to_csv(tmp / f"t{suffix}", index=False)
        conf = {**TINY_HP_CONF, "config": {**TINY_HP_CONF["config"], "surrogate": f"t{suffix}"}}
        write(tmp / "t.json", conf, False)
        argv = [str(tmp / "t.json"), "1", "-m", mode, "--max-trials", "3", "--seed", "3"]
        check_contract(*run_cli([*argv, "--results", str(tmp / "results")]), max_trials=3)
