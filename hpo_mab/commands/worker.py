"""``hpo-runner worker``: claim trials of an external experiment and run a command for each, until it is over.

Each claimed trial runs ``--command`` with its hyperparameters in the ``{name}`` fields (values
shell-quoted, as ``--command`` objectives do) in its own process group, with ``HPO_SERVER``,
``HPO_TOKEN``, ``HPO_TRIAL``, ``HPO_ATTEMPT`` and ``HPO_PARAMS`` added to this environment
(``CUDA_VISIBLE_DEVICES`` and the rest pass through: start one worker per GPU). While it runs,
the worker sends heartbeats; when the trial has ended on the server (the rule stopped it, the
repetition cancelled it, the experiment stopped, or another worker took it over) the process
group gets SIGTERM, then SIGKILL after ``--grace`` seconds. A command that exits without having
completed its trial marks it failed. The worker exits when the experiment is over (410).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import click

from hpo_mab.client import Server, ServerError, Superseded
from hpo_mab.inputs.errors import InputError
from hpo_mab.objectives.shell import ShellObjective, placeholders, refuse_quoted_placeholders
from hpo_mab.objectives.streams import kill_group

GONE = 410


def command_line(template: str, params: dict) -> str:
    """The command of a trial: each ``{name}`` replaced by the shell-quoted value (KeyError for an unknown name)."""
    unknown = [name for name in placeholders(template) if name not in params]
    if unknown:
        raise KeyError(f"{{{unknown[0]}}} is not a hyperparameter of the experiment (it has {', '.join(params)})")
    return ShellObjective(template).command(params)


def trial_environment(server: Server, url: str, trial: dict) -> dict[str, str]:
    """This process's environment plus the client's variables of ``trial``."""
    return {
        **os.environ,
        "HPO_SERVER": url,
        "HPO_TOKEN": server.token,
        "HPO_TRIAL": trial["id"],
        "HPO_ATTEMPT": str(trial["attempt"]),
        "HPO_PARAMS": json.dumps(trial["params"]),
    }


def end_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the command's process group, SIGKILL to what is left after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    kill_group(process.pid)
    process.wait()


class Worker:
    """Claims and runs the trials of one experiment."""

    def __init__(self, server: Server, url: str, experiment: str, template: str, name: str, poll: float, grace: float):
        self.server, self.url, self.experiment, self.template = server, url, experiment, template
        self.name, self.poll, self.grace = name, poll, grace

    def run(self) -> int:
        """Claim and run trials until the experiment is over; the number of trials run."""
        done = 0
        while True:
            try:
                _, trial = self.server.claim(self.experiment, self.name)
            except ServerError as exc:
                if exc.status == GONE:
                    click.echo(f"worker {self.name}: experiment {self.experiment} is over ({done} trials run)")
                    return done
                raise
            if trial is None:
                time.sleep(self.poll)
                continue
            self.run_trial(trial)
            done += 1

    def run_trial(self, trial: dict) -> None:
        """Run one trial's command to its end (or until the server says it has ended), heartbeats meanwhile."""
        tag = f"worker {self.name}: trial {trial['id']} attempt {trial['attempt']}"
        try:
            line = command_line(self.template, trial["params"])
        except KeyError as exc:
            self._fail(trial, exc.args[0])
            raise InputError(exc.args[0], key="--command") from None
        click.echo(f"{tag}: {line}")
        env = trial_environment(self.server, self.url, trial)
        process = subprocess.Popen(line, shell=True, env=env, start_new_session=True, stdin=subprocess.DEVNULL)
        try:
            ended = self._watch(process, float(trial["heartbeat_s"]), trial)
        except BaseException:
            end_group(process, self.grace)
            raise
        if ended is not None:
            click.echo(f"{tag}: {ended}")
            return
        code = process.returncode
        try:
            state = self.server.heartbeat(trial["id"], trial["attempt"])
        except Superseded:
            return
        if state["status"] == "running":
            why = f"the command exited with code {code} without completing the trial"
            self._fail(trial, why if code else "the command exited without completing the trial")
        click.echo(f"{tag}: {state['status']} (exit code {code})")

    def _watch(self, process: subprocess.Popen, heartbeat: float, trial: dict) -> str | None:
        """Heartbeats until the command exits (None) or the server says the trial ended (why; the group is ended)."""
        while True:
            try:
                process.wait(timeout=heartbeat)
                return None
            except subprocess.TimeoutExpired:
                pass
            try:
                state = self.server.heartbeat(trial["id"], trial["attempt"])
            except Superseded as exc:
                end_group(process, self.grace)
                return f"superseded ({exc.detail}); its command was ended"
            if state["stop"]:
                end_group(process, self.grace)
                return f"{state['status']} on the server; its command was ended"

    def _fail(self, trial: dict, reason: str) -> None:
        with contextlib.suppress(Superseded):
            self.server.fail(trial["id"], trial["attempt"], reason)


def read_token(token: str | None, token_file: Path | None) -> str:
    """The token: ``--token``, else the file's first line, else ``HPO_TOKEN``."""
    if token:
        return token
    if token_file is not None:
        try:
            text = token_file.read_text().strip()
        except OSError as exc:
            raise InputError(f"cannot read the token file: {exc.strerror}", str(token_file)) from None
        if not text:
            raise InputError("the token file is empty", str(token_file))
        return text.splitlines()[0]
    if os.environ.get("HPO_TOKEN"):
        return os.environ["HPO_TOKEN"]
    raise InputError("give --token, --token-file or HPO_TOKEN (the server's RESULTS/server.token)", key="--token")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--server", "url", required=True, help="The server's URL: http://head:8765.")
@click.option("--experiment", required=True, help="The id of the external experiment.")
@click.option("--command", "template", required=True, help="The command per trial: 'python train.py --lr {lr}'.")
@click.option("--token", default=None, help="The API token [default: --token-file, else HPO_TOKEN].")
@click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A file holding the token (the server's RESULTS/server.token, copied).")  # fmt: skip
@click.option("--worker-id", default=None, help="This worker's name [default: HOST-PID].")
@click.option("--poll", type=click.FloatRange(min=0.01, max=3600), default=2.0, show_default=True,
              help="Seconds between claims while nothing is pending.")  # fmt: skip
@click.option("--grace", type=click.FloatRange(min=0, max=3600), default=10.0, show_default=True,
              help="Seconds a command has to end after SIGTERM before SIGKILL.")  # fmt: skip
def worker(
    url: str, experiment: str, template: str, token: str | None, token_file: Path | None, worker_id: str | None,
    poll: float, grace: float,
) -> None:  # fmt: skip
    """Run the trials of an external experiment: claim, run --command, heartbeat, until the experiment is over."""
    refuse_quoted_placeholders(template)
    try:
        server = Server(url, read_token(token, token_file), on_retry=lambda m: click.echo(f"note: {m}", err=True))
    except ValueError as exc:  # the client's own check of the URL
        raise InputError(str(exc), key="--server") from None
    name = worker_id or f"{socket.gethostname()}-{os.getpid()}"
    signal.signal(signal.SIGTERM, _terminate)
    try:
        Worker(server, url, experiment, template, name, poll, grace).run()
    except ServerError as exc:
        raise click.ClickException(f"the server refused: {exc}") from None
    except OSError as exc:  # still unreachable after the client's retries
        raise click.ClickException(f"cannot reach the server {url}: {exc.strerror or exc}") from None
