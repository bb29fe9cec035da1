"""What early termination saved and wrongly stopped (``reporting.stops``), on a hand-made table and run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hpo_mab.reporting.stops import STOP_COLUMNS, stop_table, time_to_goal_test

EPOCHS = 4
BEST = 0.5 + 0.01 * np.arange(12)  # candidate i's best accuracy over its full curve; the top 10 are 2..11
FULL_SECONDS = np.full(12, 40.0)  # 10 s per epoch


def truth(benchmark: str):
    """(best accuracy of each full curve, its full training seconds, epochs) of the hand-made table."""
    return BEST, FULL_SECONDS, EPOCHS


def run(strategy: str, trials: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stop rows and tidy trials of one repetition: ``(candidate, clock, exec_time, epochs, error)`` per trial."""
    rows = [
        (strategy, "b", 0, i, c, clock, sec, ep, ep < EPOCHS, None) for i, (c, clock, sec, ep, _) in enumerate(trials)
    ]
    tidy = [(strategy, "b", 0, i, clock, err) for i, (_, clock, _, _, err) in enumerate(trials)]
    return (
        pd.DataFrame(rows, columns=STOP_COLUMNS),
        pd.DataFrame(tidy, columns=["strategy", "benchmark", "rep", "trial", "clock", "error"]),
    )


def test_stops_before_and_after_the_goal_are_counted_apart():
    # the goal is accuracy 0.6 (error 0.4): only candidates 10 and 11 would reach it
    rows, tidy = run(
        "S",
        [
            (11, 10.0, 10.0, 1, 0.45),  # stopped after 1 epoch, before the goal: a false stop that cost the goal
            (10, 50.0, 40.0, 4, 0.40),  # trained fully: reaches the goal at clock 50
            (5, 70.0, 20.0, 2, 0.50),  # a top-10 candidate stopped after the goal
            (0, 80.0, 10.0, 1, 0.60),  # stopped, neither top-10 nor able to reach the goal
        ],
    )
    table = stop_table(rows, tidy, {"b": 0.4}, truth).iloc[0]
    assert table.median_time_to_goal == 50.0
    assert table.success_rate == 1.0
    assert table.stopped == 3
    assert (table.false_stops, table.false_stop_rate) == (1, 0.5)  # candidate 11 of {10, 11}
    assert (table.false_stops_before_goal, table.false_stop_rate_before_goal) == (1, 0.5)
    assert (table.top10_stops, table.top10_stop_rate) == (2, pytest.approx(2 / 3))  # 11 and 5 of {11, 10, 5}
    assert (table.top10_stops_before_goal, table.top10_stop_rate_before_goal) == (1, pytest.approx(1 / 3))
    assert table.time_saved == pytest.approx(1 - 80.0 / 160.0)


def test_a_repetition_that_never_reaches_the_goal_counts_every_stop_as_before_it():
    rows, tidy = run("S", [(11, 10.0, 10.0, 1, 0.45), (5, 30.0, 20.0, 2, 0.5)])
    table = stop_table(rows, tidy, {"b": 0.4}, truth).iloc[0]
    assert table.success_rate == 0.0 and np.isinf(table.median_time_to_goal)
    assert table.top10_stops_before_goal == table.top10_stops == 2


def test_a_promoted_candidate_is_judged_by_its_last_trial():
    # candidate 11 paused after 1 epoch, resumed to the end: not a stop; it reaches the goal at clock 40
    rows, tidy = run("S", [(11, 10.0, 10.0, 1, 0.45), (3, 20.0, 10.0, 1, 0.6), (11, 40.0, 30.0, 4, 0.39)])
    table = stop_table(rows, tidy, {"b": 0.4}, truth).iloc[0]
    assert (table.stopped, table.false_stops, table.top10_stops, table.top10_stops_before_goal) == (1, 0, 1, 1)
    assert table.time_saved == pytest.approx(1 - 50.0 / 80.0)


def test_time_to_goal_test_counts_a_miss_as_twice_the_budget():
    _, fast = run("A", [(10, 20.0, 40.0, 4, 0.4)])
    _, never = run("B", [(0, 20.0, 40.0, 4, 0.5)])
    both = pd.concat([fast, never], ignore_index=True)
    ratio, p = time_to_goal_test(both, 0.4, "A", "B", budget=100.0)
    assert ratio == pytest.approx(20.0 / 200.0)
    assert np.isnan(p)  # one repetition: no test


def test_a_benchmark_without_a_goal_has_no_time_to_goal_and_counts_no_false_stop():
    rows, tidy = run("S", [(11, 10.0, 10.0, 1, 0.45), (10, 50.0, 40.0, 4, 0.40)])
    table = stop_table(rows, tidy, {}, truth).iloc[0]
    assert table.reps == 0 and np.isnan(table.median_time_to_goal)
    assert (table.false_stops, table.top10_stops, table.top10_stops_before_goal) == (0, 1, 1)
