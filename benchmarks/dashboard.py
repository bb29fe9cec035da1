"""The dashboard measured in a real headless Chromium against a real ``hpo-runner serve``.

    python benchmarks/dashboard.py [--repeat 3] [--samples 30] [--trials 100000]

1. form -> finished: from submitting the new-experiment form (digits-mlp, DIV-SEQ, 5 x 12 h, seed 1; the
   form's default of one parallel repetition per core) to the experiment page showing it done; beside it the
   same run by the CLI alone (no server, no browser), with ``-j`` as the form's and with one repetition at a time;
2. stored trial -> row: latency from a trial committed to the store (through the store API, by this
   process, holding the run's lock as a running CLI does) to its row in the experiment page's table;
3. first paint of an experiment with 100,000 stored trials (synthetic, written through the store API):
   the browser's first-contentful-paint, and the time until the curves are drawn too.

Prints a Markdown table of medians (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.server.web.forms import default_jobs  # noqa: E402
from hpo_mab.store.lock import RunLock  # noqa: E402
from hpo_mab.store.records import Trial  # noqa: E402
from hpo_mab.store.sqlite import ResultStore  # noqa: E402
from tests.browser import Pages, launch, require_chromium  # noqa: E402
from tests.server_fixtures import TOKEN, Server  # noqa: E402

LIMIT_MS = 900_000
ARMS = [f"{m}_{a}" for m in ("GP-HLE", "RF-HLE") for a in ("EI", "PI", "UCB")]
RECORD_ROWS = """() => {
  window.__rows = {};
  new MutationObserver((changes) => {
    const now = performance.timeOrigin + performance.now();
    for (const change of changes) for (const node of change.addedNodes) {
      if (node.dataset && node.dataset.id && !(node.dataset.id in window.__rows)) window.__rows[node.dataset.id] = now;
    }
  }).observe(document.querySelector("#trials tbody"), { childList: true });
}"""


def synthetic_run(store: ResultStore, reps: int) -> int:
    """A digits-mlp DIV-SEQ run record (as the CLI stores one) without trials."""
    settings = {"benchmark": "digits-mlp", "mode": "DIV", "spec": "SEQ", "title": "default", "criterion": "TIME",
                "budget": 43200.0, "goal": None, "early_term_rule": "None"}  # fmt: skip
    return store.create_run(f"synthetic-{time.time_ns()}", settings, seed=1, num_reps=reps).id


def synthetic_trial(rep: int, n: int, rng: random.Random) -> Trial:
    """A plausible trial of digits-mlp (a real candidate row, so its curve can be shown)."""
    error = rng.uniform(0.015, 0.9)
    params = {"n_layers": rng.choice([1, 2, 3]), "n_units": 128, "learning_rate_init": rng.random(), "alpha": 1e-4}
    return Trial(rep=rep, trial=n, candidate=rng.randrange(12000), config=params, error=error, accuracy=1 - error,
                 exec_time=60.0, opt_time=0.0, opt_wall_time=0.001, clock=60.0 * (n + 1), epochs=30, best_epoch=30,
                 arm=ARMS[n % len(ARMS)])  # fmt: skip


def form_to_finished(pages: Pages, server: Server) -> float:
    """Seconds from submitting the form to the finished 5 x 12 h replay shown."""
    page = pages.new()
    page.goto(f"{server.url}/experiments/new")
    for name, value in {"benchmark": "digits-mlp", "mode": "DIV", "spec": "SEQ"}.items():
        page.locator(f"#f-{name}").select_option(value)
    for name, value in {"budget": "12h", "repetitions": "5", "seed": "1"}.items():
        page.locator(f"#f-{name}").fill(value)
    page.wait_for_selector('#new-experiment[data-checked="valid"]')
    start = time.perf_counter()
    page.click("#start")
    page.wait_for_url("**/experiments/*")
    page.wait_for_selector('body[data-ended="true"][data-status="done"]', timeout=LIMIT_MS)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def cli_alone(jobs: int) -> float:
    """Seconds of the same run by the CLI (process start included), ``jobs`` repetitions at once."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "hpo_runner.py"), "digits-mlp", "5", "-m", "DIV", "-s", "SEQ",
                        "-e", "TIME", "-et", "12h", "--seed", "1", "-j", str(jobs), "--results", tmp], check=True,
                       capture_output=True)  # fmt: skip
        return time.perf_counter() - start


