"""Cross-validation of one experiment: per fold, fit features and model on training rows only.

The fold is the unit of work. :func:`prepare_fold` fits the feature pipeline on the fold's
training rows and transforms its validation rows and the test rows (a pure function of the
feature config and the fold's rows, so it can be cached across tuning trials); :func:`fit_fold`
fits the model and scores it. Nothing learned ever sees a validation or test row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench import cv as cv_module
from workbench import metrics as metrics_module
from workbench import models
from workbench.config import ExperimentConfig
from workbench.errors import UserError
from workbench.features.pipeline import FeaturePipeline

log = logging.getLogger("workbench")

LEARNING_CURVE_FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)


@dataclass
class Problem:
    """Everything a CV run needs besides the config: the encoded data and how to score it."""

    X: pd.DataFrame  # training features (no target, no id)
    y: np.ndarray  # encoded target: class indices or float values
    X_test: pd.DataFrame
    task: str
    metric: metrics_module.Metric
    classes: list
    groups: np.ndarray | None = None


@dataclass
class FoldData:
    """A fold after the feature pipeline: the cacheable unit of work."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_valid: pd.DataFrame
    X_test: pd.DataFrame
    feature_names: list[str]
    seconds: float


@dataclass
class FoldResult:
    repeat: int
    fold: int
    n_train: int
    n_valid: int
    train_score: float
    valid_score: float
    best_iteration: int | None
    fit_seconds: float
    features_seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "repeat": self.repeat,
            "fold": self.fold,
            "n_train": self.n_train,
            "n_valid": self.n_valid,
            "train_score": self.train_score,
            "valid_score": self.valid_score,
            "best_iteration": self.best_iteration,
            "fit_seconds": round(self.fit_seconds, 4),
            "features_seconds": round(self.features_seconds, 4),
        }


@dataclass
class CVResult:
    folds: list[cv_module.Fold]
    fold_results: list[FoldResult]
    oof: np.ndarray  # (repeats, n) or (repeats, n, K)
    test_pred: np.ndarray  # (n_test,) or (n_test, K)
    importance: pd.DataFrame
    learning_curve: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def scores(self, attr: str) -> np.ndarray:
        return np.array([getattr(r, attr) for r in self.fold_results], dtype=float)


def prepare_fold(
    pipeline: FeaturePipeline,
    problem: Problem,
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
) -> FoldData:
    """Fit the feature pipeline on the training rows; transform validation and test rows."""
    start = time.perf_counter()
    X_tr = problem.X.iloc[train_idx]
    y_tr = pd.Series(problem.y[train_idx], index=X_tr.index)
    Xt_tr, yt_tr = pipeline.fit_transform(X_tr, y_tr)
    Xt_va = pipeline.transform(problem.X.iloc[valid_idx])
    Xt_te = pipeline.transform(problem.X_test)
    Xt_tr, Xt_va, Xt_te = (_numeric_only(f) for f in (Xt_tr, Xt_va, Xt_te))
    return FoldData(
        X_train=Xt_tr,
        y_train=np.asarray(yt_tr),
        X_valid=Xt_va,
        X_test=Xt_te,
        feature_names=list(map(str, Xt_tr.columns)),
        seconds=time.perf_counter() - start,
    )


