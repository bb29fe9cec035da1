"""The progress bar shown on a terminal, rendered into a string."""

import io

from rich.console import Console

from hpo_mab.assembly.build import assemble
from hpo_mab.assembly.request import RunRequest
from hpo_mab.assembly.session import SessionSettings, execute
from hpo_mab.terminal.progress import BarReporter


def test_progress_bar_follows_the_clock_to_the_end(small_bench, tmp_path):
    out = io.StringIO()
    reporter = BarReporter(Console(file=out, force_terminal=True, width=120, color_system=None))
    request = RunRequest(config=str(small_bench), mode="RANDOM", exp_time="30m")
    report = execute(assemble(request, warn=print), SessionSettings(2, tmp_path / "r", seed=3), reporter)
    assert len(report.outcomes) == 2
    lines = [line for line in out.getvalue().replace("\r", "\n").splitlines() if "RANDOM" in line]
    final = lines[-1].split("\x1b[2K")[-1]
    assert final.startswith("small RANDOM-RANDOM ")
    assert "rep 1 trial 9 best 0.05629" in final
    assert "━" in final and "╺" not in final  # a full bar
