import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from workbench.errors import UserError
from workbench.models import (
    SPECS,
    default_params,
    fit_model,
    make_model,
    model_importance,
    model_kinds,
    predict,
    resolve_params,
    supports_early_stopping,
)


def _frame(X):
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


def _data(task, n=150):
    if task == "regression":
        X, y = make_regression(n, 6, noise=5.0, random_state=0)
        return _frame(X), y
    k = 3 if task == "multiclass" else 2
    X, y = make_classification(n, 6, n_informative=4, n_classes=k, random_state=0)
    return _frame(X), y


FAST = {
    "random_forest": {"n_estimators": 10},
    "extra_trees": {"n_estimators": 10},
    "xgboost": {"n_estimators": 20},
    "lightgbm": {"n_estimators": 20, "min_child_samples": 5},
    "hist_gb": {"max_iter": 20},
    "voting": {
        "estimators": [
            {"kind": "decision_tree"},
            {"kind": "lightgbm", "params": {"n_estimators": 20, "min_child_samples": 5}},
        ],
        "weights": [1, 2],
    },
}
CASES = [
    (kind, task)
    for kind in model_kinds()
    for task in ("binary", "multiclass", "regression")
    if (SPECS[kind].regressor if task == "regression" else SPECS[kind].classifier)
]


def _fit_predict(kind, task, seed=0, params=None):
    X, y = _data(task)
    model = make_model(kind, task=task, params=params or FAST.get(kind, {}), seed=seed, n_threads=1)
    fit_model(model, X, y)
    return model, predict(model, X, task), y


@pytest.mark.parametrize(("kind", "task"), CASES)
def test_every_kind_fits_and_predicts(kind, task):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence or feature-name chatter
        model, pred, y = _fit_predict(kind, task)
    if task == "multiclass":
        assert pred.shape == (len(y), 3)
        np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-6)
    else:
        assert pred.shape == (len(y),)
    if task == "binary":
        assert pred.min() >= 0 and pred.max() <= 1
        assert np.corrcoef(pred, y)[0, 1] > 0.3  # learned something
    importance = model_importance(model)
    assert importance is None or importance.shape == (6,)


def test_every_kind_supports_some_task():
    assert {kind for kind, _ in CASES} == set(model_kinds())


@pytest.mark.parametrize("kind", ["random_forest", "xgboost", "lightgbm", "mlp", "logistic"])
def test_same_seed_same_predictions(kind):
    a = _fit_predict(kind, "binary", seed=3)[1]
    b = _fit_predict(kind, "binary", seed=3)[1]
    np.testing.assert_array_equal(a, b)


def test_different_seed_changes_random_forest():
    a = _fit_predict("random_forest", "binary", seed=1)[1]
    b = _fit_predict("random_forest", "binary", seed=2)[1]
    assert not np.array_equal(a, b)


def test_defaults_seed_and_threads_applied():
    model = make_model("lightgbm", task="binary", params={"num_leaves": 7}, seed=5, n_threads=3)
    params = model.get_params()
    assert params["num_leaves"] == 7  # user wins over the default
    assert params["learning_rate"] == default_params("lightgbm", "binary")["learning_rate"]
    assert params["random_state"] == 5 and params["n_jobs"] == 3
    rf = make_model("random_forest", task="regression", params={}, seed=0, n_threads=0)
    assert rf.get_params()["n_jobs"] == 1


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_early_stopping_returns_best_iteration(kind, task):
    assert supports_early_stopping(kind)
    X, y = _data(task, n=300)
    # noisy labels + high learning rate: validation loss turns up early
    rng = np.random.default_rng(0)
    y = rng.permutation(y) if task != "regression" else rng.normal(size=len(y))
    params = {"n_estimators": 300, "learning_rate": 0.3}
    model = make_model(kind, task=task, params=params, seed=0, n_threads=1)
    best = fit_model(
        model, X[:200], y[:200], eval_X=X[200:], eval_y=y[200:], early_stopping_rounds=10
    )
    assert best is not None and 1 <= best < 300
    assert predict(model, X[200:], task).shape[0] == 100


def test_no_early_stopping_for_other_kinds():
    assert not supports_early_stopping("random_forest")
    X, y = _data("binary")
    model = make_model("logistic", task="binary", params={}, seed=0, n_threads=1)
    assert fit_model(model, X, y, eval_X=X, eval_y=y, early_stopping_rounds=5) is None


def test_unknown_param_did_you_mean():
    with pytest.raises(UserError) as err:
        make_model("lightgbm", task="binary", params={"num_leafs": 8}, seed=0, n_threads=1)
    assert err.value.where == "model.params.num_leafs"
    assert "num_leaves" in err.value.hint


def test_lightgbm_native_alias_accepted():
    model = make_model(
        "lightgbm", task="binary", params={"bagging_fraction": 0.7}, seed=0, n_threads=1
    )
    assert model.get_params()["bagging_fraction"] == 0.7


@pytest.mark.parametrize(
    ("kind", "key"),
    [("xgboost", "random_state"), ("lightgbm", "num_threads"), ("random_forest", "n_jobs")],
)
def test_seed_and_threads_are_owned_by_workbench(kind, key):
    with pytest.raises(UserError, match="set by the workbench") as err:
        make_model(kind, task="binary", params={key: 1}, seed=0, n_threads=1)
    assert err.value.where == f"model.params.{key}"


def test_unknown_kind_did_you_mean():
    with pytest.raises(UserError) as err:
        make_model("lightbgm", task="binary", params={}, seed=0, n_threads=1)
    assert err.value.where == "model.kind" and "lightgbm" in err.value.hint


