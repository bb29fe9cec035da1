"""Diversification strategies (``-m DIV -s SPEC``): several arms share one history, a bandit picks.

Rewards are scale-free, so that no choice depends on the units of the metric:

* ``quantile_reward``: the share of earlier errors that the new error beats (1 = a new best),
  used by EG and GT (the reward of the played arm);
* GP-Hedge gains: every arm's nominee is credited, at the next step, by that arm's refitted model
  (the predicted transformed error at the nominee, negated); the credits of one step are min-max
  normalised across arms before they are added, so probabilities are unchanged when the metric is
  multiplied by any positive constant. ``-T`` variants credit the true error of the nominee where
  the benchmark can tell (a lookup table); ``-LE`` variants credit on the log-error scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from hpo_mab.arms.options import TIME_UNITS
from hpo_mab.arms.strategy import LOGGER, Arm, Decision, safe_propose
from hpo_mab.optimizers.base import History
from hpo_mab.optimizers.bayes import ModelArmOptimizer, ModelCache
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.searchspace.space import CandidatePool

MIN_EPSILON = 0.1


def quantile_reward(error: float, earlier: list[float]) -> float:
    """Share of the earlier errors that ``error`` beats (ties count half); 1.0 when there are none."""
    if not earlier:
        return 1.0
    earlier_arr = np.asarray(earlier)
    return float((np.sum(earlier_arr > error) + 0.5 * np.sum(earlier_arr == error)) / len(earlier_arr))


class Bandit:
    """Common bookkeeping: arms, shared model cache, pull counts, per-arm values."""

    name = "BANDIT"

    def __init__(self, arms: list[Arm], models: ModelCache, options: Any = None) -> None:
        self.arms = arms
        self.models = models
        self.options = options
        self.counts = [0] * len(arms)
        self.values = [0.0] * len(arms)

    # -- the Strategy protocol ---------------------------------------------------------------

    def propose(
        self, step: int, history: History, pool: CandidatePool, rng: np.random.Generator, clock: float
    ) -> Decision:
        """Choose an arm, let it propose, record why."""
        index, record = self.choose(step, history, pool, rng, clock)
        proposal, label, note = safe_propose(self.arms[index], history, pool, rng)
        return Decision(index, proposal, label, note, {"strategy": self.name, **record})

    def choose(
        self, step: int, history: History, pool: CandidatePool, rng: np.random.Generator, clock: float
    ) -> tuple[int, dict]:
        """Index of the arm to play and the record of the choice."""
        raise NotImplementedError

    def update(self, decision: Decision, error: float, history: History) -> None:
        """Count the pull; subclasses learn from the reward."""
        self.counts[decision.arm_index] += 1

    def get_state(self) -> dict[str, Any]:
        """Counts, values and the models' warm starts."""
        return {"counts": list(self.counts), "values": list(self.values), "models": self.models.get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore ``get_state``."""
        self.counts = list(state["counts"])
        self.values = list(state["values"])
        self.models.set_state(state.get("models", {}))

    def _record(self, **extra: Any) -> dict:
        values = [float(v) for v in self.values]
        return {"arms": [a.name for a in self.arms], "counts": list(self.counts), "values": values, **extra}


class RoundRobin(Bandit):
    """``SEQ`` (S-Div): arm = step mod K, in run_conf order."""

    name = "SEQ"

    def choose(self, step, history, pool, rng, clock):
        """Round robin."""
        return step % len(self.arms), self._record()


class UniformRandom(Bandit):
    """``RANDOM`` (R-Div): a uniformly random arm every step."""

    name = "RANDOM"

    def choose(self, step, history, pool, rng, clock):
        """Uniform choice."""
        return int(rng.integers(len(self.arms))), self._record()


class EpsilonGreedy(Bandit):
    """``EG``: play the arm of best mean reward, or with probability epsilon another arm.

    epsilon = max(0.1, init_eps - 0.1 * floor(step / (K * decay_factor))). ``GT`` ("greedy-time")
    instead uses epsilon = max(0.1, 1 / sqrt(t + 1)), t the elapsed clock in ``time_unit`` (ceil).
    Rewards: ``quantile_reward`` of the played arm (``-LE``: the same, it is already scale-free).
    """

    name = "EG"

    def __init__(self, arms, models, options, by_time: bool = False) -> None:
        super().__init__(arms, models, options)
        self.by_time = by_time
        self.name = "GT" if by_time else "EG"

    def epsilon(self, step: int, clock: float) -> float:
        """The exploration probability now."""
        if self.by_time:
            unit = TIME_UNITS[self.options.time_unit]
            return max(MIN_EPSILON, 1.0 / math.sqrt(math.ceil(clock / unit) + 1))
        init = float(self.options.init_eps)
        decay = float(self.options.decay_factor)
        return max(MIN_EPSILON, init - 0.1 * math.floor(step / (len(self.arms) * decay)))

    def choose(self, step, history, pool, rng, clock):
        """Exploit the argmax (ties at random) with probability 1 - epsilon, else explore another arm."""
        eps = self.epsilon(step, clock)
        values = np.asarray(self.values)
        best = np.flatnonzero(values == values.max())
        others = np.flatnonzero(values != values.max())
        explore = rng.random() < eps and len(others) > 0
        pick = others if explore else best
        index = int(pick[rng.integers(len(pick))])
        return index, self._record(epsilon=eps, explored=bool(explore))

    def update(self, decision, error, history):
        """Running mean of the played arm's rewards."""
        super().update(decision, error, history)
        i = decision.arm_index
        reward = quantile_reward(error, history.errors)
        self.values[i] += (reward - self.values[i]) / self.counts[i]


class KnockOut(Bandit):
    """``SKO``: round robin over the surviving arms; every K * 10 steps the arm with the largest
    rank sum (ranks of each arm's latest error among the arms, 1 = lowest error) is knocked out,
    keeping at least two arms."""

    name = "SKO"

    def __init__(self, arms, models, options) -> None:
        super().__init__(arms, models, options)
        self.alive = list(range(len(arms)))
        self.latest = [math.inf] * len(arms)
        self.rank_sums = [0.0] * len(arms)
        self.turn = 0

    def choose(self, step, history, pool, rng, clock):
        """Next surviving arm; knock one out on schedule."""
        knocked = None
        period = len(self.arms) * int(self.options.knockout_period)
        if step > 0 and step % period == 0 and len(self.alive) > 2:
            knocked = max(self.alive, key=lambda i: (self.rank_sums[i], i))
            self.alive.remove(knocked)
        index = self.alive[self.turn % len(self.alive)]
        self.turn += 1
        return index, self._record(alive=list(self.alive), rank_sums=list(self.rank_sums), knocked_out=knocked)

    def update(self, decision, error, history):
        """Store the arm's latest error and add every surviving arm's rank to its rank sum."""
        super().update(decision, error, history)
        self.latest[decision.arm_index] = error
        alive = self.alive
        order = np.argsort([self.latest[i] for i in alive], kind="stable")
        for rank, k in enumerate(order, start=1):
            self.rank_sums[alive[k]] += rank
        self.values = [-s for s in self.rank_sums]

    def get_state(self):
        """Survivors, latest errors, rank sums, turn."""
        latest = [None if math.isinf(v) else v for v in self.latest]
        return {
            **super().get_state(),
            "alive": self.alive,
            "latest": latest,
            "rank_sums": self.rank_sums,
            "turn": self.turn,
        }

    def set_state(self, state):
        """Restore them."""
        super().set_state(state)
        self.alive = list(state["alive"])
        self.latest = [math.inf if v is None else v for v in state["latest"]]
        self.rank_sums = list(state["rank_sums"])
        self.turn = int(state["turn"])


def top_share_reward(error: float, earlier: list[float], share: float) -> float:
    """1.0 when ``error`` is at most the ``share``-quantile of the earlier errors (a new best counts), else 0.0.

    Scale-free: only the order of the errors matters; 1.0 when there are no earlier errors.
    """
    if not earlier:
        return 1.0
    return float(error <= np.quantile(np.asarray(earlier, dtype=float), share, method="lower"))


class ThompsonSampling(Bandit):
    """``TS``: Thompson sampling over the arms with discounted Beta posteriors of realised successes.

    A trial is a success of the arm that proposed it when its error lands in the best ``top_share``
    of the errors observed before it (``top_share_reward``: ranks only, so scale-free). Every arm
    keeps Beta(1 + s_i, 1 + f_i); after each trial every arm's s and f are multiplied by
    ``discount`` (old evidence fades, so an arm that stops finding good configurations loses its
    share) and the played arm's s or f grows by one. An arm never played yet is played first (run_conf
    order); then each arm draws theta_i ~ Beta and the largest plays. The record holds the draws and
    the posteriors of every arm.
    """

    name = "TS"

    def __init__(self, arms, models, options) -> None:
        super().__init__(arms, models, options)
        self.successes = [0.0] * len(arms)
        self.failures = [0.0] * len(arms)

    def choose(self, step, history, pool, rng, clock):
        """The first unplayed arm, else the arm of the largest posterior draw."""
        a = 1.0 + np.asarray(self.successes)
        b = 1.0 + np.asarray(self.failures)
        draws = rng.beta(a, b)
        unplayed = [i for i, n in enumerate(self.counts) if n == 0]
        index = unplayed[0] if unplayed else int(np.argmax(draws))
        return index, self._record(draws=[float(d) for d in draws], alpha=a.tolist(), beta=b.tolist())

    def update(self, decision, error, history):
        """Discount every arm's evidence, then count the played arm's success or failure."""
        super().update(decision, error, history)
        reward = top_share_reward(error, history.errors, float(self.options.top_share))
        discount = float(self.options.ts_discount)
        self.successes = [discount * s for s in self.successes]
        self.failures = [discount * f for f in self.failures]
        i = decision.arm_index
        self.successes[i] += reward
        self.failures[i] += 1.0 - reward
        self.values = [(1.0 + s) / (2.0 + s + f) for s, f in zip(self.successes, self.failures, strict=True)]

    def get_state(self):
        """Successes and failures."""
        return {**super().get_state(), "successes": self.successes, "failures": self.failures}

    def set_state(self, state):
        """Restore them."""
        super().set_state(state)
        self.successes = list(state["successes"])
        self.failures = list(state["failures"])


class Hedge(Bandit):
    """``HEDGE``/``BO-HEDGE``: GP-Hedge with full information.

    Every arm nominates (its own argmax; arms of one model share the fit), the arm is drawn with
    p_i proportional to exp(eta * g_i), and at the next step every nominee is credited by its arm's
    refitted model: c_i = -(predicted transformed error at nominee i). Credits of a step are min-max
    normalised across arms (scale-free), gains optionally discounted (``discount``, default 1).
    ``oracle``: credit -(true error) of the nominee (``-T``); ``log_scale``: credit on log10 error.
    """

    name = "HEDGE"

    def __init__(
        self,
        arms,
        models,
        options,
        oracle: Callable[[int | dict], float] | None = None,
        log_scale: bool = False,
        name: str = "HEDGE",
    ) -> None:
        super().__init__(arms, models, options)
        self.gains = [0.0] * len(arms)
        self.nominees: list[int] | None = None
        self.oracle = oracle
        self.log_scale = log_scale
        self.name = name

    def probabilities(self) -> np.ndarray:
        """p_i proportional to exp(eta * g_i), computed stably."""
        eta = float(self.options.eta)
        z = eta * np.asarray(self.gains)
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()

    def propose(self, step, history, pool, rng, clock):
        """Credit the previous nominees, nominate with every arm, draw the arm to play."""
        if self.nominees is not None:
            self._credit(history, pool, rng)
        nominations = [safe_propose(arm, history, pool, rng) for arm in self.arms]
        probs = self.probabilities()
        index = int(rng.choice(len(self.arms), p=probs))
        # a nominee off the pool (a refined configuration) is kept as its configuration, recorded as None
        self.nominees = [dict(p.config) if p.off_pool else int(p.position) for p, _, _ in nominations]
        proposal, label, note = nominations[index]
        record = self._record(
            probabilities=[float(p) for p in probs],
            gains=list(self.gains),
            nominees=[None if isinstance(n, dict) else int(pool.ids[n]) for n in self.nominees],
        )
        return Decision(index, proposal, label, note, {"strategy": self.name, **record})

    def _credit(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> None:
        model_arms = [a.optimizer for a in self.arms if isinstance(a.optimizer, ModelArmOptimizer)]
        raw = []
        for arm, nominee in zip(self.arms, self.nominees, strict=True):
            if self.oracle is not None:  # the true error of the nominee (a configuration when refined off the pool)
                error = self.oracle(nominee if isinstance(nominee, dict) else int(pool.ids[nominee]))
                raw.append(-(math.log10(max(error, 1e-5)) if self.log_scale else error))
                continue
            # an arm without a model (random, TPE) is credited by the model of the first model arm
            judge = arm.optimizer if isinstance(arm.optimizer, ModelArmOptimizer) else next(iter(model_arms), None)
            if judge is None or len(history) < 2:
                raw.append(math.nan)
                continue
            transform = Transform("LE") if self.log_scale else judge.transform
            try:
                post = self.models.posterior(judge.model, transform, history, pool, rng)
            except Exception as exc:  # a model that cannot be fitted gives no credit, never a crash
                LOGGER.warning("%s: crediting skipped (%s: %s)", arm.name, type(exc).__name__, exc)
                raw.append(math.nan)
                continue
            raw.append(-post.prediction.mean_at(pool, nominee))
        credits = np.asarray(raw, dtype=float)
        finite = np.isfinite(credits)
        if finite.sum() >= 2 and np.ptp(credits[finite]) > 0:
            lo, span = credits[finite].min(), np.ptp(credits[finite])
            normalised = np.where(finite, (credits - lo) / span, 0.5)
        else:
            normalised = np.full(len(credits), 0.5)
        discount = float(self.options.discount)
        self.gains = [discount * g + float(c) for g, c in zip(self.gains, normalised, strict=True)]
        self.values = list(self.gains)
        self.nominees = None

    def get_state(self):
        """Gains and pending nominees."""
        return {**super().get_state(), "gains": self.gains, "nominees": self.nominees}

    def set_state(self, state):
        """Restore them."""
        super().set_state(state)
        self.gains = list(state["gains"])
        nominees = state["nominees"]
        self.nominees = None if nominees is None else [n if isinstance(n, dict) else int(n) for n in nominees]
