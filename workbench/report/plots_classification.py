"""Classification figures: ROC, precision-recall, confusion matrices, calibration, threshold.

Every function takes plain arrays and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    auc,
    confusion_matrix,
    precision_recall_curve,
    roc_curve,
)

from workbench.metrics import get_metric, threshold_curve
from workbench.report import formats as fmt
from workbench.report.scoring import lookup
from workbench.report.style import (
    FOLD_COLORS,
    FOLD_MEAN_COLOR,
    MANY_FOLDS_COLOR,
    NEUTRAL,
    PALETTE,
    WIDTH,
    bottom_margin,
    fit_margins,
    left_margin,
    legend_below,
    new_figure,
    set_margins,
    styled,
    top_margin,
)

FPR_GRID = np.linspace(0.0, 1.0, 101)


def _fold_groups(fold_ids: Sequence) -> list[tuple[str, np.ndarray]]:
    ids = np.asarray(fold_ids).astype(str)
    return [(label, ids == label) for label in sorted(set(ids), key=_natural_key)]


def _natural_key(label: str) -> tuple:
    """Sort "r1 f2" before "r1 f10": numbers compare as numbers."""
    parts = re.findall(r"\d+|\D+", label)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts) or ((1, 0, ""),)


def _fold_style(i: int, n_folds: int) -> dict:
    """A fold's line: its own opaque colour of a qualitative palette (tab10), or thin grey when
    there are more folds than colours (then no fold legend either)."""
    if n_folds > len(FOLD_COLORS):
        return {"color": MANY_FOLDS_COLOR, "alpha": 0.7, "lw": 0.8}
    return {"color": FOLD_COLORS[i], "alpha": 0.95, "lw": 1.3}


def _fold_roc(
    y: np.ndarray, p: np.ndarray, fold_ids: Sequence
) -> list[tuple[int, str, np.ndarray, np.ndarray]]:
    """(colour index, fold label, fpr, tpr) of every fold with both classes."""
    curves = []
    for i, (label, mask) in enumerate(_fold_groups(fold_ids)):
        if len(np.unique(y[mask])) < 2:
            continue
        fpr, tpr, _ = roc_curve(y[mask], p[mask])
        curves.append((i, label, fpr, tpr))
    return curves


def _mean_of(
    curves: Sequence[tuple[int, str, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    tprs, aucs = [], []
    for _, _, fpr, tpr in curves:
        interp = np.interp(FPR_GRID, fpr, tpr)
        interp[0] = 0.0
        tprs.append(interp)
        aucs.append(float(auc(fpr, tpr)))
    if not tprs:
        return np.zeros_like(FPR_GRID), np.zeros_like(FPR_GRID), []
    stack = np.vstack(tprs)
    mean = stack.mean(axis=0)
    mean[-1] = 1.0
    return mean, stack.std(axis=0), aucs


def mean_roc(
    y_true: np.ndarray, proba: np.ndarray, fold_ids: Sequence
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Per-fold ROC curves interpolated to a common FPR grid: (mean tpr, std tpr, fold AUCs)."""
    y = np.asarray(y_true)
    p = np.asarray(proba, dtype=float)
    return _mean_of(_fold_roc(y, p, fold_ids))


def _average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """Average precision from a precision-recall curve (sklearn's formula, no interpolation)."""
    return float(-np.sum(np.diff(recall) * np.asarray(precision)[:-1]))


@styled
def roc_figure(y_true: np.ndarray, proba: np.ndarray, fold_ids: Sequence) -> Figure:
    """ROC curve of every fold (thin) and the mean curve with AUC mean ± std (bold, ±1 std band)."""
    y = np.asarray(y_true)
    p = np.asarray(proba, dtype=float)
    fig = new_figure(5.0, width=6.4)
    ax = fig.add_subplot()
    n_folds = len(_fold_groups(fold_ids))
    show_fold_legend = n_folds <= len(FOLD_COLORS)
    curves = _fold_roc(y, p, fold_ids)  # computed once, for the thin lines and the mean
    for i, label, fpr, tpr in curves:
        ax.plot(
            fpr,
            tpr,
            **_fold_style(i, n_folds),
            label=f"fold {label} (AUC = {fmt.score(auc(fpr, tpr))})"
            if show_fold_legend
            else "_nolegend_",
        )
    mean, std, aucs = _mean_of(curves)
    if aucs:
        ax.fill_between(
            FPR_GRID,
            np.clip(mean - std, 0, 1),
            np.clip(mean + std, 0, 1),
            color=FOLD_MEAN_COLOR,
            alpha=0.12,
            lw=0,
            label="mean ± 1 std",
        )
        ax.plot(
            FPR_GRID,
            mean,
            color=FOLD_MEAN_COLOR,
            lw=2.6,
            label=f"mean (AUC = {fmt.score_pm(np.mean(aucs), np.std(aucs))})",
        )
    ax.plot([0, 1], [0, 1], ls="--", color=NEUTRAL, lw=1, label="chance (AUC = 0.5)")
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="False positive rate",
        ylabel="True positive rate",
        title="ROC curve per fold",
    )
    ax.set_aspect("equal")
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


