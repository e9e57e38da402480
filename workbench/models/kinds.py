"""The model kinds: one table row per kind, and the functions that check, resolve and build them.

Estimator classes are stored as import paths and imported on use, so xgboost and lightgbm are
only loaded when a config asks for them. The workbench owns the seed and the thread count: they
are set from the run, never from model params.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import UserError, did_you_mean
from workbench.models.adapters import Adapter, LightGBMAdapter, SklearnAdapter, XGBoostAdapter
from workbench.models.model import Model
from workbench.models.voting import Blend, VotingAdapter, in_member, parse_voting_params
from workbench.tasks import TASKS


@dataclass(frozen=True)
class ModelSpec:
    """One model kind: its library's adapter, classes (import paths), defaults, and the
    parameters the run's seed and thread count go to."""

    adapter: Adapter
    classifier: str | None = None
    regressor: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    classifier_defaults: Mapping[str, Any] = field(default_factory=dict)
    regressor_defaults: Mapping[str, Any] = field(default_factory=dict)
    seed_param: str | None = "random_state"
    thread_param: str | None = None
    #: what ``workbench tune`` searches when the config declares no space (``tune.space``)
    space: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the library bins features as 32-bit floats itself: folds are handed to it as float32
    float32: bool = False


SKLEARN = SklearnAdapter()
LIGHTGBM = LightGBMAdapter()
XGBOOST = XGBoostAdapter()
VOTING = VotingAdapter()

_SK = "sklearn."
_BLEND = "workbench.models.voting.Blend"
_GBM_SHARED = {
    "n_estimators": 500,
    "learning_rate": 0.03,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
}


def _log(low: float, high: float) -> dict[str, Any]:
    return {"float": [low, high], "log": True}


_FOREST_SPACE = {
    "max_depth": {"int": [3, 32], "log": True},
    "min_samples_leaf": {"int": [1, 30], "log": True},
    "max_features": {"float": [0.1, 1.0]},
}

