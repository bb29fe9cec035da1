"""Batch comparisons: strategies × benchmarks × repetitions, each cell one deterministic run.

A cell (strategy, benchmark, rep) is repetition ``rep`` of the run ``hpo_runner.py BENCHMARK N -m
MODE -s SPEC --seed S`` (same random streams), so a cell's trials do not depend on which worker
ran it, nor on how many workers there were. Cells run in this process (``--workers 1``), on a Dask
LocalCluster, or on a running scheduler; the client stores each finished cell with its trials in
``compare.sqlite`` in one transaction, so a killed compare continues where it stopped and never
re-runs a finished cell.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hpo_mab.assembly.build import Assembly, assemble
from hpo_mab.assembly.catalog import load_run_conf
from hpo_mab.assembly.methods import resolve_mode
from hpo_mab.assembly.request import RunRequest
from hpo_mab.backends.dask_cluster import DaskConnection
from hpo_mab.engine.loop import run_repetition
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.timestr import parse_seconds
from hpo_mab.store.sink import MemoryRepetition

STORE_NAME = "compare.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    key TEXT PRIMARY KEY,
    strategy TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    rep INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    goal_error REAL,
    stop_reason TEXT NOT NULL,
    wall REAL NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cell_trials (
    key TEXT NOT NULL REFERENCES cells (key),
    trial INTEGER NOT NULL,
    candidate INTEGER NOT NULL,
    clock REAL NOT NULL,
    error REAL NOT NULL,
    exec_time REAL NOT NULL,
    opt_time REAL NOT NULL,
    arm TEXT NOT NULL,
    epochs INTEGER NOT NULL DEFAULT 0,
    early_terminated INTEGER NOT NULL DEFAULT 0,
    resumed_from INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, trial)
);
"""
TRIAL_FIELDS = ("trial", "candidate", "clock", "error", "exec_time", "opt_time", "arm", "epochs", "early_terminated",
                "resumed_from")  # fmt: skip
ADDED_TRIAL_COLUMNS = {
    "epochs": "INTEGER NOT NULL DEFAULT 0",
    "early_terminated": "INTEGER NOT NULL DEFAULT 0",
    "resumed_from": "INTEGER NOT NULL DEFAULT 0",
}


@dataclass(frozen=True)
class StrategySpec:
    """A strategy of a comparison: a CLI mode/spec (optionally with a run_conf), or a peer system."""

    label: str
    mode: str = "RANDOM"
    spec: str = "RANDOM"
    conf: str | None = None
    peer: str | None = None
    rule: str | None = None  # an early-termination rule (the label then ends in +RULE)

    def with_rule(self, rule: str) -> StrategySpec:
        """The same strategy under an early-termination rule (``None``: unchanged)."""
        if rule == "None":
            return self
        return StrategySpec(f"{self.label}+{rule}", self.mode, self.spec, self.conf, self.peer, rule)


def parse_strategy(text: str) -> StrategySpec:
    """``RANDOM``, ``GP-EI``, ``GP-HLE-EI``, ``DIV-BO-HEDGE-T``, ``DIV-HEDGE@my_run.yaml``, a run_conf file
    (its arms under DIV-SEQ, labelled by its title), or a peer (``optuna-tpe``, ``smac-hpo``, ...)."""
    from hpo_mab.peers.optimizers import PEERS

    if text in PEERS:
        return StrategySpec(text, peer=text)
    name, _, conf = text.partition("@")
    if not conf and Path(text).suffix in (".json", ".yaml", ".yml"):
        title = load_run_conf(Path(text)).title
        return StrategySpec(title, "DIV", "SEQ", text)
    tokens = name.upper().split("-")
    for cut in range(len(tokens), 0, -1):
        mode, spec = "-".join(tokens[:cut]), "-".join(tokens[cut:]) or None
        try:
            mode, spec = resolve_mode(mode, spec)
        except InputError:
            continue
        if mode == "BATCH":
            break
        return StrategySpec(text, mode, spec, conf or None)
    raise InputError(
        f"expected MODE-SPEC as on the command line (GP-EI, DIV-HEDGE, RANDOM), a run_conf file or a peer "
        f"({', '.join(PEERS.names())}), got {text!r}",
        key="--strategies",
    )


@dataclass(frozen=True)
class Cell:
    """One (strategy, benchmark, repetition) of a comparison."""

    strategy: StrategySpec
    benchmark: str
    rep: int
    request: RunRequest  # the run this cell is a repetition of (num_trials irrelevant)
    key: str
    goal_error: float | None


