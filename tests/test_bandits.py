"""DIV strategies: SEQ order, scale-free GP-Hedge, SKO knocks out the worst, EG/GT epsilon, records, shared fits."""

import json

import numpy as np
import pytest

from hpo_mab.arms.bandits import EpsilonGreedy, Hedge, KnockOut, ThompsonSampling, quantile_reward, top_share_reward
from hpo_mab.arms.catalog import build_div
from hpo_mab.arms.options import EpsilonGreedyOptions, KnockOutOptions, ThompsonOptions
from hpo_mab.arms.strategy import Arm, Decision
from hpo_mab.assembly.catalog import parse_run_conf
from hpo_mab.engine.criteria import StopCriterion
from hpo_mab.inputs.run_conf import ORIGINAL_ARMS, RunConf
from hpo_mab.optimizers.base import History, Proposal
from hpo_mab.optimizers.bayes import ModelCache
from hpo_mab.optimizers.random_search import RandomSearch
from hpo_mab.surrogates.base import Result
from tests.conftest import replay
from tests.test_arms import small_benchmark

SIX = ["GP-HLE_EI", "GP-HLE_PI", "GP-HLE_UCB", "RF-HLE_EI", "RF-HLE_PI", "RF-HLE_UCB"]
SEVEN = [*SIX, "OTPE_EI"]  # the default arms: the original six and Optuna's TPE


def trace(tmp_path, name):
    return json.loads((tmp_path / "results" / "small" / "T604800S" / name).read_text())["0"]


def test_seq_plays_the_arms_in_order(cli, small_bench, tmp_path):
    assert (
        cli(str(small_bench), "1", "-m", "DIV", "-s", "SEQ", "-et", "1w", "--max-trials", "14", "--seed", "1").code == 0
    )
    rep = trace(tmp_path, "DIV-SEQ(1).json")
    assert rep["select_trace"] == (SEVEN * 2)[:14]
    assert rep["count_arr"] == [2, 2, 2, 2, 2, 2, 2]


def test_ada_is_an_alias_of_div(cli, small_bench, tmp_path):
    assert (
        cli(str(small_bench), "1", "-m", "ADA", "-s", "SEQ", "-et", "1w", "--max-trials", "3", "--seed", "1").code == 0
    )
    assert trace(tmp_path, "DIV-SEQ(1).json")["select_trace"] == SEVEN[:3]


def test_hedge_records_probabilities_nominees_and_gains(cli, small_bench, tmp_path):
    args = [str(small_bench), "1", "-m", "DIV", "-s", "HEDGE", "-et", "1w", "--max-trials", "12", "--seed", "4", "-p"]
    assert cli(*args).code == 0
    rep = trace(tmp_path, "DIV-HEDGE(1).json")
    assert len(rep["selection"]) == 12
    for played, candidate, record in zip(rep["select_trace"], rep["model_idx"], rep["selection"], strict=True):
        assert record["strategy"] == "HEDGE" and record["arms"] == SEVEN
        assert sum(record["probabilities"]) == pytest.approx(1.0)
        assert record["nominees"][SEVEN.index(played)] == candidate  # the played arm's nominee is evaluated
    assert rep["selection"][0]["gains"] == [0.0] * 7
    assert rep["selection"][-1]["gains"] != [0.0] * 7
    assert sum(rep["count_arr"]) == 12 and len(rep["mean_arr"]) == 7
    second = cli(*args, "--results", str(tmp_path / "again"))
    assert second.code == 0
    again = json.loads((tmp_path / "again" / "small" / "T604800S" / "DIV-HEDGE(1).json").read_text())["0"]
    assert again == rep


class ScaledBenchmark:
    """The synthetic table's errors multiplied by a constant (a metric in other units)."""

    def __init__(self, base, scale):
        self.base, self.scale = base, scale
        self.name, self.hp_conf, self.space = base.name, base.hp_conf, base.space

    def pool(self):
        return self.base.pool()

    def evaluate(self, candidate_id, epochs=None):
        r = self.base.evaluate(candidate_id, epochs)
        return Result(r.error * self.scale, 1 - r.error * self.scale, r.exec_time, r.epochs, r.best_epoch)

    def default_goal(self):
        return None


