"""``hpo-runner worker``'s bad input: one line, exit 2 (exit 1 when the server refuses it)."""

from __future__ import annotations

import pytest

import hpo_runner
from tests.server_fixtures import server  # noqa: F401 (the fixture)


def run(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = hpo_runner.main(["worker", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "http://127.0.0.1:9", "--experiment", "e", "--command", "echo {x}"],
         "error: --token: give --token, --token-file or HPO_TOKEN (the server's RESULTS/server.token)\n"),
        (["--server", "http://127.0.0.1:9", "--experiment", "e", "--command", "echo '{x}'", "--token", "t"],
         "error: --command: {x} stands inside '...': values are shell-quoted already, so a quoted field lets a "
         "value end the quotes; write a bare {x}\n"),
        (["--server", "ftp://head", "--experiment", "e", "--command", "echo {x}", "--token", "t"],
         "error: --server: expected an http:// or https:// URL, got 'ftp://head'\n"),
        (["--server", "http://", "--experiment", "e", "--command", "echo {x}", "--token", "t"],
         "error: --server: expected an http:// or https:// URL, got 'http://'\n"),
        (["--server", "http://head:abc", "--experiment", "e", "--command", "echo {x}", "--token", "t"],
         "error: --server: expected an http:// or https:// URL, got 'http://head:abc'\n"),
        (["--server", "http://127.0.0.1:9", "--experiment", "e", "--command", "echo {x}", "--token-file", "/no/file"],
         "error: /no/file: cannot read the token file: No such file or directory\n"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(capsys, monkeypatch, args, message):
    monkeypatch.delenv("HPO_TOKEN", raising=False)
    assert run(capsys, *args) == (2, message)


def test_a_wrong_token_is_refused_by_the_server(capsys, server):  # noqa: F811
    code, err = run(capsys, "--server", server.url, "--experiment", "e", "--command", "echo {x}", "--token", "bad")
    assert (code, err) == (1, "error: the server refused: 401: wrong token\n")


def test_the_token_file_is_read(capsys, server, tmp_path):  # noqa: F811
    token = tmp_path / "server.token"
    token.write_text(server.token + "\n")
    code, err = run(capsys, "--server", server.url, "--experiment", "nope", "--command", "echo {x}",
                    "--token-file", str(token))  # fmt: skip
    assert (code, err) == (1, "error: the server refused: 404: no experiment 'nope'\n")


def test_each_retry_of_an_unreachable_server_is_told(tmp_path):
    import socket

    from hpo_mab.client import Server

    with socket.socket() as closed:  # a free port that nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    told: list[str] = []
    client = Server(f"http://127.0.0.1:{port}", "t", retries=2, backoff=0.01, on_retry=told.append)
    with pytest.raises(OSError):
        client.call("/experiments")
    assert told == [
        f"http://127.0.0.1:{port}: Connection refused; retry 1 of 2 in 0.01 s",
        f"http://127.0.0.1:{port}: Connection refused; retry 2 of 2 in 0.02 s",
    ]
