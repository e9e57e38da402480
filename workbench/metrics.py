"""Evaluation metrics: one registry, one scoring entry point, threshold tuning.

Conventions shared with the engine: ``y_true`` holds encoded class indices ``0..K-1`` for
classification; predictions are the 1-D probability of class 1 (binary), an ``(n, K)``
probability matrix (multiclass) or values in the target's units (regression). Label metrics
(accuracy, F1) are scored on probabilities turned into labels by :func:`score`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn import metrics as skm

from workbench.errors import UserError, did_you_mean
from workbench.tasks import TASKS

_CLASSIFICATION = frozenset({"binary", "multiclass"})
_REGRESSION = frozenset({"regression"})


@dataclass(frozen=True)
class Metric:
    """A named metric: what it scores (``kind``), for which tasks, and in which direction."""

    name: str
    greater_is_better: bool
    kind: Literal["label", "proba", "value"]
    tasks: frozenset[str]
    func: Callable[[np.ndarray, np.ndarray], float]
    log_space: bool = False  # scores errors between logs: needs positive targets and predictions

    def is_better(self, a: float, b: float) -> bool:
        """Whether score ``a`` is strictly better than score ``b``."""
        return a > b if self.greater_is_better else a < b


def _class_labels(pred: np.ndarray) -> list[int]:
    """All class indices implied by a prediction: 2 for 1-D probabilities, else K columns."""
    return [0, 1] if pred.ndim == 1 else list(range(pred.shape[1]))


def _roc_auc(y_true: np.ndarray, pred: np.ndarray) -> float:
    if pred.ndim == 1:
        return float(skm.roc_auc_score(y_true, pred))
    return float(
        skm.roc_auc_score(
            y_true, pred, multi_class="ovr", average="macro", labels=_class_labels(pred)
        )
    )


def _log_loss(y_true: np.ndarray, pred: np.ndarray) -> float:
    return float(skm.log_loss(y_true, pred, labels=_class_labels(pred)))


def _f1_macro(y_true: np.ndarray, pred: np.ndarray) -> float:
    return float(skm.f1_score(y_true, pred, average="macro"))


def _rmse(y_true: np.ndarray, pred: np.ndarray) -> float:
    return float(skm.root_mean_squared_error(y_true, pred))


def _log_targets(y_true: np.ndarray) -> np.ndarray:
    """``log(y)`` for ``rmse_log``; a :class:`UserError` if any target is not positive."""
    y_true = np.asarray(y_true, dtype=float)
    if np.any(y_true <= 0):
        raise UserError(
            f"metric 'rmse_log' needs positive targets, but the target has "
            f"{int(np.sum(y_true <= 0))} value(s) <= 0 (smallest {y_true.min():g})",
            where="metric",
            hint="use 'rmse' (optionally with a log target transform) for non-positive targets",
        )
    return np.log(y_true)


def _rmse_log(y_true: np.ndarray, pred: np.ndarray) -> float:
    """RMSE between log(pred) and log(y) (House Prices); predictions <= 0 are clipped."""
    return float(np.sqrt(np.mean((log_values(pred) - _log_targets(y_true)) ** 2)))


def log_values(values: np.ndarray) -> np.ndarray:
    """The log that ``rmse_log`` compares: ``log(values)``, values clipped to ``>= 1e-15``."""
    return np.log(np.clip(np.asarray(values, dtype=float), 1e-15, None))


def _metric(name, greater, kind, tasks, func, log_space=False) -> Metric:
    return Metric(name, greater, kind, frozenset(tasks), func, log_space)


_BOTH = ("binary", "multiclass")
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _metric("accuracy", True, "label", _BOTH, lambda y, p: float(skm.accuracy_score(y, p))),
        _metric("roc_auc", True, "proba", _BOTH, _roc_auc),
        _metric("log_loss", False, "proba", _BOTH, _log_loss),
        _metric("f1", True, "label", ("binary",), lambda y, p: float(skm.f1_score(y, p))),
        _metric("f1_macro", True, "label", _BOTH, _f1_macro),
        _metric("rmse", False, "value", _REGRESSION, _rmse),
        _metric("rmse_log", False, "value", _REGRESSION, _rmse_log, log_space=True),
        _metric("mae", False, "value", _REGRESSION, skm.mean_absolute_error),
        _metric("r2", True, "value", _REGRESSION, lambda y, p: float(skm.r2_score(y, p))),
    )
}
ALIASES = {"rmsle": "rmse_log"}
METRICS.update({alias: METRICS[target] for alias, target in ALIASES.items()})


def get_metric(name: str, task: str) -> Metric:
    """Look up a metric by name (or alias) and check that it applies to ``task``."""
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}", where="task", hint=did_you_mean(task, TASKS))
    if name not in METRICS:
        raise UserError(
            f"unknown metric {name!r}", where="metric", hint=did_you_mean(name, METRICS)
        )
    metric = METRICS[name]
    if task not in metric.tasks:
        valid = [n for n, m in METRICS.items() if task in m.tasks]
        raise UserError(
            f"metric {name!r} is for {'/'.join(sorted(metric.tasks))} tasks, not {task}",
            where="metric",
            hint=f"metrics for {task}: {', '.join(valid)}",
        )
    return metric


def to_labels(pred: np.ndarray, *, task: str, threshold: float = 0.5) -> np.ndarray:
    """Hard class labels from probabilities (binary: ``pred >= threshold``; else argmax)."""
    pred = np.asarray(pred)
    if task == "binary":
        if pred.ndim == 2:
            pred = pred[:, -1]
        return (pred >= threshold).astype(np.int64)
    return np.argmax(pred, axis=1)


def score(
    metric: Metric, y_true: np.ndarray, pred: np.ndarray, *, task: str, threshold: float = 0.5
) -> float:
    """Score predictions with ``metric``, turning probabilities into labels if it needs them."""
    y_true = np.asarray(y_true)
    pred = np.asarray(pred)
    if len(y_true) != len(pred):
        raise ValueError(f"y_true has {len(y_true)} rows but predictions have {len(pred)}")
    if metric.kind == "label":
        pred = to_labels(pred, task=task, threshold=threshold)
    elif task == "binary" and pred.ndim == 2:
        pred = pred[:, -1]
    return float(metric.func(y_true, pred))


def _f1_from_counts(tp, fp, fn) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)


# Label metrics computable from confusion counts, vectorised over many thresholds at once.
_FROM_COUNTS = {
    "accuracy": lambda tp, fp, fn, tn: (tp + tn) / (tp + fp + fn + tn),
    "f1": lambda tp, fp, fn, tn: _f1_from_counts(tp, fp, fn),
    "f1_macro": lambda tp, fp, fn, tn: (
        (_f1_from_counts(tp, fp, fn) + _f1_from_counts(tn, fn, fp)) / 2
    ),
}


def _binary_label_inputs(
    metric: Metric, y_true: np.ndarray, proba: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(y as int64, 1-D positive-class probabilities)``; ValueError unless ``metric`` is a
    binary label metric (the only kind a decision threshold changes)."""
    if metric.kind != "label" or "binary" not in metric.tasks:
        raise ValueError(f"threshold tuning needs a binary label metric, not {metric.name!r}")
    proba = np.asarray(proba, dtype=float)
    return np.asarray(y_true).astype(np.int64), proba[:, -1] if proba.ndim == 2 else proba


