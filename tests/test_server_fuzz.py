"""Property-based fuzzing of the API against its own OpenAPI document (schemathesis): no 500, no traceback."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.processes import wait_for
from tests.server_fixtures import TOKEN, Server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
STREAMS = r"events$"  # event streams stay open while their experiment lives: read in test_server_runs.py
EXAMPLES = 25  # per operation and generation mode: the suite stays within CI's time
SMALL = {"benchmark": "branin", "mode": "RANDOM", "budget": "20m", "repetitions": 1, "seed": 2}


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory):
    """One server for every fuzzed operation, holding one finished experiment."""
    server = Server(tmp_path_factory.mktemp("fuzz") / "results").start()
    experiment = server.client.post("/experiments", json=SMALL).json()["id"]
    server.client.post(f"/experiments/{experiment}:start")
    wait_for(lambda: server.client.get(f"/experiments/{experiment}").json()["status"] == "done", "the experiment")
    server.known = experiment
    yield server
    server.stop()


def operations(server: Server) -> list:
    """The operations of the server's published OpenAPI document, event streams left out."""
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json", headers=AUTH)
    return [result.ok() for result in schema.exclude(path_regex=STREAMS).get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_makes_the_server_fail_or_show_a_traceback(fuzzed_server, mode):
    found = operations(fuzzed_server)
    assert len(found) >= 12
    strategy = st.one_of([operation.as_strategy(generation_mode=mode) for operation in found])

    @given(case=strategy, known=st.booleans())
    @settings(max_examples=EXAMPLES * len(found), deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    def check(case, known):
        parameters = case.path_parameters or {}
        if known and "experiment_id" in parameters and case.method != "DELETE":
            parameters["experiment_id"] = fuzzed_server.known  # the paths of an existing experiment too
        response = case.call(base_url=fuzzed_server.url, headers=AUTH, timeout=60)
        where = f"{case.method} {case.formatted_path}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
        assert "Traceback" not in response.text, where
        assert 'File "' not in response.text, where

    check()
