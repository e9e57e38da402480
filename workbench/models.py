"""Model kinds: one table of estimators and defaults, built, fitted and predicted uniformly.

Estimator classes are stored as import paths and imported on use, so xgboost/lightgbm are
only loaded when a config asks for them. The workbench owns the seed and the thread count:
they are set from the run (``seed``, ``n_threads``), never from model params.
"""

from __future__ import annotations

import functools
import importlib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.errors import UserError, did_you_mean

TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model kind: classes (import paths), defaults and special params."""

    classifier: str | None = None
    regressor: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    classifier_defaults: Mapping[str, Any] = field(default_factory=dict)
    regressor_defaults: Mapping[str, Any] = field(default_factory=dict)
    seed_param: str | None = "random_state"
    thread_param: str | None = None
    early_stopping: bool = False
    calibrate: bool = False  # wrap the classifier to get probabilities (SVC)
    native_params: tuple[str, ...] = ()  # extra names the estimator accepts via **kwargs


_SK = "sklearn."
_GBM_SHARED = {
    "n_estimators": 500,
    "learning_rate": 0.03,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
}
_XGB_NATIVE = (
    "eta",
    "gamma",
    "min_split_loss",
    "lambda",
    "alpha",
    "max_leaves",
    "max_bin",
    "grow_policy",
    "colsample_bylevel",
    "colsample_bynode",
    "scale_pos_weight",
    "min_child_weight",
    "max_delta_step",
    "num_parallel_tree",
    "sampling_method",
)

SPECS: dict[str, ModelSpec] = {
    "logistic": ModelSpec(
        classifier=_SK + "linear_model.LogisticRegression", defaults={"max_iter": 2000}
    ),
    "linear": ModelSpec(
        regressor=_SK + "linear_model.LinearRegression", seed_param=None, thread_param="n_jobs"
    ),
    "ridge": ModelSpec(regressor=_SK + "linear_model.Ridge", defaults={"alpha": 1.0}),
    "lasso": ModelSpec(
        regressor=_SK + "linear_model.Lasso", defaults={"alpha": 0.0005, "max_iter": 50000}
    ),
    "elastic_net": ModelSpec(
        regressor=_SK + "linear_model.ElasticNet",
        defaults={"alpha": 0.0005, "l1_ratio": 0.5, "max_iter": 50000},
    ),
    "decision_tree": ModelSpec(
        classifier=_SK + "tree.DecisionTreeClassifier",
        regressor=_SK + "tree.DecisionTreeRegressor",
        defaults={"max_depth": 8, "min_samples_leaf": 5},
    ),
    "random_forest": ModelSpec(
        classifier=_SK + "ensemble.RandomForestClassifier",
        regressor=_SK + "ensemble.RandomForestRegressor",
        defaults={"n_estimators": 500},
        thread_param="n_jobs",
    ),
    "extra_trees": ModelSpec(
        classifier=_SK + "ensemble.ExtraTreesClassifier",
        regressor=_SK + "ensemble.ExtraTreesRegressor",
        defaults={"n_estimators": 500},
        thread_param="n_jobs",
    ),
    "svm": ModelSpec(
        classifier=_SK + "svm.SVC",
        regressor=_SK + "svm.SVR",
        defaults={"C": 1.0, "kernel": "rbf"},
        seed_param=None,
        calibrate=True,
    ),
    "knn": ModelSpec(
        classifier=_SK + "neighbors.KNeighborsClassifier",
        regressor=_SK + "neighbors.KNeighborsRegressor",
        defaults={"n_neighbors": 15, "weights": "distance"},
        seed_param=None,
        thread_param="n_jobs",
    ),
    "hist_gb": ModelSpec(
        classifier=_SK + "ensemble.HistGradientBoostingClassifier",
        regressor=_SK + "ensemble.HistGradientBoostingRegressor",
        defaults={"max_iter": 300, "learning_rate": 0.05, "early_stopping": False},
    ),
    "xgboost": ModelSpec(
        classifier="xgboost.XGBClassifier",
        regressor="xgboost.XGBRegressor",
        defaults={**_GBM_SHARED, "max_depth": 5, "tree_method": "hist", "verbosity": 0},
        thread_param="n_jobs",
        early_stopping=True,
        native_params=_XGB_NATIVE,
    ),
    "lightgbm": ModelSpec(
        classifier="lightgbm.LGBMClassifier",
        regressor="lightgbm.LGBMRegressor",
        defaults={**_GBM_SHARED, "num_leaves": 31, "subsample_freq": 1, "verbose": -1},
        thread_param="n_jobs",
        early_stopping=True,
    ),
    "mlp": ModelSpec(
        classifier=_SK + "neural_network.MLPClassifier",
        regressor=_SK + "neural_network.MLPRegressor",
        defaults={"hidden_layer_sizes": [100], "max_iter": 2000},
        # Raw-scale regression targets rarely meet the tolerance; stop on a 10% holdout.
        regressor_defaults={"early_stopping": True, "n_iter_no_change": 20},
    ),
    # A blend of other kinds (params: estimators, weights); built by _make_voting.
    "voting": ModelSpec(
        classifier=_SK + "ensemble.VotingClassifier",
        regressor=_SK + "ensemble.VotingRegressor",
        seed_param=None,
    ),
}


_NATIVE_OWNED = {
    "seed": "seed",
    "random_seed": "seed",
    "nthread": "n_threads",
    "nthreads": "n_threads",
    "num_thread": "n_threads",
    "num_threads": "n_threads",
}


def model_kinds() -> list[str]:
    """Names of all model kinds, for ``model.kind``."""
    return list(SPECS)


def _spec(kind: str) -> ModelSpec:
    if kind not in SPECS:
        raise UserError(
            f"unknown model kind {kind!r}", where="model.kind", hint=did_you_mean(kind, SPECS)
        )
    return SPECS[kind]


def _class_path(kind: str, task: str) -> str:
    spec = _spec(kind)
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}", where="task", hint=did_you_mean(task, TASKS))
    path = spec.regressor if task == "regression" else spec.classifier
    if path is None:
        fits = [
            k for k, s in SPECS.items() if (s.regressor if task == "regression" else s.classifier)
        ]
        alternative = {
            "logistic": "ridge",
            "linear": "logistic",
            "ridge": "logistic",
            "lasso": "logistic",
            "elastic_net": "logistic",
        }.get(kind)
        hint = f"use model.kind: {alternative}" if alternative else ""
        raise UserError(
            f"model kind {kind!r} does not support {task} tasks",
            where="model.kind",
            hint=f"{hint} (kinds for {task}: {', '.join(fits)})".strip(),
        )
    return path


def _import(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def default_params(kind: str, task: str) -> dict:
    """The defaults used for ``kind`` on ``task`` (saved in the resolved config)."""
    spec = _spec(kind)
    _class_path(kind, task)
    extra = spec.regressor_defaults if task == "regression" else spec.classifier_defaults
    return {**spec.defaults, **extra}


def resolve_params(kind: str, task: str, params: dict) -> dict:
    """``params`` with the kind's defaults filled in (for voting: each sub-model's too)."""
    params = dict(params or {})
    if kind != "voting":
        return {**default_params(kind, task), **params}
    estimators = [
        {
            "kind": sub["kind"],
            "params": resolve_params(sub["kind"], task, sub.get("params") or {}),
        }
        for sub in _voting_estimators(params.get("estimators"))
    ]
    return {**default_params(kind, task), **params, "estimators": estimators}


def supports_early_stopping(kind: str) -> bool:
    """Whether ``fit_model`` can early-stop this kind on validation rows."""
    return _spec(kind).early_stopping


def _valid_param_names(kind: str, cls: type) -> set[str]:
    names = set(cls().get_params(deep=False))
    names.update(_spec(kind).native_params)
    if kind == "lightgbm":
        try:  # LightGBM's own parameter names and aliases (bagging_fraction, ...)
            from lightgbm.basic import _ConfigAliases

            for key, aliases in _ConfigAliases._get_all_param_aliases().items():
                names.add(key)
                names.update(aliases)
        except Exception:  # private API; fall back to the sklearn names
            pass
    return names


def _suggest(name: str, primary: set[str], extra: set[str]) -> str | None:
    hint = did_you_mean(name, primary)
    if hint and hint.startswith("did you mean"):
        return hint
    return did_you_mean(name, extra) if extra - primary else hint


def make_model(kind: str, *, task: str, params: dict, seed: int, n_threads: int) -> Any:
    """Build an unfitted estimator: defaults, then user ``params``, then seed and threads."""
    spec = _spec(kind)
    cls = _import(_class_path(kind, task))
    if kind == "voting":
        return _make_voting(cls, task=task, params=params, seed=seed, n_threads=n_threads)
    params = dict(params or {})
    primary = set(cls().get_params(deep=False))
    valid = _valid_param_names(kind, cls)
    owned = {spec.seed_param: "seed", spec.thread_param: "n_threads"}
    if spec.native_params or kind == "lightgbm":  # the boosters' native spellings too
        owned.update(_NATIVE_OWNED)
    for key in params:
        if key in owned:
            raise UserError(
                f"parameter {key!r} is set by the workbench",
                where=f"model.params.{key}",
                hint=f"set the run's {owned[key]} instead",
            )
        if key not in valid:
            raise UserError(
                f"unknown parameter {key!r} for {cls.__name__}",
                where=f"model.params.{key}",
                # prefer the estimator's own names over native aliases in the hint
                hint=_suggest(key, primary, valid),
            )
    merged = {**default_params(kind, task), **params}
    if spec.seed_param:
        merged[spec.seed_param] = int(seed)
    if spec.thread_param:
        merged[spec.thread_param] = max(1, int(n_threads))
    try:
        model = cls(**merged)
    except (TypeError, ValueError) as exc:
        raise UserError(f"bad parameters for {cls.__name__}: {exc}", where="model.params") from exc
    if spec.calibrate and task != "regression":
        # SVC(probability=True) is deprecated in scikit-learn 1.9; this is its replacement.
        from sklearn.calibration import CalibratedClassifierCV

        model = CalibratedClassifierCV(model, ensemble=False, n_jobs=1)
    model._workbench_n_threads = max(1, int(n_threads))
    return model


VOTING_PARAMS = ("estimators", "weights")


def _voting_estimators(estimators: Any) -> list[dict]:
    """Check ``model.params.estimators`` of a voting model: a list of ``{kind, params}``."""
    example = "write e.g. estimators: [{kind: lasso}, {kind: lightgbm, params: {num_leaves: 7}}]"
    if estimators is None:
        raise UserError(
            "a voting model needs 'estimators': the models to blend",
            where="model.params.estimators",
            hint=example,
        )
    if not isinstance(estimators, list) or not estimators:
        raise UserError(
            "'estimators' must be a non-empty list of {kind, params}",
            where="model.params.estimators",
            hint=example,
        )
    out = []
    for index, sub in enumerate(estimators):
        where = f"model.params.estimators[{index}]"
        if not isinstance(sub, Mapping) or not isinstance(sub.get("kind"), str):
            raise UserError("each estimator needs a 'kind'", where=where, hint=example)
        unknown = set(sub) - {"kind", "params"}
        if unknown:
            key = sorted(unknown)[0]
            raise UserError(
                f"unknown key {key!r} in a voting estimator",
                where=f"{where}.{key}",
                hint=did_you_mean(key, ["kind", "params"]),
            )
        if sub.get("params") is not None and not isinstance(sub["params"], Mapping):
            raise UserError("'params' must be a mapping", where=f"{where}.params")
        out.append({"kind": sub["kind"], "params": dict(sub.get("params") or {})})
    return out


def _make_voting(cls: type, *, task: str, params: dict, seed: int, n_threads: int) -> Any:
    """VotingRegressor / VotingClassifier(voting="soft") of sub-models built by make_model.

    Every sub-model gets the run's seed and thread count; they are fitted one after the
    other (``n_jobs`` unset), so threads are never oversubscribed.
    """
    params = dict(params or {})
    for key in params:
        if key not in VOTING_PARAMS:
            raise UserError(
                f"unknown parameter {key!r} for a voting model",
                where=f"model.params.{key}",
                hint=did_you_mean(key, VOTING_PARAMS),
            )
    subs = _voting_estimators(params.get("estimators"))
    estimators = []
    for index, sub in enumerate(subs):
        try:
            model = make_model(
                sub["kind"], task=task, params=sub["params"], seed=seed, n_threads=n_threads
            )
        except UserError as exc:
            prefix = f"model.params.estimators[{index}]"
            where = exc.where or "model"
            where = prefix + where[len("model") :] if where.startswith("model") else where
            raise UserError(exc.message, where=where, hint=exc.hint) from exc
        estimators.append((f"{sub['kind']}_{index}", model))
    weights = params.get("weights")
    if weights is not None:
        if (
            not isinstance(weights, list)
            or len(weights) != len(estimators)
            or not all(
                isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights
            )
        ):
            raise UserError(
                f"'weights' must list {len(estimators)} non-negative numbers, one per estimator",
                where="model.params.weights",
            )
        if sum(weights) <= 0:
            raise UserError("'weights' must not all be 0", where="model.params.weights")
    extra = {} if task == "regression" else {"voting": "soft"}
    model = cls(estimators=estimators, weights=weights, **extra)
    model._workbench_n_threads = max(1, int(n_threads))
    return model


def _library(model: Any) -> str:
    return type(model).__module__.split(".")[0]


def _sub_models(model: Any) -> list[Any]:
    """The sub-models of a voting model (the fitted ones once fitted); [] for other models."""
    from sklearn.ensemble import VotingClassifier, VotingRegressor

    if not isinstance(model, (VotingClassifier, VotingRegressor)):
        return []
    fitted = getattr(model, "estimators_", None)
    if fitted is not None:
        return list(fitted)
    return [est for _, est in model.estimators if est != "drop"]


def _needs_safe_names(model: Any) -> bool:
    if _library(model) in ("xgboost", "lightgbm"):
        return True
    return any(_needs_safe_names(sub) for sub in _sub_models(model))


_BAD_NAME = re.compile(r'[\[\]<>{}",:]')


def _safe_columns(model: Any, X: Any) -> Any:
    """Rename pandas columns that xgboost/lightgbm reject (``[``, ``<``, JSON characters)."""
    if not hasattr(X, "columns") or not _needs_safe_names(model):
        return X
    columns = [str(c) for c in X.columns]
    if not any(_BAD_NAME.search(c) for c in columns) and all(isinstance(c, str) for c in X.columns):
        return X
    safe, seen = [], set()
    for c in columns:
        name = _BAD_NAME.sub("_", c)
        while name in seen:
            name += "_"
        seen.add(name)
        safe.append(name)
    return X.set_axis(safe, axis=1)


@functools.cache
def _threadpools() -> Any:
    """One scan of the loaded OpenMP/BLAS libraries (a scan costs ~4 ms; fits call this often)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _thread_limit(model: Any):
    """Cap OpenMP/BLAS threads (hist_gb, linear algebra) at the run's ``n_threads``."""
    return _threadpools().limit(limits=getattr(model, "_workbench_n_threads", None))


def fit_model(
    model: Any,
    X: Any,
    y: np.ndarray,
    *,
    eval_X: Any = None,
    eval_y: np.ndarray | None = None,
    early_stopping_rounds: int | None = None,
) -> int | None:
    """Fit ``model``; with early stopping (xgboost/lightgbm) return the best number of trees.

    Models without early stopping ignore the eval rows and return None.
    """
    library = _library(model)
    stop = early_stopping_rounds is not None and library in ("xgboost", "lightgbm")
    if stop and (eval_X is None or eval_y is None):
        raise ValueError("early stopping needs eval_X and eval_y")
    X = _safe_columns(model, X)
    with _thread_limit(model), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
        if library == "xgboost":
            if not stop:
                model.fit(X, y, verbose=False)
                return None
            model.set_params(early_stopping_rounds=int(early_stopping_rounds))
            model.fit(X, y, eval_set=[(_safe_columns(model, eval_X), eval_y)], verbose=False)
            return int(model.best_iteration) + 1
        if library == "lightgbm" and stop:
            import lightgbm

            model.fit(
                X,
                y,
                eval_X=_safe_columns(model, eval_X),
                eval_y=eval_y,
                callbacks=[lightgbm.early_stopping(int(early_stopping_rounds), verbose=False)],
            )
            return int(model.best_iteration_) or None
        model.fit(X, y)
    return None


def model_importance(model: Any) -> np.ndarray | None:
    """Per-feature importance: gain for boosters, mean |coef| for linear models, else None.

    For a voting model: the weighted mean of its sub-models' importances, each normalised to
    sum to 1 (sub-models without one are left out; None if none has one).
    """
    subs = _sub_models(model)
    if subs:
        return _voting_importance(model, subs)
    if _library(model) == "lightgbm":
        return np.asarray(model.booster_.feature_importance(importance_type="gain"), dtype=float)
    if hasattr(model, "feature_importances_"):
        return np.asarray(model.feature_importances_, dtype=float)
    coef = getattr(model, "coef_", None)
    if coef is None:
        return None
    coef = np.abs(np.asarray(coef, dtype=float))
    return coef.mean(axis=0) if coef.ndim == 2 else coef


def _voting_importance(model: Any, subs: list[Any]) -> np.ndarray | None:
    weights = getattr(model, "weights", None) or [1.0] * len(subs)
    total, weight_sum = None, 0.0
    for sub, weight in zip(subs, weights, strict=False):
        importance = model_importance(sub)
        if importance is None or not weight:
            continue
        norm = importance.sum()
        importance = importance / norm if norm > 0 else importance
        if total is not None and importance.shape != total.shape:
            return None
        total = weight * importance if total is None else total + weight * importance
        weight_sum += weight
    return None if total is None else total / weight_sum


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _class_proba(model: Any, X: Any) -> np.ndarray:
    """``(n, n_seen_classes)`` probabilities, from decision scores if no predict_proba."""
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X), dtype=float)
    if hasattr(model, "decision_function"):
        scores = np.asarray(model.decision_function(X), dtype=float)
        if scores.ndim == 1:
            p1 = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1 - p1, p1])
        return _softmax(scores)
    labels = np.asarray(model.predict(X))
    return (labels[:, None] == np.asarray(model.classes_)[None, :]).astype(float)


def predict(model: Any, X: Any, task: str, *, n_classes: int | None = None) -> np.ndarray:
    """Predictions in the engine's convention (see module :mod:`workbench.metrics`).

    Probability columns follow the encoded class index, so a class missing from a fold's
    training rows gets probability 0 (pass ``n_classes`` to keep all K columns).
    """
    X = _safe_columns(model, X)
    with _thread_limit(model), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
        if task == "regression":
            return np.asarray(model.predict(X), dtype=float).ravel()
        proba = _class_proba(model, X)
    classes = np.asarray(model.classes_).astype(np.int64)
    width = max(int(classes.max()) + 1, n_classes or 0, 2)
    if proba.shape[1] != width or not np.array_equal(classes, np.arange(width)):
        full = np.zeros((proba.shape[0], width))
        full[:, classes] = proba
        proba = full
    return proba[:, 1] if task == "binary" else proba
