"""What an early-termination decision costs: microseconds per report with N stored curves.

    python benchmarks/etr_decision.py [--curves 100,1000,10000] [--epochs 50] [--reports 2000]

Every rule is fed N stored trials (synthetic saturating curves of E epochs, a third of them
stopped part-way), then answers ``--reports`` reports of fresh trials at each of its checkpoints;
the table gives the median over 5 rounds of the time per decision (``decide``), and the time to
store one more trial (``observe``) plus the first decision after it (a rule may defer work on the
new curve to that decision: AdaptiveMedian recomputes its start there). Promotion-type rules also
count the promotion query that precedes each proposal. The goal of the early-termination issue:
≤ 1 ms per report at 1,000 curves.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.backends.base import Report, Ticket, Verdict  # noqa: E402
from hpo_mab.engine.loop import rule_seeds  # noqa: E402
from hpo_mab.inputs.options import parse_options  # noqa: E402
from hpo_mab.stopping.catalog import RULES  # noqa: E402
from hpo_mab.store.records import Trial  # noqa: E402
from hpo_mab.terminal.text_table import markdown_table  # noqa: E402

RULE_NAMES = ["DecaTercet", "Median", "Percentile", "AdaptiveMedian", "Interval", "ASHA", "ASHA-PROMOTE", "Hyperband",
              "CurveNN"]  # fmt: skip


def curve(rng: np.random.Generator, epochs: int) -> tuple[float, ...]:
    """A noisy saturating learning curve."""
    top, rate = rng.uniform(0.3, 0.98), rng.uniform(0.05, 0.5)
    values = top * (1 - np.exp(-rate * np.arange(1, epochs + 1))) + rng.normal(0, 0.01, epochs)
    return tuple(float(v) for v in np.clip(values, 0, 1))


def trial(index: int, values: tuple[float, ...], epochs: int) -> Trial:
    """A stored trial of candidate ``index`` with that curve."""
    acc = max(values)
    return Trial(rep=0, trial=index, candidate=index, config={}, error=1 - acc, accuracy=acc, exec_time=1.0,
                 opt_time=0.0, opt_wall_time=0.0, clock=float(index), epochs=len(values), best_epoch=1, arm="x",
                 early_terminated=len(values) < epochs, curve=values)  # fmt: skip


def build(name: str, epochs: int):
    """A fresh rule with its default options."""
    entry = RULES[name]
    cls = entry.options_class()
    return entry.factory(name, epochs, parse_options(cls, {}, None, "etr") if cls else None, rule_seeds(1, 0))


def measure(name: str, stored: int, epochs: int, reports: int, rng: np.random.Generator) -> tuple[float, float]:
    """(µs per decision, µs per observe) with ``stored`` curves."""
    rule = build(name, epochs)
    for i in range(stored):
        values = curve(rng, epochs)
        cut = epochs if i % 3 else int(rng.integers(1, epochs))
        rule.observe(trial(i, values[:cut], epochs))
    tickets = []
    for j in range(reports):
        ticket = Ticket(candidate=stored + j, position=0, worker=0, started=0.0, config={})
        plan, _ = rule.plan(ticket)
        tickets.append((ticket, plan or (1,), curve(rng, epochs)))
    start = time.perf_counter()
    decisions = 0
    for ticket, plan, values in tickets:
        for epoch in plan:
            verdict, _ = rule.decide(Report(ticket, epoch, values[:epoch], 0.0))
            decisions += 1
            if verdict is not Verdict.CONTINUE:
                break
        rule.promotion()
    per_decision = (time.perf_counter() - start) / max(1, decisions) * 1e6
    extra = [trial(stored + reports + k, curve(rng, epochs), epochs) for k in range(200)]
    ticket, plan, values = tickets[0]
    after = Report(ticket, plan[0], values[: plan[0]], 0.0)
    start = time.perf_counter()
    for t in extra:
        rule.observe(t)
        rule.decide(after)
    per_observe = (time.perf_counter() - start) / len(extra) * 1e6
    return per_decision, per_observe


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", default="100,1000,10000")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.curves.split(",")]
    rows = []
    for name in RULE_NAMES:
        row: list[str] = [name]
        for stored in sizes:
            runs = [
                measure(name, stored, args.epochs, args.reports, np.random.default_rng(r)) for r in range(args.rounds)
            ]
            row.append(f"{statistics.median(d for d, _ in runs):.1f} / {statistics.median(o for _, o in runs):.1f}")
        rows.append(tuple(row))
    print(f"µs per decision / per stored trial, {args.epochs} epochs, median of {args.rounds} rounds\n")
    print(markdown_table(["rule", *(f"{n} curves" for n in sizes)], rows))


if __name__ == "__main__":
    main()