def hedge_probabilities(tmp_path, scale):
    bench = ScaledBenchmark(small_benchmark(tmp_path), scale)
    conf = parse_run_conf({"arms": [{"model": "GP", "acq_func": a} for a in ("EI", "PI", "UCB")], "eta": 2.0}, "c")
    strategy = build_div("HEDGE", conf, bench.space, None)
    outcome = replay(bench, strategy, StopCriterion("TIME", 1e12, max_trials=15), seed=3)
    return [t.selection["probabilities"] for t in outcome.trials], [t.candidate for t in outcome.trials]


def test_hedge_probabilities_do_not_depend_on_the_scale_of_the_metric(tmp_path):
    probs, picks = hedge_probabilities(tmp_path, 1.0)
    assert probs[-1] != pytest.approx([1 / 3] * 3)  # the gains did move the probabilities
    for scale in (1e-3, 1e3):
        scaled_probs, scaled_picks = hedge_probabilities(tmp_path, scale)
        assert scaled_picks == picks
        assert np.allclose(scaled_probs, probs, rtol=1e-6, atol=1e-9)


def dummy_arms(k):
    return [Arm(f"A{i}", RandomSearch()) for i in range(k)]


def test_sko_knocks_out_the_worst_arm_and_keeps_two():
    sko = KnockOut(dummy_arms(3), ModelCache({}), KnockOutOptions())
    errors = {0: 0.1, 1: 0.2, 2: 0.5}
    history = History()
    played, alive_after = [], []
    for step in range(100):
        index, record = sko.choose(step, history, None, np.random.default_rng(0), 0.0)
        played.append(index)
        alive_after.append(record["alive"])
        if record["knocked_out"] is not None:
            assert record["knocked_out"] == 2 and step == 30  # worst rank sum, after K * 10 steps
        sko.update(Decision(index, Proposal(0), f"A{index}"), errors[index], history)
    assert played[:6] == [0, 1, 2, 0, 1, 2]
    assert alive_after[29] == [0, 1, 2] and alive_after[30] == [0, 1] and alive_after[-1] == [0, 1]
    assert 2 not in played[30:]
    restored = KnockOut(dummy_arms(3), ModelCache({}), KnockOutOptions())
    restored.set_state(json.loads(json.dumps(sko.get_state())))
    assert restored.get_state() == sko.get_state()


def test_eg_and_gt_epsilon_schedules():
    eg = EpsilonGreedy(dummy_arms(6), ModelCache({}), EpsilonGreedyOptions(init_eps=1.0, decay_factor=5))
    assert [eg.epsilon(s, 0.0) for s in (0, 29, 30, 59, 60, 269, 270, 10_000)] == pytest.approx(
        [1.0, 1.0, 0.9, 0.9, 0.8, 0.2, 0.1, 0.1]
    )
    gt = EpsilonGreedy(dummy_arms(6), ModelCache({}), EpsilonGreedyOptions(time_unit="H"), by_time=True)
    assert [gt.epsilon(0, c) for c in (0.0, 1.0, 3 * 3600, 99 * 3600, 1e9)] == pytest.approx(
        [1.0, 1 / np.sqrt(2), 0.5, 0.1, 0.1]
    )
    assert (
        EpsilonGreedy(dummy_arms(2), ModelCache({}), EpsilonGreedyOptions(time_unit="M"), by_time=True).epsilon(0, 180)
        == 0.5
    )


def test_eg_exploits_the_best_mean_reward():
    eg = EpsilonGreedy(dummy_arms(3), ModelCache({}), EpsilonGreedyOptions(init_eps=0.0))
    history = History()
    for i, error in enumerate([0.5, 0.4, 0.3]):  # each a new best: reward 1 for arms 0, 1, 2 in turn
        eg.update(Decision(i, Proposal(0), f"A{i}"), error, history)
        history.add(i, error, 1.0)
    eg.update(Decision(0, Proposal(0), "A0"), 0.9, history)  # arm 0: the worst so far, reward 0
    assert eg.values == [0.5, 1.0, 1.0]
    choices = [eg.choose(50, history, None, np.random.default_rng(s), 0.0) for s in range(40)]
    for index, record in choices:  # epsilon is at its floor 0.1: explore = the only non-best arm
        assert record["epsilon"] == 0.1
        assert (index == 0) if record["explored"] else (index in (1, 2))
    assert {i for i, _ in choices} == {0, 1, 2}


def test_quantile_reward_is_scale_free():
    earlier = [0.3, 0.2, 0.5, 0.2]
    assert quantile_reward(0.1, earlier) == 1.0
    assert quantile_reward(0.2, earlier) == 0.75  # beats 0.3 and 0.5, ties two (half each)
    assert quantile_reward(0.2 * 1e3, [e * 1e3 for e in earlier]) == 0.75
    assert quantile_reward(0.9, []) == 1.0