def threshold_curve(
    metric: Metric, y_true: np.ndarray, proba: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """A binary label metric at every threshold of ``thresholds`` (``proba >= t`` is positive).

    Accuracy and F1 come from confusion counts found by binary search (O((n + t) log n));
    other label metrics are scored one threshold at a time.
    """
    y_true, proba = _binary_label_inputs(metric, y_true, proba)
    thresholds = np.asarray(thresholds, dtype=float)
    n, n_pos = len(y_true), int(y_true.sum())
    n_pos_pred = n - np.searchsorted(np.sort(proba), thresholds, side="left")
    tp = n_pos - np.searchsorted(np.sort(proba[y_true == 1]), thresholds, side="left")
    tp, fp = tp.astype(float), (n_pos_pred - tp).astype(float)
    fn, tn = n_pos - tp, n - n_pos - fp
    if metric.name in _FROM_COUNTS:
        return _FROM_COUNTS[metric.name](tp, fp, fn, tn)
    return np.array([score(metric, y_true, proba, task="binary", threshold=t) for t in thresholds])


def best_threshold(metric: Metric, y_true: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """The decision threshold on (OOF) binary probabilities that optimises a label metric.

    Returns ``(threshold, score)``. Accuracy and F1 are evaluated at every distinct
    probability at once (:func:`threshold_curve`, O(n log n)); other label metrics on a
    0.01 grid. Thresholds are midpoints between consecutive distinct probabilities, so
    they generalise a little better than the probabilities themselves.
    """
    y_true, proba = _binary_label_inputs(metric, y_true, proba)
    if metric.name in _FROM_COUNTS:
        # Candidate 0 marks nothing positive; candidate k keeps the rows with proba >= the k-th
        # highest distinct value, through the midpoint between it and the next lower one.
        distinct = np.unique(proba)[::-1]
        lower = np.r_[distinct[1:], distinct[-1] - 1e-6]
        thresholds = np.r_[np.nextafter(distinct[0], np.inf), (distinct + lower) / 2]
    else:
        thresholds = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    scores = threshold_curve(metric, y_true, proba, thresholds)
    best = int(np.argmax(scores) if metric.greater_is_better else np.argmin(scores))
    return float(thresholds[best]), float(scores[best])


# Metrics with a one-pass numpy form over a stack of prediction blocks ``(blocks, n)``; the
# others are scored block by block. Each equals its scikit-learn function (tests compare them).
_BLOCK_ERRORS = {
    "rmse": lambda y, p: np.sqrt(np.mean((p - y) ** 2, axis=1)),
    "rmse_log": lambda y, p: np.sqrt(np.mean((log_values(p) - _log_targets(y)) ** 2, axis=1)),
    "mae": lambda y, p: np.mean(np.abs(p - y), axis=1),
}


def score_blocks(
    metric: Metric, y_true: np.ndarray, preds: np.ndarray, *, task: str, threshold: float = 0.5
) -> np.ndarray:
    """:func:`score` of every block ``preds[b]`` against the same ``y_true``.

    Permutation importance scores hundreds of shuffled copies of a fold, and scikit-learn's
    input checks would cost more than predicting them. Accuracy, F1 and the
    regression errors are computed for all blocks in one numpy pass; other metrics (ROC AUC,
    log loss, R2, multiclass F1) block by block with :func:`score`.
    """
    y_true, preds = np.asarray(y_true), np.asarray(preds)
    if preds.shape[1:2] != (len(y_true),):
        raise ValueError(f"y_true has {len(y_true)} rows but the blocks have {preds.shape[1:2]}")
    if metric.kind == "label" and (task == "binary" or metric.name == "accuracy"):
        if task == "binary":
            labels = (preds[..., -1] if preds.ndim == 3 else preds) >= threshold
        else:
            labels = np.argmax(preds, axis=-1)
        if metric.name == "accuracy":
            return np.mean(labels == y_true, axis=1)
        if metric.name in _FROM_COUNTS:
            positive = np.asarray(y_true).astype(np.int64) == 1
            tp = np.sum(labels & positive, axis=1).astype(float)
            fp = np.sum(labels & ~positive, axis=1).astype(float)
            fn = positive.sum() - tp
            return _FROM_COUNTS[metric.name](tp, fp, fn, len(y_true) - tp - fp - fn)
    if metric.name in _BLOCK_ERRORS and preds.ndim == 2:
        return _BLOCK_ERRORS[metric.name](np.asarray(y_true, dtype=float), preds.astype(float))
    return np.array(
        [score(metric, y_true, block, task=task, threshold=threshold) for block in preds]
    )
