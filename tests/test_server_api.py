"""The server's API on a real uvicorn process: auth, the token file, meta resources, experiments and their errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from tests.server_fixtures import Server, shared_server  # noqa: F401

QUADRATIC = json.loads((Path(__file__).resolve().parents[1] / "examples" / "quadratic.json").read_text())


def test_every_api_call_needs_the_token(shared_server):  # noqa: F811
    bare = httpx.get(f"{shared_server.url}/api/v1/benchmarks")
    assert bare.status_code == 401
    assert bare.json() == {"detail": "missing token: send Authorization: Bearer <token>"}
    wrong = httpx.get(f"{shared_server.url}/api/v1/experiments", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "wrong token"})
    cookie = httpx.get(f"{shared_server.url}/api/v1/benchmarks", cookies={"hpo_token": shared_server.token})
    assert cookie.status_code == 200
    assert httpx.get(f"{shared_server.url}/api/v1/benchmarks", cookies={"hpo_token": "x"}).status_code == 401


def test_the_token_is_created_once_with_mode_0600_and_reused(tmp_path):
    first = Server(tmp_path / "results", None).start()
    try:
        path = tmp_path / "results" / "server.token"
        token = path.read_text().strip()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(token) >= 32
        assert first.client.get("/benchmarks").status_code == 200
        first.stop()
        second = Server(tmp_path / "results", None).start()
        assert path.read_text().strip() == token
        assert second.client.get("/benchmarks").status_code == 200
        second.stop()
    finally:
        first.stop()


def test_benchmarks_are_those_of_surrogates_list(shared_server):  # noqa: F811
    from hpo_mab.surrogates.registry import list_benchmarks

    listed = shared_server.client.get("/benchmarks").json()
    infos, _ = list_benchmarks(None, None)
    assert [b["name"] for b in listed] == [i.name for i in infos]
    digits = next(b for b in listed if b["name"] == "digits-mlp")
    info = next(i for i in infos if i.name == "digits-mlp")
    assert digits == {"name": "digits-mlp", "source": info.source, "params": info.hyperparameters,
                      "epochs": info.epochs, "size": info.size, "optimum": info.optimum, "goal": info.goal}  # fmt: skip


def test_optimizers_carry_the_option_schemas_of_the_typed_options(shared_server):  # noqa: F811
    from hpo_mab.arms.catalog import STRATEGIES
    from hpo_mab.inputs.options import json_schema
    from hpo_mab.stopping.catalog import RULES

    body = shared_server.client.get("/optimizers").json()
    assert [m["name"] for m in body["modes"]][:2] == ["RANDOM", "DIV"]
    div = next(m for m in body["modes"] if m["name"] == "DIV")
    assert div["specs"] == STRATEGIES.names()
    hedge = next(s for s in body["strategies"] if s["name"] == "HEDGE")
    assert hedge["options_schema"] == json_schema(STRATEGIES["HEDGE"].options_class())
    assert [r["name"] for r in body["early_term_rules"]] == RULES.names()
    assert "GP-HLE" in body["arms"] and "optuna-tpe" in body["peers"]


CASES = [  # (body, key path, the equivalent CLI arguments)
    ({"benchmark": "digits-mlp", "budget": "3x"}, ["budget"], ["digits-mlp", "1", "-et", "3x"]),
    ({"benchmark": "digits-mlp", "mode": "XYZ"}, ["mode"], ["digits-mlp", "1", "-m", "XYZ"]),
    ({"benchmark": "digits-mlp", "spec": "FOO"}, ["spec"], ["digits-mlp", "1", "-s", "FOO"]),
    ({"benchmark": "no-such-bench"}, ["benchmark"], ["no-such-bench", "1"]),
    (
        {"benchmark": "digits-mlp", "criterion": "GOAL", "goal": 2},
        ["goal"],
        ["digits-mlp", "1", "-e", "GOAL", "-eg", "2"],
    ),
    ({"benchmark": "digits-mlp", "early_term_rule": "NOPE"}, ["early_term_rule"], ["digits-mlp", "1", "-etr", "NOPE"]),
    ({"benchmark": "digits-mlp", "run_conf": "no-such-conf"}, ["run_conf"], ["digits-mlp", "1", "-c", "no-such-conf"]),
]


@pytest.mark.parametrize(("body", "loc", "args"), CASES)
def test_a_bad_body_is_422_with_the_key_path_and_the_cli_message(shared_server, capsys, body, loc, args):  # noqa: F811
    import hpo_runner

    answer = shared_server.client.post("/experiments", json=body)
    assert answer.status_code == 422, answer.text
    assert hpo_runner.main([*args, "--results", str(shared_server.results)]) == 2
    cli_line = capsys.readouterr().err.strip().removeprefix("error: ")
    assert answer.json() == {"detail": [{"loc": ["body", *loc], "msg": cli_line, "type": "value_error"}]}


def test_inline_run_conf_errors_name_the_body_key(shared_server):  # noqa: F811
    body = {"benchmark": "digits-mlp", "run_conf": {"etr": {"eta": 0}}, "early_term_rule": "ASHA"}
    answer = shared_server.client.post("/experiments", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"detail": [{"loc": ["body", "run_conf", "etr", "eta"],
                                         "msg": "run_conf: etr.eta: expected a number in (1, 100), got 0",
                                         "type": "value_error"}]}  # fmt: skip
    answer = shared_server.client.post("/experiments", json={"benchmark": "digits-mlp", "run_conf": {"arms": 3}})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][:3] == ["body", "run_conf", "arms"]


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        (
            {"benchmark": "../etc/passwd"},
            ["benchmark"],
            "expected a name (letters, digits and _.:+-, no path), got '../etc/passwd'",
        ),
        (
            {"hp_conf": "/etc/passwd", "command": "true"},
            ["hp_conf"],
            "expected a name (letters, digits and _.:+-, no path), got '/etc/passwd'",
        ),
        (
            {"benchmark": "digits-mlp", "repetitions": 0},
            ["repetitions"],
            "NUM_TRIALS: expected an integer in 1..10000, got 0",
        ),
        ({"benchmark": "digits-mlp", "workers": 0}, ["workers"], "--workers: expected an integer in 1..256, got 0"),
        ({"benchmark": "digits-mlp", "jobs": 65}, ["jobs"], "-j/--jobs: expected an integer in 1..64, got 65"),
        (
            {"hp_conf": QUADRATIC, "objective": "examples.objectives:quadratic", "jobs": 2},
            ["jobs"],
            "-j/--jobs: repetitions run at once only on the simulated clock (surrogate tables, analytic functions,"
            " YAHPO); a real objective runs trials in parallel with --workers",
        ),
        (
            {"benchmark": "digits-mlp", "command": "true"},
            ["command"],
            "give one of benchmark, objective, command or external, got benchmark, command",
        ),
        ({}, ["benchmark"], "give a benchmark, or an hp_conf with an objective or a command"),
        (
            {"benchmark": "digits-mlp", "peer": "optuna-tpe"},
            ["peer"],
            "peer systems run through `hpo-runner compare`, not as experiments",
        ),
    ],
)
def test_values_the_cli_cannot_take_are_422_too(shared_server, body, loc, msg):  # noqa: F811
    answer = shared_server.client.post("/experiments", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"detail": [{"loc": ["body", *loc], "msg": msg, "type": "value_error"}]}


def test_validate_only_checks_without_creating(shared_server):  # noqa: F811
    body = {"benchmark": "digits-mlp", "mode": "DIV", "spec": "HEDGE", "budget": "2h", "seed": 7}
    answer = shared_server.client.post("/experiments", params={"validate_only": "true"}, json=body)
    assert answer.status_code == 200
    assert answer.json()["valid"] is True
    assert answer.json()["command"] == (
        f"hpo-runner digits-mlp 1 -m DIV -s HEDGE -e TIME -et 2h --seed 7 --results {shared_server.results}"
    )
    assert answer.json()["run_conf"]["title"] == "default"
    listed = shared_server.client.get("/experiments").json()["experiments"]
    assert [e for e in listed if e["request"].get("spec") == "HEDGE"] == []


def test_unknown_experiments_and_trials_are_404(shared_server):  # noqa: F811
    c = shared_server.client
    assert c.get("/experiments/abc").json() == {"detail": "no experiment 'abc'"}
    for path in ("/experiments/abc", "/experiments/abc/trials", "/experiments/abc/report", "/experiments/abc/events",
                 "/experiments/abc/files/trace", "/experiments/run-99"):  # fmt: skip
        assert c.get(path).status_code == 404, path
    for action in (":start", ":stop", ":resume"):
        assert c.post(f"/experiments/abc{action}").status_code == 404
    assert c.delete("/experiments/abc").status_code == 404
    created = c.post("/experiments", json={"benchmark": "branin", "budget": "1h", "seed": 1}).json()
    assert c.get(f"/experiments/{created['id']}/trials/0-0").json() == {
        "detail": f"no trial '0-0' in experiment {created['id']}"
    }
    assert c.get(f"/experiments/{created['id']}/trials").json() == {"trials": [], "next": None}
    assert c.get(f"/experiments/{created['id']}/files/trace").json() == {
        "detail": f"experiment {created['id']} has no trace yet (written at its end)"
    }
    assert c.post(f"/experiments/{created['id']}:stop").status_code == 409
    assert c.post(f"/experiments/{created['id']}:resume").status_code == 409
    assert c.get(f"/experiments/{created['id']}/trials", params={"after": "x"}).status_code == 422
    assert c.delete(f"/experiments/{created['id']}").status_code == 204
    assert c.get(f"/experiments/{created['id']}").status_code == 404


def test_the_openapi_document_is_published(shared_server):  # noqa: F811
    document = shared_server.client.get("/openapi.json").json()
    paths = set(document["paths"])
    assert {"/api/v1/benchmarks", "/api/v1/optimizers", "/api/v1/experiments", "/api/v1/experiments/{experiment_id}",
            "/api/v1/experiments/{experiment_id}/trials", "/api/v1/experiments/{experiment_id}/events",
            "/api/v1/events"} <= paths  # fmt: skip
