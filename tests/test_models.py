import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from workbench.errors import UserError
from workbench.models import (
    Model,
    build_model,
    default_params,
    model_kinds,
    resolve_params,
    supports_early_stopping,
)
from workbench.models.adapters import SklearnAdapter
from workbench.tasks import TASKS

N_CLASSES = {"binary": 2, "multiclass": 3, "regression": 0}


def _frame(X):
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


def _data(task, n=150):
    if task == "regression":
        X, y = make_regression(n, 6, noise=5.0, random_state=0)
        return _frame(X), y
    k = N_CLASSES[task]
    X, y = make_classification(n, 6, n_informative=4, n_classes=k, random_state=0)
    return _frame(X), y


def _build(kind, task, params=None, seed=0, n_threads=1, n_classes=None):
    return build_model(
        kind,
        task=task,
        params=params or {},
        seed=seed,
        n_threads=n_threads,
        n_classes=N_CLASSES[task] if n_classes is None else n_classes,
    )


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


def _supports(kind, task):
    try:
        default_params(kind, task)
    except UserError:
        return False
    return True


CASES = [(kind, task) for kind in model_kinds() for task in TASKS if _supports(kind, task)]


def _fit_predict(kind, task, seed=0, params=None):
    X, y = _data(task)
    model = _build(kind, task, params or FAST.get(kind, {}), seed=seed)
    assert model.fit(X, y) is None
    return model, model.predict(X), y


@pytest.mark.parametrize(("kind", "task"), CASES)
def test_every_kind_fits_and_predicts(kind, task):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence or feature-name chatter
        model, pred, y = _fit_predict(kind, task)
    assert (model.kind, model.task, model.n_threads) == (kind, task, 1)
    if task == "multiclass":
        assert pred.shape == (len(y), 3)
        np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-6)
    else:
        assert pred.shape == (len(y),)
    if task == "binary":
        assert pred.min() >= 0 and pred.max() <= 1
        assert np.corrcoef(pred, y)[0, 1] > 0.3  # learned something
    importance = model.importance()
    assert importance is None or importance.shape == (6,)
    assert isinstance(model.importance_kind, str) and model.importance_kind
    assert (importance is None) == (model.importance_kind == "none")


def test_every_kind_supports_some_task():
    assert {kind for kind, _ in CASES} == set(model_kinds())


@pytest.mark.parametrize(
    ("kind", "task", "importance_kind"),
    [
        ("random_forest", "binary", "impurity"),
        ("logistic", "multiclass", "|coefficient|"),
        ("lasso", "regression", "|coefficient|"),
        ("xgboost", "multiclass", "gain"),
        ("lightgbm", "regression", "gain"),
        ("voting", "binary", "weighted blend of members"),
    ],
)
def test_importance_has_one_value_per_column(kind, task, importance_kind):
    X, y = _data(task)
    X = X.assign(f6=0.0, f7=X["f0"] * 2)  # an unused and a redundant column count too
    model = _build(kind, task, FAST.get(kind))
    model.fit(X, y)
    importance = model.importance()
    assert importance.shape == (X.shape[1],) and np.all(importance >= 0)
    assert model.importance_kind == importance_kind


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
    model = _build("lightgbm", "binary", {"num_leaves": 7}, seed=5, n_threads=3)
    params = model.estimator.get_params()
    assert params["num_leaves"] == 7  # user wins over the default
    assert params["learning_rate"] == default_params("lightgbm", "binary")["learning_rate"]
    assert params["random_state"] == 5 and params["n_jobs"] == 3
    assert model.n_threads == 3
    rf = _build("random_forest", "regression", n_threads=0)
    assert rf.estimator.get_params()["n_jobs"] == 1 and rf.n_threads == 1
    xgb = _build("xgboost", "binary", seed=9, n_threads=2)
    assert xgb.estimator.get_params()["random_state"] == 9
    assert xgb.estimator.get_params()["n_jobs"] == 2


def test_model_is_a_workbench_object_not_a_patched_estimator():
    model = _build("random_forest", "binary", FAST["random_forest"])
    assert isinstance(model, Model)
    assert not any(name.startswith("_workbench") for name in vars(model.estimator))


