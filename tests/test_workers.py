"""Pull workers of external experiments against a real server: claims, leases, reports, results, kill -9.

Every test starts a real ``hpo-runner serve`` (tests/server_fixtures.py) on 127.0.0.1. The
experiments' training script (tests/workers_train.py) has a deterministic curve: with the rule
Interval (stop accuracies in (0, 0.5) from epoch 2) exactly the trials with x < 0.5 stop at epoch 2.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.processes import alive, count_rows, wait_for
from tests.server_fixtures import ROOT, TOKEN, server  # noqa: F401 (the fixture)

EPOCHS = 6
HP_CONF = {
    "dataset": "xcurve",
    "config": {"max_epoch": EPOCHS, "metric": "accuracy"},
    "hyperparams": {"x": {"type": "float", "value_type": "continuous", "range": [0.0, 1.0]}},
}
INTERVAL = {"early_term_rule": "Interval", "etr": {"low": 0.0, "high": 0.5, "after_epoch": 2}}
TRAIN = f"{sys.executable} {ROOT / 'tests' / 'workers_train.py'} {{x}}"


def create(srv, run_conf: dict, workers: int, max_trials: int, start: bool = True) -> str:
    """An external experiment (started unless told otherwise); its id."""
    body = {"name": "xcurve", "external": True, "hp_conf": HP_CONF, "workers": workers, "max_trials": max_trials,
            "run_conf": {"search_space": {"num_samples": 64}, "heartbeat": 0.2, "lease_ttl": 1.0, **run_conf},
            "mode": "DIV", "spec": "SEQ", "criterion": "TIME", "budget": "1h", "repetitions": 1, "seed": 7}  # fmt: skip
    answer = srv.client.post("/experiments", json=body)
    assert answer.status_code == 201, answer.text
    experiment = answer.json()["id"]
    if start:
        assert srv.client.post(f"/experiments/{experiment}:start").status_code == 200
    return experiment


def claim(srv, experiment: str, worker: str) -> httpx.Response:
    """A claim, retried while the experiment's loop has not offered its trials yet (204)."""
    holder: list[httpx.Response] = []

    def claimed() -> bool:
        holder[:] = [srv.client.post(f"/experiments/{experiment}/trials:claim", json={"worker_id": worker})]
        return holder[0].status_code != 204

    wait_for(claimed, f"a trial for {worker}", 60)
    return holder[0]


def start_worker(srv, experiment: str, name: str, log: Path, *extra: str, epoch_s: float = 0.0, command: str = TRAIN):
    """An ``hpo-runner worker`` process (its output in ``<log>.<name>``)."""
    env = {**os.environ, "HPO_TEST_LOG": str(log), "HPO_TEST_EPOCH_S": str(epoch_s), "PYTHONPATH": str(ROOT)}
    args = [sys.executable, str(ROOT / "hpo_runner.py"), "worker", "--server", srv.url, "--experiment", experiment,
            "--command", command, "--token", TOKEN, "--worker-id", name, "--poll", "0.05", "--grace", "5",
            *extra]  # fmt: skip
    out = open(f"{log}.{name}", "ab")  # noqa: SIM115 - kept open for the process's life
    return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)


def trained(log: Path) -> list[tuple[int, int, str, int, float, int]]:
    """The epochs the script trained: (pid, pgid, trial, attempt, x, epoch)."""
    if not log.exists():
        return []
    rows = []
    for line in log.read_text().splitlines():
        pid, pgid, trial, attempt, x, epoch = line.split()
        rows.append((int(pid), int(pgid), trial, int(attempt), float(x), int(epoch)))
    return rows


def stored_trials(srv) -> list[tuple]:
    """(config x, status, epochs, early_terminated, accuracy) of the run store's trials, in trial order."""
    if count_rows(srv.results / "hpo.sqlite", "trials") == 0:  # none yet (or no store yet: not created here)
        return []
    db = sqlite3.connect(f"file:{srv.results / 'hpo.sqlite'}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT config, status, epochs, early_terminated, accuracy FROM trials ORDER BY trial")
        return [(json.loads(c)["x"], s, e, bool(t), a) for c, s, e, t, a in rows.fetchall()]
    finally:
        db.close()


