"""Shell-command objectives: any language or framework, configuration in, JSON lines out.

``--command 'python train.py --lr {lr} --batch-size {batch_size}'``: each ``{name}`` becomes the
shell-quoted value of hyperparameter ``name``; the whole configuration is also written to a JSON
file whose path is in ``HPO_CONFIG_FILE``. The result is the last JSON object printed on stdout
(``{"accuracy": 0.991}``); earlier JSON lines with an ``epoch`` are per-epoch reports. A non-zero
exit, a timeout, no result, NaN or a non-number is a failed trial with the reason and the tail of
stderr recorded.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass

from hpo_mab.inputs.errors import InputError
from hpo_mab.objectives.base import Outcome, failed, outcome_from_result, report_value
from hpo_mab.objectives.streams import STOP_GRACE, ShellTrial

CONFIG_ENV = "HPO_CONFIG_FILE"


PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def placeholders(template: str) -> list[str]:
    """The ``{name}`` fields of a command template (``${VAR}`` and other braces are left alone)."""
    return PLACEHOLDER.findall(template)


def quote_states(template: str) -> list[str]:
    """For each character of a shell command, the quoting it is in: ``""``, ``"'"`` or ``'"'``.

    Follows the shell's rules: a backslash escapes the next character outside single quotes,
    nothing is special inside single quotes, and ``$'...'`` counts as single-quoted.
    """
    states, quote, escaped = [], "", False
    for char in template:
        states.append(quote)
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote == "" and char in "'\"":
            quote = char
        elif char == quote:
            quote = ""
    return states


def quoted_placeholders(template: str) -> list[tuple[str, str]]:
    """The ``{name}`` fields that stand inside quotes, with the quote character.

    Values are shell-quoted already (``shlex.quote``), so a field inside quotes would end the
    user's quotes with the value's own and let a value such as ``'; touch FILE`` run a command.
    """
    states = quote_states(template)
    return [(m[1], states[m.start()]) for m in PLACEHOLDER.finditer(template) if states[m.start()]]


def refuse_quoted_placeholders(template: str, key: str = "--command") -> None:
    """Refuse a command template with a ``{name}`` field inside quotes (InputError at ``key``)."""
    quoted = quoted_placeholders(template)
    if quoted:
        name, quote = quoted[0]
        raise InputError(
            f"{{{name}}} stands inside {quote}...{quote}: values are shell-quoted already, so a quoted field lets"
            f" a value end the quotes; write a bare {{{name}}}",
            key=key,
        )


@dataclass(frozen=True)
class ShellObjective:
    """Run a shell command per trial (picklable: it runs on Dask workers too)."""

    template: str
    metric: str = "accuracy"
    timeout: float | None = None
    grace: float = STOP_GRACE

    def command(self, config: dict) -> str:
        """The command line of ``config``, values shell-quoted."""
        return PLACEHOLDER.sub(
            lambda m: shlex.quote(str(config[m[1]])) if m[1] in config else m[0],
            self.template,
        )

    def start(self, config: dict, awaited: tuple[int, ...] | None = None, folder: str | None = None) -> ShellTrial:
        """Start the command of ``config`` (its configuration in ``HPO_CONFIG_FILE``, a file under ``folder``)."""
        directory = tempfile.mkdtemp(prefix="hpo-trial-", dir=folder)
        path = os.path.join(directory, "config.json")
        with open(path, "w") as handle:
            json.dump(config, handle)
        env = {**os.environ, CONFIG_ENV: path}
        cleanup = lambda: shutil.rmtree(directory, True)  # noqa: E731
        return ShellTrial(self.command(config), env, self.metric, self.timeout, cleanup, self.grace)

    def __call__(self, config: dict) -> Outcome:
        """Evaluate ``config`` to its end; never raises for a failing command."""
        from hpo_mab.objectives.python import run_to_end

        return run_to_end(self.start(config))


def parse_output(stdout: str, metric: str, seconds: float, stderr: str = "") -> Outcome:
    """The outcome printed on stdout: the last JSON object, per-epoch lines before it."""
    objects = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                objects.append(value)
    if not objects:
        return failed("no JSON result on stdout", seconds, stderr)
    *reports, result = objects
    curve = []
    for report in reports:
        if "epoch" in report:
            try:
                curve.append(report_value(report["epoch"], report.get("accuracy"), report.get("error")))
            except ValueError as exc:
                return failed(f"bad per-epoch report: {exc}", seconds, stderr)
    return outcome_from_result(result, metric, seconds, curve, stderr)
