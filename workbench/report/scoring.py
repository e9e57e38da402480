"""Just enough metric code for the report: score a metric by name, trivial baselines, and
threshold sweeps for binary label metrics (vectorised, one pass for all thresholds).

Unknown metric names return ``None``; the report then skips what needs a score.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import metrics as skm

ALIASES = {
    "auc": "roc_auc",
    "logloss": "log_loss",
    "binary_logloss": "log_loss",
    "multi_logloss": "log_loss",
    "rmsle": "rmse_log",
    "root_mean_squared_log_error": "rmse_log",
    "root_mean_squared_error": "rmse",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "matthews_corrcoef": "mcc",
    "brier_score": "brier",
    "auc_ovr": "roc_auc",
    "roc_auc_ovr": "roc_auc",
}

LABEL_METRICS = {"accuracy", "balanced_accuracy", "f1", "precision", "recall", "mcc"}
LOG_METRICS = {"rmse_log"}


def canonical(name: str) -> str:
    key = str(name).strip().lower()
    return ALIASES.get(key, key)


def is_log_metric(name: str) -> bool:
    return canonical(name) in LOG_METRICS


def _labels(task: str, pred: np.ndarray, threshold: float) -> np.ndarray:
    if task == "multiclass":
        return np.asarray(pred).argmax(axis=1)
    return (np.asarray(pred) >= threshold).astype(int)


def _rmse_log(y: np.ndarray, p: np.ndarray) -> float:
    y = np.log1p(np.clip(y, 0, None))
    p = np.log1p(np.clip(p, 0, None))
    return float(np.sqrt(np.mean((y - p) ** 2)))


_REGRESSION: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "rmse": lambda y, p: float(np.sqrt(np.mean((y - p) ** 2))),
    "mse": lambda y, p: float(np.mean((y - p) ** 2)),
    "mae": lambda y, p: float(np.mean(np.abs(y - p))),
    "medae": lambda y, p: float(np.median(np.abs(y - p))),
    "r2": lambda y, p: float(skm.r2_score(y, p)),
    "mape": lambda y, p: float(skm.mean_absolute_percentage_error(y, p)),
    "rmse_log": _rmse_log,
}


def score(
    name: str, task: str, y_true: np.ndarray, pred: np.ndarray, threshold: float = 0.5
) -> float | None:
    """The metric ``name`` of predictions ``pred`` (probabilities for classification:
    1-d positive-class probability for binary, 2-d for multiclass; values for regression)."""
    m = canonical(name)
    y = np.asarray(y_true)
    p = np.asarray(pred, dtype=float)
    try:
        if task == "regression":
            fn = _REGRESSION.get(m)
            return None if fn is None else fn(y.astype(float), p)
        if m in LABEL_METRICS or m in {"f1_macro", "f1_weighted"}:
            lab = _labels(task, p, threshold)
            if m == "accuracy":
                return float(skm.accuracy_score(y, lab))
            if m == "balanced_accuracy":
                return float(skm.balanced_accuracy_score(y, lab))
            if m == "mcc":
                return float(skm.matthews_corrcoef(y, lab))
            average = "binary" if task == "binary" and m in {"f1", "precision", "recall"} else None
            if m.startswith("f1_"):
                average = m.split("_", 1)[1]
            average = average or "macro"
            fn = {"precision": skm.precision_score, "recall": skm.recall_score}.get(m, skm.f1_score)
            return float(fn(y, lab, average=average, zero_division=0))
        if m == "roc_auc":
            if task == "multiclass":
                return float(skm.roc_auc_score(y, p, multi_class="ovr"))
            return float(skm.roc_auc_score(y, p))
        if m == "log_loss":
            labels = list(range(p.shape[1])) if p.ndim == 2 else [0, 1]
            return float(skm.log_loss(y, p, labels=labels))
        if m == "average_precision" and task == "binary":
            return float(skm.average_precision_score(y, p))
        if m == "brier" and task == "binary":
            return float(np.mean((p - y) ** 2))
    except ValueError:
        return None
    return None


def baseline_prediction(name: str, task: str, y_true: np.ndarray, n_classes: int = 2) -> np.ndarray:
    """The trivial model's predictions: majority class / class frequencies / the mean."""
    y = np.asarray(y_true)
    n = len(y)
    if task == "regression":
        yf = y.astype(float)
        if is_log_metric(name):
            centre = float(np.expm1(np.mean(np.log1p(np.clip(yf, 0, None)))))
        else:
            centre = float(np.mean(yf))
        return np.full(n, centre)
    counts = np.bincount(y.astype(int), minlength=n_classes).astype(float)
    freqs = counts / max(counts.sum(), 1.0)
    if task == "binary":
        if canonical(name) in LABEL_METRICS:
            return np.full(n, float(freqs.argmax() == 1))
        return np.full(n, freqs[1])
    return np.tile(freqs, (n, 1))


def baseline_description(name: str, task: str, y_true: np.ndarray, classes: list) -> str:
    y = np.asarray(y_true)
    if task == "regression":
        return (
            "always predicting the average target (in log space)"
            if is_log_metric(name)
            else "always predicting the average target"
        )
    counts = np.bincount(y.astype(int), minlength=len(classes))
    majority = classes[int(counts.argmax())] if len(classes) else int(counts.argmax())
    if task == "binary" and canonical(name) not in LABEL_METRICS:
        return "always predicting the share of positives as the probability"
    return f"always predicting the most common class ({majority})"


def baseline_score(name: str, task: str, y_true: np.ndarray, n_classes: int = 2) -> float | None:
    pred = baseline_prediction(name, task, y_true, n_classes)
    return score(name, task, y_true, pred)


def threshold_sweep(
    name: str, y_true: np.ndarray, proba: np.ndarray, thresholds: np.ndarray
) -> np.ndarray | None:
    """A binary label metric at every threshold (``None`` if the metric is not label-based)."""
    m = canonical(name)
    if m not in LABEL_METRICS:
        return None
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(proba, dtype=float)
    predicted = p[None, :] >= np.asarray(thresholds)[:, None]
    tp = (predicted & y).sum(axis=1).astype(float)
    fp = (predicted & ~y).sum(axis=1).astype(float)
    fn = (~predicted & y).sum(axis=1).astype(float)
    tn = (~predicted & ~y).sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        specificity = np.where(tn + fp > 0, tn / (tn + fp), 0.0)
        if m == "accuracy":
            return (tp + tn) / len(y)
        if m == "precision":
            return precision
        if m == "recall":
            return recall
        if m == "balanced_accuracy":
            return (recall + specificity) / 2
        if m == "f1":
            return np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return np.where(denom > 0, (tp * tn - fp * fn) / denom, 0.0)
