"""Replay speed of a lookup benchmark: table load, trials per second, per-trial cost, CLI start-up.

    python benchmarks/replay_speed.py [CONFIG] [--reps 5] [--budget 12h] [--repeat 5]

Prints a Markdown table of medians over ``--repeat`` runs (the machine is shared and noisy:
compare ratios measured in one run).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.assembly.build import assemble  # noqa: E402
from hpo_mab.assembly.observer import Reporter  # noqa: E402
from hpo_mab.assembly.request import RunRequest  # noqa: E402
from hpo_mab.assembly.session import SessionSettings, execute  # noqa: E402
from hpo_mab.surrogates.registry import load_benchmark  # noqa: E402


def timed(func) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def measure(config: str, reps: int, budget: str, repeat: int) -> list[tuple[str, str]]:
    """Rows (quantity, median value) of the table."""
    loads = [timed(lambda: load_benchmark(config)) for _ in range(repeat)]
    runs, trials = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            assembly = assemble(RunRequest(config=config, mode="RANDOM", exp_time=budget), warn=lambda message: None)
            start = time.perf_counter()
            report = execute(assembly, SessionSettings(reps, Path(tmp), seed=1), Reporter())
            runs.append(time.perf_counter() - start)
            trials.append(sum(len(o.trials) for o in report.outcomes))
    starts = [
        timed(
            lambda: subprocess.run(
                [sys.executable, str(REPO / "hpo_runner.py"), "--help"], check=True, capture_output=True
            )
        )
        for _ in range(repeat)
    ]
    run, n = statistics.median(runs), statistics.median(trials)
    return [
        ("table load (read + validate + pool), s", f"{statistics.median(loads):.3f}"),
        (f"RANDOM run, {reps} reps x {budget}: trials", f"{n:.0f}"),
        (f"RANDOM run, {reps} reps x {budget}: wall s (store + exports)", f"{run:.3f}"),
        ("per trial, ms (propose + evaluate + store)", f"{1000 * run / n:.3f}"),
        ("trials per second", f"{n / run:.0f}"),
        ("`hpo_runner.py --help`, s", f"{statistics.median(starts):.3f}"),
    ]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="digits-mlp")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--budget", default="12h")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = measure(args.config, args.reps, args.budget, args.repeat)
    print(f"| {args.config}: quantity | median of {args.repeat} |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
