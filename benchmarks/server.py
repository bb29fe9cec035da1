"""Pull workers against a real server: report latency with concurrent clients, and claims per second.

    python benchmarks/server.py [--clients 16] [--reports 200] [--claims 256] [--rounds 3]

Starts ``hpo-runner serve`` on 127.0.0.1 (a free port, a temporary results folder) and, for each
round, one external experiment with ``--clients`` trials in flight whose rule (Interval, every
epoch from epoch 1) decides on every report, so each report goes through the loop's verdict.

- **report latency**: each client thread claims a trial and sends ``--reports`` epoch reports
  back to back through ``hpo_mab.client`` (a new HTTP connection per call, as a training script
  does), timing each call (closed loop: the next report leaves when the answer is in);
- **claims/s**: an experiment with ``--claims`` pending trials (workers = claims), claimed by the
  clients with fresh worker ids, as fast as they answer;
- **trial cycles/s**: claim then complete at once, so the loop proposes, offers and stores each
  trial (RANDOM arm: the proposal costs next to nothing).

Prints one table, the median over rounds of each figure. The clients share the machine with the
server (2 cores here): the figures include their own CPU time.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hpo_mab.client import Server  # noqa: E402

TOKEN = "benchmark-token-0123456789"
HP_CONF = {
    "dataset": "bench",
    "config": {"max_epoch": 10_000, "metric": "accuracy"},
    "hyperparams": {"x": {"type": "float", "value_type": "continuous", "range": [0.0, 1.0]}},
}
RUN_CONF = {
    "arms": [{"model": "RANDOM", "acq_func": "RANDOM"}],
    "search_space": {"num_samples": 20000},
    "early_term_rule": "Interval",
    "etr": {"low": 0.0, "high": 0.001, "after_epoch": 1},  # decides on every epoch, never stops
    "lease_ttl": 600,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(results: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [sys.executable, str(REPO / "hpo_runner.py"), "serve", "--port", str(port), "--results", str(results),
            "--token", TOKEN]  # fmt: skip
    log = open(results.parent / "server.log", "ab")  # noqa: SIM115 - the server's life
    process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    server = Server(url, TOKEN, retries=0)
    deadline = time.monotonic() + 60
    while True:
        try:
            server.call("/benchmarks")
            return process, url
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the server did not start: see {results.parent / 'server.log'}") from None
            time.sleep(0.1)


def experiment(server: Server, workers: int, max_trials: int, seed: int) -> str:
    body = {"external": True, "hp_conf": HP_CONF, "run_conf": RUN_CONF, "workers": workers, "max_trials": max_trials,
            "mode": "DIV", "spec": "SEQ", "budget": "1d", "repetitions": 1, "seed": seed}  # fmt: skip
    _, created = server.call("/experiments", body)
    server.call(f"/experiments/{created['id']}:start", {})
    return created["id"]


def pending(results: Path, experiment_id: str) -> int:
    db = sqlite3.connect(f"file:{results / 'workers.sqlite'}?mode=ro", uri=True)
    try:
        query = "SELECT COUNT(*) FROM trials WHERE experiment = ? AND status = 'pending'"
        return db.execute(query, (experiment_id,)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def wait_pending(results: Path, experiment_id: str, count: int) -> None:
    deadline = time.monotonic() + 300
    while pending(results, experiment_id) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{count} trials were not offered in time")
        time.sleep(0.05)


def run_threads(count: int, target) -> float:
    """Run ``target(i)`` in ``count`` threads at once; the wall seconds until all are done."""
    barrier = threading.Barrier(count + 1)
    threads = [threading.Thread(target=lambda i=i: (barrier.wait(), target(i))) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report_latency(
    server: Server, results: Path, clients: int, reports: int, seed: int, interval: float, pid: int = 0
) -> tuple[list[float], float]:
    """(seconds of each report call, server CPU seconds per report): ``clients`` trials reporting at once,
    each ``interval`` s after its last answer."""
    experiment_id = experiment(server, clients, clients, seed)
    wait_pending(results, experiment_id, clients)
    trials = [server.claim(experiment_id, f"lat-{i}")[1] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(i: int) -> None:
        own = Server(server.url, TOKEN)
        trial = trials[i]
        for epoch in range(1, reports + 1):
            started = time.perf_counter()
            answer = own.report(trial["id"], trial["attempt"], epoch, {"accuracy": 0.5})
            latencies[i].append(time.perf_counter() - started)
            assert answer["stop"] is False
            if interval:
                time.sleep(interval)

    before = cpu_seconds(pid) if pid else 0.0
    run_threads(clients, client)
    cpu = (cpu_seconds(pid) - before) / (clients * reports) if pid else 0.0
    server.call(f"/experiments/{experiment_id}:stop", {})
    return [x for per in latencies for x in per], cpu


def claim_rate(server: Server, results: Path, clients: int, claims: int, seed: int) -> float:
    """Claims per second of ``clients`` threads over ``claims`` pending trials."""
    experiment_id = experiment(server, claims, claims, seed)
    wait_pending(results, experiment_id, claims)
    counter = iter(range(10**9))
    lock = threading.Lock()
    got: list[str] = []

    def client(i: int) -> None:
        own = Server(server.url, TOKEN)
        while True:
            with lock:
                name = f"claim-{next(counter)}"
            _status, trial = own.claim(experiment_id, name)
            if trial is None:
                return
            with lock:
                got.append(trial["id"])

    seconds = run_threads(clients, client)
    assert len(got) == len(set(got)) == claims, (len(got), len(set(got)))
    server.call(f"/experiments/{experiment_id}:stop", {})
    return claims / seconds


def cycle_rate(server: Server, results: Path, clients: int, trials: int, seed: int) -> float:
    """Trials per second claimed and completed at once by ``clients`` threads (the loop proposing each)."""
    experiment_id = experiment(server, clients, trials, seed)
    wait_pending(results, experiment_id, clients)
    done = [0] * clients

    def client(i: int) -> None:
        own = Server(server.url, TOKEN)
        while True:
            try:
                _status, trial = own.claim(experiment_id, f"cycle-{i}")
            except Exception:
                return
            if trial is None:
                time.sleep(0.001)
                continue
            own.complete(trial["id"], trial["attempt"], {"accuracy": 0.5})
            done[i] += 1

    seconds = run_threads(clients, client)
    assert sum(done) == trials, done
    return trials / seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reports", type=int, default=200, help="reports per client and round")
    parser.add_argument("--claims", type=int, default=256, help="pending trials claimed per round (at most 256)")
    parser.add_argument("--cycles", type=int, default=300, help="trials claimed and completed per round")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.1,
        help="seconds a client waits after an answer before its next report (paced load)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpo-bench-server-") as folder:
        results = Path(folder) / "results"
        process, url = start_server(results)
        server = Server(url, TOKEN)
        try:
            rows = []
            for round_ in range(options.rounds):
                paced, _ = report_latency(server, results, options.clients, options.reports, 100 + round_,
                                          options.interval)  # fmt: skip
                closed, cpu = report_latency(server, results, options.clients, options.reports, 400 + round_, 0.0,
                                             process.pid)  # fmt: skip
                claims = claim_rate(server, results, options.clients, options.claims, 200 + round_)
                cycles = cycle_rate(server, results, options.clients, options.cycles, 300 + round_)
                rows.append((percentile(paced, 50) * 1e3, percentile(paced, 95) * 1e3, percentile(paced, 99) * 1e3,
                             percentile(closed, 50) * 1e3, percentile(closed, 95) * 1e3,
                             len(closed) / (sum(closed) / options.clients), claims, cycles, cpu * 1e3))  # fmt: skip
                print("round " + str(round_ + 1) + ": " + ", ".join(f"{v:.2f}" for v in rows[-1]), file=sys.stderr,
                      flush=True)  # fmt: skip
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)
    medians = [statistics.median(r[k] for r in rows) for k in range(len(rows[0]))]
    print(f"{options.clients} concurrent clients, {options.reports} reports each, median of {options.rounds} rounds, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    pace = f"one per {options.interval:g} s per client"
    table = [
        (f"report latency p50 (ms), {pace}", f"{medians[0]:.2f}", ""),
        (f"report latency p95 (ms), {pace}", f"{medians[1]:.2f}", "<= 10"),
        (f"report latency p99 (ms), {pace}", f"{medians[2]:.2f}", ""),
        ("report latency p50 (ms), back to back", f"{medians[3]:.2f}", ""),
        ("report latency p95 (ms), back to back", f"{medians[4]:.2f}", ""),
        ("reports per second, back to back", f"{medians[5]:.0f}", ""),
        ("server CPU per report (ms), back to back", f"{medians[8]:.2f}", ""),
        ("claims per second", f"{medians[6]:.0f}", ">= 200"),
        ("trial cycles per second (claim + complete)", f"{medians[7]:.0f}", ""),
    ]
    width = max(len(r[0]) for r in table)
    print(f"{'figure':<{width}} {'value':>8}  goal")
    for name, value, goal in table:
        print(f"{name:<{width}} {value:>8}  {goal}")


if __name__ == "__main__":
    main()