def test_svm_classifier_is_calibrated_not_probability_svc():
    from sklearn.calibration import CalibratedClassifierCV

    model = _build("svm", "binary")
    assert isinstance(model.estimator, CalibratedClassifierCV)
    assert model.estimator.ensemble is False
    assert type(model.estimator.estimator).__name__ == "SVC"


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_early_stopping_returns_best_iteration(kind, task):
    assert supports_early_stopping(kind)
    X, y = _data(task, n=300)
    # noisy labels + high learning rate: validation loss turns up early
    rng = np.random.default_rng(0)
    y = rng.permutation(y) if task != "regression" else rng.normal(size=len(y))
    model = _build(kind, task, {"n_estimators": 300, "learning_rate": 0.3})
    best = model.fit(X[:200], y[:200], eval_X=X[200:], eval_y=y[200:], early_stopping_rounds=10)
    assert best is not None and 1 <= best < 300
    assert model.predict(X[200:]).shape[0] == 100
    # the same model refits without early stopping
    assert model.fit(X[:200], y[:200]) is None


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm"])
def test_early_stopping_with_a_class_missing_from_training_rows(kind):
    X, y = _data("multiclass", n=300)
    train = y[:200] != 1  # a middle class absent from the training rows only
    model = _build(kind, "multiclass", {"n_estimators": 50, "learning_rate": 0.3})
    best = model.fit(
        X[:200][train], y[:200][train], eval_X=X[200:], eval_y=y[200:], early_stopping_rounds=5
    )
    assert best is not None
    pred = model.predict(X[200:])
    assert pred.shape == (100, 3) and np.all(pred[:, 1] == 0)


def test_early_stopping_needs_eval_rows():
    X, y = _data("binary")
    with pytest.raises(ValueError, match="eval_X"):
        _build("lightgbm", "binary", FAST["lightgbm"]).fit(X, y, early_stopping_rounds=5)


def test_no_early_stopping_for_other_kinds():
    assert not supports_early_stopping("random_forest")
    assert not supports_early_stopping("voting")
    X, y = _data("binary")
    model = _build("logistic", "binary")
    assert model.fit(X, y, eval_X=X, eval_y=y, early_stopping_rounds=5) is None


def test_unknown_param_did_you_mean():
    with pytest.raises(UserError) as err:
        resolve_params("lightgbm", "binary", {"num_leafs": 8})
    assert err.value.where == "model.params.num_leafs"
    assert "num_leaves" in err.value.hint


@pytest.mark.parametrize(
    ("params", "name", "value"),
    [
        ({"bagging_fraction": 0.7}, "bagging_fraction", 0.7),
        ({"lambda_l2": 2.0}, "lambda_l2", 2.0),
        ({"min_data_in_leaf": 4}, "min_data_in_leaf", 4),
        ({"objective": "huber", "alpha": 0.9}, "alpha", 0.9),
        ({"extra_trees": True}, "extra_trees", True),
    ],
)
def test_lightgbm_native_names_accepted(params, name, value):
    model = _build("lightgbm", "regression", {"n_estimators": 10, **params})
    assert model.estimator.get_params()[name] == value
    X, y = _data("regression")
    model.fit(X, y)


def test_lightgbm_native_typo_rejected_with_did_you_mean():
    with pytest.raises(UserError) as err:
        resolve_params("lightgbm", "binary", {"bagging_fractoin": 0.7})
    assert err.value.where == "model.params.bagging_fractoin"
    assert "bagging_fraction" in err.value.hint


def test_hint_prefers_the_estimators_own_names():
    with pytest.raises(UserError) as err:
        resolve_params("lightgbm", "binary", {"colsample_bytre": 0.5})
    assert "colsample_bytree" in err.value.hint


def test_xgboost_native_names_accepted():
    model = _build("xgboost", "binary", {"eta": 0.1, "gamma": 0.5})
    assert model.estimator.get_params()["gamma"] == 0.5


@pytest.mark.parametrize(
    ("kind", "key", "hint"),
    [
        ("random_forest", "n_jobs", "threads"),
        ("random_forest", "random_state", "seed"),
        ("lasso", "random_state", "seed"),
        ("logistic", "n_jobs", "threads"),
        ("xgboost", "random_state", "seed"),
        ("xgboost", "seed", "seed"),
        ("xgboost", "nthread", "threads"),
        ("xgboost", "n_jobs", "threads"),
        ("xgboost", "early_stopping_rounds", "model.early_stopping"),
        ("lightgbm", "num_threads", "threads"),
        ("lightgbm", "random_seed", "seed"),
        ("lightgbm", "bagging_seed", "seed"),
        ("lightgbm", "early_stopping_round", "model.early_stopping"),
    ],
)
def test_seed_and_threads_are_owned_by_workbench(kind, key, hint):
    task = "regression" if kind == "lasso" else "binary"
    with pytest.raises(UserError, match="set by the workbench") as err:
        resolve_params(kind, task, {key: 1})
    assert err.value.where == f"model.params.{key}"
    assert hint in err.value.hint