def status_of(srv, experiment: str) -> str:
    return srv.client.get(f"/experiments/{experiment}").json()["status"]


def test_two_workers_run_an_experiment_whose_rule_stops_the_poor_trials(server, tmp_path):  # noqa: F811
    experiment = create(server, INTERVAL, workers=2, max_trials=8)
    log = tmp_path / "epochs.log"
    workers = [start_worker(server, experiment, f"w{i}", log) for i in (1, 2)]
    for process in workers:
        assert process.wait(120) == 0, Path(f"{log}.w1").read_text() + Path(f"{log}.w2").read_text()
    assert status_of(server, experiment) == "done"
    trials = stored_trials(server)
    assert len(trials) == 8
    stopped = [t for t in trials if t[0] < 0.5]
    assert stopped and len(stopped) < 8  # both kinds were proposed
    for x, status, epochs, early, accuracy in trials:
        assert status == "ok"
        if x < 0.5:  # stopped by the rule at epoch 2 with what it trained
            assert (early, epochs, accuracy) == (True, 2, 0.3)
        else:
            assert (early, epochs, accuracy) == (False, EPOCHS, 0.9)
    runs = trained(log)
    epochs_of: dict[float, list[int]] = {}
    for _, _, _, attempt, x, epoch in runs:
        assert attempt == 1
        epochs_of.setdefault(x, []).append(epoch)
    assert sorted(epochs_of) == sorted(t[0] for t in trials)  # every stored trial ran once, nothing else ran
    for x, epochs in epochs_of.items():
        assert epochs == ([1, 2] if x < 0.5 else list(range(1, EPOCHS + 1)))  # a stopped trial trains no epoch 3
    names = {line.split(":")[0] for w in ("w1", "w2") for line in Path(f"{log}.{w}").read_text().splitlines()}
    assert names == {"worker w1", "worker w2"}  # both workers ran trials
    listed = server.client.get(f"/experiments/{experiment}/trials").json()["trials"]
    assert sorted(t["status"] for t in listed) == sorted(
        "early_terminated" if t[0] < 0.5 else "completed" for t in trials
    )


def test_a_worker_killed_mid_trial_loses_its_lease_and_the_trial_runs_again_once(server, tmp_path):  # noqa: F811
    experiment = create(server, {}, workers=1, max_trials=1)
    log = tmp_path / "epochs.log"
    first = start_worker(server, experiment, "w1", log, epoch_s=0.3)
    wait_for(lambda: len(trained(log)) >= 1, "the first epoch of attempt 1")
    pid, pgid, trial, attempt, x, _ = trained(log)[0]
    os.kill(first.pid, signal.SIGKILL)  # the machine dies: the worker and its command
    os.killpg(pgid, signal.SIGKILL)
    first.wait()
    wait_for(lambda: not alive(pid), "the command's end")
    assert attempt == 1
    second = start_worker(server, experiment, "w2", log, epoch_s=0.0)
    assert second.wait(120) == 0, Path(f"{log}.w2").read_text()
    assert status_of(server, experiment) == "done"
    runs = trained(log)
    again = [r for r in runs if r[3] == 2]
    assert [r[5] for r in again] == list(range(1, EPOCHS + 1))  # attempt 2 ran the whole trial, once
    assert {(r[2], r[4]) for r in runs} == {(trial, x)}  # the same trial and candidate
    assert [(t[0], t[1], t[2]) for t in stored_trials(server)] == [(x, "ok", EPOCHS)]  # stored once
    late = server.client.post(f"/trials/{trial}/reports", json={"attempt": 1, "epoch": 2, "metrics": {"accuracy": 0.5}})
    assert late.status_code == 409
    assert late.json() == {"detail": f"attempt 1 of trial {trial} is superseded (current attempt: 2)"}
    result = server.client.post(f"/trials/{trial}:complete", json={"attempt": 1, "metrics": {"accuracy": 0.99}})
    assert result.status_code == 409
    assert [(t[0], t[4]) for t in stored_trials(server)] == [(x, 0.3 if x < 0.5 else 0.9)]  # the late one: nowhere
    db = sqlite3.connect(server.results / "workers.sqlite")
    assert db.execute("SELECT attempt, worker FROM attempts ORDER BY attempt").fetchall() == [(1, "w1"), (2, "w2")]


