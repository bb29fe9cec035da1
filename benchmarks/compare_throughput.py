"""Wall time of a full comparison: 10 strategies x 30 repetitions x 12 simulated hours on digits-mlp.

    python benchmarks/compare_throughput.py [--workers 2] [--reps 30] [--budget 12h]

Runs ``hpo_runner.py compare`` into a fresh folder and prints the wall time, the cells per minute
and the summary at 12 h (target: under 15 minutes with 2 workers on a 2-core machine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STRATEGIES = "RANDOM,GP-EI,GP-HLE-EI,RF-EI,TPE-EI,DIV-SEQ,DIV-HEDGE,DIV-BO-HEDGE-LE,DIV-EG,DIV-SKO"


def main() -> None:
    """Run, time and summarise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--budget", default="12h")
    parser.add_argument("--strategies", default=STRATEGIES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cmd = [sys.executable, str(REPO / "hpo_runner.py"), "compare", "--benchmarks", "digits-mlp", "--strategies",
               args.strategies, "--reps", str(args.reps), "-et", args.budget, "--workers", str(args.workers),
               "--results", folder]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - start
        cells = len(args.strategies.split(",")) * args.reps
        print(f"| cells | workers | wall | cells/min |\n|---|---|---|---|\n| {cells} | {args.workers} | "
              f"{wall / 60:.1f} min | {cells / wall * 60:.1f} |\n")  # fmt: skip
        report = [
            sys.executable,
            str(REPO / "hpo_runner.py"),
            "report",
            folder,
            "--checkpoints",
            f"1h,3h,6h,{args.budget}",
        ]
        print(subprocess.run(report, check=True, capture_output=True, text=True).stdout)


if __name__ == "__main__":
    main()
