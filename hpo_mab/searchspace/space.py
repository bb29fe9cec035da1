"""SearchSpace: the ordered hyperparameters of an hp_conf, their encoding and candidate pools."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hpo_mab.searchspace.hyperparams import HyperParameter

SAMPLE_METHODS = ("sobol", "uniform", "latin")


class SearchSpace:
    """Hyperparameters in column order; maps unit points to configurations and encodes them."""

    def __init__(self, hyperparams: Sequence[HyperParameter]) -> None:
        self.hyperparams = tuple(hyperparams)
        self.names = [hp.name for hp in self.hyperparams]
        self._configspace = None

    @property
    def dim(self) -> int:
        """Number of hyperparameters."""
        return len(self.hyperparams)

    @property
    def encoded_dim(self) -> int:
        """Number of model features (one-hot widths included)."""
        return sum(hp.width for hp in self.hyperparams)

    def from_unit(self, unit: np.ndarray) -> pd.DataFrame:
        """Configurations (one row each, columns in order) of points in [0, 1]^dim."""
        unit = np.atleast_2d(unit)
        return pd.DataFrame(
            {hp.name: pd.Series(hp.from_unit(unit[:, j]), dtype=object) for j, hp in enumerate(self.hyperparams)}
        )

    def encode(self, configs: pd.DataFrame) -> np.ndarray:
        """Model features in [0, 1]: log parameters in log space, categorical one-hot, preordered by rank."""
        blocks = [hp.encode(configs[hp.name].tolist()) for hp in self.hyperparams]
        return np.hstack(blocks) if blocks else np.zeros((len(configs), 0))

    def default_config(self) -> dict | None:
        """The configuration of the hp_conf defaults, if every parameter has one."""
        if any(hp.default is None for hp in self.hyperparams):
            return None
        return {hp.name: hp.default for hp in self.hyperparams}

    def sample_unit(self, num: int, method: str, seed: int) -> np.ndarray:
        """``num`` points in [0, 1]^dim: scrambled Sobol (default), uniform or Latin hypercube."""
        from scipy.stats import qmc  # imported here: scipy.stats costs ~1 s and lookup replays never need it

        if method == "sobol":
            m = int(np.ceil(np.log2(max(num, 2))))
            return qmc.Sobol(d=self.dim, scramble=True, seed=seed).random_base2(m)[:num]
        if method == "uniform":
            return np.random.default_rng(seed).random((num, self.dim))
        if method == "latin":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return qmc.LatinHypercube(d=self.dim, seed=seed).random(num)
        raise ValueError(f"unknown sample method {method!r}; expected one of {SAMPLE_METHODS}")

    @property
    def configspace(self):
        """The ConfigSpace translation (built once)."""
        if self._configspace is None:
            self._configspace = self.to_configspace()
        return self._configspace

    def configspace_vectors(self, configs: pd.DataFrame) -> np.ndarray:
        """ConfigSpace's vector representation of ``configs`` (columns in ``index_of`` order)."""
        cs = self.configspace
        out = np.empty((len(configs), len(self.hyperparams)))
        for hp in self.hyperparams:
            values = np.asarray(configs[hp.name].tolist())
            if values.dtype.kind == "f":
                values = np.round(values, 13)  # as ConfigSpace's Configuration does
            out[:, cs.index_of[hp.name]] = cs[hp.name].to_vector(values)
        return out

    def to_configspace(self, seed: int | None = None):
        """The same space as a ConfigSpace ``ConfigurationSpace`` (for SMAC3 and validation)."""
        from ConfigSpace import (
            CategoricalHyperparameter,
            ConfigurationSpace,
            OrdinalHyperparameter,
            UniformFloatHyperparameter,
            UniformIntegerHyperparameter,
        )

        space = ConfigurationSpace(seed=seed)
        for hp in self.hyperparams:
            default = {} if hp.default is None else {"default_value": hp.default}
            if hp.value_type == "categorical":
                item = CategoricalHyperparameter(hp.name, list(hp.range), **default)
            elif hp.value_type == "preordered":
                item = OrdinalHyperparameter(hp.name, list(hp.range), **default)
            elif hp.is_power and hp.type == "int":
                levels = [round(float(hp.power_of) ** e) for e in range(int(hp.range[0]), int(hp.range[1]) + 1)]
                item = OrdinalHyperparameter(hp.name, levels, **default)
            elif hp.type == "int":
                lo, hi = hp.bounds
                item = UniformIntegerHyperparameter(hp.name, lo, hi, log=hp.is_log, **default)
            else:
                lo, hi = hp.bounds
                item = UniformFloatHyperparameter(hp.name, lo, hi, log=hp.is_log, **default)
            space.add(item)
        return space