def test_claims_are_idempotent_per_worker_and_never_shared(server):  # noqa: F811
    experiment = create(server, INTERVAL, workers=4, max_trials=4)
    first = claim(server, experiment, "a")
    assert first.status_code == 200
    again = server.client.post(f"/experiments/{experiment}/trials:claim", json={"worker_id": "a"})
    assert again.json() == first.json()  # the same worker gets its trial again
    wait_for(lambda: len(_pending(server, experiment)) == 3, "the other three trials offered")
    answers: dict[str, dict] = {}

    def take(name: str) -> None:
        with httpx.Client(base_url=server.client.base_url, headers=server.client.headers) as own:
            answer = own.post(f"/experiments/{experiment}/trials:claim", json={"worker_id": name})
            answers[name] = answer.json() if answer.status_code == 200 else {"status": answer.status_code}

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = [a["trial"]["id"] for a in answers.values() if "trial" in a]
    assert len(got) == 3 and len(set(got)) == 3 and first.json()["trial"]["id"] not in got
    assert [a for a in answers.values() if "trial" not in a] == [{"status": 204}] * 3  # nothing left for them
    late = server.client.post(f"/experiments/{experiment}/trials:claim", json={"worker_id": "late"})
    assert late.status_code == 204


def _pending(srv, experiment: str) -> list:
    db = sqlite3.connect(f"file:{srv.results / 'workers.sqlite'}?mode=ro", uri=True, timeout=5)
    try:
        query = "SELECT id FROM trials WHERE experiment = ? AND status = 'pending'"
        return db.execute(query, (experiment,)).fetchall()
    finally:
        db.close()


def test_a_repeated_report_gets_the_same_answer_and_a_result_counts_once(server):  # noqa: F811
    experiment = create(server, INTERVAL, workers=1, max_trials=2)
    lease = claim(server, experiment, "a").json()["trial"]
    trial, x = lease["id"], lease["params"]["x"]
    assert (lease["attempt"], lease["heartbeat_s"], lease["lease_ttl_s"]) == (1, 0.2, 1.0)
    url = f"/trials/{trial}/reports"
    low = x < 0.5
    first = server.client.post(url, json={"attempt": 1, "epoch": 1, "metrics": {"accuracy": 0.45}})
    assert first.json() == {"stop": False, "rule": None, "reason": None}  # epoch 1 is not checked
    accuracy = 0.3 if low else 0.9
    answer = server.client.post(url, json={"attempt": 1, "epoch": 2, "metrics": {"accuracy": accuracy}}).json()
    expected = (
        {
            "stop": True,
            "rule": "Interval",
            "reason": "Interval stopped the trial at epoch 2 (statistic 0.3, threshold [0, 0.5])",
        }
        if low
        else {"stop": False, "rule": None, "reason": None}
    )
    assert answer == expected
    repeated = server.client.post(url, json={"attempt": 1, "epoch": 2, "metrics": {"accuracy": 0.77}})
    assert repeated.json() == expected  # the epoch is the idempotency key: same answer, counted once
    done = {"attempt": 1, "metrics": {"accuracy": accuracy}}
    status = "early_terminated" if low else "completed"
    assert server.client.post(f"/trials/{trial}:complete", json=done).json() == {"status": status}
    assert server.client.post(f"/trials/{trial}:complete", json=done).json() == {"status": status}
    beat = server.client.post(f"/trials/{trial}:heartbeat", json={"attempt": 1}).json()
    assert beat == {"status": status, "stop": True}
    wait_for(lambda: len(stored_trials(server)) == 1, "the trial stored")
    assert [(t[0], t[4]) for t in stored_trials(server)] == [(x, max(0.45, accuracy))]  # the best epoch counts
    db = sqlite3.connect(f"file:{server.results / 'workers.sqlite'}?mode=ro", uri=True, timeout=5)
    try:
        reports = db.execute("SELECT epoch, accuracy FROM reports WHERE trial = ? ORDER BY epoch", (trial,)).fetchall()
    finally:
        db.close()
    assert reports == [(1, 0.45), (2, accuracy)]  # the repeated epoch-2 report (0.77) was not recorded


