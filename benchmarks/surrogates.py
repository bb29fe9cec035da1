"""Speed of the surrogate suite: bundled table loads, YAHPO evaluations per second, materialisation.

    python benchmarks/surrogates.py [--repeat 5] [--yahpo-data DIR] [--materialize-samples 20000]

Prints a Markdown table of medians over ``--repeat`` runs (the machine is shared and noisy):
load time of each bundled table (read + validate + pool), YAHPO ``lcbench:3945`` evaluations per
second one configuration at a time (52 epochs each, as a run asks) and batched (1,000 per call),
and the wall time of ``surrogates materialize yahpo:lcbench:3945`` for 20,000 x 52 epochs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.inputs.run_conf import PoolSettings  # noqa: E402
from hpo_mab.surrogates.materialize import materialize  # noqa: E402
from hpo_mab.surrogates.registry import bundled_names, load_benchmark  # noqa: E402
from hpo_mab.terminal.text_table import markdown_table  # noqa: E402


def median_seconds(action, repeat: int) -> float:
    """Median wall seconds of ``action()`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--yahpo-data",
        type=Path,
        default=os.environ.get("HPO_YAHPO_DATA", REPO.parent / "shared" / "benchmarks" / "yahpo"),
    )
    parser.add_argument("--materialize-samples", type=int, default=20000)
    args = parser.parse_args()
    rows = []
    for name in bundled_names():
        seconds = median_seconds(lambda n=name: load_benchmark(n), args.repeat)
        rows.append((f"load {name} (read + validate + pool)", f"{seconds:.3f} s"))
    source = "yahpo:lcbench:3945"
    bench = load_benchmark(source, pool=PoolSettings(num_samples=2000), yahpo_data=args.yahpo_data)
    configs = bench.pool().configs
    singles = 200
    per_config = median_seconds(lambda: [bench.model.curves(configs.iloc[[i]]) for i in range(singles)], args.repeat)
    rows.append(("YAHPO one configuration per call (52 epochs)", f"{singles / per_config:,.0f} configs/s"))
    batch = configs.iloc[:1000]
    batched = median_seconds(lambda: bench.model.curves(batch), args.repeat)
    rows.append(("YAHPO 1,000 configurations per call (52 epochs)", f"{1000 / batched:,.0f} configs/s"))
    with tempfile.TemporaryDirectory() as folder:
        pool = PoolSettings(num_samples=args.materialize_samples)

        def make() -> None:
            big = load_benchmark(source, pool=pool, yahpo_data=args.yahpo_data)
            materialize(big, Path(folder) / "lcbench-3945.csv.gz")

        seconds = median_seconds(make, max(1, args.repeat // 2))
        size = (Path(folder) / "lcbench-3945.csv.gz").stat().st_size / 2**20
    rows.append(
        (f"materialize {source}, {args.materialize_samples:,} x 52 epochs (.csv.gz, {size:.1f} MB)", f"{seconds:.1f} s")
    )
    print(markdown_table(("quantity", f"median of {args.repeat}"), rows))


if __name__ == "__main__":
    main()