@styled
def multiclass_roc_figure(y_true: np.ndarray, proba: np.ndarray, classes: Sequence) -> Figure:
    """One-vs-rest ROC curve of every class (pooled out-of-fold predictions)."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    fig = new_figure(5.2, width=6.4)
    ax = fig.add_subplot()
    aucs = []
    for k, name in enumerate(classes):
        positive = y == k
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = roc_curve(positive, p[:, k])
        aucs.append(auc(fpr, tpr))
        ax.plot(
            fpr,
            tpr,
            color=FOLD_COLORS[k % len(FOLD_COLORS)],
            lw=1.6,
            label=f"{name} vs rest (AUC = {fmt.score(aucs[-1])})",
        )
    ax.plot([0, 1], [0, 1], ls="--", color=NEUTRAL, lw=1, label="chance (AUC = 0.5)")
    title = "One-vs-rest ROC per class"
    if aucs:
        title += f"\n(macro AUC = {fmt.score(np.mean(aucs))})"
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="False positive rate",
        ylabel="True positive rate",
        title=title,
    )
    ax.set_aspect("equal")
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


@styled
def pr_figure(y_true: np.ndarray, proba: np.ndarray, fold_ids: Sequence) -> Figure:
    """Precision-recall curve of every fold (thin) and of all out-of-fold predictions (bold)."""
    y = np.asarray(y_true)
    p = np.asarray(proba, dtype=float)
    fig = new_figure(5.0, width=6.4)
    ax = fig.add_subplot()
    groups = _fold_groups(fold_ids)
    # drawn directly (as PrecisionRecallDisplay draws them): the display rebuilds the legend and
    # validates its input on every curve
    for i, (label, mask) in enumerate(groups):
        if not y[mask].any():
            continue
        precision, recall, _ = precision_recall_curve(y[mask], p[mask])
        ap = _average_precision(precision, recall)
        ax.plot(
            recall,
            precision,
            drawstyle="steps-post",
            **_fold_style(i, len(groups)),
            label=f"fold {label} (AP = {fmt.score(ap)})"
            if len(groups) <= len(FOLD_COLORS)
            else "_nolegend_",
        )
    precision, recall, _ = precision_recall_curve(y, p)
    ap = _average_precision(precision, recall)
    ax.plot(
        recall,
        precision,
        drawstyle="steps-post",
        color=FOLD_MEAN_COLOR,
        lw=2.6,
        label=f"all folds (AP = {fmt.score(ap)})",
    )
    prevalence = float(np.mean(y))
    ax.plot(
        (0, 1),
        (prevalence, prevalence),
        color=NEUTRAL,
        linestyle="--",
        lw=1,
        label=f"chance level (AP = {fmt.score(prevalence)})",
    )
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="Recall (share of positives found)",
        ylabel="Precision (share of flagged that are positive)",
        title="Precision-recall curve",
    )
    ax.set_aspect("equal")
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


def _cm_axes(fig: Figure, rows: int) -> np.ndarray:
    return np.asarray(fig.subplots(rows, 2, squeeze=False))


@styled
def confusion_figure(
    y_true: np.ndarray,
    proba: np.ndarray,
    thresholds: dict[str, float],
    class_names: Sequence,
) -> Figure:
    """Binary confusion matrices, one per threshold, side by side. Each cell holds the count and
    its share of the true class (the row), coloured by that share so that the recall of each
    class reads off the diagonal. ``thresholds`` maps a title to the threshold, e.g.
    ``{"0.50 (used)": 0.5}``."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    labels = [str(c) for c in class_names]
    n = len(thresholds)
    fig = new_figure(3.8, width=min(3.8 * n + 0.6, WIDTH))
    axes = np.asarray(fig.subplots(1, n, squeeze=False))[0]
    for ax, (title, thr) in zip(axes, thresholds.items(), strict=True):
        display = ConfusionMatrixDisplay.from_predictions(
            y,
            (p >= thr).astype(int),
            labels=[0, 1],
            display_labels=labels,
            normalize="true",
            cmap="Blues",
            colorbar=False,
            ax=ax,
        )
        counts, shares = confusion_at(y, p, thr), display.confusion_matrix
        for (i, j), text in np.ndenumerate(display.text_):
            text.set_text(f"{counts[i, j]}\n{shares[i, j]:.1%}")
        ax.set_title(f"threshold {title}", fontsize=10.5)
        ax.grid(False)
    first = axes[0]
    set_margins(
        fig,
        left=left_margin(first),
        bottom=bottom_margin(first),
        top=top_margin(first),
        wgap=left_margin(axes[-1]) if n > 1 else 0.0,
        ncols=n,
    )
    return fig


