"""What the report adds to :mod:`workbench.metrics`: metric lookup that tolerates unknown names,
and the trivial baselines the fit verdict compares against. Every score is computed by
:func:`workbench.metrics.score`; whether a metric works in log space is its ``log_space``.
"""

from __future__ import annotations

import numpy as np

from workbench import metrics as wm
from workbench.errors import UserError


def lookup(name: str, task: str) -> wm.Metric | None:
    """The metric ``name`` for ``task``, or ``None`` (the report then skips what needs it)."""
    try:
        return wm.get_metric(name, task)
    except UserError:
        return None


def baseline_prediction(
    metric: wm.Metric, task: str, y_true: np.ndarray, n_classes: int = 2
) -> np.ndarray:
    """The trivial model's predictions: majority class / class frequencies / the mean (the
    geometric mean for a log-space metric such as ``rmse_log``: the mean in its log space)."""
    y = np.asarray(y_true)
    n = len(y)
    if task == "regression":
        yf = y.astype(float)
        if metric.log_space:
            centre = float(np.exp(np.mean(wm.log_values(yf))))
        else:
            centre = float(np.mean(yf))
        return np.full(n, centre)
    freqs = np.bincount(y.astype(int), minlength=n_classes).astype(float)
    freqs /= max(freqs.sum(), 1.0)
    if task == "binary":
        return np.full(n, float(freqs.argmax() == 1) if metric.kind == "label" else freqs[1])
    return np.tile(freqs, (n, 1))


def baseline_description(metric: wm.Metric, task: str, y_true: np.ndarray, classes: list) -> str:
    """The baseline of :func:`baseline_prediction` in words."""
    if task == "regression":
        if metric.log_space:
            return "always predicting the geometric mean of the target (its average in log space)"
        return "always predicting the average target"
    if task == "binary" and metric.kind != "label":
        return "always predicting the share of positives as the probability"
    counts = np.bincount(np.asarray(y_true).astype(int), minlength=len(classes))
    majority = classes[int(counts.argmax())] if len(classes) else int(counts.argmax())
    return f"always predicting the most common class ({majority})"


def baseline_score(
    metric: wm.Metric, task: str, y_true: np.ndarray, n_classes: int = 2
) -> float | None:
    """The metric of the trivial baseline (``None`` if it cannot be scored)."""
    pred = baseline_prediction(metric, task, y_true, n_classes)
    try:
        return wm.score(metric, y_true, pred, task=task)
    except (ValueError, UserError):
        return None
