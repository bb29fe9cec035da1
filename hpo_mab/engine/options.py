"""The trial loop's own run_conf options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hpo_mab.inputs.options import AtLeast, Nullable, OneOf, option

FAILOVERS = ("none", "None", "premature", "random", "next_candidate")
# Limits of a run (README "Limits"), checked by the CLI and by assemble()
MAX_REPETITIONS = 10_000  # NUM_TRIALS: every repetition is a row of the store and a key of the trace
MAX_TRIALS = 1_000_000  # --max-trials: trials of one repetition (the pool, at most 50,000, usually ends it first)
MAX_WORKERS = 256  # --workers: trials in flight; each stored repetition state lists them all
MAX_JOBS = 64  # -j/--jobs: repetitions replayed at once, one process each
MAX_SECONDS = 1e9  # -et, --trial-timeout, --overhead SECONDS (31 years): the clock stays finite, folder names short


@dataclass(frozen=True)
class LoopOptions:
    """run_conf ``failover`` (how proposals treat trials in flight), ``max_failures`` (stop a repetition
    after that many failed trials), ``failures_before_success`` (stop it when that many trials failed
    before any succeeded: a broken objective should not run for the whole budget) and
    ``stopped_trials`` (what models learn from early-terminated ones)."""

    SECTION: ClassVar[str | None] = None
    failover: str = option("none", OneOf(FAILOVERS), "trials in flight: none, premature, random, next_candidate")
    max_failures: int | None = option(None, AtLeast(0), "failed trials that stop a repetition")
    failures_before_success: int | None = option(
        10, Nullable(AtLeast(1)), "failed trials with none succeeded yet that stop a repetition (null: never)"
    )
    stopped_trials: str = option("partial", OneOf(("partial", "exclude")), "models learn stopped trials' best so far")