@styled
def multiclass_confusion_figure(
    y_true: np.ndarray, proba: np.ndarray, class_names: Sequence
) -> Figure:
    """Full confusion matrix (predicted class = highest probability), counts and row-normalised."""
    y = np.asarray(y_true).astype(int)
    pred = np.asarray(proba, dtype=float).argmax(axis=1)
    labels = [str(c) for c in class_names]
    k = len(labels)
    size = min(max(3.6, 0.55 * k + 1.6), 9.0)
    fig = new_figure(size, width=min(2 * size + 0.6, 9.6))
    axes = _cm_axes(fig, 1)
    for col, normalize in enumerate([None, "true"]):
        ax = axes[0, col]
        ConfusionMatrixDisplay.from_predictions(
            y,
            pred,
            labels=list(range(k)),
            display_labels=labels,
            normalize=normalize,
            values_format="d" if normalize is None else ".0%",
            cmap="Blues",
            colorbar=False,
            xticks_rotation=45 if k > 4 else "horizontal",
            include_values=k <= 15,
            ax=ax,
        )
        ax.set_title("counts" if normalize is None else "share of each true class")
        ax.grid(False)
    rotation = 45 if k > 4 else 0
    set_margins(
        fig,
        left=left_margin(axes[0, 0]),
        bottom=bottom_margin(axes[0, 0], rotation=rotation),
        top=top_margin(axes[0, 0]),
        wgap=left_margin(axes[0, 1]),
        ncols=2,
    )
    return fig


