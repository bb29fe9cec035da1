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
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass

from hpo_mab.objectives.base import Outcome, failed, outcome_from_result, report_value

CONFIG_ENV = "HPO_CONFIG_FILE"


PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def placeholders(template: str) -> list[str]:
    """The ``{name}`` fields of a command template (``${VAR}`` and other braces are left alone)."""
    return PLACEHOLDER.findall(template)


@dataclass(frozen=True)
class ShellObjective:
    """Run a shell command per trial (picklable: it runs on Dask workers too)."""

    template: str
    metric: str = "accuracy"
    timeout: float | None = None

    def command(self, config: dict) -> str:
        """The command line of ``config``, values shell-quoted."""
        return PLACEHOLDER.sub(
            lambda m: shlex.quote(str(config[m[1]])) if m[1] in config else m[0],
            self.template,
        )

    def __call__(self, config: dict) -> Outcome:
        """Evaluate ``config``; never raises for a failing command."""
        with tempfile.TemporaryDirectory(prefix="hpo-trial-") as folder:
            path = os.path.join(folder, "config.json")
            with open(path, "w") as handle:
                json.dump(config, handle)
            env = {**os.environ, CONFIG_ENV: path}
            started = time.perf_counter()
            process = subprocess.Popen(
                self.command(config),
                shell=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                start_new_session=True,
            )
            try:
                stdout, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                return failed(f"timed out after {self.timeout:g} s", time.perf_counter() - started, stderr)
            seconds = time.perf_counter() - started
        if process.returncode != 0:
            return failed(f"exit code {process.returncode}", seconds, stderr)
        return parse_output(stdout, self.metric, seconds, stderr)


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