KINDS: dict[str, ModelSpec] = {
    "logistic": ModelSpec(
        SKLEARN,
        classifier=_SK + "linear_model.LogisticRegression",
        defaults={"max_iter": 2000},
        space={"C": _log(1e-3, 1e3)},
    ),
    "linear": ModelSpec(
        SKLEARN,
        regressor=_SK + "linear_model.LinearRegression",
        seed_param=None,
        thread_param="n_jobs",
    ),
    "ridge": ModelSpec(
        SKLEARN,
        regressor=_SK + "linear_model.Ridge",
        defaults={"alpha": 1.0},
        space={"alpha": _log(1e-3, 1e3)},
    ),
    "lasso": ModelSpec(
        SKLEARN,
        regressor=_SK + "linear_model.Lasso",
        defaults={"alpha": 0.0005, "max_iter": 50000},
        space={"alpha": _log(1e-5, 1.0)},
    ),
    "elastic_net": ModelSpec(
        SKLEARN,
        regressor=_SK + "linear_model.ElasticNet",
        defaults={"alpha": 0.0005, "l1_ratio": 0.5, "max_iter": 50000},
        space={"alpha": _log(1e-5, 1.0), "l1_ratio": {"float": [0.05, 0.95]}},
    ),
    "decision_tree": ModelSpec(
        SKLEARN,
        classifier=_SK + "tree.DecisionTreeClassifier",
        regressor=_SK + "tree.DecisionTreeRegressor",
        defaults={"max_depth": 8, "min_samples_leaf": 5},
        space={"max_depth": {"int": [2, 16]}, "min_samples_leaf": {"int": [1, 50], "log": True}},
    ),
    "random_forest": ModelSpec(
        SKLEARN,
        classifier=_SK + "ensemble.RandomForestClassifier",
        regressor=_SK + "ensemble.RandomForestRegressor",
        defaults={"n_estimators": 500},
        thread_param="n_jobs",
        space=_FOREST_SPACE,
    ),
    "extra_trees": ModelSpec(
        SKLEARN,
        classifier=_SK + "ensemble.ExtraTreesClassifier",
        regressor=_SK + "ensemble.ExtraTreesRegressor",
        defaults={"n_estimators": 500},
        thread_param="n_jobs",
        space=_FOREST_SPACE,
    ),
    "svm": ModelSpec(
        SklearnAdapter(calibrate_classifier=True),
        classifier=_SK + "svm.SVC",
        regressor=_SK + "svm.SVR",
        defaults={"C": 1.0, "kernel": "rbf"},
        seed_param=None,
        space={"C": _log(1e-2, 1e3)},
    ),
    "knn": ModelSpec(
        SKLEARN,
        classifier=_SK + "neighbors.KNeighborsClassifier",
        regressor=_SK + "neighbors.KNeighborsRegressor",
        defaults={"n_neighbors": 15, "weights": "distance"},
        seed_param=None,
        thread_param="n_jobs",
        space={"n_neighbors": {"int": [2, 100], "log": True}},
    ),
    "hist_gb": ModelSpec(
        SKLEARN,
        classifier=_SK + "ensemble.HistGradientBoostingClassifier",
        regressor=_SK + "ensemble.HistGradientBoostingRegressor",
        defaults={"max_iter": 300, "learning_rate": 0.05, "early_stopping": False},
        space={
            "learning_rate": _log(0.01, 0.3),
            "max_leaf_nodes": {"int": [4, 128], "log": True},
            "min_samples_leaf": {"int": [2, 100], "log": True},
            "l2_regularization": _log(1e-6, 10.0),
        },
    ),
    "xgboost": ModelSpec(
        XGBOOST,
        classifier="xgboost.XGBClassifier",
        regressor="xgboost.XGBRegressor",
        defaults={**_GBM_SHARED, "max_depth": 5, "tree_method": "hist", "verbosity": 0},
        thread_param="n_jobs",
        float32=True,
        space={
            "learning_rate": _log(0.005, 0.2),
            "max_depth": {"int": [2, 10]},
            "min_child_weight": _log(0.01, 30.0),
            "subsample": {"float": [0.5, 1.0]},
            "colsample_bytree": {"float": [0.3, 1.0]},
            "reg_lambda": _log(1e-6, 30.0),
        },
    ),
    "lightgbm": ModelSpec(
        LIGHTGBM,
        classifier="lightgbm.LGBMClassifier",
        regressor="lightgbm.LGBMRegressor",
        defaults={**_GBM_SHARED, "num_leaves": 31, "subsample_freq": 1, "verbose": -1},
        thread_param="n_jobs",
        float32=True,
        space={
            "learning_rate": _log(0.005, 0.2),
            "num_leaves": {"int": [4, 128], "log": True},
            "min_child_samples": {"int": [3, 100], "log": True},
            "subsample": {"float": [0.5, 1.0]},
            "colsample_bytree": {"float": [0.3, 1.0]},
            "reg_lambda": _log(1e-6, 30.0),
        },
    ),
    "mlp": ModelSpec(
        SKLEARN,
        classifier=_SK + "neural_network.MLPClassifier",
        regressor=_SK + "neural_network.MLPRegressor",
        defaults={"hidden_layer_sizes": [100], "max_iter": 2000},
        # Raw-scale regression targets rarely meet the tolerance; stop on a 10% holdout.
        regressor_defaults={"early_stopping": True, "n_iter_no_change": 20},
        space={"alpha": _log(1e-6, 1.0), "learning_rate_init": _log(1e-4, 1e-2)},
    ),
    # A blend of other kinds (params: estimators, weights); see workbench.models.voting.
    "voting": ModelSpec(VOTING, classifier=_BLEND, regressor=_BLEND, seed_param=None),
}

# The kind to suggest when a kind does not support the task.
_ALTERNATIVE = {
    "logistic": "ridge",
    "linear": "logistic",
    "ridge": "logistic",
    "lasso": "logistic",
    "elastic_net": "logistic",
}


def model_kinds() -> list[str]:
    """Names of all model kinds, for ``model.kind``."""
    return list(KINDS)


def default_params(kind: str, task: str) -> dict:
    """The defaults used for ``kind`` on ``task`` (saved in the resolved config)."""
    spec = _spec(kind, task)
    extra = spec.regressor_defaults if task == "regression" else spec.classifier_defaults
    return {**spec.defaults, **extra}


def default_space(kind: str) -> dict[str, dict[str, Any]]:
    """What ``workbench tune`` searches for ``kind`` when the config declares no space:
    ``model.params.<name>`` paths and their ranges ({} for kinds with none, e.g. voting)."""
    return {f"model.params.{name}": dict(dist) for name, dist in _spec(kind).space.items()}


def takes_float32(kind: str) -> bool:
    """Whether this kind's folds are handed over as 32-bit floats (half the memory of 64-bit
    ones; LightGBM and XGBoost bin features as 32-bit floats themselves). False for what is
    not a model kind (a blend's ``blend``), which fits no features."""
    return kind in KINDS and KINDS[kind].float32


def supports_early_stopping(kind: str) -> bool:
    """Whether :meth:`Model.fit` can early-stop this kind on eval rows."""
    return _spec(kind).adapter.early_stopping


