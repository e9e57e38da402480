"""The words of the leaderboard page about CV vs public score, on constructed points."""

from quick_runs import indexed_row

from workbench.leaderboard import Leaderboard
from workbench.leaderboard_page import Point, correlations, judgement, summary


def _board(n_other_metric_submitted: int = 0) -> Leaderboard:
    others = [
        indexed_row(f"x{i}", "roc_auc", 0.9, public=0.8) for i in range(n_other_metric_submitted)
    ]
    return Leaderboard("c", "accuracy", True, "cv", others)


def test_too_few_points_are_said_to_be_too_few():
    assert summary([]) == "no run has a public score yet"
    one = [Point(1, 0.8, 0.01, 0.78)]
    assert summary(one) == "only 1 submitted run: too few to judge (≥ 3)"
    assert correlations(one) is None
    assert "Only 1 submitted run with a public score: not enough to judge" in judgement(
        _board(), one
    )


def test_correlations_from_three_points():
    found = [Point(1, 0.85, 0.01, 0.80), Point(2, 0.83, 0.01, 0.79), Point(3, 0.80, 0.01, 0.70)]
    pearson, spearman = correlations(found)
    assert spearman == 1.0 and 0.9 < pearson <= 1.0
    assert summary(found) == f"Pearson r = {pearson:.2f}, Spearman ρ = 1.00 over 3 submitted runs"
    assert "the CV ranks the runs much as the public leaderboard does" in judgement(_board(), found)
    reversed_ = [Point(p.rank, p.cv_mean, p.cv_std, -p.public) for p in found]
    assert "does not rank the runs as the public leaderboard does" in judgement(_board(), reversed_)


def test_equal_scores_have_no_correlation():
    found = [Point(i, 0.8, 0.01, 0.7 + i / 100) for i in range(1, 4)]  # every CV the same
    assert summary(found) == "3 submitted runs, but their CV or public scores are all equal"
    assert "no correlation can be computed" in judgement(_board(), found)


def test_submitted_runs_of_another_metric_are_counted_out():
    text = judgement(_board(n_other_metric_submitted=2), [])
    assert "(2 submitted runs scored with another metric in CV not plotted.)" in text