def test_worker_endpoints_refuse_bad_calls(server):  # noqa: F811
    experiment = create(server, INTERVAL, workers=1, max_trials=1)
    lease = claim(server, experiment, "a").json()["trial"]
    trial = lease["id"]
    anonymous = httpx.post(f"{server.url}/api/v1/experiments/{experiment}/trials:claim", json={"worker_id": "b"})
    assert anonymous.status_code == 401
    wrong = httpx.post(f"{server.url}/api/v1/trials/{trial}:heartbeat", json={"attempt": 1},
                       headers={"Authorization": "Bearer nope"})  # fmt: skip
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "wrong token"})
    unknown = server.client.post("/experiments/nope/trials:claim", json={"worker_id": "b"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "no experiment 'nope'"})
    missing = server.client.post("/trials/0123:heartbeat", json={"attempt": 1})
    assert (missing.status_code, missing.json()) == (404, {"detail": "no trial '0123'"})
    future = server.client.post(f"/trials/{trial}:heartbeat", json={"attempt": 2})
    assert (future.status_code, future.json()) == (
        409, {"detail": f"trial {trial} has no attempt 2 (current attempt: 1)"}
    )  # fmt: skip
    outside = server.client.post(
        f"/trials/{trial}/reports", json={"attempt": 1, "epoch": 1, "metrics": {"accuracy": 1.5}}
    )
    assert outside.status_code == 422
    assert outside.json() == {"detail": [{"loc": ["body", "metrics", "accuracy"], "type": "value_error",
                                          "msg": "reported accuracy 1.5 at epoch 1 is outside [0, 1]"}]}  # fmt: skip
    both = server.client.post(f"/trials/{trial}:complete", json={"attempt": 1, "metrics": {"loss": 0.1}})
    assert both.status_code == 422
    assert both.json()["detail"][0]["msg"] == "result has neither error nor accuracy: {'loss': 0.1}"
    nameless = server.client.post(f"/experiments/{experiment}/trials:claim", json={})
    assert nameless.status_code == 422 and nameless.json()["detail"][0]["loc"] == ["body", "worker_id"]
    benchmark = server.client.post("/experiments", json={"benchmark": "digits-mlp", "budget": "1h", "seed": 1})
    other = benchmark.json()["id"]
    refused = server.client.post(f"/experiments/{other}/trials:claim", json={"worker_id": "b"})
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": f"experiment {other} is not an external experiment"},
    )
    assert server.client.post(f"/trials/{trial}:fail", json={"attempt": 1, "reason": "out of memory"}).json() == {
        "status": "failed"
    }
    wait_for(lambda: status_of(server, experiment) == "done", "the experiment's end")
    over = server.client.post(f"/experiments/{experiment}/trials:claim", json={"worker_id": "b"})
    assert (over.status_code, over.json()) == (410, {"detail": f"experiment {experiment} is done"})
    assert [t[1] for t in stored_trials(server)] == ["failed"]


