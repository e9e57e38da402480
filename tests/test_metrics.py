import numpy as np
import pytest
from sklearn.datasets import make_classification

from workbench.errors import UserError
from workbench.metrics import (
    METRICS,
    best_threshold,
    get_metric,
    log_values,
    score,
    score_blocks,
    threshold_curve,
)

Y_BIN = np.array([0, 0, 1, 1])
P_BIN = np.array([0.1, 0.6, 0.4, 0.9])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accuracy", 0.5),  # labels 0,1,0,1
        ("f1", 0.5),  # tp=1 fp=1 fn=1
        ("f1_macro", 0.5),
        ("roc_auc", 0.75),  # 3 of 4 positive/negative pairs ordered
        ("log_loss", -np.mean(np.log([0.9, 0.4, 0.4, 0.9]))),
    ],
)
def test_binary_metrics_hand_checked(name, expected):
    assert score(get_metric(name, "binary"), Y_BIN, P_BIN, task="binary") == pytest.approx(expected)


def test_threshold_changes_label_metrics():
    metric = get_metric("accuracy", "binary")
    assert score(metric, Y_BIN, P_BIN, task="binary", threshold=0.3) == pytest.approx(0.75)


def test_multiclass_metrics():
    y = np.array([0, 1, 2, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    assert score(get_metric("accuracy", "multiclass"), y, p, task="multiclass") == 0.75
    expected = -np.mean(np.log([0.8, 0.7, 0.7, 0.1]))
    assert score(get_metric("log_loss", "multiclass"), y, p, task="multiclass") == pytest.approx(
        expected
    )
    auc = score(get_metric("roc_auc", "multiclass"), y, p, task="multiclass")
    assert 0.5 < auc < 1.0
    f1 = score(get_metric("f1_macro", "multiclass"), y, p, task="multiclass")
    assert f1 == pytest.approx((1 / (1 + 0.5 * 1) + 1 + 1 / (1 + 0.5)) / 3)


def test_multiclass_log_loss_with_absent_class():
    # class 2 never occurs in y_true, but the predictions have 3 columns
    y = np.array([0, 1])
    p = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]])
    metric = get_metric("log_loss", "multiclass")
    assert score(metric, y, p, task="multiclass") == pytest.approx(np.log(2))


def test_regression_metrics():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.0, 2.0, 3.0, 6.0])
    assert score(get_metric("rmse", "regression"), y, p, task="regression") == pytest.approx(1.0)
    assert score(get_metric("mae", "regression"), y, p, task="regression") == pytest.approx(0.5)
    assert score(get_metric("r2", "regression"), y, p, task="regression") == pytest.approx(
        1 - 4 / 5
    )


def test_rmse_log_known_values_and_alias():
    metric = get_metric("rmsle", "regression")
    assert metric is METRICS["rmse_log"]
    y = np.array([1.0, np.e])
    p = np.array([np.e, np.e])  # log errors 1 and 0
    assert score(metric, y, p, task="regression") == pytest.approx(np.sqrt(0.5))
    # non-positive predictions are clipped, not an error
    assert np.isfinite(score(metric, y, np.array([-1.0, 0.0]), task="regression"))


def test_rmse_log_rejects_non_positive_targets():
    with pytest.raises(UserError, match="positive targets"):
        score(get_metric("rmse_log", "regression"), [0.0, 1.0], [1.0, 1.0], task="regression")


def test_unknown_metric_did_you_mean():
    with pytest.raises(UserError) as err:
        get_metric("acurracy", "binary")
    assert "accuracy" in err.value.hint


def test_metric_for_wrong_task():
    with pytest.raises(UserError, match="regression"):
        get_metric("rmse", "binary")
    with pytest.raises(UserError):
        get_metric("f1", "multiclass")


@pytest.mark.parametrize("name", ["accuracy", "f1", "f1_macro"])
def test_best_threshold_matches_brute_force(name):
    _, y = make_classification(500, 5, weights=[0.8], flip_y=0.1, random_state=0)
    rng = np.random.default_rng(0)
    proba = np.clip(0.3 * y + rng.uniform(0, 0.7, len(y)), 0, 1).round(3)
    metric = get_metric(name, "binary")
    t, best = best_threshold(metric, y, proba)
    assert best >= score(metric, y, proba, task="binary") - 1e-12
    assert score(metric, y, proba, task="binary", threshold=t) == pytest.approx(best)
    grid = [score(metric, y, proba, task="binary", threshold=c) for c in np.unique(proba)]
    assert best == pytest.approx(max(grid))


