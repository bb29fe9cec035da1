"""Plug-ins by registry with typed options; the trial loop's event stream; typed model-cache keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from hpo_mab.arms.catalog import MODELS, STRATEGIES, build_div, model_family, model_names
from hpo_mab.arms.options import HedgeOptions
from hpo_mab.assembly.catalog import parse_run_conf, run_conf_schema
from hpo_mab.assembly.methods import available
from hpo_mab.backends.base import Report, Verdict
from hpo_mab.backends.clock import Overhead
from hpo_mab.backends.simulated import SimulatedBackend
from hpo_mab.engine.criteria import StopCriterion
from hpo_mab.engine.loop import LoopPlan, run_repetition
from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.options import (
    AllOf,
    AtLeast,
    Flag,
    Interval,
    MappingOf,
    Nullable,
    Number,
    OneOf,
    describe,
    json_schema,
    option,
    parse_options,
)
from hpo_mab.inputs.run_conf import RunConf
from hpo_mab.optimizers.bayes import ModelCache, ModelKey
from hpo_mab.optimizers.options import GPOptions
from hpo_mab.optimizers.transforms import Transform
from hpo_mab.registry import Entry, Registry
from hpo_mab.store.sink import MemoryRepetition
from tests.test_arms import small_benchmark


@dataclass(frozen=True)
class Sample:
    SECTION: ClassVar[str | None] = None
    rate: float = option(0.5, AllOf((Number(positive=True), Interval(0, 1))), "a rate")
    count: int = option(3, AtLeast(1), "a count")
    kind: str = option("a", OneOf(("a", "b")), "a kind")
    flag: bool = option(False, Flag(numeric=True), "a flag")
    limit: int | None = option(None, Nullable(Number(positive=True, integer=True)), "a limit")
    amounts: dict | None = option(None, MappingOf(Number(positive=True), "{GPU: 1}"), "amounts", key="resources")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rate": -1}, "f: rate: expected a positive number, got -1"),
        ({"rate": 1.5}, "f: rate: expected a number in (0, 1), got 1.5"),
        ({"rate": "x"}, "f: rate: expected a positive number, got 'x'"),
        ({"count": 0}, "f: count: expected an integer >= 1, got 0"),
        ({"count": 1.5}, "f: count: expected an integer, got 1.5"),
        ({"kind": "c"}, "f: kind: expected one of a, b, got 'c'"),
        ({"flag": 2}, "f: flag: expected true/false or 0/1, got 2"),
        ({"limit": 0}, "f: limit: expected a positive integer, got 0"),
        ({"resources": {"GPU": -1}}, "f: resources.GPU: expected a positive number, got -1"),
        ({"resources": 3}, "f: resources: expected a mapping like {GPU: 1}, got 3"),
    ],
)
def test_each_constraint_gives_one_located_line(data, message):
    with pytest.raises(InputError) as err:
        parse_options(Sample, data, "f")
    assert err.value.line() == message


def test_options_parse_into_a_typed_instance_with_defaults():
    parsed = parse_options(Sample, {"rate": 0.25, "flag": 1, "limit": None, "resources": {"GPU": 2}}, "f")
    assert parsed == Sample(rate=0.25, flag=True, amounts={"GPU": 2})
    assert parse_options(Sample, {}, "f") == Sample()


def test_options_describe_themselves_for_help_and_the_api():
    assert describe(Sample)[0] == ("rate", 0.5, "number in (0, 1)", "a rate")
    schema = json_schema(Sample)
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 1, "default": 3, "description": "a count"}
    assert schema["properties"]["kind"]["enum"] == ["a", "b"]
    assert set(schema["properties"]) == {"rate", "count", "kind", "flag", "limit", "resources"}


def test_registries_refuse_a_name_twice_and_resolve_aliases():
    with pytest.raises(ValueError, match="registered twice"):
        Registry("thing", [Entry("A", object), Entry("A", object)])
    registry = Registry("thing", [Entry("A", object, aliases=("ALPHA",))])
    assert registry["ALPHA"].name == "A" and "ALPHA" in registry and "B" not in registry
    assert MODELS["SOBOL"].name == "RANDOM" and model_family("GP-HLE")[1] == "HLE"
    with pytest.raises(KeyError):
        model_family("GP-NM-HLE")


def test_modes_help_and_run_conf_keys_come_from_the_registries():
    from hpo_mab.inputs.options import option_fields, section_of

    modes = available()
    assert modes["DIV"] == tuple(STRATEGIES.names())
    assert set(model_names(aliases=False)) - {"RANDOM"} <= set(modes)
    schema = run_conf_schema()
    keys = schema.top_keys()
    for cls in schema.options:
        assert (section_of(cls) in keys) if section_of(cls) else {f.key for f in option_fields(cls)} <= set(keys)
    assert {"gp", "rf", "tpe", "eta", "knockout_period", "max_retries", "resources"} <= set(keys)


def test_a_run_conf_carries_typed_options_of_its_plug_ins():
    conf = parse_run_conf({"eta": 0.5, "gp": {"mcmc_iters": 3}}, "c")
    assert conf.get(HedgeOptions) == HedgeOptions(eta=0.5)
    assert conf.get(GPOptions).mcmc_iters == 3 and RunConf().get(GPOptions) == GPOptions()


def test_a_new_strategy_is_a_class_and_a_registry_entry(tmp_path):
    """Extending: a strategy that always plays the last arm, registered beside the built-in ones."""
    from hpo_mab.arms.bandits import Bandit
    from hpo_mab.optimizers.base import History

    class LastArm(Bandit):
        name = "LAST"

        def choose(self, step, history, pool, rng, clock):
            return len(self.arms) - 1, self._record()

    def build(name, arms, models, options, oracle):
        return LastArm(arms, models)

    extended = Registry("strategy", [*STRATEGIES, Entry("LAST", build)])
    bench = small_benchmark(tmp_path)
    arms = build_div(
        "SEQ", parse_run_conf({"arms": [{"model": "RANDOM"}, {"model": "GP"}]}, "c"), bench.space, None
    ).arms
    strategy = extended["LAST"].factory("LAST", arms, ModelCache({}), None, None)
    decision = strategy.propose(0, History(), bench.pool(), np.random.default_rng(0), 0.0)
    assert decision.arm_index == 1 and decision.record["strategy"] == "LAST"


class StopBelow:
    """A rule that asks for epoch 2 and stops a trial whose accuracy there is below ``threshold``."""

    name = "StopBelow"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.seen: list[tuple[int, int]] = []

    def plan(self, ticket):
        return (2,), {}

    def decide(self, report: Report):
        self.seen.append((report.ticket.candidate, report.epoch))
        stop = report.accuracy < self.threshold
        return (Verdict.STOP if stop else Verdict.CONTINUE), {"threshold": self.threshold}

    def observe(self, trial):
        pass

    def promotion(self):
        return None

    def get_state(self):
        return {}

    def restore(self, trials, state):
        pass


def run_with(bench, rule, trials=12):
    from hpo_mab.arms.strategy import Arm, SingleArm
    from hpo_mab.optimizers.random_search import RandomSearch

    kwargs = {} if rule is None else {"rule": rule}
    return run_repetition(
        pool=bench.pool(),
        strategies=[SingleArm(Arm("RANDOM", RandomSearch()))],
        backend=SimulatedBackend(bench, Overhead("none")),
        plan=LoopPlan(max_epoch=bench.hp_conf.max_epoch),
        criterion=StopCriterion("TIME", 1e12, max_trials=trials),
        sink=MemoryRepetition(),
        rep=0,
        seed=4,
        **kwargs,
    )


def test_a_trial_is_a_stream_of_reports_that_a_rule_may_stop(tmp_path):
    bench = small_benchmark(tmp_path)
    plain = run_with(bench, None)
    keep_all = run_with(bench, StopBelow(0.0))
    assert [t.candidate for t in keep_all.trials] == [t.candidate for t in plain.trials]
    assert [t.clock for t in keep_all.trials] == [t.clock for t in plain.trials]
    threshold = float(np.median([bench.evaluate(t.candidate, 2).accuracy for t in plain.trials]))
    rule = StopBelow(threshold)
    stopped = run_with(bench, rule)
    assert [c for c, _ in rule.seen] == [t.candidate for t in stopped.trials] and {e for _, e in rule.seen} == {2}
    for trial in stopped.trials:
        full, two = bench.evaluate(trial.candidate), bench.evaluate(trial.candidate, 2)
        if two.accuracy < threshold:
            assert (trial.epochs, trial.error, trial.exec_time) == (2, two.error, two.exec_time)
        else:
            assert (trial.epochs, trial.error, trial.exec_time) == (full.epochs, full.error, full.exec_time)
    assert 0 < sum(t.epochs == 2 for t in stopped.trials) < len(stopped.trials)
    clock = np.cumsum([t.exec_time for t in stopped.trials])
    assert np.allclose([t.clock for t in stopped.trials], clock)


def test_model_cache_keys_are_typed_and_old_string_keys_still_restore():
    from hpo_mab.optimizers.gp import GaussianProcess

    cache = ModelCache({"GP": GaussianProcess})
    cache.set_state({"GP|HLE|0.3": {"theta": [0.0, 0.0, 0.0], "num_fits": 1}, "time|log": {"theta": None}})
    assert set(cache.models) == {ModelKey("GP", Transform("HLE", 0.3)), ModelKey("GP", Transform(""), "log_time")}
    state = cache.get_state()
    again = ModelCache({"GP": GaussianProcess})
    again.set_state(state)
    assert set(again.models) == set(cache.models) and again.get_state() == state