@pytest.mark.parametrize("threads", [2])
def test_the_store_enforces_one_claim_per_trial_across_connections(tmp_path, threads):
    from hpo_mab.store.leases import LeaseStore

    stores = [LeaseStore(tmp_path) for _ in range(threads)]  # separate connections: no shared Python lock
    stores[0].open_experiment("e", 1.0, 60.0)
    for candidate in range(20):
        stores[0].offer(f"t{candidate}", "e", 0, candidate, 0, {"x": candidate})
    taken: list[str] = []
    lock = threading.Lock()

    def work(store: LeaseStore, prefix: str) -> None:
        for i in range(20):
            lease = store.claim("e", f"{prefix}{i}")
            if lease is not None:
                with lock:
                    taken.append(lease.trial.id)

    runners = [threading.Thread(target=work, args=(s, f"s{n}-")) for n, s in enumerate(stores)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert sorted(taken) == sorted(f"t{c}" for c in range(20))  # every trial claimed exactly once


def test_a_killed_server_resumes_the_external_experiment_with_nothing_lost_or_counted_twice(server, tmp_path):  # noqa: F811
    experiment = create(server, {**INTERVAL, "lease_ttl": 60}, workers=2, max_trials=6)  # leases outlive the restart
    log = tmp_path / "epochs.log"
    workers = [start_worker(server, experiment, f"w{i}", log, epoch_s=0.2) for i in (1, 2)]
    wait_for(lambda: len(stored_trials(server)) >= 2 and len(trained(log)) > 12, "trials stored and others running")
    server.kill()  # mid-run: trials in flight, reports on their way
    server.start()  # the same port: the workers' retries reach the new server, which resumes the experiment
    for process in workers:
        assert process.wait(180) == 0, Path(f"{log}.w1").read_text() + Path(f"{log}.w2").read_text()
    assert status_of(server, experiment) == "done"
    trials = stored_trials(server)
    assert len(trials) == 6 and len({t[0] for t in trials}) == 6  # every trial stored once
    for x, status, epochs, early, accuracy in trials:
        assert (status, early, epochs, accuracy) == (("ok", True, 2, 0.3) if x < 0.5 else ("ok", False, EPOCHS, 0.9))
    ran = {(r[2], r[3]) for r in trained(log)}
    assert {attempt for _, attempt in ran} == {1}  # the leases outlived the server: no trial ran twice
    assert len(ran) == 6


def test_the_worker_ends_a_command_that_ignores_the_stop(server, tmp_path):  # noqa: F811
    experiment = create(server, INTERVAL, workers=1, max_trials=1)
    log = tmp_path / "pids.log"
    stubborn = f"{sys.executable} {ROOT / 'tests' / 'workers_stubborn.py'} {{x}}"
    worker = start_worker(server, experiment, "w1", log, "--grace", "0.5", command=stubborn)
    assert worker.wait(120) == 0, Path(f"{log}.w1").read_text()
    pid = int(log.read_text().split()[0])
    wait_for(lambda: not alive(pid), "the command killed")  # SIGTERM ignored: SIGKILL after the grace
    [(_, status, epochs, early, accuracy)] = stored_trials(server)
    assert (status, epochs, early, accuracy) == ("ok", 2, True, 0.3)  # what it trained when the rule stopped it
    assert "early_terminated on the server; its command was ended" in Path(f"{log}.w1").read_text()


def test_a_command_that_exits_without_completing_fails_its_trial(server, tmp_path):  # noqa: F811
    experiment = create(server, {}, workers=1, max_trials=1)
    log = tmp_path / "none.log"
    crash = f"{sys.executable} -c 'import sys; sys.exit(3)' {{x}}"
    worker = start_worker(server, experiment, "w1", log, command=crash)
    assert worker.wait(120) == 0, Path(f"{log}.w1").read_text()
    assert [t[1] for t in stored_trials(server)] == ["failed"]
    db = sqlite3.connect(f"file:{server.results / 'hpo.sqlite'}?mode=ro", uri=True)
    assert db.execute("SELECT note FROM trials").fetchone()[0] == (
        "failed: the command exited with code 3 without completing the trial"
    )


def test_an_external_experiment_that_cannot_start_fails_with_the_cli_line(server):  # noqa: F811
    experiment = create(server, {}, workers=1, max_trials=1, start=False)
    folder = server.results / "server" / "experiments" / experiment
    (hp_conf,) = [p for p in folder.iterdir() if p.suffix == ".json" and p.stem != "run_conf"]
    hp_conf.unlink()  # the inline hp_conf is gone before the start: assembling it again fails
    answer = server.client.post(f"/experiments/{experiment}:start")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "failed"
    assert answer.json()["message"].startswith(f"CONFIG: no benchmark or hp_conf named '{hp_conf}' (looked for a file")
    assert server.client.get(f"/experiments/{experiment}").json()["status"] == "failed"