def resolve_params(kind: str, task: str, params: dict) -> dict:
    """Check ``kind``, ``task`` and every parameter; return ``params`` with the kind's defaults
    filled in (for voting: each member's too). Mistakes raise UserError naming the field."""
    spec = _spec(kind, task)
    params = dict(params or {})
    if spec.adapter.blend:
        voting = parse_voting_params(params)
        members = [
            {
                "kind": member.kind,
                "params": in_member(index, resolve_params, member.kind, task, member.params or {}),
            }
            for index, member in enumerate(voting.estimators)
        ]
        return {**default_params(kind, task), **params, "estimators": members}
    _check_names(kind, task, spec, params)
    return {**default_params(kind, task), **params}


def build_model(
    kind: str, *, task: str, params: dict, seed: int, n_threads: int, n_classes: int
) -> Model:
    """An unfitted :class:`Model`: the kind's defaults, then ``params``, then seed and threads.

    ``n_classes``: the task's number of classes (2 for binary; ignored for regression).
    """
    params = resolve_params(kind, task, params)
    if task != "regression" and (n_classes < 2 or (task == "binary" and n_classes != 2)):
        raise ValueError(f"a {task} task cannot have {n_classes} classes")
    spec = KINDS[kind]
    n_threads = max(1, int(n_threads))
    if spec.adapter.blend:
        voting = parse_voting_params(params)
        members = [
            in_member(
                index,
                build_model,
                member.kind,
                task=task,
                params=member.params or {},
                seed=seed,
                n_threads=n_threads,
                n_classes=n_classes,
            )
            for index, member in enumerate(voting.estimators)
        ]
        estimator: Any = Blend(members, voting.weights)
    else:
        if spec.seed_param:
            params[spec.seed_param] = int(seed)
        if spec.thread_param:
            params[spec.thread_param] = n_threads
        cls = _estimator_class(kind, task)
        try:
            estimator = spec.adapter.build(cls, params, task=task)
        except (TypeError, ValueError) as exc:
            raise UserError(
                f"bad parameters for {cls.__name__}: {exc}", where="model.params"
            ) from exc
    return Model(
        kind=kind,
        task=task,
        n_classes=n_classes,
        n_threads=n_threads,
        estimator=estimator,
        adapter=spec.adapter,
    )


def _spec(kind: str, task: str | None = None) -> ModelSpec:
    """The kind's row; with ``task``, also checks that the kind supports it."""
    if kind not in KINDS:
        raise UserError(
            f"unknown model kind {kind!r}", where="model.kind", hint=did_you_mean(kind, KINDS)
        )
    spec = KINDS[kind]
    if task is None:
        return spec
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}", where="task", hint=did_you_mean(task, TASKS))
    if _class_path(spec, task) is None:
        fits = [k for k, s in KINDS.items() if _class_path(s, task)]
        alternative = _ALTERNATIVE.get(kind)
        hint = f"use model.kind: {alternative}" if alternative else ""
        raise UserError(
            f"model kind {kind!r} does not support {task} tasks",
            where="model.kind",
            hint=f"{hint} (kinds for {task}: {', '.join(fits)})".strip(),
        )
    return spec


def _class_path(spec: ModelSpec, task: str) -> str | None:
    return spec.regressor if task == "regression" else spec.classifier


def _estimator_class(kind: str, task: str) -> type:
    path = _class_path(KINDS[kind], task)
    assert path is not None
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@functools.cache
def _param_names(kind: str, task: str) -> tuple[frozenset[str], frozenset[str]]:
    """The estimator's own parameter names, and all accepted ones (native spellings too)."""
    spec = KINDS[kind]
    own = spec.adapter.param_names(_estimator_class(kind, task))
    return own, own | frozenset(spec.adapter.native_params)


def _check_names(kind: str, task: str, spec: ModelSpec, params: dict) -> None:
    owned = dict(spec.adapter.owned)
    if spec.seed_param:
        owned[spec.seed_param] = "set the run's seed instead"
    if spec.thread_param:
        owned[spec.thread_param] = "set the run's threads instead"
    own, valid = _param_names(kind, task)
    for key in params:
        if key in owned:
            raise UserError(
                f"parameter {key!r} is set by the workbench",
                where=f"model.params.{key}",
                hint=owned[key],
            )
        if key not in valid:
            raise UserError(
                f"unknown parameter {key!r} for {_estimator_class(kind, task).__name__}",
                where=f"model.params.{key}",
                hint=_suggest(key, own, valid),
            )


def _suggest(name: str, own: frozenset[str], valid: frozenset[str]) -> str | None:
    """A did-you-mean hint that prefers the estimator's own names over native spellings."""
    hint = did_you_mean(name, own)
    if hint and hint.startswith("did you mean"):
        return hint
    return did_you_mean(name, valid) if valid - own else hint
