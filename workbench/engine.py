"""Cross-validation of a prepared experiment: per fold, features and model fit on training rows.

The fold is the unit of work. :func:`prepare_fold` fits the feature pipeline on a fold's
training rows and transforms its validation and test rows; it is a pure module-level function
of the feature spec, the problem and the fold, so :func:`run_cv` takes it as an argument and a
cache can stand in for it (:mod:`workbench.foldcache`, like scikit-learn's
``Pipeline(memory=...)``). :func:`fit_fold` fits the model and scores it. Nothing learned ever
sees a validation or test row.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench import cv as cv_module
from workbench import metrics as metrics_module
from workbench import models
from workbench.config import MAX_SEED, ExperimentConfig
from workbench.errors import UserError
from workbench.explain import FoldExplanation, explain_fold
from workbench.prepare import FeatureSpec, Prepared, Problem
from workbench.record import FoldRecord
from workbench.resources import model_threads

log = logging.getLogger("workbench")

LEARNING_CURVE_FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)
TRAIN_SCORE_ROWS = 2_000  # the training score (a diagnosis) is computed on at most this many


@dataclass(frozen=True)
class FoldData:
    """A fold after the feature pipeline: everything fitting and scoring it needs."""

    fold: cv_module.Fold
    X_train: pd.DataFrame  # after row filters
    y_train: np.ndarray
    X_valid: pd.DataFrame
    y_valid: np.ndarray
    X_test: pd.DataFrame
    feature_names: list[str]
    seconds: float


FoldPreparer = Callable[[FeatureSpec, Problem, cv_module.Fold], FoldData]


@dataclass(frozen=True)
class FoldFit:
    """A fitted fold: its predictions and scores."""

    valid_pred: np.ndarray
    test_pred: np.ndarray
    train_score: float
    valid_score: float
    train_rows_scored: int
    best_iteration: int | None
    fit_seconds: float
    explanation: FoldExplanation | None = None


@dataclass
class CVResult:
    folds: list[cv_module.Fold]
    fold_records: list[FoldRecord]
    oof: np.ndarray  # (repeats, n) or (repeats, n, K)
    test_pred: np.ndarray  # (n_test,) or (n_test, K)
    importance: pd.DataFrame
    explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    learning_curve: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def scores(self, attr: str) -> np.ndarray:
        return np.array([getattr(r, attr) for r in self.fold_records], dtype=float)


def fold_seed(seed: int, number: int) -> int:
    """The seed of the ``number``-th fold's model: distinct per fold, within every library's
    seed range (``[0, MAX_SEED]``)."""
    return (seed + number) % (MAX_SEED + 1)


def prepare_fold(features: FeatureSpec, problem: Problem, fold: cv_module.Fold) -> FoldData:
    """Fit the feature pipeline on the fold's training rows; transform validation and test."""
    start = time.perf_counter()
    pipeline = features.build()
    y_tr = pd.Series(problem.y[fold.train], index=problem.X.index[fold.train])
    # The fold's raw rows are handed over unnamed, so each step's input is freed as soon as
    # its output exists (the encoded text columns go one step after they are encoded).
    Xt_tr, yt_tr = pipeline.fit_transform(problem.X.iloc[fold.train], y_tr)
    _some_columns(Xt_tr)
    Xt_tr = model_input(Xt_tr, features.float32)
    Xt_va = model_input(pipeline.transform(problem.X.iloc[fold.valid]), features.float32)
    Xt_te = model_input(pipeline.transform(problem.X_test), features.float32)
    return FoldData(
        fold=fold,
        X_train=Xt_tr,
        y_train=np.asarray(yt_tr),
        X_valid=Xt_va,
        y_valid=problem.y[fold.valid],
        X_test=Xt_te,
        feature_names=list(map(str, Xt_tr.columns)),
        seconds=time.perf_counter() - start,
    )


def _some_columns(frame: pd.DataFrame) -> None:
    """A model needs at least one column (and at least one training row) to learn from."""
    if frame.shape[1] == 0:
        raise UserError(
            "after the feature steps no columns are left for the model",
            where="features",
            hint="check the drop/keep steps (a selector such as 'all' takes every column)",
        )
    if frame.shape[0] == 0:
        raise UserError(
            "the feature steps removed every training row of the fold",
            where="features",
            hint="loosen the outliers step's limits",
        )