@dataclass
class CandidatePool:
    """Candidate configurations with their encodings; evaluated candidates leave the pool.

    ``ids`` are the candidate indices recorded in traces (``model_idx``): for a lookup table the
    table row, otherwise the position in the generated pool.

    ``continuous``: any configuration of the space can be evaluated (an analytic function, a
    YAHPO model, a real objective), so arms may propose configurations off the pool. Such a
    configuration joins the pool, already evaluated, with the next id after the pool's
    (``add``): ids ``first_extra``, ``first_extra + 1``, ... in the order they were proposed,
    at positions ``len(pool) + id - first_extra``; the models see its encoding, computed from the
    configuration (so a resumed run, which re-adds it from the stored trial, has the same bits).
    Predictions and ``remaining_positions`` cover the sampled candidates only.
    """

    configs: pd.DataFrame
    features: np.ndarray
    ids: np.ndarray
    remaining: np.ndarray
    space: SearchSpace | None = None
    _encodings: dict = field(default_factory=dict, repr=False)
    _columns: dict = field(default_factory=dict, repr=False)  # name -> plain Python values (built once)
    continuous: bool = False
    _extra: list = field(default_factory=list, repr=False)  # configurations off the pool (None: not re-added yet)
    _extra_rows: dict = field(default_factory=dict, repr=False)  # kind -> list of encoded rows of ``_extra``

    @classmethod
    def build(cls, space: SearchSpace, configs: pd.DataFrame, ids: np.ndarray | None = None) -> CandidatePool:
        """Pool of ``configs`` with identical configurations removed (the first one kept)."""
        features = space.encode(configs)
        ids = np.arange(len(configs)) if ids is None else np.asarray(ids)
        _, first = np.unique(np.round(features, 12), axis=0, return_index=True)
        keep = np.sort(first)
        kept = configs.iloc[keep].reset_index(drop=True)
        return cls(kept, features[keep], ids[keep], np.ones(len(keep), bool), space)

    @classmethod
    def sample(
        cls, space: SearchSpace, num: int, method: str = "sobol", seed: int = 1, start_from_default: bool = False
    ) -> CandidatePool:
        """A generated pool of ``num`` points (optionally the hp_conf default first)."""
        configs = space.from_unit(space.sample_unit(num, method, seed))
        default = space.default_config() if start_from_default else None
        if default is not None:
            configs = pd.concat([pd.DataFrame([default], dtype=object), configs], ignore_index=True)
        return cls.build(space, configs)

    def __len__(self) -> int:
        return len(self.ids)

    def reset(self) -> None:
        """Put every candidate back (a new repetition starts from the full pool)."""
        self.remaining[:] = True

    def fresh_copy(self) -> CandidatePool:
        """A copy with every candidate remaining, sharing the (read-only) arrays and encodings."""
        return CandidatePool(
            self.configs,
            self.features,
            self.ids,
            np.ones(len(self.ids), bool),
            self.space,
            self._encodings,
            self._columns,
            self.continuous,
        )

    def encoding(self, kind: str = "unit") -> np.ndarray:
        """Model inputs of every candidate: ``unit`` (our [0, 1] encoding) or ``configspace`` vectors."""
        if kind == "unit":
            return self.features
        if kind not in self._encodings:
            if kind != "configspace" or self.space is None:
                raise ValueError(f"unknown encoding {kind!r}")
            self._encodings[kind] = self.space.configspace_vectors(self.configs)
        return self._encodings[kind]

    @property
    def num_remaining(self) -> int:
        """How many candidates have not been evaluated."""
        return int(self.remaining.sum())

    def remaining_positions(self) -> np.ndarray:
        """Positions (not ids) of the candidates still in the pool."""
        return np.flatnonzero(self.remaining)

    def position_of(self, candidate_id: int) -> int:
        """Position of a candidate id."""
        if self.is_extra_id(candidate_id):
            slot = int(candidate_id) - self.first_extra
            if slot >= len(self._extra) or self._extra[slot] is None:
                raise KeyError(candidate_id)
            return len(self.ids) + slot
        pos = np.searchsorted(self.ids, candidate_id)
        if pos >= len(self.ids) or self.ids[pos] != candidate_id:
            raise KeyError(candidate_id)
        return int(pos)

    def take(self, candidate_id: int) -> None:
        """Remove an evaluated candidate from the pool (one off the pool never was in it)."""
        position = self.position_of(candidate_id)
        if position < len(self.ids):
            self.remaining[position] = False

    # -- configurations off the pool (continuous spaces) ------------------------------------

    @property
    def first_extra(self) -> int:
        """The id of the first configuration added off the pool."""
        return int(self.ids.max()) + 1 if len(self.ids) else 0

    def is_extra_id(self, candidate_id: int) -> bool:
        """True for the id of a configuration added off the pool."""
        return self.continuous and int(candidate_id) >= self.first_extra

    def is_extra(self, position: int) -> bool:
        """True for the position of a configuration added off the pool."""
        return position >= len(self.ids)

    def add(self, config: dict, candidate_id: int | None = None) -> int:
        """Add a configuration off the pool (the next id, or ``candidate_id`` when re-added on resume); its position."""
        if not self.continuous:
            raise ValueError("this pool takes no configuration off it (a lookup table's rows are the candidates)")
        slot = len(self._extra) if candidate_id is None else int(candidate_id) - self.first_extra
        if slot < 0:
            raise ValueError(f"candidate {candidate_id} is not off the pool")
        while len(self._extra) <= slot:
            self._extra.append(None)
            for rows in self._extra_rows.values():
                rows.append(None)
        self._extra[slot] = dict(config)
        for rows in self._extra_rows.values():
            rows[slot] = None
        return len(self.ids) + slot

    def id_of(self, position: int) -> int:
        """The candidate id at ``position``."""
        if self.is_extra(position):
            return self.first_extra + position - len(self.ids)
        return int(self.ids[position])

    def rows(self, positions: Sequence[int], kind: str = "unit") -> np.ndarray:
        """Encoded features of the candidates at ``positions`` (pool or off-pool ones)."""
        positions = np.asarray(positions, dtype=int)
        base = self.encoding(kind)
        if not len(positions) or positions.max() < len(self.ids):
            return base[positions]
        out = np.empty((len(positions), base.shape[1]))
        inside = positions < len(self.ids)
        out[inside] = base[positions[inside]]
        for i in np.flatnonzero(~inside):
            out[i] = self.extra_row(int(positions[i]) - len(self.ids), kind)
        return out

    def extra_row(self, slot: int, kind: str) -> np.ndarray:
        """The encoding of the off-pool configuration in ``slot`` (computed once)."""
        rows = self._extra_rows.setdefault(kind, [None] * len(self._extra))
        if rows[slot] is None:
            rows[slot] = self.encode_configs([self._extra[slot]], kind)[0]
        return rows[slot]

    def encode_configs(self, configs: list[dict], kind: str = "unit") -> np.ndarray:
        """The encoding (``unit`` or ``configspace``) of configurations given as dicts."""
        frame = pd.DataFrame(configs, columns=self.space.names, dtype=object)
        if kind == "unit":
            return self.space.encode(frame)
        if kind == "configspace":
            return self.space.configspace_vectors(frame)
        raise ValueError(f"unknown encoding {kind!r}")

    def config(self, position: int) -> dict:
        """Configuration at ``position`` as a plain dict of Python values."""
        if self.is_extra(position):
            return dict(self._extra[position - len(self.ids)])
        if not self._columns:
            self._columns.update({k: [_plain(v) for v in self.configs[k].tolist()] for k in self.configs.columns})
        return {k: column[position] for k, column in self._columns.items()}


def _plain(value):
    """Python scalar of a numpy/pandas value."""
    return value.item() if hasattr(value, "item") else value
