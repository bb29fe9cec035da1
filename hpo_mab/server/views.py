"""The JSON of experiments (API-created and CLI runs) and of trials, from the catalog and the result store."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_mab.server.catalog import Catalog, Experiment
from hpo_mab.server.store_view import StoreView
from hpo_mab.store.records import RunRecord, Trial

CLI_PREFIX = "run-"
FILES = {"trace": ".json", "csv": ".csv"}


@dataclass(frozen=True)
class Listed:
    """An experiment of the listing: an API one (``experiment``) or a CLI run of the store (``run``)."""

    id: str
    experiment: Experiment | None
    run_id: int | None


class Experiments:
    """Experiments of a results folder: the catalog's (API) and the store's other runs (CLI)."""

    def __init__(self, catalog: Catalog, results_dir: Path) -> None:
        self.catalog = catalog
        self.results_dir = results_dir
        self.store = StoreView(results_dir)

    def run_of(self, experiment: Experiment) -> int | None:
        """The store's run of an API experiment (found once its process created it, then kept)."""
        if experiment.run_id is not None or experiment.run_floor is None:
            return experiment.run_id
        run_id = self.store.find_run(experiment.run_key, experiment.seed, experiment.run_floor,
                                     self.catalog.claimed_runs())  # fmt: skip
        if run_id is not None:
            self.catalog.update(experiment.id, run_id=run_id)
        return run_id

    def listing(self) -> list[Listed]:
        """API experiments (oldest first), then the store's runs that no API experiment owns."""
        experiments = self.catalog.all()
        out = [Listed(e.id, e, self.run_of(e)) for e in experiments]
        claimed = self.catalog.claimed_runs()
        for run, _created in self.store.runs():
            if run.id not in claimed:
                out.append(Listed(f"{CLI_PREFIX}{run.id}", None, run.id))
        return out

    def find(self, experiment_id: str) -> Listed | None:
        """One experiment by id, or None."""
        if experiment_id.startswith(CLI_PREFIX) and experiment_id[len(CLI_PREFIX) :].isdigit():
            run_id = int(experiment_id[len(CLI_PREFIX) :])
            if run_id in self.catalog.claimed_runs() or self.store.run(run_id) is None:
                return None
            return Listed(experiment_id, None, run_id)
        experiment = self.catalog.get(experiment_id)
        if experiment is None:
            return None
        return Listed(experiment.id, experiment, self.run_of(experiment))

    def status(self, item: Listed) -> str:
        """created, running, done, failed or stopped."""
        if item.experiment is not None:
            return item.experiment.status
        from hpo_mab.store.lock import is_locked

        run, _ = self.store.run(item.run_id)
        if is_locked(self.results_dir, run.id) is not None:
            return "running"
        finished = sum(1 for r in self.store.reps(run.id).values() if r is not None)
        return "done" if finished >= run.num_reps else "stopped"

    def to_json(self, item: Listed) -> dict[str, Any]:
        """The experiment JSON of the contract."""
        stored = self.store.run(item.run_id) if item.run_id is not None else None
        run = stored[0] if stored else None
        if item.experiment is not None:
            e = item.experiment
            repetitions = max(int(e.body.get("repetitions", 1)), run.num_reps if run else 0)
            head = {"id": e.id, "name": e.name, "source": "api", "status": e.status, "created": e.created,
                    "started": e.started, "ended": e.ended, "request": e.body,
                    "command": shlex.join(["hpo-runner", *e.args]), "message": e.message}  # fmt: skip
            trace = e.trace
        else:
            repetitions = run.num_reps
            head = {"id": item.id, "name": None, "source": "cli", "status": self.status(item), "created": stored[1],
                    "started": stored[1], "ended": None, "request": cli_request(run), "command": None,
                    "message": None}  # fmt: skip
            trace = cli_trace(run)
        settings = run.settings if run else {}
        budget = settings.get("budget") if run else _budget_of(item.experiment)
        return {
            **head,
            "run_id": item.run_id,
            **self._progress(item.run_id, repetitions, budget),
            "results": {
                "trace": trace,
                "csv": str(Path(trace).with_suffix(".csv").as_posix()),
                "store": "hpo.sqlite",
            },
        }

    def _progress(self, run_id: int | None, repetitions: int, budget: float | None) -> dict[str, Any]:
        reasons = self.store.reps(run_id) if run_id is not None else {}
        stats = self.store.trial_stats(run_id) if run_id is not None else {}
        done = sum(1 for r in reasons.values() if r is not None)
        clock = 0.0
        current = [rep for rep in sorted(stats) if reasons.get(rep) is None]
        if current or stats:
            clock = stats[current[0] if current else max(stats)][1] or 0.0
        fraction = done / repetitions if repetitions else 0.0
        if budget and done < repetitions:
            fraction += min(clock / budget, 1.0) / repetitions
        best = self.store.best(run_id) if run_id is not None else None
        per_rep = {}
        for rep in sorted(set(stats) | set(reasons)):
            count, rep_clock, rep_best = stats.get(rep, (0, 0.0, None))
            per_rep[rep] = {"rep": rep, "trials": count, "clock_s": rep_clock or 0.0, "stop_reason": reasons.get(rep),
                            "best_error": rep_best}  # fmt: skip
        return {
            "progress": {
                "repetitions_done": done,
                "repetitions": repetitions,
                "trials": sum(c for c, _, _ in stats.values()),
                "clock_s": clock,
                "budget_s": budget,
                "fraction": min(fraction, 1.0),
            },
            "best": None
            if best is None
            else {
                "error": best.error,
                "accuracy": best.accuracy,
                "rep": best.rep,
                "trial": best.trial,
                "params": best.config,
            },
            "repetitions_detail": list(per_rep.values()),
        }


