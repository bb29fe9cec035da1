"""`compare` and `report`: deterministic cells, worker-count independence, resume, reports, bad input."""

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ECML = REPO.parent / "shared" / "reference" / "ecml-results"
STRATEGIES = "RANDOM,GP-EI,DIV-HEDGE,hyperopt-tpe,smac-hpo"


def cells_of(results: Path) -> dict[tuple, list[tuple]]:
    db = sqlite3.connect(results / "compare.sqlite")
    rows = db.execute(
        "SELECT c.strategy, c.benchmark, c.rep, t.trial, t.candidate, t.clock, t.error, t.arm FROM cell_trials t"
        " JOIN cells c ON c.key = t.key ORDER BY c.strategy, c.benchmark, c.rep, t.trial"
    ).fetchall()
    out: dict[tuple, list[tuple]] = {}
    for row in rows:
        out.setdefault(row[:3], []).append(row[3:])
    return out


def compare_args(bench: Path, results: Path, workers: str, strategies: str = STRATEGIES, reps: str = "2") -> list:
    return ["compare", "--benchmarks", f"{bench},branin", "--strategies", strategies, "--reps", reps, "-et", "1h",
            "--workers", workers, "--results", str(results)]  # fmt: skip


def test_cells_are_runs_and_do_not_depend_on_the_number_of_workers(cli, small_bench, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert cli(*compare_args(small_bench, one, "1")).code == 0
    assert cli(*compare_args(small_bench, two, "2")).code == 0
    cells = cells_of(one)
    assert len(cells) == 5 * 2 * 2 and cells == cells_of(two)
    # a cell is repetition `rep` of the run with the same mode and seed
    assert cli(str(small_bench), "2", "-m", "GP", "-s", "EI", "-et", "1h", "--seed", "1").code == 0
    trace = json.loads((tmp_path / "results" / "small" / "T3600S" / "GP-EI(2).json").read_text())
    for rep in (0, 1):
        cell = cells[("GP-EI", "small", rep)]
        assert [t[1] for t in cell] == trace[str(rep)]["model_idx"]
        assert [t[3] for t in cell] == trace[str(rep)]["error"]
    assert {t[4] for t in cells[("smac-hpo", "branin", 0)]} == {"smac-hpo"}
    assert {t[4] for t in cells[("DIV-HEDGE", "small", 1)]} > {"GP-HLE_EI"}  # several arms played


def test_a_killed_compare_does_not_rerun_finished_cells(small_bench, tmp_path):
    results = tmp_path / "c"
    args = [sys.executable, str(REPO / "hpo_runner.py"), *compare_args(small_bench, results, "1", "RANDOM,GP-EI", "4")]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    done = 0
    while done < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            db = sqlite3.connect(f"file:{results / 'compare.sqlite'}?mode=ro", uri=True, timeout=5)
            done = db.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
            db.close()
        except sqlite3.OperationalError:
            continue
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    db = sqlite3.connect(results / "compare.sqlite")
    before = dict(db.execute("SELECT key, wall FROM cells"))
    db.close()
    assert 3 <= len(before) < 16
    resumed = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"16 cells ({len(before)} stored), {16 - len(before)} to run" in resumed.stderr
    after = dict(sqlite3.connect(results / "compare.sqlite").execute("SELECT key, wall FROM cells"))
    assert len(after) == 16 and all(after[k] == w for k, w in before.items())  # finished cells untouched
    whole = tmp_path / "whole"
    subprocess.run([*args[:-1], str(whole)], cwd=REPO, check=True, capture_output=True, timeout=300)
    assert cells_of(results) == cells_of(whole)


def test_report_writes_tables_plots_and_a_self_contained_page(cli, small_bench, tmp_path):
    results = tmp_path / "c"
    assert cli(*compare_args(small_bench, results, "1", "RANDOM,GP-EI,DIV-HEDGE")).code == 0
    out = tmp_path / "rep"
    result = cli(
        "report", str(results), "--format", "table,csv,json,html", "--out", str(out), "--checkpoints", "30m,1h"
    )
    assert result.code == 0, result.err
    assert "checkpoints" in result.out and "DIV-HEDGE" in result.out
    tidy = (out / "tidy.csv").read_text().splitlines()
    assert tidy[0] == "strategy,benchmark,rep,trial,clock,error,best_so_far,arm"
    assert len(tidy) - 1 == sum(len(v) for v in cells_of(results).values())
    summary = json.loads((out / "summary.json").read_text())
    goals = {row["benchmark"]: row["goal"] for row in summary["tables"]["goals"]} if "tables" in summary else None
    assert goals is None or set(goals) == {"small", "branin"}
    pngs = sorted((out / "plots").glob("*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert any("arm" in p.name for p in pngs)  # the DIV strategy's arm shares
    page = (out / "report.html").read_text()
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and all(link.startswith(("data:image/png;base64,", "#")) for link in links)
    assert page.count("data:image/png;base64,") == len(pngs)


@pytest.mark.skipif(not ECML.is_dir(), reason=f"reference traces not found at {ECML}")
def test_report_reads_the_original_json_traces(cli, tmp_path):
    result = cli(
        "report", str(ECML / "data10"), "--format", "table,html", "--out", str(tmp_path), "--goal", "data10=0.1"
    )
    assert result.code == 0, result.err
    overview = result.out.split("\n\n")[0].splitlines()
    assert overview[3].split()[:3] == ["data10", "GP-EI.HPO_emulator", "50"]
    assert overview[4].split()[:3] == ["data10", "RF-EI.HPO_emulator", "50"]
    assert (tmp_path / "report.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "--benchmarks", "digits-mlp", "--strategies", "GP-XX"], "error: --strategies: expected MODE-SPEC"),
        (["compare", "--benchmarks", "nope", "--strategies", "RANDOM"], "error: CONFIG: no benchmark or hp_conf"),
        (["compare", "--benchmarks", "digits-mlp", "--strategies", ","], "error: --strategies: expected a comma"),
        (["report", "/no/such/place"], "error: /no/such/place: not found"),
        (["report", "."], "error: .: no compare.sqlite and no JSON traces"),
        (["report", "notes.json"], "error: notes.json: not a JSON trace of the original format"),
        (["report", ".", "--format", "pdf"], "error: --format: expected table, csv, json or html, got 'pdf'"),
        (
            ["compare", "--benchmarks", "digits-mlp", "--strategies", "GP-EI", "--etr", "ASHA,Median,ASHA"],
            "error: --etr: 'ASHA' is given twice",
        ),
        (
            ["compare", "--benchmarks", "digits-mlp", "--strategies", "GP-EI", "--etr", "None,none"],
            "error: --etr: 'None' is given twice",
        ),
        (
            ["compare", "--benchmarks", "digits-mlp", "--strategies", "GP-EI,GP-EI"],
            "error: --strategies: 'GP-EI' is given twice",
        ),
        (
            ["compare", "--benchmarks", "branin,branin", "--strategies", "GP-EI"],
            "error: --benchmarks: 'branin' is given twice",
        ),
        (
            ["compare", "--benchmarks", "branin", "--strategies", "GP-EI", "--scheduler", "foo"],
            "error: --scheduler: expected none or an address like tcp://HOST:PORT, got 'foo'",
        ),
    ],
)
def test_bad_compare_and_report_input_is_one_line(cli, args, message, monkeypatch, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.json").write_text('{"not": "a trace"}')
    monkeypatch.chdir(folder)
    result = cli(*args)
    assert result.code == 2 and result.err.startswith(message), result.err


def test_report_goals_are_checked_against_the_results(cli, small_bench, tmp_path):
    out = str(tmp_path / "cmp")
    ran = cli("compare", "--benchmarks", str(small_bench), "--strategies", "RANDOM", "--reps", "1", "-et", "30m",
              "--results", out)  # fmt: skip
    assert ran.code == 0, ran.err
    for goal, message in [
        ("small=5", "error: --goal: expected an error in [0, 1], got 5 (small=5)"),
        ("nob=0.1", f"error: --goal: no benchmark 'nob' in {out} (it has small)"),
        ("foo", "error: --goal: expected BENCHMARK=ERROR, got 'foo'"),
        ("=0.1", "error: --goal: expected BENCHMARK=ERROR, got '=0.1'"),
    ]:
        result = cli("report", out, "--goal", goal)
        assert (result.code, result.err.strip()) == (2, message)
    assert cli("report", out, "--goal", "small=0.06").code == 0