@dataclass(frozen=True)
class CellResult:
    """A finished cell: its trials as (trial, candidate, clock, error, exec_time, opt_time, arm)."""

    key: str
    stop_reason: str
    wall: float
    trials: list[tuple]


@dataclass(frozen=True)
class CompareRequest:
    """The settings every cell of a comparison shares (the CLI's ``compare`` options)."""

    criterion: str = "TIME"
    goal: float | None = None
    exp_time: str = "12h"
    max_trials: int | None = None
    overhead: str = "none"
    seed: int = 1
    hp_conf_dir: Path | None = None
    yahpo_data: Path | None = None

    def run_request(self, strategy: StrategySpec, benchmark: str) -> RunRequest:
        """The run a strategy's cells on a benchmark are repetitions of (peers are assembled as RANDOM runs)."""
        return RunRequest(
            config=benchmark,
            num_trials=1,
            mode=strategy.mode,
            spec=strategy.spec,
            criterion=self.criterion,
            goal=self.goal,
            exp_time=self.exp_time,
            conf=strategy.conf,
            hp_conf_dir=self.hp_conf_dir,
            seed=self.seed,
            max_trials=self.max_trials,
            overhead=self.overhead,
            yahpo_data=self.yahpo_data,
            log_level="error",
            peer=strategy.peer,
            early_term_rule=strategy.rule,
        )


@lru_cache(maxsize=16)
def assembly_of(request: RunRequest) -> Assembly:
    """The validated assembly of a cell's run (benchmark loaded), once per process and request."""
    return assemble(request, lambda message: None)


def plan_cells(base: CompareRequest, strategies: list[StrategySpec], benchmarks: list[str], reps: int) -> list[Cell]:
    """Every cell, validating each (strategy, benchmark) before anything runs."""
    cells = []
    for benchmark in benchmarks:
        goal_error = None
        for strategy in strategies:
            request = base.run_request(strategy, benchmark)
            assembly = assembly_of(request)
            if goal_error is None:
                goal = assembly.problem.default_goal()
                goal_error = None if goal is None else 1.0 - goal
            identity = {**assembly.identity(), "peer": strategy.peer, "seed": base.seed}
            for rep in range(reps):
                text = json.dumps({**identity, "rep": rep}, sort_keys=True)
                key = hashlib.sha256(text.encode()).hexdigest()
                cells.append(Cell(strategy, assembly.problem.name, rep, request, key, goal_error))
    return cells


