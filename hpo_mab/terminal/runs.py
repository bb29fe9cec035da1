"""What ``hpo-runner runs`` prints: the stored runs of a results folder, or one run, from the store only."""

from __future__ import annotations

from pathlib import Path

from hpo_mab.engine.loop import RepetitionOutcome
from hpo_mab.inputs.timestr import format_seconds
from hpo_mab.store.lock import is_locked
from hpo_mab.store.records import RunRecord
from hpo_mab.store.sqlite import ResultStore
from hpo_mab.terminal.summary import outcome_lines
from hpo_mab.terminal.text_table import aligned_table

RUN_COLUMNS = ("id", "benchmark", "mode-spec", "criterion", "seed", "reps", "status", "best error", "created")


def criterion_text(settings: dict) -> str:
    """``TIME 12h00m`` or ``GOAL error 0.02`` (``accuracy``), from a run's stored settings."""
    if settings.get("criterion") == "GOAL":
        return f"GOAL {settings.get('goal_metric') or 'error'} {settings['goal']:g}"
    return f"TIME {format_seconds(settings['budget'])}"


def _rule(settings: dict) -> str:
    """The run's early-termination rule (stored only when it has one)."""
    return settings.get("early_term_rule") or "None"


def method_text(run: RunRecord) -> str:
    """``MODE-SPEC``, with the run_conf's title unless it is ``default`` and ``+RULE`` under early termination."""
    rule = _rule(run.settings)
    return (
        f"{run.mode}-{run.spec}"
        + (f" ({run.title})" if run.title != "default" else "")
        + (f"+{rule}" if rule != "None" else "")
    )


def settings_text(settings: dict) -> str:
    """What else decides a run's trials: rule and its options, overhead, workers, arms, pool (from the store)."""
    given = ", ".join(f"{k}={v}" for k, v in sorted((settings.get("etr") or {}).items()) if v is not None)
    parts = [f"early_term_rule {_rule(settings)}" + (f" ({given})" if given else "")]
    parts.append(f"overhead {settings.get('overhead', 'measured')}")
    conf = settings.get("run_conf") or {}
    if settings.get("workers", 1) != 1:  # stored for runs whose trials record their worker
        failover = (conf.get("options") or {}).get("failover", "none")
        parts.append(f"workers {settings['workers']} (failover {failover})")
    arms = conf.get("arms") or []
    if arms and settings.get("mode") in ("DIV", "BATCH"):  # a single-arm mode does not use them
        parts.append(f"arms {', '.join('_'.join(arm) for arm in arms)}")
    pool = conf.get("pool") or {}
    if pool:
        parts.append(f"pool {pool.get('num_samples')} {pool.get('sample_method')} seed {pool.get('seed')}")
    return "; ".join(parts)


def run_status(store: ResultStore, results_dir: Path, run: RunRecord) -> tuple[str, int]:
    """(status, finished repetitions): ``running (pid N)``, ``done``, or ``incomplete`` (resume it with -r)."""
    finished = sum(1 for reason in store.stop_reasons(run.id).values() if reason is not None)
    pid = is_locked(results_dir, run.id)
    if pid is not None:
        return (f"running (pid {pid})" if pid > 0 else "running"), finished
    return ("done" if finished >= run.num_reps else "incomplete"), finished


def runs_table(store: ResultStore, results_dir: Path) -> str:
    """One line per stored run, oldest first."""
    rows = []
    for run in store.runs():
        status, finished = run_status(store, results_dir, run)
        best = store.best_error(run.id)
        rows.append([
            run.id, run.benchmark, method_text(run), criterion_text(run.settings), run.seed,
            f"{finished}/{run.num_reps}", status, "-" if best is None else f"{best:.6f}", store.created(run.id),
        ])  # fmt: skip
    return aligned_table(RUN_COLUMNS, rows)


def run_lines(store: ResultStore, results_dir: Path, run: RunRecord) -> list[str]:
    """One run: its settings and status, each repetition's best and stop, the best trial and configuration."""
    status, finished = run_status(store, results_dir, run)
    reasons = store.stop_reasons(run.id)
    trials = store.trials(run.id)
    outcomes = [
        RepetitionOutcome(rep, reasons.get(rep) or "not finished", [t for t in trials if t.rep == rep])
        for rep in range(run.num_reps)
        if rep in reasons or any(t.rep == rep for t in trials)
    ]
    lines = outcome_lines(run, outcomes)
    details = (
        f"  {method_text(run)}, {criterion_text(run.settings)}, created {store.created(run.id)}; "
        f"{finished} of {run.num_reps} repetition(s) finished, {status}"
    )
    return [lines[0], details, f"  settings: {settings_text(run.settings)}", *lines[1:]]
