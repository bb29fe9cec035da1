"""Every early-termination rule decides on hand-made curves as computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_mab.backends.base import Report, Ticket, Verdict
from hpo_mab.engine.loop import rule_seeds
from hpo_mab.stopping.catalog import RULES
from hpo_mab.stopping.halving import rungs
from hpo_mab.stopping.options import (
    AdaptiveMedianOptions,
    CurveNNOptions,
    HalvingOptions,
    IntervalOptions,
    MedianOptions,
    PercentileOptions,
    TercetOptions,
)
from hpo_mab.store.records import Trial


def stored(candidate: int, curve, etr=None, resumed_from=0) -> Trial:
    """A stored trial with this curve of accuracies."""
    return Trial(
        0, candidate, candidate, {}, 1 - max(curve), max(curve), 1.0, 0.0, 0.0, 0.0, len(curve), 1, "A",
        early_terminated=bool(etr and etr.get("verdict")), etr=etr or {}, resumed_from=resumed_from,
        curve=tuple(curve),
    )  # fmt: skip


def report(candidate: int, curve, epoch: int | None = None, etr=None, resume_from=0) -> Report:
    epoch = len(curve) if epoch is None else epoch
    ticket = Ticket(candidate, candidate, 0, 0.0, {}, etr=dict(etr or {}), resume_from=resume_from)
    return Report(ticket, epoch, tuple(curve[:epoch]), 0.0)


def make(name: str, max_epoch: int, options):
    return RULES[name].factory(name, max_epoch, options, rule_seeds(1, 0))


# ten earlier curves of 10 epochs: curve i rises linearly to 0.5 + 0.04 i
EARLIER = [np.linspace(0.1, 0.5 + 0.04 * i, 10) for i in range(10)]


def test_tercet_drops_the_bottom_beta_at_half_and_keeps_the_top_beta_near_the_end():
    rule = make("DecaTercet", 10, TercetOptions(min_curves=5))
    assert rule.plan(Ticket(0, 0, 0, 0.0, {}))[0] == (5, 9)
    for i, curve in enumerate(EARLIER):
        rule.observe(stored(i, curve))
    at5 = np.array([c[4] for c in EARLIER])
    threshold = np.percentile(at5, 10)  # bottom 10 % dropped at floor(E/2)
    slightly_below = [*list(EARLIER[0][:4]), threshold - 1e-09]
    verdict, record = rule.decide(report(99, slightly_below))
    assert verdict is Verdict.STOP and record["threshold"] == pytest.approx(threshold)
    assert rule.decide(report(99, [*list(EARLIER[0][:4]), threshold + 1e-09]))[0] is Verdict.CONTINUE
    at9 = np.array([c[8] for c in EARLIER])
    top = np.percentile(at9, 90)  # only the top 10 % train to the end
    verdict, record = rule.decide(report(99, [*list(EARLIER[9][:8]), top - 1e-09]))
    assert verdict is Verdict.STOP and record["checkpoint"] == 9 and record["percentile"] == pytest.approx(90)
    assert rule.decide(report(99, [*list(EARLIER[9][:8]), top + 1e-09]))[0] is Verdict.CONTINUE


def test_tercet_stops_nothing_before_min_curves_and_compares_best_so_far():
    rule = make("PentaTercet", 10, TercetOptions(min_curves=5))
    assert rule.plan(Ticket(0, 0, 0, 0.0, {}))[0] == (5, 8)
    for i in range(4):
        rule.observe(stored(i, EARLIER[i]))
    verdict, record = rule.decide(report(99, [0.0] * 5))
    assert verdict is Verdict.CONTINUE and record["threshold"] is None
    rule.observe(stored(4, EARLIER[4]))
    # the statistic is the best so far: a dip at the checkpoint does not stop a good curve
    curve = [0.1, 0.2, 0.3, 0.9, 0.05]
    verdict, record = rule.decide(report(99, curve))
    assert verdict is Verdict.CONTINUE and record["statistic"] == 0.9


def test_median_and_percentile_compare_with_the_earlier_curves_at_the_same_epoch():
    median = make("Median", 12, MedianOptions(min_curves=3))
    assert median.plan(Ticket(0, 0, 0, 0.0, {}))[0] == tuple(range(3, 12))  # warm-up: a quarter of the epochs
    for i, curve in enumerate([[0.2] * 12, [0.4] * 12, [0.6] * 12]):
        median.observe(stored(i, curve))
    assert median.decide(report(9, [0.39] * 4))[0] is Verdict.STOP
    assert median.decide(report(9, [0.41] * 4))[0] is Verdict.CONTINUE
    low = make("Percentile", 12, PercentileOptions(percentile=25, warmup_epochs=2, min_curves=3, interval=2))
    assert low.plan(Ticket(0, 0, 0, 0.0, {}))[0] == (2, 4, 6, 8, 10)
    for i, curve in enumerate([[0.2] * 12, [0.4] * 12, [0.6] * 12]):
        low.observe(stored(i, curve))
    verdict, record = low.decide(report(9, [0.29] * 4))  # 25th percentile of 0.2, 0.4, 0.6 = 0.3
    assert verdict is Verdict.STOP and record["threshold"] == pytest.approx(0.3)
    assert low.decide(report(9, [0.31] * 4))[0] is Verdict.CONTINUE


def test_a_stopped_curve_counts_up_to_its_stop_epoch_only():
    rule = make("Median", 10, MedianOptions(warmup_epochs=2, min_curves=2))
    rule.observe(stored(0, [0.5] * 10))
    rule.observe(stored(1, [0.3] * 3, etr={"verdict": "stop"}))
    assert list(rule.memory.at(3)) == [0.5, 0.3] and list(rule.memory.at(4)) == [0.5]


def test_adaptive_median_starts_where_the_runs_best_complete_curves_were_never_below_the_median():
    options = AdaptiveMedianOptions(warmup_epochs=4, min_curves=3, min_complete=3, top_share=0.34)
    rule = make("AdaptiveMedian", 6, options)
    assert rule.plan(Ticket(0, 0, 0, 0.0, {}))[0] == (1, 2, 3, 4, 5)  # every epoch: the start moves
    rule.observe(stored(0, [0.2] * 6))
    rule.observe(stored(1, [0.4] * 6))
    # two complete curves of the three needed: Median's warm-up (epoch 4) holds
    verdict, record = rule.decide(report(9, [0.1] * 3))
    assert verdict is Verdict.CONTINUE and record["start"] == 4 and record["threshold"] is None
    # the best third of the finals (0.2, 0.4, 0.9: above their 66th percentile, 0.56) is curve 2 alone
    rule.observe(stored(2, [0.1, 0.6, 0.6, 0.6, 0.6, 0.9]))
    # at epochs 2 and 3 it was above the median of the stored curves (0.4), at epoch 1 below it
    # (0.1 < median of 0.2, 0.4, 0.1 = 0.2): the checks start at epoch 2
    assert rule.start() == 2
    assert rule.decide(report(9, [0.05]))[0] is Verdict.CONTINUE
    verdict, record = rule.decide(report(9, [0.35, 0.35]))
    assert verdict is Verdict.STOP and record["threshold"] == pytest.approx(0.4) and record["start"] == 2
    assert rule.decide(report(9, [0.45, 0.45]))[0] is Verdict.CONTINUE
    # a new best curve that was below the median at epoch 3 (0.1 < 0.3) moves the start back to the warm-up
    rule.observe(stored(3, [0.1, 0.1, 0.1, 0.1, 0.95, 0.95]))
    assert rule.start() == 4
    assert rule.decide(report(9, [0.05, 0.05]))[0] is Verdict.CONTINUE


def test_adaptive_median_with_a_warm_up_past_the_last_epoch_learns_its_start_below_it():
    rule = make("AdaptiveMedian", 4, AdaptiveMedianOptions(warmup_epochs=9, min_curves=2, min_complete=2))
    assert rule.start() == 9  # no complete curve yet: nothing is checked, as Median with that warm-up
    for i in range(3):
        rule.observe(stored(i, [0.2 + 0.2 * i] * 4))
    assert rule.start() == 1  # the best curve was above the median at epochs 1..3
    assert rule.decide(report(9, [0.3]))[0] is Verdict.STOP


def test_adaptive_median_without_enough_earlier_curves_at_an_epoch_stops_nothing_there():
    rule = make("AdaptiveMedian", 6, AdaptiveMedianOptions(warmup_epochs=4, min_curves=5, min_complete=1))
    for i in range(4):
        rule.observe(stored(i, [0.5 + 0.1 * i] * 6))
    assert rule.start() == 4  # four curves at every early epoch, five needed
    verdict, record = rule.decide(report(9, [0.1] * 4))
    assert verdict is Verdict.CONTINUE and record["curves"] == 4 and record["threshold"] is None


def test_interval_stops_chance_level_curves():
    rule = make("Interval", 10, IntervalOptions())
    assert rule.plan(Ticket(0, 0, 0, 0.0, {}))[0] == tuple(range(1, 10))
    verdict, record = rule.decide(report(0, [0.11]))
    assert verdict is Verdict.STOP and record["threshold"] == [0.0, 0.2]
    assert rule.decide(report(0, [0.2]))[0] is Verdict.CONTINUE
    assert rule.decide(report(0, [0.0]))[0] is Verdict.CONTINUE  # the bounds are exclusive
    assert isinstance(record["statistic"], float)


def test_asha_rungs_and_the_top_third_rule():
    assert rungs(1, 3, 30) == (1, 3, 9, 27) and rungs(2, 2, 20) == (2, 4, 8, 16) and rungs(1, 3, 1) == ()
    rule = make("ASHA", 30, HalvingOptions())
    assert rule.plan(Ticket(0, 0, 0, 0.0, {}))[0] == (1, 3, 9, 27)
    decisions = []
    for candidate, value in enumerate([0.5, 0.4, 0.6, 0.3, 0.55]):
        verdict, record = rule.decide(report(candidate, [value]))
        decisions.append((verdict, record["threshold"]))
    # thresholds: the 2/3 quantile of the values recorded so far, the trial's own included
    expected = [np.quantile([0.5], 2 / 3), np.quantile([0.5, 0.4], 2 / 3), np.quantile([0.5, 0.4, 0.6], 2 / 3),
                np.quantile([0.5, 0.4, 0.6, 0.3], 2 / 3), np.quantile([0.5, 0.4, 0.6, 0.3, 0.55], 2 / 3)]  # fmt: skip
    assert [d[1] for d in decisions] == pytest.approx(expected)
    # 0.55 >= 0.5333 (the 2/3 quantile of the five): it goes on
    assert [d[0] for d in decisions] == [
        Verdict.CONTINUE,
        Verdict.STOP,
        Verdict.CONTINUE,
        Verdict.STOP,
        Verdict.CONTINUE,
    ]


def test_asha_promote_pauses_at_rungs_and_promotes_the_top_third():
    rule = make("ASHA-PROMOTE", 30, HalvingOptions())
    plan, record = rule.plan(Ticket(7, 7, 0, 0.0, {}))
    assert plan == (1,) and record == {"rule": "ASHA-PROMOTE", "bracket": 0}
    for candidate, value in enumerate([0.5, 0.7, 0.6]):
        assert rule.promotion() is None  # floor(n/3) = 0 below three trials
        verdict, rec = rule.decide(report(candidate, [value], etr={"bracket": 0}))
        assert verdict is Verdict.PAUSE
        rule.observe(stored(candidate, [value], etr={"bracket": 0, **rec, "verdict": "pause"}))
    promotion = rule.promotion()  # floor(3 / 3) = 1: the best of the three goes on
    assert (promotion.candidate, promotion.from_epoch) == (1, 1)
    plan, _ = rule.plan(Ticket(1, 1, 0, 0.0, {}, resume_from=1, etr=dict(promotion.record)))
    assert plan == (3,) and rule.promotion() is None  # in flight: not promoted twice
    rule.observe(stored(1, [0.7, 0.72, 0.75], etr={"bracket": 0, "verdict": "pause"}, resumed_from=1))
    assert rule.promotion() is None  # rung 3 has one trial: floor(1/3) = 0


def test_hyperband_brackets_and_weights():
    rule = make("Hyperband", 27, HalvingOptions())
    assert rule.brackets == [(), (9,), (3, 9), (1, 3, 9)]
    weights = np.array([4 / (s + 1) * 3**s for s in range(4)])
    assert rule.weights == pytest.approx(weights / weights.sum())
    counts = np.zeros(4)
    for candidate in range(400):
        _, record = rule.plan(Ticket(candidate, candidate, 0, 0.0, {}))
        counts[record["bracket"]] += 1
    assert np.argmax(counts) == 3 and counts[0] < counts[1] < counts[2]
    state = rule.get_state()
    again = make("Hyperband", 27, HalvingOptions())
    again.restore([], state)
    draws = [again.plan(Ticket(c, c, 0, 0.0, {}))[1]["bracket"] for c in range(20)]
    assert draws == [rule.plan(Ticket(c, c, 0, 0.0, {}))[1]["bracket"] for c in range(20)]


def test_curve_nn_extrapolates_with_the_gains_of_the_nearest_complete_curves():
    rule = make("CurveNN", 10, CurveNNOptions(min_curves=3, neighbours=2, checkpoints=1))
    assert rule.plan(Ticket(0, 0, 0, 0.0, {}))[0] == (5,)
    flat = [0.5] * 10  # gains nothing after epoch 5
    late = [0.1] * 5 + [0.95] * 5  # a late bloomer: +0.85 after epoch 5
    steady = list(np.linspace(0.5, 0.9, 10))
    for i, curve in enumerate([flat, late, steady]):
        rule.observe(stored(i, curve))
    incumbent = 0.95
    # a prefix like the flat curve: its nearest are flat (gain 0) and steady (gain 0.9 - best(5))
    prefix = [0.5] * 5
    verdict, record = rule.decide(report(9, prefix + [0.5] * 5, epoch=5))
    steady_gain = steady[-1] - steady[4]
    assert record["statistic"] == pytest.approx(0.5 + steady_gain) and record["threshold"] == incumbent
    assert verdict is Verdict.STOP
    # a prefix like the late bloomer is optimistic enough to go on
    assert rule.decide(report(9, [0.1] * 5, epoch=5))[0] is Verdict.CONTINUE
    rule2 = make("CurveNN", 10, CurveNNOptions(min_curves=4))
    for i, curve in enumerate([flat, late, steady]):
        rule2.observe(stored(i, curve))
    assert rule2.decide(report(9, [0.0] * 5, epoch=5))[0] is Verdict.CONTINUE  # too few complete curves


def test_a_rung_ranks_its_values_best_first_then_by_candidate_and_replaces_a_value():
    from hpo_mab.stopping.halving import RankedRung

    rung = RankedRung()
    for candidate, value in [(5, 0.7), (2, 0.9), (9, 0.7), (1, 0.5), (4, 0.95)]:
        rung.record(candidate, value)
    assert list(rung.best(10)) == [4, 2, 5, 9, 1]  # the order of sorted(..., key=(-value, candidate))
    rung.record(4, 0.1)  # a replaced value moves
    rung.record(5, 0.7)  # the same value: nothing moves
    assert list(rung.best(3)) == [2, 5, 9]
    assert list(rung.best(10)) == [2, 5, 9, 1, 4] and len(rung) == 5
