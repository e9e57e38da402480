"""The corrected resampled t-test, on constructed fold scores."""

import math

import pytest
from scipy import stats

from workbench.paired import ALPHA, corrected_ttest

BASE = [0.80, 0.82, 0.81, 0.79, 0.83, 0.80, 0.82, 0.81, 0.79, 0.83]


def shifted(diffs: list[float]) -> list[float]:
    """The first len(diffs) base scores, each moved by its difference."""
    return [a + d for a, d in zip(BASE, diffs, strict=False)]


def test_matches_the_formula_of_nadeau_and_bengio():
    diffs = [0.02, -0.01, 0.015, 0.0, 0.03]
    a = BASE[:5]
    result = corrected_ttest(a, shifted(diffs), test_train_ratio=0.25)
    n = 5
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    t = mean / math.sqrt((1 / n + 0.25) * var)
    assert result.n == n
    assert result.mean_diff == pytest.approx(mean)
    assert result.std_diff == pytest.approx(math.sqrt(var))
    assert result.t == pytest.approx(t)
    assert result.p == pytest.approx(2 * stats.t.sf(abs(t), n - 1))
    assert (result.wins, result.ties) == (3, 1)


def test_a_difference_the_ordinary_paired_t_test_calls_real_is_noise_once_corrected():
    # 10-fold CV: every two folds share 8/9 of their training rows
    diffs = [0.02, -0.005, 0.01, 0.025, 0.0, 0.015, -0.002, 0.02, 0.005, 0.012]
    a, b = BASE, shifted(diffs)
    ordinary = stats.ttest_rel(b, a)
    assert ordinary.pvalue < ALPHA  # the naive test would call B better

    corrected = corrected_ttest(a, b, test_train_ratio=1 / 9)
    assert corrected.judged and not corrected.significant
    assert corrected.p > ALPHA > ordinary.pvalue
    assert abs(corrected.t) < abs(ordinary.statistic)


def test_a_large_consistent_difference_is_beyond_the_noise():
    diffs = [0.03, 0.025, 0.035, 0.03, 0.028, 0.033, 0.027, 0.031, 0.029, 0.032]
    result = corrected_ttest(BASE, shifted(diffs), test_train_ratio=1 / 9)
    assert result.significant and result.p < 0.001
    assert result.wins == 10


def test_wins_follow_the_metric_direction():
    diffs = [-0.1, -0.2, 0.05, -0.15]  # lower is better (e.g. rmse): B wins where d < 0
    result = corrected_ttest(
        BASE[:4], shifted(diffs), test_train_ratio=0.25, greater_is_better=False
    )
    assert result.wins == 3
    assert result.mean_diff == pytest.approx(-0.1)


def test_a_single_fold_pair_cannot_be_judged():
    result = corrected_ttest([0.8], [0.9], test_train_ratio=0.25)
    assert not result.judged and not result.significant
    assert result.t is None and result.p is None
    assert "single fold" in result.reason
    assert result.mean_diff == pytest.approx(0.1) and result.wins == 1


@pytest.mark.parametrize(
    ("diffs", "reason"),
    [
        ([0.0] * 5, "score the same on every fold"),
        ([0.01] * 5, "the same on every fold: no spread"),
    ],
)
def test_zero_variance_cannot_be_judged(diffs, reason):
    result = corrected_ttest(BASE[:5], shifted(diffs), test_train_ratio=0.25)
    assert not result.judged
    assert reason in result.reason


def test_no_folds_and_bad_input():
    assert corrected_ttest([], [], test_train_ratio=0.25).reason == "no folds to compare"
    with pytest.raises(ValueError, match="pair up"):
        corrected_ttest([0.8, 0.7], [0.8], test_train_ratio=0.25)
    with pytest.raises(ValueError, match="test_train_ratio"):
        corrected_ttest([0.8, 0.7], [0.8, 0.9], test_train_ratio=0)