def run_cell(cell: Cell) -> CellResult:
    """Run one cell (on a Dask worker or here) with one BLAS thread; returns its trials."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    assembly = assembly_of(cell.request)
    execution = assembly.open_execution()
    backend = execution.backend(0.0)
    strategies, rule = assembly.components(cell.request.seed, cell.rep)
    with warnings.catch_warnings(), threadpool_limits(1):
        # scikit-learn's forests say in a (daemonic) Dask worker that they use one job; they do anyway
        warnings.filterwarnings("ignore", message="Inside a Dask worker with daemon=True")
        try:
            outcome = run_repetition(
                pool=assembly.pool(),
                strategies=strategies,
                backend=backend,
                plan=assembly.plan(),
                criterion=assembly.criterion,
                sink=MemoryRepetition(),
                rep=cell.rep,
                seed=cell.request.seed,
                rule=rule,
            )
        finally:
            backend.close()
            execution.close()
    trials = [tuple(getattr(t, f) for f in TRIAL_FIELDS) for t in outcome.trials]
    return CellResult(cell.key, outcome.stop_reason, time.perf_counter() - started, trials)


class CompareStore:
    """``compare.sqlite``: finished cells and their trials."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(cell_trials)")}
            for column, definition in ADDED_TRIAL_COLUMNS.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE cell_trials ADD COLUMN {column} {definition}")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"not a compare store of hpo-mab ({exc})", str(path)) from None

    def __enter__(self) -> CompareStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def done(self) -> set[str]:
        """Keys of the finished cells."""
        return {row[0] for row in self._db.execute("SELECT key FROM cells")}

    def add(self, cell: Cell, result: CellResult) -> None:
        """Store a finished cell and its trials atomically."""
        settings = {"request": {k: str(v) for k, v in cell.request.__dict__.items()}, "peer": cell.strategy.peer}
        self._db.execute("BEGIN")
        try:
            self._db.execute(
                "INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cell.key, cell.strategy.label, cell.benchmark, cell.rep, cell.request.seed, cell.goal_error,
                 result.stop_reason, result.wall, json.dumps(settings, sort_keys=True)),
            )  # fmt: skip
            self._db.executemany(
                f"INSERT INTO cell_trials (key, {', '.join(TRIAL_FIELDS)}) VALUES ({', '.join('?' * 11)})",
                [(cell.key, *t) for t in result.trials],
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def tidy_rows(self) -> list[tuple]:
        """(strategy, benchmark, rep, trial, clock, error, arm) of every stored trial, one label per run.

        Cells of one strategy and benchmark stored with different settings (another budget,
        criterion or seed in the same folder) are different runs: their labels get the settings
        that differ, ``GP-EI [exp_time=3h]``.
        """
        labels = self._run_labels()
        rows = self._db.execute(
            "SELECT c.strategy, c.benchmark, c.rep, t.trial, t.clock, t.error, t.arm, c.settings FROM cell_trials t"
            " JOIN cells c ON c.key = t.key ORDER BY c.benchmark, c.strategy, c.rep, t.trial"
        ).fetchall()
        return [(labels[(r[0], r[1], r[7])], *r[1:7]) for r in rows]

    def _run_labels(self) -> dict[tuple[str, str, str], str]:
        """(strategy, benchmark, settings) -> the strategy's label in reports."""
        rows = self._db.execute("SELECT DISTINCT strategy, benchmark, settings FROM cells").fetchall()
        by_strategy: dict[tuple[str, str], list[str]] = {}
        for strategy, benchmark, settings in rows:
            by_strategy.setdefault((strategy, benchmark), []).append(settings)
        labels = {}
        for (strategy, benchmark), variants in by_strategy.items():
            requests = [json.loads(v)["request"] for v in variants]
            differ = sorted(k for k in requests[0] if len({r.get(k) for r in requests}) > 1)
            for settings, request in zip(variants, requests, strict=True):
                suffix = ", ".join(f"{k}={request.get(k)}" for k in differ)
                labels[(strategy, benchmark, settings)] = f"{strategy} [{suffix}]" if len(variants) > 1 else strategy
        return labels

    def time_budget(self) -> float | None:
        """The largest TIME budget of the stored cells (None when every cell ran under GOAL)."""
        budgets = [
            parse_seconds(request["exp_time"], "exp_time")
            for (settings,) in self._db.execute("SELECT DISTINCT settings FROM cells")
            if (request := json.loads(settings)["request"])["criterion"] == "TIME"
        ]
        return max(budgets, default=None)

    def stop_rows(self) -> list[tuple]:
        """(strategy, benchmark, rep, trial, candidate, clock, exec_time, epochs, early_terminated, resumed_from)."""
        return self._db.execute(
            "SELECT c.strategy, c.benchmark, c.rep, t.trial, t.candidate, t.clock, t.exec_time, t.epochs,"
            " t.early_terminated, t.resumed_from FROM cell_trials t JOIN cells c ON c.key = t.key"
            " ORDER BY c.benchmark, c.strategy, c.rep, t.trial"
        ).fetchall()

    def goals(self) -> dict[str, float]:
        """The default goal error of each benchmark (its 10th-best configuration)."""
        rows = self._db.execute("SELECT benchmark, MAX(goal_error) FROM cells GROUP BY benchmark").fetchall()
        return {bench: goal for bench, goal in rows if goal is not None}


def run_cells(
    cells: list[Cell],
    store: CompareStore,
    workers: int,
    scheduler: str | None = None,
    on_cell: Callable[[Cell, CellResult], None] = lambda cell, result: None,
    scratch: Path | None = None,
) -> int:
    """Run the cells not stored yet (a LocalCluster's files in ``scratch``); returns how many ran."""
    done = store.done()
    todo = [c for c in cells if c.key not in done]
    by_key = {c.key: c for c in todo}
    if not todo:
        return 0
    if workers == 1 and scheduler is None:
        for cell in todo:
            result = run_cell(cell)
            store.add(cell, result)
            on_cell(cell, result)
        return len(todo)
    from distributed import as_completed

    with DaskConnection(workers, scheduler, scratch=scratch) as dask:
        futures = dask.client.map(run_cell, todo, pure=False)
        for future in as_completed(futures):
            result = future.result()
            store.add(by_key[result.key], result)
            on_cell(by_key[result.key], result)
    return len(todo)
