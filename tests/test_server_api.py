"""The server's API on a real uvicorn process: auth, the token file, meta resources, experiments and their errors."""

from __future__ import annotations

import stat

import httpx
import pytest

from tests.server_fixtures import Server, server  # noqa: F401


def test_every_api_call_needs_the_token(server):  # noqa: F811
    bare = httpx.get(f"{server.url}/api/v1/benchmarks")
    assert bare.status_code == 401
    assert bare.json() == {"detail": "missing token: send Authorization: Bearer <token>"}
    wrong = httpx.get(f"{server.url}/api/v1/experiments", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "wrong token"})
    cookie = httpx.get(f"{server.url}/api/v1/benchmarks", cookies={"hpo_token": server.token})
    assert cookie.status_code == 200
    assert httpx.get(f"{server.url}/api/v1/benchmarks", cookies={"hpo_token": "x"}).status_code == 401


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


def test_benchmarks_are_those_of_surrogates_list(server):  # noqa: F811
    from hpo_mab.surrogates.registry import list_benchmarks

    listed = server.client.get("/benchmarks").json()
    infos, _ = list_benchmarks(None, None)
    assert [b["name"] for b in listed] == [i.name for i in infos]
    digits = next(b for b in listed if b["name"] == "digits-mlp")
    info = next(i for i in infos if i.name == "digits-mlp")
    assert digits == {"name": "digits-mlp", "source": info.source, "params": info.hyperparameters,
                      "epochs": info.epochs, "size": info.size, "optimum": info.optimum, "goal": info.goal}  # fmt: skip


def test_optimizers_carry_the_option_schemas_of_the_typed_options(server):  # noqa: F811
    from hpo_mab.arms.catalog import STRATEGIES
    from hpo_mab.inputs.options import json_schema
    from hpo_mab.stopping.catalog import RULES

    body = server.client.get("/optimizers").json()
    assert [m["name"] for m in body["modes"]][:2] == ["RANDOM", "DIV"]
    div = next(m for m in body["modes"] if m["name"] == "DIV")
    assert div["specs"] == STRATEGIES.names()
    hedge = next(s for s in body["strategies"] if s["name"] == "HEDGE")
    assert hedge["options_schema"] == json_schema(STRATEGIES["HEDGE"].options_class())
    assert [r["name"] for r in body["early_term_rules"]] == RULES.names()
    assert "GP-HLE" in body["arms"] and "optuna-tpe" in body["peers"]


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"benchmark": "digits-mlp", "budget": "3x"}, ["body", "budget"], None),
        ({"benchmark": "digits-mlp", "mode": "XYZ"}, ["body", "mode"], None),
        (
            {"benchmark": "digits-mlp", "repetitions": 0},
            ["body", "repetitions"],
            "NUM_TRIALS: expected an integer in 1..10000, got 0",
        ),
        ({"benchmark": "no-such-bench"}, ["body", "benchmark"], None),
        (
            {"benchmark": "../etc/passwd"},
            ["body", "benchmark"],
            "expected a name (letters, digits and _.:+-, no path), got '../etc/passwd'",
        ),
        (
            {"benchmark": "digits-mlp", "run_conf": {"etr": {"eta": 0}}, "early_term_rule": "ASHA"},
            ["body", "run_conf", "etr", "eta"],
            None,
        ),
    ],
)
def test_a_bad_body_is_422_with_the_key_path_and_the_cli_message(server, body, loc, msg):  # noqa: F811
    answer = server.client.post("/experiments", json=body)
    assert answer.status_code == 422, answer.text
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == loc
    assert detail["type"] == "value_error"
    if msg is not None:
        assert detail["msg"] == msg