def test_kind_for_wrong_task_names_alternative():
    with pytest.raises(UserError) as err:
        make_model("logistic", task="regression", params={}, seed=0, n_threads=1)
    assert "ridge" in err.value.hint
    with pytest.raises(UserError):
        default_params("lasso", "binary")


def test_bad_column_names_are_made_safe_for_boosters():
    X, y = _data("binary")
    X.columns = [f"f[{i}]<x>" for i in range(X.shape[1])]
    for kind in ("xgboost", "lightgbm"):
        model = make_model(kind, task="binary", params=FAST[kind], seed=0, n_threads=1)
        fit_model(model, X, y)
        assert predict(model, X, "binary").shape == (len(y),)


def test_class_missing_from_training_rows_keeps_columns():
    X, y = _data("multiclass")
    keep = y != 2
    model = make_model("logistic", task="multiclass", params={}, seed=0, n_threads=1)
    fit_model(model, X[keep], y[keep])
    pred = predict(model, X, "multiclass", n_classes=3)
    assert pred.shape == (len(y), 3) and np.all(pred[:, 2] == 0)


def test_predict_without_predict_proba():
    from sklearn.svm import LinearSVC

    X, y = _data("multiclass")
    model = LinearSVC().fit(X, y)
    pred = predict(model, X, "multiclass")
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)
    assert (pred.argmax(axis=1) == model.predict(X)).all()


def test_defaults_are_plain_config_values():
    for kind, task in CASES:
        for value in default_params(kind, task).values():
            assert isinstance(value, (int, float, str, bool, list))


VOTING_REGRESSION = {
    "estimators": [
        {"kind": "lasso", "params": {"alpha": 0.01}},
        {"kind": "lightgbm", "params": {"n_estimators": 20, "min_child_samples": 5}},
    ],
    "weights": [0.25, 0.75],
}


def test_voting_regressor_is_the_weighted_mean_of_its_sub_models():
    X, y = _data("regression")
    model = make_model("voting", task="regression", params=VOTING_REGRESSION, seed=4, n_threads=2)
    lasso, lgbm = (est for _, est in model.estimators)
    assert lasso.get_params()["alpha"] == 0.01 and lasso.get_params()["max_iter"] == 50000
    assert lgbm.get_params()["random_state"] == 4 and lgbm.get_params()["n_jobs"] == 2
    assert (
        lgbm.get_params()["learning_rate"]
        == default_params("lightgbm", "regression")["learning_rate"]
    )
    fit_model(model, X, y)
    parts = [predict(est, X, "regression") for est in model.estimators_]
    np.testing.assert_allclose(
        predict(model, X, "regression"), 0.25 * parts[0] + 0.75 * parts[1], rtol=1e-9
    )
    importance = model_importance(model)
    assert importance.shape == (6,) and np.isclose(importance.sum(), 1.0)


def test_voting_classifier_votes_soft():
    X, y = _data("multiclass")
    model = make_model("voting", task="multiclass", params=FAST["voting"], seed=0, n_threads=1)
    assert model.voting == "soft"
    fit_model(model, X, y)
    pred = predict(model, X, "multiclass")
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)
    assert (pred.argmax(axis=1) == y).mean() > 0.8


def test_voting_with_bad_column_names_and_lightgbm():
    X, y = _data("regression")
    X.columns = [f"f[{i}]" for i in range(X.shape[1])]
    model = make_model("voting", task="regression", params=VOTING_REGRESSION, seed=0, n_threads=1)
    fit_model(model, X, y)
    assert predict(model, X, "regression").shape == (len(y),)


def test_voting_resolve_params_fills_sub_model_defaults():
    assert default_params("voting", "regression") == {}
    resolved = resolve_params("voting", "regression", VOTING_REGRESSION)
    lasso, lgbm = resolved["estimators"]
    assert lasso == {"kind": "lasso", "params": {"alpha": 0.01, "max_iter": 50000}}
    assert lgbm["params"]["num_leaves"] == 31 and lgbm["params"]["n_estimators"] == 20
    assert resolved["weights"] == [0.25, 0.75]
    # resolving again changes nothing, and the result still builds
    assert resolve_params("voting", "regression", resolved) == resolved
    make_model("voting", task="regression", params=resolved, seed=0, n_threads=1)
    assert resolve_params("lasso", "regression", {"alpha": 1.0})["max_iter"] == 50000


@pytest.mark.parametrize(
    ("params", "where", "hint"),
    [
        ({}, "model.params.estimators", "estimators:"),
        ({"estimators": []}, "model.params.estimators", None),
        ({"estimators": [{"params": {}}]}, "model.params.estimators[0]", None),
        (
            {"estimators": [{"kind": "lasso", "parms": {}}]},
            "model.params.estimators[0].parms",
            "params",
        ),
        (
            {"estimators": [{"kind": "lasso"}, {"kind": "lightgbm", "params": {"num_leafs": 8}}]},
            "model.params.estimators[1].params.num_leafs",
            "num_leaves",
        ),
        ({"estimators": [{"kind": "lightbgm"}]}, "model.params.estimators[0].kind", "lightgbm"),
        ({"estimators": [{"kind": "logistic"}]}, "model.params.estimators[0].kind", "ridge"),
        (
            {"estimators": [{"kind": "lasso", "params": {"random_state": 1}}]},
            "model.params.estimators[0].params.random_state",
            "seed",
        ),
        ({"estimators": [{"kind": "lasso"}], "weights": [1, 2]}, "model.params.weights", None),
        ({"estimators": [{"kind": "lasso"}], "wieghts": [1]}, "model.params.wieghts", "weights"),
    ],
)
def test_voting_errors_name_the_field(params, where, hint):
    with pytest.raises(UserError) as err:
        make_model("voting", task="regression", params=params, seed=0, n_threads=1)
    assert err.value.where == where
    if hint:
        assert hint in err.value.hint
