"""When a repetition stops: the TIME budget, the GOAL, the caps."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_GOAL_CAP = 10000

BUDGET = "budget"
GOAL = "goal"
MAX_TRIALS = "max_trials"
POOL_EXHAUSTED = "pool_exhausted"
MAX_FAILURES = "max_failures"
NO_SUCCESS = "no_success"  # failures_before_success trials failed, none succeeded


@dataclass(frozen=True)
class StopCriterion:
    """TIME: clock >= budget (the crossing evaluation is kept). GOAL: best error <= goal
    (``metric`` error) or best accuracy >= goal (``metric`` accuracy), capped at ``max_trials``.
    Either stops at ``max_trials`` and when the pool is exhausted."""

    kind: str  # "TIME" or "GOAL"
    budget: float | None = None
    goal: float | None = None
    metric: str = "error"
    max_trials: int | None = None

    def stop_reason(self, clock: float, best_error: float, num_trials: int, num_remaining: int) -> str | None:
        """Why the repetition stops now, or None to go on."""
        if self.kind == "GOAL" and num_trials > 0 and self.reached(best_error):
            return GOAL
        if self.kind == "TIME" and clock >= self.budget:
            return BUDGET
        cap = self.cap
        if cap is not None and num_trials >= cap:
            return MAX_TRIALS
        if num_remaining == 0:
            return POOL_EXHAUSTED
        return None

    @property
    def cap(self) -> int | None:
        """The most trials a repetition may have (``max_trials``; GOAL runs default to DEFAULT_GOAL_CAP)."""
        return self.max_trials if self.max_trials is not None else (DEFAULT_GOAL_CAP if self.kind == "GOAL" else None)

    def reached(self, best_error: float) -> bool:
        """Whether the best error so far meets the goal."""
        if self.metric == "accuracy":
            return 1.0 - best_error >= self.goal - 1e-12
        return best_error <= self.goal + 1e-12