def model_input(frame: pd.DataFrame, float32: bool) -> pd.DataFrame:
    """The features as a model takes them: numbers only; for a model that takes 32-bit floats,
    one block of them, which LightGBM and XGBoost read without a copy of their own.

    The block is filled one column at a time and ``frame`` is emptied first, so each column
    of the steps' output is freed once it is in the block: a fold's features are never held
    twice in full (the caller's frame is left without columns).
    """
    _refuse_text(frame)
    if not float32:
        bools = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
        return frame.astype(dict.fromkeys(bools, np.int8)) if bools else frame
    names, index = frame.columns, frame.index
    columns = [frame.iloc[:, j] for j in range(len(names))]
    frame.drop(columns=names, inplace=True)
    block = np.empty((len(columns), len(index)), dtype=np.float32)
    for j in range(len(columns)):
        block[j] = columns[j].to_numpy(dtype=np.float32, na_value=np.nan)
        columns[j] = None
    return pd.DataFrame(block.T, index=index, columns=names, copy=False)


def _refuse_text(frame: pd.DataFrame) -> None:
    """Models need numbers (booleans count): text left over by the feature steps is refused."""
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


class TargetTransform:
    """Optional transform of a regression target (``log1p``), inverted for predictions."""

    def __init__(self, kind: str):
        self.kind = kind

    def forward(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "log1p":
            if np.any(y <= -1):
                raise UserError(
                    "target_transform log1p needs a target > -1", where="model.target_transform"
                )
            return np.log1p(y)
        return y

    def inverse(self, pred: np.ndarray) -> np.ndarray:
        return np.expm1(pred) if self.kind == "log1p" else pred


def fit_fold(
    config: ExperimentConfig,
    problem: Problem,
    data: FoldData,
    *,
    seed: int,
    n_threads: int,
    with_explanation: bool = False,
    scores_only: bool = False,
) -> FoldFit:
    """Fit the model on a prepared fold; predict its validation and test rows and score it."""
    spec = config.model
    transform = TargetTransform(spec.target_transform)
    model = models.build_model(
        spec.kind,
        task=problem.task,
        params=spec.params,
        seed=seed,
        n_threads=n_threads,
        n_classes=problem.n_classes,
    )
    if not model.accepts_missing:
        _refuse_missing(data, spec.kind)
    y_fit = transform.forward(data.y_train)
    start = time.perf_counter()
    best_iteration = None
    stopping = spec.early_stopping
    with _explained(data, spec.kind):
        if stopping is not None and models.supports_early_stopping(spec.kind):
            if stopping.validation == "fold":
                fit_X, fit_y = data.X_train, y_fit
                eval_X, eval_y = data.X_valid, transform.forward(data.y_valid)
            else:
                fit_X, eval_X, fit_y, eval_y = _inner_split(
                    data.X_train, y_fit, stopping.inner_fraction, problem.task, seed
                )
            with models.rejected_parameters(spec.kind, spec.params):
                best_iteration = model.fit(
                    fit_X,
                    fit_y,
                    eval_X=eval_X,
                    eval_y=eval_y,
                    early_stopping_rounds=stopping.rounds,
                )
        else:
            with models.rejected_parameters(spec.kind, spec.params):
                model.fit(data.X_train, y_fit)
    fit_seconds = time.perf_counter() - start

    def predict(X: pd.DataFrame) -> np.ndarray:
        out = model.predict(X)
        return transform.inverse(out) if problem.task == "regression" else out

    valid_pred = predict(data.X_valid)
    # A tuning trial needs the validation score only: no training score, no test predictions.
    scored = np.arange(0) if scores_only else _training_sample(len(data.y_train), seed)
    train_pred = predict(data.X_train.iloc[scored]) if len(scored) else np.arange(0)
    explanation = None
    if with_explanation:
        explanation = explain_fold(
            config,
            problem,
            model,
            data.X_valid,
            data.y_valid,
            valid_pred,
            predict,
            n_train=len(data.y_train),
            seed=seed,
        )
    return FoldFit(
        valid_pred=valid_pred,
        test_pred=np.arange(0) if scores_only else predict(data.X_test),
        train_score=metrics_module.score(
            problem.metric, data.y_train[scored], train_pred, task=problem.task
        )
        if len(scored)
        else float("nan"),
        valid_score=metrics_module.score(
            problem.metric, data.y_valid, valid_pred, task=problem.task
        ),
        train_rows_scored=len(train_pred),
        best_iteration=best_iteration,
        fit_seconds=fit_seconds,
        explanation=explanation,
    )


@contextlib.contextmanager
def _explained(data: FoldData, kind: str) -> Iterator[None]:
    """A library failure that names no parameter is often the data's doing: a column with no
    value at all in the fold's training rows (HistGradientBoosting cannot bin one). Say so."""
    try:
        yield
    except UserError as exc:
        if exc.where != "model.params":
            raise
        empty = data.X_train.columns[data.X_train.isna().to_numpy().all(axis=0)].tolist()
        if not empty:
            raise
        shown = ", ".join(map(str, empty[:6])) + (", ..." if len(empty) > 6 else "")
        raise UserError(
            f"{exc.message}; the fold's training rows have no value at all in: {shown}",
            where="features",
            hint=f"drop them ({{step: drop, columns: {empty[:3]}}}) or impute them, or use a "
            f"model that takes an all-missing column (lightgbm, xgboost)",
        ) from None


@contextlib.contextmanager
def warnings_to_log() -> Iterator[None]:
    """Library warnings during the CV (a model that did not converge, a division by zero in a
    step) go to the run's log, once each, not to the terminal: there, a run prints its folds
    and a failed run one message."""
    seen: set[tuple[str, str]] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        key = (category.__name__, str(message))
        if key not in seen:
            seen.add(key)
            log.warning("%s: %s", category.__name__, message)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _refuse_missing(data: FoldData, kind: str) -> None:
    """A model that cannot take NaN gets none: name the columns and the step that fixes it."""
    for rows, frame in (
        ("training", data.X_train),
        ("validation", data.X_valid),
        ("test", data.X_test),
    ):
        missing = frame.columns[frame.isna().to_numpy().any(axis=0)].tolist()
        if missing:
            shown = ", ".join(map(str, missing[:6])) + (", ..." if len(missing) > 6 else "")
            raise UserError(
                f"model kind {kind!r} cannot take missing values, and after the feature steps "
                f"the {rows} rows have some in: {shown}",
                where="features",
                hint=(
                    f"add an impute step, e.g. {{step: impute, columns: {missing[:3]}, "
                    "strategy: median}, or use a model that handles them (lightgbm, xgboost, "
                    "hist_gb)"
                ),
            )


def _refuse_non_positive(problem: Problem, fold: cv_module.Fold, fit: FoldFit, number: int) -> None:
    """A log metric cannot score a prediction <= 0, and Kaggle refuses such a submission: say
    so at the first fold that makes one, naming the rows, instead of after the whole CV."""
    for rows, ids, pred in (
        ("validation", problem.X.index[fold.valid], fit.valid_pred),
        ("test", problem.X_test.index, fit.test_pred),
    ):
        bad = np.flatnonzero(np.asarray(pred) <= 0)
        if len(bad):
            shown = ", ".join(str(i) for i in ids[bad[:5]]) + (", ..." if len(bad) > 5 else "")
            raise UserError(
                f"fold {number + 1} predicted {len(bad)} value(s) <= 0 for its {rows} rows "
                f"(ids {shown}), but the metric {problem.metric.name!r} takes their log",
                where="model.target_transform",
                hint=(
                    "set model.target_transform: log1p (the model then fits log values and "
                    "always predicts positive ones), or use a model that cannot go below zero"
                ),
            )


def _training_sample(n: int, seed: int) -> np.ndarray:
    """The training rows the training score is computed on: all, or a seeded sample of
    :data:`TRAIN_SCORE_ROWS`, so its cost stays bounded as the data grows."""
    if n <= TRAIN_SCORE_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, TRAIN_SCORE_ROWS, replace=False))


