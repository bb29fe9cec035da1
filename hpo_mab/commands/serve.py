"""``hpo-runner serve``: the Experiments REST API over a results folder (loopback unless told otherwise)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

from hpo_mab.inputs.errors import InputError
from hpo_mab.server.settings import DEFAULT_HOST, DEFAULT_PORT

LOOPBACK = ("127.0.0.1", "localhost", "::1")
GRACE_S = 3  # open event streams are closed this long after Ctrl-C


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on; anything but loopback is reachable from other machines.")  # fmt: skip
@click.option("--port", type=click.IntRange(min=1, max=65535), default=DEFAULT_PORT, show_default=True)
@click.option("--results", "results_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("results"),
              show_default=True, help="Results folder: store, traces, the server's catalog and token.")  # fmt: skip
@click.option("--token", default=None, envvar="HPO_SERVER_TOKEN",
              help="API token. [default: RESULTS/server.token, created (mode 0600) on the first start]")  # fmt: skip
@click.option("--no-resume", is_flag=True, help="Mark the experiments a previous server left running stopped.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def serve(host: str, port: int, results_dir: Path, token: str | None, no_resume: bool, debug: bool) -> None:
    """Serve the Experiments API (/api/v1, OpenAPI at /api/v1/openapi.json) for RESULTS."""
    import uvicorn

    from hpo_mab.inputs.cli_values import check_results_dir
    from hpo_mab.server.app import create_app
    from hpo_mab.server.settings import ServerSettings

    check_results_dir(results_dir)
    check_listen(host, port)
    settings = ServerSettings(results_dir.absolute(), host, port, token, resume=not no_resume)
    app = create_app(settings)
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}: other machines can reach this server (keep the token secret)",
                   err=True)  # fmt: skip
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"hpo-mab server for {settings.results_dir}: http://{shown}:{port}/?token={app.state.token}")
    click.echo(f"API: http://{shown}:{port}/api/v1 (Authorization: Bearer <token>; token in {settings.token_path})",
               err=True)  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="debug" if debug else "warning", access_log=debug,
                timeout_graceful_shutdown=GRACE_S)  # fmt: skip


def check_listen(host: str, port: int) -> None:
    """Refuse, before the token is printed, an address that cannot be resolved or bound (in use, not ours)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"cannot resolve {host!r} ({getattr(exc, 'strerror', None) or exc})", key="--host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            key = "--port" if exc.errno == errno.EADDRINUSE else "--host"
            raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", key=key) from None
