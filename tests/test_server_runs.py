"""Experiments run through a real server: the CLI's trace byte for byte, listings, events, stop/resume, kill -9."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import httpx
import psutil
import pytest

import hpo_runner
from tests.processes import alive, count_rows, wait_for
from tests.server_fixtures import ROOT, TOKEN, Server, server  # noqa: F401

BODY = {"benchmark": "digits-mlp", "mode": "DIV", "spec": "SEQ", "criterion": "TIME", "budget": "3h",
        "repetitions": 2, "seed": 4}  # fmt: skip
TRACE = "digits-mlp/T10800S/DIV-SEQ(2).json"
CLI_ARGS = ["digits-mlp", "2", "-m", "DIV", "-s", "SEQ", "-e", "TIME", "-et", "3h", "--seed", "4"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The CLI's run of BODY: (trace bytes, trials in order as (rep, trial, candidate, error))."""
    results = tmp_path_factory.mktemp("cli") / "results"
    assert hpo_runner.main([*CLI_ARGS, "--results", str(results)]) == 0
    db = sqlite3.connect(results / "hpo.sqlite")
    rows = db.execute("SELECT rep, trial, candidate, error FROM trials ORDER BY rep, trial").fetchall()
    db.close()
    return (results / TRACE).read_bytes(), rows