def _numeric_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Models need numbers: cast booleans, refuse text left over by the feature steps."""
    bad = [
        c
        for c in frame.columns
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    ]
    if bad:
        raise UserError(
            f"after the feature steps, column(s) {bad[:8]} are still not numeric",
            where="features",
            hint=(
                f"encode them ({{step: onehot, columns: {bad[:3]}}} or ordinal/target_encode) "
                "or drop them ({step: drop, columns: [...]})"
            ),
        )
    bools = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
    if bools:
        frame = frame.astype(dict.fromkeys(bools, np.int8))
    return frame


class TargetTransform:
    """Optional transform of a regression target (``log1p``), inverted for predictions."""

    def __init__(self, kind: str):
        self.kind = kind

    def forward(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "log1p":
            if np.any(y <= -1):
                raise UserError("target_transform log1p needs a target > -1", where="model")
            return np.log1p(y)
        return y

    def inverse(self, pred: np.ndarray) -> np.ndarray:
        return np.expm1(pred) if self.kind == "log1p" else pred


def fit_fold(
    config: ExperimentConfig,
    problem: Problem,
    data: FoldData,
    y_valid: np.ndarray,
    *,
    seed: int,
    n_threads: int,
    with_importance: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """Fit the model on a prepared fold; return it and its predictions and scores."""
    spec = config.model
    transform = TargetTransform(spec.target_transform)
    model = models.make_model(
        spec.kind, task=problem.task, params=spec.params, seed=seed, n_threads=n_threads
    )
    y_fit = transform.forward(data.y_train)
    start = time.perf_counter()
    best_iteration = None
    stopping = spec.early_stopping
    if stopping is not None and models.supports_early_stopping(spec.kind):
        if stopping.validation == "fold":
            fit_X, fit_y = data.X_train, y_fit
            eval_X, eval_y = data.X_valid, transform.forward(y_valid)
        else:
            fit_X, eval_X, fit_y, eval_y = _inner_split(
                data.X_train, y_fit, stopping.inner_fraction, problem.task, seed
            )
        best_iteration = models.fit_model(
            model, fit_X, fit_y, eval_X=eval_X, eval_y=eval_y, early_stopping_rounds=stopping.rounds
        )
    else:
        models.fit_model(model, data.X_train, y_fit)
    fit_seconds = time.perf_counter() - start

    def predict(X: pd.DataFrame) -> np.ndarray:
        out = models.predict(model, X, problem.task)
        return transform.inverse(out) if problem.task == "regression" else out

    valid_pred = predict(data.X_valid)
    train_pred = predict(data.X_train)
    test_pred = predict(data.X_test)
    out = {
        "valid_pred": valid_pred,
        "test_pred": test_pred,
        "train_score": metrics_module.score(
            problem.metric, data.y_train, train_pred, task=problem.task
        ),
        "valid_score": metrics_module.score(problem.metric, y_valid, valid_pred, task=problem.task),
        "best_iteration": best_iteration,
        "fit_seconds": fit_seconds,
    }
    if with_importance:
        out["importance"] = _importance(
            config, problem, model, data, y_valid, predict, valid_pred, seed
        )
    return model, out


def _inner_split(
    X: pd.DataFrame, y: np.ndarray, fraction: float, task: str, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    stratify = y if task != "regression" else None
    X_fit, X_eval, y_fit, y_eval = train_test_split(
        X, y, test_size=fraction, random_state=seed, stratify=stratify
    )
    return X_fit, X_eval, y_fit, y_eval


def _importance(
    config: ExperimentConfig,
    problem: Problem,
    model: Any,
    data: FoldData,
    y_valid: np.ndarray,
    predict: Callable[[pd.DataFrame], np.ndarray],
    valid_pred: np.ndarray,
    seed: int,
) -> pd.DataFrame:
    """The model's own importance and permutation importance on the validation rows."""
    frames = []
    own = models.model_importance(model)
    if own is not None and len(own) == len(data.feature_names):
        frames.append(
            pd.DataFrame(
                {
                    "feature": data.feature_names,
                    "kind": "model",
                    "importance": own,
                    "importance_std": 0.0,
                }
            )
        )
    if config.report.permutation_importance:
        from workbench.importance import permutation_importance

        metric = problem.metric
        sign = 1.0 if metric.greater_is_better else -1.0

        def signed_scores(y: np.ndarray, preds: np.ndarray) -> np.ndarray:
            return sign * metrics_module.score_blocks(metric, y, preds, task=problem.task)

        mean, std = permutation_importance(
            predict,
            data.X_valid,
            y_valid,
            signed_scores,
            n_repeats=config.report.permutation_repeats,
            seed=seed,
            predictions=valid_pred,
        )
        frames.append(
            pd.DataFrame(
                {
                    "feature": data.feature_names,
                    "kind": "permutation",
                    "importance": mean,
                    "importance_std": std,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_cv(
    config: ExperimentConfig,
    problem: Problem,
    make_pipeline: Callable[[], FeaturePipeline],
    *,
    n_threads: int,
    on_fold: Callable[[FoldResult, int], None] | None = None,
) -> CVResult:
    """Cross-validate the experiment: OOF predictions, fold scores, test predictions."""
    start = time.perf_counter()
    folds = cv_module.make_folds(
        scheme=config.cv.scheme,
        n_folds=config.cv.folds,
        repeats=config.cv.repeats,
        task=problem.task,
        y=problem.y,
        groups=problem.groups,
        seed=config.seed,
        shuffle=config.cv.shuffle,
        n_bins=config.cv.bins,
    )
    n = len(problem.y)
    n_classes = len(problem.classes) if problem.task == "multiclass" else 0
    shape = (config.cv.repeats, n, n_classes) if n_classes else (config.cv.repeats, n)
    oof = np.full(shape, np.nan)
    test_sum: np.ndarray | None = None
    results: list[FoldResult] = []
    importances = []
    features_seconds = 0.0
    with_importance = config.report.enabled
    for number, fold in enumerate(folds):
        fold_seed = config.seed + number
        data = prepare_fold(make_pipeline(), problem, fold.train, fold.valid)
        features_seconds += data.seconds
        _, out = fit_fold(
            config,
            problem,
            data,
            problem.y[fold.valid],
            seed=fold_seed,
            n_threads=n_threads,
            with_importance=with_importance,
        )
        oof[fold.repeat, fold.valid] = out["valid_pred"]
        test_sum = out["test_pred"] if test_sum is None else test_sum + out["test_pred"]
        result = FoldResult(
            repeat=fold.repeat,
            fold=fold.fold,
            n_train=len(data.y_train),
            n_valid=len(fold.valid),
            train_score=float(out["train_score"]),
            valid_score=float(out["valid_score"]),
            best_iteration=out["best_iteration"],
            fit_seconds=out["fit_seconds"],
            features_seconds=data.seconds,
        )
        if "importance" in out and not out["importance"].empty:
            imp = out["importance"]
            imp.insert(0, "fold", fold.fold)
            imp.insert(0, "repeat", fold.repeat)
            importances.append(imp)
        results.append(result)
        log.info(
            "fold %d/%d (repeat %d): train %.5f  valid %.5f  (%.2fs)",
            number + 1,
            len(folds),
            fold.repeat,
            result.train_score,
            result.valid_score,
            result.fit_seconds + data.seconds,
        )
        if on_fold is not None:
            on_fold(result, len(folds))
    assert test_sum is not None
    test_pred = test_sum / len(folds)
    cv_seconds = time.perf_counter() - start

    if config.predict.test == "refit":
        test_pred = refit_predict(config, problem, make_pipeline, results, n_threads=n_threads)

    learning_curve = None
    if config.report.enabled and config.report.learning_curve:
        learning_curve = compute_learning_curve(
            config, problem, make_pipeline, folds, n_threads=n_threads
        )
    return CVResult(
        folds=folds,
        fold_results=results,
        oof=oof,
        test_pred=test_pred,
        importance=pd.concat(importances, ignore_index=True) if importances else pd.DataFrame(),
        learning_curve=learning_curve,
        timings={
            "cv_seconds": cv_seconds,
            "features_seconds": features_seconds,
            "fit_seconds": float(sum(r.fit_seconds for r in results)),
        },
    )


def refit_predict(
    config: ExperimentConfig,
    problem: Problem,
    make_pipeline: Callable[[], FeaturePipeline],
    results: list[FoldResult],
    *,
    n_threads: int,
) -> np.ndarray:
    """Fit features and model on every training row; predict the test rows.

    With early stopping, the number of trees is the mean best iteration over the folds.
    """
    pipeline = make_pipeline()
    X_train, y_train = pipeline.fit_transform(
        problem.X, pd.Series(problem.y, index=problem.X.index)
    )
    X_train = _numeric_only(X_train)
    X_test = _numeric_only(pipeline.transform(problem.X_test))
    refit_config = config
    iterations = [r.best_iteration for r in results if r.best_iteration]
    if iterations:
        params = {**config.model.params, "n_estimators": round(float(np.mean(iterations)))}
        model = config.model.model_copy(update={"params": params, "early_stopping": None})
        refit_config = config.model_copy(update={"model": model})
    spec = refit_config.model
    transform = TargetTransform(spec.target_transform)
    model = models.make_model(
        spec.kind, task=problem.task, params=spec.params, seed=config.seed, n_threads=n_threads
    )
    models.fit_model(model, X_train, transform.forward(np.asarray(y_train)))
    pred = models.predict(model, X_test, problem.task)
    return transform.inverse(pred) if problem.task == "regression" else pred


def compute_learning_curve(
    config: ExperimentConfig,
    problem: Problem,
    make_pipeline: Callable[[], FeaturePipeline],
    folds: list[cv_module.Fold],
    *,
    n_threads: int,
) -> pd.DataFrame:
    """Score vs. training-set fraction, in-fold: subsample each fold's training rows only."""
    rows = []
    for number, fold in enumerate(f for f in folds if f.repeat == 0):
        rng = np.random.default_rng(config.seed + number)
        order = rng.permutation(fold.train)
        for fraction in LEARNING_CURVE_FRACTIONS:
            size = max(round(fraction * len(order)), 2 * max(2, len(problem.classes)))
            subset = np.sort(order[:size])
            if problem.task != "regression" and len(np.unique(problem.y[subset])) < 2:
                continue
            data = prepare_fold(make_pipeline(), problem, subset, fold.valid)
            _, out = fit_fold(  # no importance: only the scores are needed here
                config,
                problem,
                data,
                problem.y[fold.valid],
                seed=config.seed + number,
                n_threads=n_threads,
            )
            rows.append(
                {
                    "repeat": fold.repeat,
                    "fold": fold.fold,
                    "fraction": fraction,
                    "n_train": len(data.y_train),
                    "train_score": out["train_score"],
                    "valid_score": out["valid_score"],
                }
            )
    return pd.DataFrame(rows)