def test_unknown_kind_did_you_mean():
    with pytest.raises(UserError) as err:
        _build("lightbgm", "binary")
    assert err.value.where == "model.kind" and "lightgbm" in err.value.hint
    with pytest.raises(UserError) as err:
        supports_early_stopping("xgbost")
    assert "xgboost" in err.value.hint


def test_kind_for_wrong_task_names_alternative():
    with pytest.raises(UserError) as err:
        _build("logistic", "regression")
    assert err.value.where == "model.kind" and "ridge" in err.value.hint
    with pytest.raises(UserError):
        default_params("lasso", "binary")
    with pytest.raises(UserError) as err:
        resolve_params("lasso", "regresion", {})
    assert "regression" in err.value.hint


def test_bad_column_names_are_made_safe_for_boosters():
    X, y = _data("binary")
    X.columns = [f"f[{i}]<x>" for i in range(X.shape[1])]
    for kind in ("xgboost", "lightgbm"):
        model = _build(kind, "binary", FAST[kind])
        model.fit(X, y)
        assert model.predict(X).shape == (len(y),)
        assert model.importance().shape == (X.shape[1],)


@pytest.mark.parametrize("kind", ["logistic", "xgboost", "lightgbm", "random_forest", "voting"])
def test_class_missing_from_training_rows_keeps_columns(kind):
    # the rarest class has the highest index and no training rows in this fold
    X, y = _data("multiclass")
    keep = y != 2
    model = _build(kind, "multiclass", FAST.get(kind))
    model.fit(X[keep], y[keep])
    pred = model.predict(X)
    assert pred.shape == (len(y), 3) and np.all(pred[:, 2] == 0)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-6)


def test_class_missing_from_the_middle_keeps_columns():
    X, y = _data("multiclass")
    keep = y != 1
    model = _build("xgboost", "multiclass", FAST["xgboost"])
    model.fit(X[keep], y[keep])
    pred = model.predict(X)
    assert pred.shape == (len(y), 3) and np.all(pred[:, 1] == 0)
    assert set(pred.argmax(axis=1)) <= {0, 2}


def test_labels_must_be_class_indices():
    X, y = _data("binary")
    with pytest.raises(ValueError, match="class indices"):
        _build("logistic", "binary").fit(X, y + 1)
    with pytest.raises(ValueError):
        _build("logistic", "binary", n_classes=3)


def test_predict_without_predict_proba():
    from sklearn.svm import LinearSVC

    X, y = _data("multiclass")
    model = Model(
        kind="linear_svc",
        task="multiclass",
        n_classes=3,
        n_threads=1,
        estimator=LinearSVC(),
        adapter=SklearnAdapter(),
    )
    model.fit(X, y)
    pred = model.predict(X)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)
    assert (pred.argmax(axis=1) == model.estimator.predict(X)).all()


def test_defaults_are_plain_config_values():
    for kind, task in CASES:
        for value in default_params(kind, task).values():
            assert isinstance(value, (int, float, str, bool, list))


@pytest.mark.parametrize(("kind", "task"), CASES)
def test_resolved_params_resolve_again_unchanged(kind, task):
    params = FAST.get(kind, {})
    resolved = resolve_params(kind, task, params)
    assert resolve_params(kind, task, resolved) == resolved
    assert resolved == {**default_params(kind, task), **resolved}


VOTING_REGRESSION = {
    "estimators": [
        {"kind": "lasso", "params": {"alpha": 0.01}},
        {"kind": "lightgbm", "params": {"n_estimators": 20, "min_child_samples": 5}},
    ],
    "weights": [0.25, 0.75],
}


def test_voting_regressor_is_the_weighted_mean_of_its_members():
    X, y = _data("regression")
    model = _build("voting", "regression", VOTING_REGRESSION, seed=4, n_threads=2)
    lasso, lgbm = model.estimator.members
    assert (lasso.kind, lgbm.kind) == ("lasso", "lightgbm")
    assert lasso.estimator.get_params()["alpha"] == 0.01
    assert lasso.estimator.get_params()["max_iter"] == 50000
    assert lgbm.estimator.get_params()["random_state"] == 4
    assert lgbm.estimator.get_params()["n_jobs"] == 2
    assert (
        lgbm.estimator.get_params()["learning_rate"]
        == default_params("lightgbm", "regression")["learning_rate"]
    )
    model.fit(X, y)
    parts = [member.predict(X) for member in model.estimator.members]
    np.testing.assert_allclose(model.predict(X), 0.25 * parts[0] + 0.75 * parts[1], rtol=1e-9)
    importance = model.importance()
    assert importance.shape == (6,) and np.isclose(importance.sum(), 1.0)
    assert model.importance_kind == "weighted blend of members"