def create(client: httpx.Client, body: dict = BODY) -> dict:
    answer = client.post("/experiments", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def status_of(client: httpx.Client, experiment_id: str) -> str:
    return client.get(f"/experiments/{experiment_id}").json()["status"]


def wait_status(client: httpx.Client, experiment_id: str, wanted: str) -> dict:
    wait_for(lambda: status_of(client, experiment_id) == wanted, f"experiment {experiment_id} {wanted}", 300)
    return client.get(f"/experiments/{experiment_id}").json()


def all_trials(client: httpx.Client, experiment_id: str, limit: int = 7) -> list[dict]:
    out, cursor = [], None
    while True:
        page = client.get(f"/experiments/{experiment_id}/trials", params={"limit": limit} | (
            {"after": cursor} if cursor else {})).json()  # fmt: skip
        if not page["trials"]:
            return out
        out += page["trials"]
        cursor = page["next"]


def test_an_api_experiment_writes_the_cli_trace_byte_for_byte(server, reference):  # noqa: F811
    expected, rows = reference
    created = create(server.client)
    assert created["status"] == "created"
    assert created["command"] == (
        f"hpo-runner digits-mlp 2 -m DIV -s SEQ -e TIME -et 3h --seed 4 --results {server.results}"
    )
    assert created["results"] == {"trace": TRACE, "csv": TRACE.replace(".json", ".csv"), "store": "hpo.sqlite"}
    started = server.client.post(f"/experiments/{created['id']}:start")
    assert started.status_code == 200 and started.json()["status"] == "running"
    done = wait_status(server.client, created["id"], "done")
    assert (server.results / TRACE).read_bytes() == expected
    assert done["progress"] == {"repetitions_done": 2, "repetitions": 2, "trials": len(rows),
                                "clock_s": done["repetitions_detail"][1]["clock_s"], "budget_s": 10800.0,
                                "fraction": 1.0}  # fmt: skip
    best = min(rows, key=lambda r: (r[3], r[0], r[1]))
    assert (done["best"]["rep"], done["best"]["trial"], done["best"]["error"]) == (best[0], best[1], best[3])
    assert [d["stop_reason"] for d in done["repetitions_detail"]] == ["budget", "budget"]
    assert [d["trials"] for d in done["repetitions_detail"]] == [sum(r[0] == k for r in rows) for k in (0, 1)]
    # the trials, incrementally and as a sorted page
    listed = all_trials(server.client, created["id"])
    assert [(t["rep"], t["trial"], t["candidate"], t["error"]) for t in listed] == rows
    page = server.client.get(f"/experiments/{created['id']}/trials",
                             params={"sort": "error", "order": "asc", "limit": 5, "rep": 1}).json()  # fmt: skip
    rep1 = sorted((r for r in rows if r[0] == 1), key=lambda r: (r[3], r[1]))
    assert page["total"] == len(rep1)
    assert [(t["rep"], t["trial"]) for t in page["trials"]] == [(r[0], r[1]) for r in rep1[:5]]
    # a trial with its curve: the table's epochs up to those trained
    trial = server.client.get(f"/experiments/{created['id']}/trials/0-3").json()
    from hpo_mab.inputs.run_conf import PoolSettings
    from hpo_mab.surrogates.registry import load_benchmark

    table = load_benchmark("digits-mlp", None, PoolSettings(), None).table
    assert [p["accuracy"] for p in trial["curve"]] == list(table.accuracy[trial["candidate"]][: trial["train_epoch"]])
    assert [p["epoch"] for p in trial["curve"]] == list(range(1, trial["train_epoch"] + 1))
    # downloads and the report
    download = server.client.get(f"/experiments/{created['id']}/files/trace")
    assert download.status_code == 200 and download.content == expected
    csv = server.client.get(f"/experiments/{created['id']}/files/csv")
    assert csv.content == (server.results / TRACE.replace(".json", ".csv")).read_bytes()
    html = server.client.get(f"/experiments/{created['id']}/files/report")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    report = server.client.get(f"/experiments/{created['id']}/report").json()
    assert report["tables"]["overview"] == [{"benchmark": "digits-mlp", "strategy": "DIV-SEQ", "reps": 2,
                                             "trials": len(rows), "max_clock": report["tables"]["overview"][0][
                                                 "max_clock"]}]  # fmt: skip
    assert report["checkpoints"] == [3600.0, 10800.0]
    # transitions a done experiment refuses
    for action in (":start", ":stop", ":resume"):
        refused = server.client.post(f"/experiments/{created['id']}{action}")
        assert refused.status_code == 409, action
    assert server.client.post(f"/experiments/{created['id']}:resume").json() == {
        "detail": f"experiment {created['id']} is done; only a stopped or failed one resumes"
    }


def test_cli_runs_of_the_results_folder_are_listed(server):  # noqa: F811
    args = ["branin", "1", "-m", "RANDOM", "-et", "2h", "--seed", "3", "--results", str(server.results)]
    assert hpo_runner.main(args) == 0
    api = create(server.client, BODY | {"name": "mine"})
    listed = server.client.get("/experiments").json()["experiments"]
    assert [(e["id"], e["source"]) for e in listed] == [(api["id"], "api"), ("run-1", "cli")]
    cli = listed[1]
    assert cli["status"] == "done"
    assert cli["request"]["benchmark"] == "branin" and cli["request"]["seed"] == 3
    assert (server.results / cli["results"]["trace"]).is_file()
    assert server.client.get("/experiments/run-1").json()["progress"]["trials"] == count_rows(
        server.results / "hpo.sqlite", "trials"
    )
    assert server.client.post("/experiments/run-1:start").status_code == 409
    assert server.client.delete("/experiments/run-1").status_code == 409
    assert server.client.get("/experiments/run-9").status_code == 404


def read_events(server, experiment_id: str, headers: dict | None = None) -> list[tuple[str, str | None, dict]]:  # noqa: F811
    """Every event of an experiment's stream until ``end``."""
    events, name, event_id = [], None, None
    with server.client.stream("GET", f"/experiments/{experiment_id}/events", headers=headers or {}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                events.append((name, event_id, json.loads(line[6:])))
                name, event_id = None, None
                if events[-1][0] == "end":
                    return events
    return events


def test_the_event_stream_delivers_every_trial_each_repetition_and_the_end(server, reference):  # noqa: F811
    _, rows = reference
    created = create(server.client)
    server.client.post(f"/experiments/{created['id']}:start")
    events = read_events(server, created["id"])
    trials = [data for name, _, data in events if name == "trial"]
    assert [(t["rep"], t["trial"], t["candidate"], t["error"]) for t in trials] == rows
    reps = [data for name, _, data in events if name == "repetition"]
    assert [(r["rep"], r["stop_reason"]) for r in reps] == [(0, "budget"), (1, "budget")]
    assert [data["status"] for name, _, data in events if name == "status"][-1] == "done"
    assert events[-1] == ("end", None, {"id": created["id"], "status": "done"})
    # Last-Event-ID resumes after that trial
    cursor = next(event_id for name, event_id, data in events if name == "trial" and data["trial"] == 10)
    again = read_events(server, created["id"], {"Last-Event-ID": cursor})
    resumed = [(d["rep"], d["trial"]) for name, _, d in again if name == "trial"]
    assert resumed == [(r[0], r[1]) for r in rows[11:]]


def test_stop_and_resume_keep_the_trace_of_an_uninterrupted_run(server, reference):  # noqa: F811
    expected, rows = reference
    created = create(server.client)
    server.client.post(f"/experiments/{created['id']}:start")
    store = server.results / "hpo.sqlite"
    wait_for(lambda: count_rows(store, "trials") >= 10, "10 stored trials")
    refused = server.client.delete(f"/experiments/{created['id']}")
    assert refused.status_code == 409
    assert refused.json() == {"detail": f"experiment {created['id']} is running; stop it first"}
    stopped = server.client.post(f"/experiments/{created['id']}:stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert 10 <= stopped.json()["progress"]["trials"] < len(rows)
    assert server.client.post(f"/experiments/{created['id']}:start").status_code == 409
    assert server.client.post(f"/experiments/{created['id']}:resume").json()["status"] == "running"
    wait_status(server.client, created["id"], "done")
    assert (server.results / TRACE).read_bytes() == expected
    assert count_rows(store, "trials") == len(rows)
    assert server.client.delete(f"/experiments/{created['id']}").status_code == 204
    assert server.client.get(f"/experiments/{created['id']}").status_code == 404
    assert server.client.get("/experiments").json() == {"experiments": []}


def experiment_processes(running: Server) -> list[int]:
    """The server's children that run an experiment (the catalog's pids)."""
    with sqlite3.connect(running.results / "server.sqlite") as db:
        pids = {pid for (pid,) in db.execute("SELECT pid FROM experiments WHERE pid IS NOT NULL")}
    return [p.pid for p in psutil.Process(running.process.pid).children() if p.pid in pids]


def spare_processes(running: Server) -> list[int]:
    """The server's warm processes waiting for an experiment."""
    experiments = set(experiment_processes(running))
    children = psutil.Process(running.process.pid).children()
    return [p.pid for p in children if "--spare" in p.cmdline() and p.pid not in experiments]


def test_a_server_killed_mid_run_resumes_the_experiment_on_restart(tmp_path, reference):
    expected, rows = reference
    server = Server(tmp_path / "results").start()  # noqa: F811
    try:
        created = create(server.client)
        server.client.post(f"/experiments/{created['id']}:start")
        store = server.results / "hpo.sqlite"
        wait_for(lambda: count_rows(store, "trials") >= 20, "20 stored trials")
        (child,) = experiment_processes(server)
        server.kill()
        wait_for(lambda: not alive(child), "the experiment's process to end with its server")
        before = count_rows(store, "trials")
        assert 20 <= before < len(rows)
        server.restart()
        done = wait_status(server.client, created["id"], "done")
        assert (server.results / TRACE).read_bytes() == expected
        assert done["progress"]["trials"] == len(rows) == count_rows(store, "trials")
        assert count_rows(store, "runs") == 1
        db = sqlite3.connect(store)
        assert db.execute("SELECT rep, trial, candidate, error FROM trials ORDER BY rep, trial").fetchall() == rows
        db.close()
    finally:
        server.stop()


def test_the_server_listens_on_loopback_only_by_default(server):  # noqa: F811
    listening = [c for c in psutil.Process(server.process.pid).net_connections("inet") if c.status == "LISTEN"]
    assert [(c.laddr.ip, c.laddr.port) for c in listening] == [("127.0.0.1", server.port)]


def test_another_host_is_explicit_and_warned_about(tmp_path):
    other = Server(tmp_path / "results", "t0ken")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "hpo_runner.py"), "serve", "--host", "127.0.0.2", "--port", str(other.port),
         "--results", str(other.results), "--token", "t0ken"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.2:{other.port}/api/v1/benchmarks"
        wait_for(lambda: proc.poll() is not None or _answers(url, "t0ken"), "the server")
        assert proc.poll() is None, proc.stderr.read()
        listening = [c for c in psutil.Process(proc.pid).net_connections("inet") if c.status == "LISTEN"]
        assert [c.laddr.ip for c in listening] == ["127.0.0.2"]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert "warning: listening on 127.0.0.2: other machines can reach this server (keep the token secret)" in err
    assert f"http://127.0.0.2:{other.port}/?token=t0ken" in out


def _answers(url: str, token: str) -> bool:
    try:
        return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    except httpx.TransportError:
        return False


def test_a_python_objective_on_an_inline_hp_conf_runs_with_its_reported_curve(server):  # noqa: F811
    space = json.loads((ROOT / "examples" / "quadratic.json").read_text())
    body = {"name": "quadratic", "hp_conf": space, "objective": "examples.objectives:quadratic", "mode": "RANDOM",
            "max_trials": 5, "seed": 3}  # fmt: skip
    created = create(server.client, body)
    assert created["results"]["trace"] == "quadratic/T86400S/RANDOM-RANDOM(1).json"
    server.client.post(f"/experiments/{created['id']}:start")
    done = wait_status(server.client, created["id"], "done")
    assert done["progress"]["trials"] == 5
    trial = server.client.get(f"/experiments/{created['id']}/trials/0-2").json()
    x, lr = trial["params"]["x"], trial["params"]["lr"]
    import math

    quality = 0.98 - 0.5 * (x - 0.3) ** 2 - 0.02 * abs(math.log10(lr) + 2)
    assert [p["epoch"] for p in trial["curve"]] == [1, 2, 3]
    assert [p["accuracy"] for p in trial["curve"]] == pytest.approx([quality * (1 - 0.5**e) for e in (1, 2, 3)])
    trace = json.loads((server.results / created["results"]["trace"]).read_text())
    assert len(trace["0"]["model_idx"]) == 5
    assert count_rows(server.results / "hpo.sqlite", "trials") == 5


def test_the_global_stream_follows_every_experiment(server):  # noqa: F811
    created = create(server.client, {"benchmark": "branin", "mode": "RANDOM", "budget": "30m", "seed": 5})
    seen = []
    with server.client.stream("GET", "/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                experiment = json.loads(line[6:])
                seen.append(experiment["status"])
                if experiment["status"] == "created":
                    server.client.post(f"/experiments/{created['id']}:start")
                if experiment["status"] == "done":
                    break
    assert seen[0] == "created" and seen[-1] == "done" and "running" in seen


def test_a_server_ended_with_ctrl_c_leaves_its_experiments_to_resume(tmp_path, reference):
    expected, rows = reference
    first = Server(tmp_path / "results").start()
    try:
        created = create(first.client)
        first.client.post(f"/experiments/{created['id']}:start")
        store = first.results / "hpo.sqlite"
        wait_for(lambda: count_rows(store, "trials") >= 20, "20 stored trials")
        (child,) = experiment_processes(first)
        first.stop()  # SIGINT: the experiment's process is interrupted, its experiment stays running
        assert first.process.returncode == 0
        wait_for(lambda: not alive(child), "the experiment's process to end with its server")
        assert 20 <= count_rows(store, "trials") < len(rows)
        catalog = sqlite3.connect(first.results / "server.sqlite")
        assert catalog.execute("SELECT status FROM experiments").fetchall() == [("running",)]
        catalog.close()
    finally:
        first.stop()
    second = Server(tmp_path / "results", TOKEN, "--no-resume").start()
    try:
        assert status_of(second.client, created["id"]) == "stopped"
        assert second.client.post(f"/experiments/{created['id']}:resume").json()["status"] == "running"
        wait_status(second.client, created["id"], "done")
        assert (second.results / TRACE).read_bytes() == expected
        assert count_rows(second.results / "hpo.sqlite", "trials") == len(rows)
    finally:
        second.stop()


def test_early_terminated_trials_carry_their_stop_and_their_curve_up_to_it(server):  # noqa: F811
    body = {"benchmark": "digits-mlp", "mode": "DIV", "budget": "3h", "early_term_rule": "Median", "seed": 4}
    created = create(server.client, body)
    assert created["results"]["trace"] == "digits-mlp/T10800S/DIV-TS.ETR-Median(1).json"
    server.client.post(f"/experiments/{created['id']}:start")
    wait_status(server.client, created["id"], "done")
    db = sqlite3.connect(server.results / "hpo.sqlite")
    stopped = db.execute(
        "SELECT rep, trial, epochs, etr FROM trials WHERE early_terminated = 1 ORDER BY trial"
    ).fetchall()
    db.close()
    page = server.client.get(f"/experiments/{created['id']}/trials",
                             params={"status": "early_terminated", "sort": "trial", "limit": 1000}).json()  # fmt: skip
    assert page["total"] == len(stopped) > 0
    assert [(t["rep"], t["trial"], t["train_epoch"]) for t in page["trials"]] == [s[:3] for s in stopped]
    rep, trial, epochs, etr = stopped[0]
    record = json.loads(etr)
    detail = server.client.get(f"/experiments/{created['id']}/trials/{rep}-{trial}").json()
    assert detail["status"] == "early_terminated"
    assert detail["stop"] == {k: record[k] for k in ("rule", "checkpoint", "statistic", "threshold")}
    assert len(detail["curve"]) == epochs < 30
    completed = server.client.get(f"/experiments/{created['id']}/trials", params={"status": "completed"}).json()
    assert completed["total"] == count_rows(server.results / "hpo.sqlite", "trials") - len(stopped)


def test_an_experiment_runs_in_the_warm_process_and_another_waits_once_it_ends(tmp_path, reference):
    expected, rows = reference
    server = Server(tmp_path / "results").start()  # noqa: F811
    try:
        wait_for(lambda: len(spare_processes(server)) == 1, "a warm process while no experiment runs")
        (warm,) = spare_processes(server)
        created = create(server.client)
        server.client.post(f"/experiments/{created['id']}:start")
        done = wait_status(server.client, created["id"], "done")
        assert (server.results / TRACE).read_bytes() == expected
        assert done["progress"]["trials"] == len(rows)
        assert not alive(warm)
        log = server.results / "server" / "experiments" / created["id"] / "output.log"
        assert "best configuration:" in log.read_text()  # its output went to the experiment's log
        wait_for(lambda: len(spare_processes(server)) == 1, "a new warm process once the experiment ended")
        (second,) = spare_processes(server)
        assert second != warm
        server.kill()  # kill -9: the warm process ends with its server
        wait_for(lambda: not alive(second), "the warm process to end with its server")
        server.restart()
        wait_for(lambda: len(spare_processes(server)) == 1, "a warm process of the restarted server")
        (third,) = spare_processes(server)
        server.stop()  # Ctrl-C: its stdin closes and it exits without running anything
        wait_for(lambda: not alive(third), "the warm process to end with a stopped server")
    finally:
        server.stop()


def test_an_address_that_cannot_be_listened_on_is_one_line_before_any_token(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for host, message in [
            ("999.1.1.1", "error: --host: cannot resolve '999.1.1.1' ("),  # the resolver's words follow
            ("127.0.0.1", f"error: --port: cannot listen on 127.0.0.1:{port} (Address already in use)"),
        ]:
            done = subprocess.run(
                [sys.executable, str(ROOT / "hpo_runner.py"), "serve", "--host", host, "--port", str(port),
                 "--results", str(tmp_path / "results")],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert (done.returncode, done.stdout) == (2, "") and done.stderr.startswith(message), done.stderr
            assert len(done.stderr.strip().splitlines()) == 1
