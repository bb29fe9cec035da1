"""The optimiser command's work: assemble the request, run it with a reporter, print the summary."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from hpo_mab.assembly.build import assemble
from hpo_mab.assembly.observer import Reporter
from hpo_mab.assembly.request import RunRequest
from hpo_mab.assembly.session import RunReport, execute, session_settings
from hpo_mab.inputs.timestr import format_seconds
from hpo_mab.terminal.progress import BarReporter, LineReporter
from hpo_mab.terminal.summary import summary_lines

LOGGER = logging.getLogger("hpo_mab")
LOG_LEVEL = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "log": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def run_request(request: RunRequest, echo: Callable[..., None]) -> RunReport:
    """Validate, run, print the summary; returns the report."""
    logging.basicConfig(level=LOG_LEVEL[request.log_level], format="%(levelname)s %(message)s", stream=sys.stderr)

    def warn(message: str) -> None:
        if request.log_level != "error":
            echo(f"note: {message}", err=True)

    held: list[str] = []  # notes of the validation are shown once it passed: bad input is one line
    assembly = assemble(request, held.append)
    for message in held:
        warn(message)
    if request.criterion == "TIME":
        LOGGER.info("TIME budget %s per repetition", format_seconds(assembly.criterion.budget))
    report = execute(assembly, session_settings(request), reporter_for(request.log_level))
    for note in report.notes:
        warn(note)
    for line in summary_lines(report):
        echo(line)
    return report


def reporter_for(log_level: str) -> Reporter:
    """One line per trial (``log``, ``info``, ``debug``), a progress bar on a terminal, or nothing."""
    if log_level in ("log", "debug", "info"):
        return LineReporter()
    if sys.stderr.isatty():
        return BarReporter()
    return Reporter()
