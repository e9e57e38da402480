"""Per-fold explanations: bounded samples, worst rows, SHAP values from the boosters."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from workbench import metrics
from workbench.config import ExperimentConfig
from workbench.explain import REPORT_ROWS, explain_fold, report_rows, worst_rows
from workbench.models import build_model
from workbench.prepare import Problem


def test_report_rows_bounded_seeded_and_stratified():
    y = np.r_[np.zeros(9_000, dtype=int), np.ones(1_000, dtype=int)]
    rows = report_rows(y, "binary", seed=3)
    assert len(rows) == REPORT_ROWS and np.all(np.diff(rows) > 0)
    assert y[rows].mean() == pytest.approx(0.1, abs=0.002)
    np.testing.assert_array_equal(rows, report_rows(y, "binary", seed=3))
    assert not np.array_equal(rows, report_rows(y, "binary", seed=4))
    np.testing.assert_array_equal(report_rows(y[:500], "binary", seed=3), np.arange(500))


def test_report_rows_regression_and_a_single_row_class():
    y = np.random.default_rng(0).lognormal(size=50_000)
    rows = report_rows(y, "regression", seed=0)
    assert len(rows) == REPORT_ROWS
    assert np.median(y[rows]) == pytest.approx(np.median(y), rel=0.1)
    y_rare = np.r_[np.zeros(5_000, dtype=int), [1]]
    assert len(report_rows(y_rare, "binary", seed=0)) == REPORT_ROWS


def _problem(task, metric, classes):
    frame = pd.DataFrame({"a": [0.0]})
    return Problem(
        X=frame,
        y=np.zeros(1),
        X_test=frame,
        task=task,
        metric=metrics.get_metric(metric, task),
        classes=classes,
    )


def test_worst_rows_regression_in_the_metrics_space():
    y = np.array([100.0, 100.0, 10.0, 1000.0])
    pred = np.array(
        [100.0, 150.0, 20.0, 1200.0]
    )  # errors 0, 50, 10, 200; log ratios 0, .41, .69, .18
    assert worst_rows(_problem("regression", "rmse", []), y, pred, n=2).tolist() == [3, 1]
    assert worst_rows(_problem("regression", "rmse_log", []), y, pred, n=2).tolist() == [2, 1]


def test_worst_rows_classification_are_the_most_confident_mistakes():
    y = np.array([1, 0, 1, 0])
    p1 = np.array([0.9, 0.95, 0.2, 0.4])
    assert worst_rows(_problem("binary", "accuracy", [0, 1]), y, p1, n=2).tolist() == [1, 2]
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    problem = _problem("multiclass", "accuracy", ["a", "b", "c"])
    assert worst_rows(problem, np.array([0, 0, 1]), proba, n=1).tolist() == [1]


@pytest.mark.parametrize("kind", ["lightgbm", "xgboost"])
def test_contributions_are_the_boosters_raw_scores(kind):
    """TreeSHAP values add up to the raw score: across rows their sums differ as the
    log-odds do (the dropped bias column is the same for every row)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 5)), columns=[f"x[{i}]" for i in range(5)])
    y = (X.iloc[:, 0] + 0.5 * X.iloc[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = build_model(
        kind, task="binary", params={"n_estimators": 30}, seed=0, n_threads=1, n_classes=2
    )
    model.fit(X, y.to_numpy())
    shap = model.contributions(X.iloc[:50])
    assert shap.shape == (50, 1, 5)
    sums = shap[:, 0].sum(axis=1)
    raw = logit(np.clip(model.predict(X.iloc[:50]), 1e-12, 1 - 1e-12))
    np.testing.assert_allclose(sums - sums[0], raw - raw[0], atol=1e-4)


def test_multiclass_contributions_keep_every_class_column():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = np.digitize(X["a"], [-0.3, 0.3])  # classes 0..2; class 3 never trained on
    model = build_model(
        "lightgbm",
        task="multiclass",
        params={"n_estimators": 10},
        seed=0,
        n_threads=1,
        n_classes=4,
    )
    model.fit(X, y)
    shap = model.contributions(X.iloc[:7])
    assert shap.shape == (7, 4, 3)
    assert not shap[:, 3].any()


def test_explain_fold_with_a_booster():
    """Permutation importance forced on beside SHAP; by default a booster gets SHAP only."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=["a", "b", "c", "d"])
    X.index = pd.Index(np.arange(1000, 1600), name="Id")
    y = X["a"].to_numpy() * 3 + rng.normal(size=600)
    problem = _problem("regression", "rmse", [])
    config = ExperimentConfig.model_validate(
        {
            "competition": "c",
            "name": "n",
            "model": {"kind": "lightgbm"},
            "report": {"permutation_repeats": 2, "permutation_importance": True},
        }
    )
    model = build_model(
        "lightgbm",
        task="regression",
        params={"n_estimators": 40},
        seed=0,
        n_threads=1,
        n_classes=0,
    )
    model.fit(X.iloc[:400], y[:400])
    valid, y_valid = X.iloc[400:], y[400:]
    pred = model.predict(valid)
    out = explain_fold(
        config, problem, model, valid, y_valid, pred, model.predict, n_train=400, seed=0
    )
    kinds = out.importance.groupby("kind")
    assert set(kinds.groups) == {"model", "permutation", "shap"}
    for kind in ("permutation", "shap"):
        top = out.importance[out.importance["kind"] == kind].set_index("feature")["importance"]
        assert top.idxmax() == "a"
    assert set(out.importance["n_rows"]) == {400, 200}
    worst = out.explanations[out.explanations["set"] == "worst"]
    assert worst["id"].nunique() == 15 and set(worst["rank"]) == {1, 2, 3}
    biggest = valid.index[np.argmax(np.abs(pred - y_valid))]
    assert worst.iloc[0]["id"] == biggest
    sample = out.explanations[out.explanations["set"] == "sample"]
    assert sample["id"].nunique() == 200 and sample["feature"].nunique() == 4


def test_a_booster_gets_shap_and_no_permutation_importance_by_default():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = X["a"].to_numpy() + rng.normal(size=300)
    config = ExperimentConfig.model_validate(
        {"competition": "c", "name": "n", "model": {"kind": "lightgbm"}}
    )
    assert config.report.permutation_importance == "auto"
    model = build_model(
        "lightgbm",
        task="regression",
        params={"n_estimators": 20},
        seed=0,
        n_threads=1,
        n_classes=0,
    )
    model.fit(X.iloc[:200], y[:200])
    valid = X.iloc[200:]
    out = explain_fold(
        config,
        _problem("regression", "rmse", []),
        model,
        valid,
        y[200:],
        model.predict(valid),
        model.predict,
        n_train=200,
        seed=0,
    )
    assert set(out.importance["kind"]) == {"model", "shap"}