def test_best_threshold_rejects_probability_metric():
    with pytest.raises(ValueError):
        best_threshold(get_metric("roc_auc", "binary"), Y_BIN, P_BIN)


@pytest.mark.parametrize("name", ["accuracy", "f1"])
def test_best_threshold_on_many_rows_never_scores_threshold_by_threshold(name, monkeypatch):
    """Accuracy and F1 come from confusion counts at every distinct probability at once."""
    import workbench.metrics as metrics_module

    def no_per_threshold_scoring(*args, **kwargs):
        raise AssertionError("scored one threshold at a time")

    monkeypatch.setattr(metrics_module, "score", no_per_threshold_scoring)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200_000)
    proba = np.clip(0.2 * y + rng.uniform(size=len(y)), 0, 1)
    threshold, best = best_threshold(get_metric(name, "binary"), y, proba)
    at_half = threshold_curve(get_metric(name, "binary"), y, proba, np.array([0.5]))[0]
    assert best >= at_half and 0 < threshold < 1


@pytest.mark.parametrize("name", ["accuracy", "f1", "f1_macro"])
def test_threshold_curve_matches_score_at_each_threshold(name):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    proba = np.round(np.clip(0.3 * y + 0.7 * rng.random(300), 0, 1), 2)  # ties on purpose
    thresholds = np.r_[0.0, np.linspace(0.01, 0.99, 99), 1.0, 1.5]
    metric = get_metric(name, "binary")
    curve = threshold_curve(metric, y, proba, thresholds)
    expected = [score(metric, y, proba, task="binary", threshold=t) for t in thresholds]
    np.testing.assert_allclose(curve, expected)


def test_threshold_curve_rejects_probability_metric():
    with pytest.raises(ValueError, match="binary label metric"):
        threshold_curve(get_metric("roc_auc", "binary"), [0, 1], [0.2, 0.8], [0.5])


def test_log_values_is_what_rmse_log_compares():
    y, pred = np.array([10.0, 100.0]), np.array([20.0, -5.0])
    expected = np.sqrt(np.mean((log_values(pred) - np.log(y)) ** 2))
    assert get_metric("rmse_log", "regression").func(y, pred) == pytest.approx(expected)
    assert log_values(np.array([-1.0]))[0] == pytest.approx(np.log(1e-15))


def _blocks_for(task, rng):
    n = 60
    if task == "binary":
        y = rng.integers(0, 2, n)
        return y, rng.random((7, n))
    if task == "multiclass":
        y = rng.integers(0, 3, n)
        raw = rng.random((7, n, 3))
        return y, raw / raw.sum(axis=2, keepdims=True)
    y = rng.lognormal(size=n)
    return y, y * rng.lognormal(sigma=0.3, size=(7, n))


@pytest.mark.parametrize(
    ("task", "name"),
    [(task, name) for name, m in METRICS.items() for task in sorted(m.tasks)],
)
def test_score_blocks_equals_score_block_by_block(task, name):
    """The vectorised fast paths (accuracy, F1, regression errors) give score()'s numbers."""
    metric = get_metric(name, task)
    y, preds = _blocks_for(task, np.random.default_rng(0))
    expected = [score(metric, y, block, task=task, threshold=0.4) for block in preds]
    got = score_blocks(metric, y, preds, task=task, threshold=0.4)
    assert got.shape == (len(preds),)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert len(set(np.round(got, 12))) > 1  # the blocks really differ


def test_score_blocks_checks_rows_and_targets():
    with pytest.raises(ValueError, match="rows"):
        score_blocks(
            get_metric("rmse", "regression"), np.ones(3), np.ones((2, 4)), task="regression"
        )
    with pytest.raises(UserError, match="positive targets"):
        score_blocks(
            get_metric("rmse_log", "regression"), np.zeros(3), np.ones((2, 3)), task="regression"
        )