def _inner_split(
    X: pd.DataFrame, y: np.ndarray, fraction: float, task: str, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Hold out ``fraction`` of a fold's training rows for early stopping; stratified for
    classification unless a class is too rare to be split (then plainly random, logged)."""
    from sklearn.model_selection import train_test_split

    stratify = None
    if task != "regression":
        counts = np.bincount(np.asarray(y, dtype=np.int64))
        present = int(np.count_nonzero(counts))
        n_eval = int(np.ceil(fraction * len(y)))
        if counts[counts > 0].min() >= 2 and present <= n_eval <= len(y) - present:
            stratify = y
        else:
            log.info(
                "early stopping: a class has a single training row in this fold, so the "
                "early-stopping slice is drawn without stratification"
            )
    return train_test_split(X, y, test_size=fraction, random_state=seed, stratify=stratify)


def make_folds(prepared: Prepared) -> list[cv_module.Fold]:
    """The experiment's folds: same config and data, same folds."""
    config, problem = prepared.config, prepared.problem
    return cv_module.make_folds(
        scheme=config.cv.scheme,
        n_folds=config.cv.folds,
        repeats=config.cv.repeats,
        task=problem.task,
        y=problem.y,
        groups=problem.groups,
        seed=config.seed,
        shuffle=config.cv.shuffle,
        n_bins=config.cv.bins,
        classes=problem.classes,
    )


def run_cv(
    prepared: Prepared,
    *,
    prepare: FoldPreparer | None = None,
    n_threads: int | None = None,
    on_fold: Callable[[FoldRecord, int], None] | None = None,
    scores_only: bool = False,
) -> CVResult:
    """Cross-validate the experiment: OOF predictions, fold scores, test predictions.

    ``prepare`` makes each fold's features (default :func:`prepare_fold`; a cache may stand
    in for it);
    ``on_fold`` sees each fold's record as soon as it is scored (tuning reports it to a pruner,
    which may stop the study's trial by raising). ``scores_only`` (tuning trials): validation
    scores and OOF predictions only; no training score, test predictions, refit or report parts.
    """
    with warnings_to_log():
        return _run_cv(
            prepared, prepare=prepare, n_threads=n_threads, on_fold=on_fold, scores_only=scores_only
        )


def _run_cv(
    prepared: Prepared,
    *,
    prepare: FoldPreparer | None,
    n_threads: int | None,
    on_fold: Callable[[FoldRecord, int], None] | None,
    scores_only: bool,
) -> CVResult:
    config, problem = prepared.config, prepared.problem
    if prepare is None:
        prepare = prepare_fold
    if n_threads is None:
        n_threads = model_threads(config.threads, n_rows=len(problem.y))
    start = time.perf_counter()
    folds = make_folds(prepared)
    n = len(problem.y)
    shape = (config.cv.repeats, n)
    if problem.task == "multiclass":
        shape = (*shape, problem.n_classes)
    oof = np.full(shape, np.nan)
    test_sum: np.ndarray | None = None
    records: list[FoldRecord] = []
    importances: list[pd.DataFrame] = []
    explanations: list[pd.DataFrame] = []
    features_seconds = 0.0
    for number, fold in enumerate(folds):
        data = prepare(prepared.features, problem, fold)
        features_seconds += data.seconds
        fit = fit_fold(
            config,
            problem,
            data,
            seed=fold_seed(config.seed, number),
            n_threads=n_threads,
            with_explanation=config.report.enabled and not scores_only,
            scores_only=scores_only,
        )
        if problem.metric.log_space:
            _refuse_non_positive(problem, fold, fit, number)
        oof[fold.repeat, fold.valid] = fit.valid_pred
        test_sum = fit.test_pred if test_sum is None else test_sum + fit.test_pred
        record = FoldRecord(
            repeat=fold.repeat,
            fold=fold.fold,
            n_train=len(data.y_train),
            n_valid=len(fold.valid),
            train_score=float(fit.train_score),
            valid_score=float(fit.valid_score),
            train_rows_scored=fit.train_rows_scored,
            best_iteration=fit.best_iteration,
            fit_seconds=round(fit.fit_seconds, 4),
            features_seconds=round(data.seconds, 4),
        )
        if fit.explanation is not None:
            where = {"repeat": fold.repeat, "fold": fold.fold}
            importances.append(fit.explanation.importance.assign(**where))
            explanations.append(fit.explanation.explanations.assign(**where))
        records.append(record)
        log.info(
            "fold %d/%d (repeat %d): train %.5f  valid %.5f  (%.2fs)",
            number + 1,
            len(folds),
            fold.repeat + 1,
            record.train_score,
            record.valid_score,
            fit.fit_seconds + data.seconds,
        )
        if on_fold is not None:
            on_fold(record, len(folds))
        del data, fit  # one fold's matrices at a time: these go before the next fold's are made
    assert test_sum is not None
    test_pred = test_sum / len(folds)
    cv_seconds = time.perf_counter() - start

    if config.predict.test == "refit" and not scores_only:
        test_pred = refit_predict(prepared, records, n_threads=n_threads)

    learning_curve = None
    if config.report.enabled and config.report.learning_curve and not scores_only:
        learning_curve = compute_learning_curve(prepared, folds, prepare, n_threads=n_threads)
    return CVResult(
        folds=folds,
        fold_records=records,
        oof=oof,
        test_pred=test_pred,
        importance=_per_fold(importances),
        explanations=_per_fold(explanations),
        learning_curve=learning_curve,
        timings={
            "cv_seconds": cv_seconds,
            "features_seconds": features_seconds,
            "fit_seconds": float(sum(r.fit_seconds for r in records)),
        },
    )


def _per_fold(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-fold frames stacked, ``repeat`` and ``fold`` first."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["repeat", "fold", *stacked.columns[:-2]]]


def refit_predict(prepared: Prepared, records: list[FoldRecord], *, n_threads: int) -> np.ndarray:
    """Fit features and model on every training row; predict the test rows.

    With early stopping, the number of trees is the mean best iteration over the folds.
    """
    config, problem = prepared.config, prepared.problem
    pipeline = prepared.features.build()
    X_train, y_train = pipeline.fit_transform(
        problem.X, pd.Series(problem.y, index=problem.X.index)
    )
    _some_columns(X_train)
    X_train = model_input(X_train, prepared.features.float32)
    X_test = model_input(pipeline.transform(problem.X_test), prepared.features.float32)
    spec = config.model
    params, stopping = spec.params, spec.early_stopping
    iterations = [r.best_iteration for r in records if r.best_iteration]
    if iterations:
        params = {**params, "n_estimators": round(float(np.mean(iterations)))}
        stopping = None
    refit_config = config.model_copy(
        update={"model": spec.model_copy(update={"params": params, "early_stopping": stopping})}
    )
    transform = TargetTransform(spec.target_transform)
    model = models.build_model(
        spec.kind,
        task=problem.task,
        params=refit_config.model.params,
        seed=config.seed,
        n_threads=n_threads,
        n_classes=problem.n_classes,
    )
    model.fit(X_train, transform.forward(np.asarray(y_train)))
    pred = model.predict(X_test)
    return transform.inverse(pred) if problem.task == "regression" else pred


def compute_learning_curve(
    prepared: Prepared,
    folds: list[cv_module.Fold],
    prepare: FoldPreparer,
    *,
    n_threads: int,
) -> pd.DataFrame | None:
    """Score vs. training-set fraction, in-fold: subsample each fold's training rows only.

    Optional: a subset that a step cannot handle is logged and the curve left out; it never
    costs the user the run.
    """
    config, problem = prepared.config, prepared.problem
    rows = []
    try:
        for number, fold in enumerate(f for f in folds if f.repeat == 0):
            rng = np.random.default_rng(fold_seed(config.seed, number))
            order = rng.permutation(fold.train)
            for fraction in LEARNING_CURVE_FRACTIONS:
                size = max(round(fraction * len(order)), 2 * max(2, problem.n_classes))
                subset = cv_module.Fold(
                    repeat=fold.repeat,
                    fold=fold.fold,
                    train=np.sort(order[:size]),
                    valid=fold.valid,
                )
                if problem.task != "regression" and len(np.unique(problem.y[subset.train])) < 2:
                    continue
                data = prepare(prepared.features, problem, subset)
                fit = fit_fold(
                    config, problem, data, seed=fold_seed(config.seed, number), n_threads=n_threads
                )
                rows.append(
                    {
                        "repeat": fold.repeat,
                        "fold": fold.fold,
                        "fraction": fraction,
                        "n_train": len(data.y_train),
                        "train_score": fit.train_score,
                        "valid_score": fit.valid_score,
                    }
                )
    except (UserError, ValueError) as exc:
        log.warning("learning curve left out: %s", exc)
        return None
    return pd.DataFrame(rows)
