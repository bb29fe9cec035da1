"""TPE arms through hyperopt: the space translated to hyperopt, one ``tpe.suggest`` per proposal.

Translation (per hyperparameter): float -> ``uniform``; ``power_of``/``log`` float -> ``loguniform``;
int -> ``quniform(lo, hi, 1)``; ``power_of`` int -> ``quniform`` over the exponent; ``log`` int ->
``qloguniform``; categorical -> ``choice``; preordered -> ``quniform`` over the level index (so
that the order is kept). The history is replayed into one hyperopt ``Trials`` per repetition,
growing incrementally; the proposal is mapped to the nearest remaining candidate of the pool
(Euclidean distance of the [0, 1] encodings).
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field

import numpy as np

from hpo_mab.optimizers.base import History, Proposal, nearest_remaining
from hpo_mab.optimizers.options import TPEOptions
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.searchspace.hyperparams import HyperParameter
from hpo_mab.searchspace.space import CandidatePool, SearchSpace

logging.getLogger("hyperopt").setLevel(logging.WARNING)  # tpe.suggest logs every call at INFO


def hyperopt_space(space: SearchSpace) -> dict:
    """The hyperopt search space of ``space`` (labels are the hyperparameter names)."""
    from hyperopt import hp

    out = {}
    for p in space.hyperparams:
        if p.value_type == "categorical":
            out[p.name] = hp.choice(p.name, list(range(len(p.range))))
        elif p.value_type == "preordered":
            out[p.name] = hp.quniform(p.name, 0, len(p.range) - 1, 1)
        elif p.is_power:
            lo, hi = p.range
            if p.type == "int":
                out[p.name] = hp.quniform(p.name, lo, hi, 1)
            else:
                base = math.log(float(p.power_of))
                out[p.name] = hp.loguniform(p.name, lo * base, hi * base)
        elif p.log:
            lo, hi = p.range
            dist = hp.qloguniform(p.name, math.log(lo), math.log(hi), 1) if p.type == "int" else None
            out[p.name] = dist if dist is not None else hp.loguniform(p.name, math.log(lo), math.log(hi))
        elif p.type == "int":
            out[p.name] = hp.quniform(p.name, p.range[0], p.range[1], 1)
        else:
            out[p.name] = hp.uniform(p.name, p.range[0], p.range[1])
    return out


def to_internal(p: HyperParameter, value) -> float:
    """hyperopt's internal value of a configuration value (choice index, exponent, or the value)."""
    if p.is_choice:
        same = (lambda a, b: a is b) if isinstance(value, bool) else (lambda a, b: a == b and not isinstance(a, bool))
        return float(next(i for i, level in enumerate(p.range) if same(level, value)))
    if p.is_power and p.type == "int":
        return float(round(math.log(value) / math.log(float(p.power_of))))
    return float(value)


def from_internal(p: HyperParameter, value: float):
    """The configuration value of hyperopt's internal value."""
    if p.is_choice:
        return p.range[round(value)]
    if p.is_power and p.type == "int":
        return round(float(p.power_of) ** round(value))
    if p.type == "int":
        return round(value)
    return float(value)


@dataclass
class TPEOptimizer:
    """hyperopt TPE (or hyperopt's random sampler for spec RANDOM) mapped onto the candidate pool."""

    name: str
    space: SearchSpace
    transform: Transform
    random: bool = False
    options: TPEOptions = TPEOptions()
    _trials: object | None = field(default=None, repr=False)
    _domain: object | None = field(default=None, repr=False)
    _inserted: int = 0
    _lineage: object = field(default=None, repr=False)

    def propose(self, history: History, pool: CandidatePool, rng: np.random.Generator) -> Proposal:
        """One hyperopt suggestion from the history, mapped to the nearest remaining candidate."""
        from hyperopt import rand, tpe

        remaining = pool.remaining_positions()
        if len(remaining) == 0:
            raise LookupError("the candidate pool is exhausted")
        self._sync(history, pool)
        algo = (
            rand.suggest
            if self.random
            else functools.partial(
                tpe.suggest,
                n_startup_jobs=int(self.options.n_startup_jobs),
                gamma=float(self.options.gamma),
                n_EI_candidates=int(self.options.n_ei_candidates),
                verbose=False,
            )
        )
        new_ids = self._trials.new_trial_ids(1)
        (doc,) = algo(new_ids, self._domain, self._trials, int(rng.integers(2**31 - 1)))
        internal = {name: values[0] for name, values in doc["misc"]["vals"].items() if values}
        config = {p.name: from_internal(p, internal[p.name]) for p in self.space.hyperparams}
        return nearest_remaining(self.space, pool, config)

    def _sync(self, history: History, pool: CandidatePool) -> None:
        """Create the Trials on first use and insert the evaluations it has not seen yet."""
        from hyperopt import STATUS_OK, Trials
        from hyperopt.base import JOB_STATE_DONE, Domain

        if self._trials is None or not history.extends(self._lineage, self._inserted):
            self._trials, self._inserted = Trials(), 0
            self._domain = Domain(lambda params: 0.0, hyperopt_space(self.space))
        losses = self.transform.forward(np.asarray(history.errors[self._inserted :]))
        docs = []
        for offset, loss in enumerate(losses):
            config = pool.config(history.positions[self._inserted + offset])
            vals = {p.name: [to_internal(p, config[p.name])] for p in self.space.hyperparams}
            (tid,) = self._trials.new_trial_ids(1)
            misc = {
                "tid": tid,
                "cmd": self._domain.cmd,
                "workdir": None,
                "idxs": {k: [tid] for k in vals},
                "vals": vals,
            }
            (doc,) = self._trials.new_trial_docs([tid], [None], [{"status": "new"}], [misc])
            doc["state"] = JOB_STATE_DONE
            doc["result"] = {"loss": float(loss), "status": STATUS_OK}
            docs.append(doc)
        if docs:
            self._trials.insert_trial_docs(docs)
            self._trials.refresh()
        self._inserted = len(history)
        self._lineage = history.lineage