def _budget_of(experiment: Experiment | None) -> float | None:
    if experiment is None or experiment.body.get("criterion", "TIME") != "TIME":
        return None
    from hpo_mab.inputs.timestr import parse_seconds

    return parse_seconds(experiment.body.get("budget", "1d"), "budget")


def cli_request(run: RunRecord) -> dict[str, Any]:
    """What a CLI run was asked, from its stored settings."""
    s = run.settings
    return {"benchmark": run.benchmark, "mode": run.mode, "spec": run.spec, "criterion": s.get("criterion"),
            "budget_s": s.get("budget"), "goal": s.get("goal"), "repetitions": run.num_reps, "seed": run.seed,
            "early_term_rule": s.get("early_term_rule", "None"), "title": run.title}  # fmt: skip


def cli_trace(run: RunRecord) -> str:
    """The trace of a stored run, relative to the results folder (where the CLI writes it)."""
    from hpo_mab.assembly.session import criterion_dirname
    from hpo_mab.engine.criteria import StopCriterion
    from hpo_mab.store.exports import trace_name

    s = run.settings
    criterion = StopCriterion(s.get("criterion", "TIME"), budget=s.get("budget"), goal=s.get("goal"))
    name = trace_name(run.mode, run.spec, run.title, run.num_reps, s.get("early_term_rule", "None"))
    return (Path(run.benchmark) / criterion_dirname(criterion) / name).as_posix()


def trial_status(trial: Trial) -> str:
    """completed, early_terminated or failed."""
    if trial.status != "ok":
        return "failed"
    return "early_terminated" if trial.early_terminated else "completed"


def trial_json(cursor: int, trial: Trial) -> dict[str, Any]:
    """The trial JSON of the contract (``cursor``: its row id in the store)."""
    etr = trial.etr or {}
    stop = None
    if trial.early_terminated and "checkpoint" in etr:
        stop = {"rule": etr.get("rule"), "checkpoint": etr.get("checkpoint"), "statistic": etr.get("statistic"),
                "threshold": etr.get("threshold")}  # fmt: skip
    return {
        "id": f"{trial.rep}-{trial.trial}", "cursor": str(cursor), "rep": trial.rep, "trial": trial.trial,
        "candidate": trial.candidate, "params": trial.config, "error": trial.error, "accuracy": trial.accuracy,
        "clock_s": trial.clock, "exec_time_s": trial.exec_time, "arm": trial.arm, "status": trial_status(trial),
        "train_epoch": trial.epochs, "stop": stop, "note": trial.note, "output": None, "attempt": 1,
    }  # fmt: skip
