"""What a run is asked to be, as given (the command line's values, or a compare cell's, or the API's)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunRequest:
    """A run's values as given, before validation. ``peer``: a peer system instead of a mode."""

    config: str
    num_trials: int = 1
    mode: str | None = None
    spec: str | None = None
    criterion: str = "TIME"
    goal: float | None = None
    goal_metric: str = "error"
    exp_time: str = "1d"
    conf: str | None = None
    run_conf_dir: Path | None = None
    hp_conf_dir: Path | None = None
    worker_url: str = "none"
    log_level: str = "warn"
    rerun: bool = False
    pkl: bool = False
    time_penalty: bool = False
    seed: int | None = None
    max_trials: int | None = None
    results_dir: Path = Path("results")
    overhead: str = "none"
    yahpo_data: Path | None = None
    objective: str | None = None
    command: str | None = None
    workers: int | None = None
    jobs: int = 1  # repetitions replayed at once in processes (simulated clock only)
    trial_timeout: str | None = None
    peer: str | None = None
    early_term_rule: str | None = None
    external: bool = False  # trials run by pull workers (``hpo-runner worker``) of a server's experiment