@styled
def calibration_figure(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> Figure:
    """Reliability diagram (observed share of positives per predicted-probability bin) above a
    histogram of the predicted probabilities."""
    y = np.asarray(y_true).astype(int)
    p = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    fig = new_figure(5.6, width=6.4)
    ax, hist = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    CalibrationDisplay.from_predictions(
        y, p, n_bins=n_bins, ax=ax, name="out-of-fold predictions", color=PALETTE[0]
    )
    ax.set(
        xlabel="",
        ylabel="Observed share of positives",
        title="Calibration (reliability) curve",
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
    )
    ax.legend(loc="upper left")
    ax.text(
        0.97,
        0.03,
        "below the diagonal:\nfewer positives than predicted",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8.5,
        color=NEUTRAL,
    )
    hist.hist(p, bins=np.linspace(0, 1, 21), color=PALETTE[0], alpha=0.8)
    hist.set(xlabel="Predicted probability", ylabel="Rows")
    set_margins(
        fig,
        left=max(left_margin(ax), left_margin(hist)),
        bottom=bottom_margin(hist),
        top=top_margin(ax),
        hgap=0.2,
        nrows=2,
    )
    return fig


def threshold_metrics(metric: str, optimized_metric: str | None = None) -> list:
    """The metrics a threshold chart draws: the run's own metric when a threshold changes it
    (a label metric), else accuracy and F1; plus the metric the threshold was optimised for,
    when it is another one."""
    own = lookup(metric, "binary")
    if own is not None and own.kind != "label":
        own = None
    metrics = [own] if own is not None else [get_metric(n, "binary") for n in ("accuracy", "f1")]
    if optimized_metric is not None:
        tuned = lookup(optimized_metric, "binary")
        new = tuned is not None and all(m.name != tuned.name for m in metrics)
        if new and tuned.kind == "label":
            metrics.append(tuned)
    return metrics


@styled
def threshold_figure(
    y_true: np.ndarray,
    proba: np.ndarray,
    metric: str,
    used: float | None = 0.5,
    optimized: float | None = None,
    optimized_metric: str | None = None,
) -> Figure:
    """The metric at every decision threshold (accuracy and F1 when the metric does not depend on
    a threshold), with the threshold the submission used (dashed line) and one labelled marker
    at the optimised threshold of the run record (``optimized``, for ``optimized_metric``,
    default ``metric``), its score read off the same curve at exactly that threshold. (A
    marker at the curve's own best point could sit elsewhere on a tie: several thresholds
    can share the best score.)"""
    grid = np.linspace(0.01, 0.99, 99)
    if optimized is not None:  # the curve passes through the optimised threshold itself
        grid = np.union1d(grid, [float(optimized)])
    own = lookup(metric, "binary")
    if own is not None and own.kind != "label":
        own = None
    metrics = threshold_metrics(metric, optimized_metric)
    tuned = lookup(optimized_metric or metric, "binary")
    fig = new_figure(4.4, width=6.4)
    ax = fig.add_subplot()
    marked = None
    for i, m in enumerate(metrics):
        values = threshold_curve(m, y_true, proba, grid)
        ax.plot(grid, values, color=PALETTE[i], lw=2, label=metric if m is own else m.name)
        if optimized is not None and tuned is not None and m.name == tuned.name:
            at = int(np.argmin(np.abs(grid - float(optimized))))
            marked = (float(grid[at]), float(values[at]), PALETTE[i], m.name)
    if used is not None:
        ax.axvline(
            used,
            color=NEUTRAL,
            ls="--",
            lw=1.2,
            label=f"used by submission ({fmt.threshold(used)})",
        )
    if marked is not None:
        x, y, color, name = marked
        ax.plot(
            x,
            y,
            "o",
            ms=8,
            mfc=color,
            mec="black",
            mew=1.2,
            zorder=5,
            label=f"optimised on OOF: {fmt.threshold(x)} ({name} {fmt.score(y)})",
        )
        ax.annotate(
            f"{fmt.threshold(x)} → {fmt.score(y)}",
            (x, y),
            xytext=(10, -20),  # below right of the marker: it sits on the curve's top
            textcoords="offset points",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "alpha": 0.9},
            zorder=6,
        )
    title = f"{metric} vs decision threshold"
    if own is None:
        title = f"Accuracy and F1 vs decision threshold\n({metric} does not use a threshold)"
    ax.set(
        xlabel="Decision threshold (predict positive if probability ≥ threshold)",
        ylabel="Score",
        title=title,
        xlim=(0, 1),
    )
    ax.margins(y=0.08)
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


def calibration_reading(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> str:
    """The calibration curve in words, from its geometry: predicted probability on x, observed
    share of positives on y. A point below the diagonal has fewer positives than predicted.
    Over-confident probabilities are too close to 0 and 1: below the diagonal at high
    probabilities and above it at low ones (a curve flatter than the diagonal); under-confident
    ones are the reverse. Each bin's excess confidence, ``(predicted - observed)`` signed towards
    the nearer extreme, is averaged weighted by the bin's rows."""
    y = np.asarray(y_true).astype(int)
    p = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    if len(y) == 0 or len(np.unique(y)) < 2:
        return ""
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    predicted = np.bincount(bins, weights=p, minlength=n_bins)
    observed = np.bincount(bins, weights=y, minlength=n_bins)
    filled = counts > 0
    predicted = predicted[filled] / counts[filled]
    observed = observed[filled] / counts[filled]
    weights = counts[filled] / counts[filled].sum()
    excess = float(np.sum(weights * (predicted - observed) * np.sign(predicted - 0.5)))
    bias = float(np.mean(p) - np.mean(y))
    if abs(excess) < 0.03:
        shape = "Here the points lie close to the diagonal: the probabilities are well calibrated"
    elif excess > 0:
        shape = (
            "Here the points lie below the diagonal at high probabilities and above it at low "
            "ones: the probabilities are over-confident (too close to 0 and 1, by about "
            f"{abs(excess):.2f} on average)"
        )
    else:
        shape = (
            "Here the points lie above the diagonal at high probabilities and below it at low "
            "ones: the probabilities are under-confident (too close to 0.5, by about "
            f"{abs(excess):.2f} on average)"
        )
    if abs(bias) >= 0.03:
        side = "higher" if bias > 0 else "lower"
        shape += (
            f"; on average they are {abs(bias):.2f} {side} than the share of positives "
            f"({fmt.percent(np.mean(y))})"
        )
    return shape + "."


def confusion_at(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> np.ndarray:
    """2×2 confusion matrix at ``threshold`` (for tests and tables)."""
    return confusion_matrix(
        np.asarray(y_true).astype(int), (proba >= threshold).astype(int), labels=[0, 1]
    )
