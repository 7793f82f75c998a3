"""Results over seeds: the IQM is rliable's (the middle half), its bootstrap interval is reproducible and sane."""
import math

import numpy as np
import pytest

from utils.course.over_seeds import describe, iqm, summary


def test_iqm_is_the_mean_of_the_middle_half():
    assert iqm([0.7, 1.5, 16.0, 18.0, 20.6]) == pytest.approx((1.5 + 16.0 + 18.0) / 3)  # 5 runs: the middle 3
    assert iqm([4, 1, 3, 2]) == pytest.approx(2.5)  # 4 runs: the middle 2
    assert iqm(list(range(8))) == pytest.approx(np.mean([2, 3, 4, 5]))


def test_one_failed_seed_moves_the_mean_not_the_iqm():
    walking = [20.0, 19.0, 21.0, 20.5, 19.5]
    one_fell = walking[:-1] + [0.7]
    assert summary(one_fell)["mean"] < summary(walking)["mean"] - 3
    assert summary(one_fell)["iqm"] == pytest.approx(summary(walking)["iqm"], abs=0.6)


def test_interval_holds_the_iqm_is_reproducible_and_narrows_with_agreement():
    spread = summary([0.7, 1.5, 16.0, 18.0, 20.6], seed=1)
    assert spread["iqm_low"] <= spread["iqm"] <= spread["iqm_high"]
    assert summary([0.7, 1.5, 16.0, 18.0, 20.6], seed=1) == spread
    close = summary([19.8, 20.0, 20.1, 20.3, 20.6], seed=1)
    assert close["iqm_high"] - close["iqm_low"] < (spread["iqm_high"] - spread["iqm_low"]) / 10
    assert spread["std"] == pytest.approx(np.std([0.7, 1.5, 16.0, 18.0, 20.6]))  # population std, as SB3's


def test_degenerate_inputs():
    one = summary([12.0])
    assert one["iqm"] == 12.0 and math.isnan(one["iqm_low"]) and "no interval from one seed" in describe(one)
    same = summary([3.0, 3.0, 3.0])
    assert same["iqm_low"] == same["iqm_high"] == 3.0
    with pytest.raises(ValueError, match="non-empty"):
        summary([])


def test_describe_reads_as_one_line():
    text = describe(summary([0.7, 1.5, 16.0, 18.0, 20.6]), unit=" m")
    assert text.startswith("IQM 11.8 m [95 % CI ") and text.endswith("over 5 seeds") and "\n" not in text


def test_a_seed_walks_far_without_falling():
    from utils.walkers.scoring import walks

    assert walks({"mean_distance": 20.6, "falls": 0, "episodes": 10})
    assert walks({"mean_distance": 15.0, "falls": 1, "episodes": 10})
    assert not walks({"mean_distance": 19.8, "falls": 8, "episodes": 10})  # far, but falling: the shipped seed 1
    assert not walks({"mean_distance": 14.9, "falls": 0, "episodes": 10})
    assert not walks({"mean_distance": 30.0, "falls": 1, "episodes": 5})  # 1 in 5 is more than 1 in 10