def test_a_six_arm_hedge_step_fits_two_models(tmp_path):
    bench = small_benchmark(tmp_path)
    strategy = build_div("HEDGE", RunConf(arms=ORIGINAL_ARMS), bench.space, None)
    assert isinstance(strategy, Hedge) and [a.name for a in strategy.arms] == SIX
    pool, history, rng = bench.pool(), History(), np.random.default_rng(0)
    for step in range(8):
        decision = strategy.propose(step, history, pool, rng, 0.0)
        error = bench.evaluate(int(pool.ids[decision.proposal.position])).error
        strategy.update(decision, error, history)
        history.add(decision.proposal.position, error, 1.0)
        pool.remaining[decision.proposal.position] = False
    # steps 0-1 are random (no fit); steps 2-7 fit GP-HLE and RF-HLE once each, shared by the six arms
    # and by the crediting of the previous nominees
    assert strategy.models.fits == 2 * 6


def test_top_share_reward_counts_errors_in_the_best_share_of_the_earlier():
    earlier = [0.5, 0.2, 0.1, 0.3]  # the 0.25-quantile (lower) is 0.1; the 0.5-quantile 0.2
    assert top_share_reward(0.1, earlier, 0.25) == 1.0
    assert top_share_reward(0.15, earlier, 0.25) == 0.0
    assert top_share_reward(0.15, earlier, 0.5) == 1.0
    assert top_share_reward(0.15e3, [e * 1e3 for e in earlier], 0.5) == 1.0  # scale-free
    assert top_share_reward(0.9, [], 0.1) == 1.0


def test_ts_discounts_the_evidence_of_every_arm_and_credits_the_played_one():
    ts = ThompsonSampling(dummy_arms(2), ModelCache({}), ThompsonOptions(top_share=0.5, ts_discount=0.5))
    history = History([0, 1], [0.5, 0.3], [1.0, 1.0])
    ts.update(Decision(0, Proposal(2), "A0"), 0.1, history)  # 0.1 <= 0.3: a success of arm 0
    history.add(2, 0.1, 1.0)
    ts.update(Decision(1, Proposal(3), "A1"), 0.9, history)  # a failure of arm 1
    assert ts.successes == [0.5, 0.0] and ts.failures == [0.0, 1.0]
    assert ts.values == [1.5 / 2.5, 1.0 / 3.0]
    assert ts.counts == [1, 1]
    restored = ThompsonSampling(dummy_arms(2), ModelCache({}), ThompsonOptions())
    restored.set_state(json.loads(json.dumps(ts.get_state())))
    assert restored.get_state() == ts.get_state()


def test_ts_plays_each_arm_once_then_the_largest_draw(cli, small_bench, tmp_path):
    args = [str(small_bench), "1", "-m", "DIV", "-s", "TS", "-et", "1w", "--max-trials", "16", "--seed", "2"]
    assert cli(*args).code == 0
    rep = trace(tmp_path, "DIV-TS(1).json")
    assert rep["select_trace"][:7] == SEVEN
    for step, (played, record) in enumerate(zip(rep["select_trace"], rep["selection"], strict=True)):
        assert record["strategy"] == "TS" and record["arms"] == SEVEN and len(record["draws"]) == 7
        if step >= 7:
            assert SEVEN.index(played) == int(np.argmax(record["draws"]))
        # the posteriors hold the discounted evidence of the trials before: sum 0.99^k, k = 1..step
        evidence = sum(a + b - 2.0 for a, b in zip(record["alpha"], record["beta"], strict=True))
        assert evidence == pytest.approx(sum(0.99**k for k in range(step)))
    assert cli(*args, "--results", str(tmp_path / "again")).code == 0
    again = json.loads((tmp_path / "again" / "small" / "T604800S" / "DIV-TS(1).json").read_text())["0"]
    assert again == rep


def test_ts_options_are_checked(cli, small_bench, tmp_path):
    conf = tmp_path / "ts.yaml"
    conf.write_text("ts_discount: 2\n")
    result = cli(str(small_bench), "1", "-m", "DIV", "-s", "TS", "-c", str(conf))
    assert result.code == 2
    assert result.err.strip() == f"error: {conf}: ts_discount: expected a number in (0, 1], got 2"