def test_voting_matches_scikit_learns_voting_regressor():
    from sklearn.ensemble import VotingRegressor

    X, y = _data("regression")
    model = _build("voting", "regression", VOTING_REGRESSION)
    model.fit(X, y)
    members = _build("voting", "regression", VOTING_REGRESSION).estimator.members
    reference = VotingRegressor([(m.kind, m.estimator) for m in members], weights=[0.25, 0.75])
    reference.fit(X, y)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_voting_classifier_votes_soft():
    X, y = _data("multiclass")
    model = _build("voting", "multiclass", FAST["voting"])
    model.fit(X, y)
    pred = model.predict(X)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)
    parts = [member.predict(X) for member in model.estimator.members]
    np.testing.assert_allclose(pred, (parts[0] + 2 * parts[1]) / 3, rtol=1e-9)
    assert (pred.argmax(axis=1) == y).mean() > 0.8


def test_voting_with_bad_column_names_and_lightgbm():
    X, y = _data("regression")
    X.columns = [f"f[{i}]" for i in range(X.shape[1])]
    model = _build("voting", "regression", VOTING_REGRESSION)
    model.fit(X, y)
    assert model.predict(X).shape == (len(y),)


def test_voting_resolve_params_fills_member_defaults():
    assert default_params("voting", "regression") == {}
    resolved = resolve_params("voting", "regression", VOTING_REGRESSION)
    lasso, lgbm = resolved["estimators"]
    assert lasso == {"kind": "lasso", "params": {"alpha": 0.01, "max_iter": 50000}}
    assert lgbm["params"]["num_leaves"] == 31 and lgbm["params"]["n_estimators"] == 20
    assert resolved["weights"] == [0.25, 0.75]
    # resolving again changes nothing, and the result still builds
    assert resolve_params("voting", "regression", resolved) == resolved
    _build("voting", "regression", resolved)
    assert resolve_params("lasso", "regression", {"alpha": 1.0})["max_iter"] == 50000


@pytest.mark.parametrize(
    ("params", "where", "hint"),
    [
        ({}, "model.params.estimators", "estimators:"),
        ({"estimators": []}, "model.params.estimators", "estimators:"),
        ({"estimators": "lasso"}, "model.params.estimators", "estimators:"),
        ({"estimators": ["lasso"]}, "model.params.estimators[0]", None),
        ({"estimators": [{"params": {}}]}, "model.params.estimators[0].kind", "estimators:"),
        ({"estimators": [{"kind": 3}]}, "model.params.estimators[0].kind", None),
        (
            {"estimators": [{"kind": "lasso", "parms": {}}]},
            "model.params.estimators[0].parms",
            "params",
        ),
        (
            {"estimators": [{"kind": "lasso", "params": [1]}]},
            "model.params.estimators[0].params",
            None,
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
        ({"estimators": [{"kind": "lasso"}], "weights": [0]}, "model.params.weights", None),
        ({"estimators": [{"kind": "lasso"}], "weights": [-1]}, "model.params.weights", None),
        ({"estimators": [{"kind": "lasso"}], "weights": [True]}, "model.params.weights", None),
        ({"estimators": [{"kind": "lasso"}], "weights": 1}, "model.params.weights", None),
        ({"estimators": [{"kind": "lasso"}], "wieghts": [1]}, "model.params.wieghts", "weights"),
    ],
)
def test_voting_errors_name_the_field(params, where, hint):
    for call in (
        lambda: resolve_params("voting", "regression", params),
        lambda: _build("voting", "regression", params),
    ):
        with pytest.raises(UserError) as err:
            call()
        assert err.value.where == where
        if hint:
            assert hint in err.value.hint


def test_voting_weight_messages():
    with pytest.raises(UserError, match="one per estimator"):
        resolve_params("voting", "regression", {"estimators": [{"kind": "lasso"}], "weights": []})
    with pytest.raises(UserError, match="not all be 0"):
        resolve_params(
            "voting", "regression", {"estimators": [{"kind": "lasso"}] * 2, "weights": [0, 0]}
        )