def row_latency(pages: Pages, server: Server, samples: int) -> list[float]:
    """Seconds from each trial's commit to its row on the experiment page."""
    store = ResultStore(server.results / "hpo.sqlite")
    run_id = synthetic_run(store, 1)
    rng = random.Random(1)
    committed: dict[str, float] = {}
    with RunLock(server.results, run_id):
        store.add_trial(run_id, synthetic_trial(0, 0, rng), {})
        page = pages.new()
        page.goto(f"{server.url}/experiments/run-{run_id}")
        page.wait_for_selector('#live:text("live")')
        page.evaluate(RECORD_ROWS)
        for n in range(1, samples + 1):
            store.add_trial(run_id, synthetic_trial(0, n, rng), {})
            committed[f"0-{n}"] = time.time()
            page.wait_for_function(f"'0-{n}' in window.__rows", timeout=LIMIT_MS)
            time.sleep(rng.uniform(0.05, 0.3))  # trials arrive at random moments of the stream's cycle
        shown = page.evaluate("window.__rows")
        page.close()
    store.close()
    return [shown[key] / 1000 - at for key, at in committed.items()]


def big_store(server: Server, trials: int, reps: int = 10) -> tuple[int, float]:
    """A run of ``trials`` synthetic trials; (its id, seconds taken to write it)."""
    start = time.perf_counter()
    store = ResultStore(server.results / "hpo.sqlite")
    run_id = synthetic_run(store, reps)
    rng = random.Random(2)
    per_rep = trials // reps
    for rep in range(reps):
        for n in range(per_rep):
            store.add_trial(run_id, synthetic_trial(rep, n, rng), {})
        store.finish_rep(run_id, rep, "budget", {})
    store.close()
    return run_id, time.perf_counter() - start


def first_paint(pages: Pages, server: Server, run_id: int) -> tuple[float, float, float]:
    """(page received, first contentful paint, curves drawn), seconds from the navigation's start."""
    page = pages.new()
    page.goto(f"{server.url}/experiments/run-{run_id}", wait_until="commit")
    page.wait_for_selector("#anytime .main-svg", timeout=LIMIT_MS)
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
    fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime") / 1000
    drawn = page.evaluate("performance.now()") / 1000
    received = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd") / 1000
    rows = page.locator("#trials tbody tr").count()
    assert rows == 50, f"the first page of the table has {rows} rows"
    page.close()
    return received, fcp, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the form -> finished measure")
    parser.add_argument("--samples", type=int, default=30, help="trials of the latency measure")
    parser.add_argument("--trials", type=int, default=100_000, help="trials of the first-paint store")
    args = parser.parse_args()
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        server = Server(Path(tmp) / "results").start()
        browser = launch(playwright)
        pages = Pages(browser)
        login = pages.new()
        login.goto(f"{server.url}/?token={TOKEN}")
        login.close()
        try:
            finished, alone, alone_one = [], [], []
            for _ in range(args.repeat):  # alternately, so that all see the same load
                finished.append(form_to_finished(pages, server))
                alone.append(cli_alone(default_jobs()))
                alone_one.append(cli_alone(1))
            latency = sorted(row_latency(pages, server, args.samples))
            run_id, written = big_store(server, args.trials)
            paints = [first_paint(pages, server, run_id) for _ in range(args.repeat)]
        finally:
            pages.close()
            browser.close()
            server.stop()
    p95 = latency[min(len(latency) - 1, round(0.95 * (len(latency) - 1)))]
    received, median_paint, median_drawn = (statistics.median(p[i] for p in paints) for i in (0, 1, 2))
    rows = [
        ("form submitted -> finished 5 x 12 h digits-mlp shown, s", f"{statistics.median(finished):.2f}", "≤ 10"),
        (f"  the same run by the CLI alone, -j {default_jobs()}, s", f"{statistics.median(alone):.2f}", ""),
        ("  the same run by the CLI alone, -j 1, s", f"{statistics.median(alone_one):.2f}", ""),
        (f"stored trial -> its row on the page, s ({len(latency)} trials)", f"{statistics.median(latency):.3f}", "≤ 1"),
        ("  95th percentile, s", f"{p95:.3f}", ""),
        (f"first contentful paint, {args.trials:,} trials, s", f"{median_paint:.3f}", "≤ 2"),
        ("  of which the page's HTML received, s", f"{received:.3f}", ""),
        ("  until the curves are drawn too, s", f"{median_drawn:.3f}", ""),
        (f"  (writing the {args.trials:,} synthetic trials through the store API, s)", f"{written:.1f}", ""),
    ]
    print(f"| quantity (medians of {args.repeat} runs unless said) | value | goal |")
    print("| --- | ---: | ---: |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    if pages.errors:
        print("console errors:", *pages.errors, sep="\n  ")


if __name__ == "__main__":
    main()
