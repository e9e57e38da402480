"""Classification figures: ROC, precision-recall, confusion matrices, calibration, threshold.

Every function takes plain arrays and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    RocCurveDisplay,
    auc,
    confusion_matrix,
    precision_recall_curve,
    roc_curve,
)

from workbench.metrics import get_metric, threshold_curve
from workbench.report.scoring import lookup
from workbench.report.style import (
    MEAN_COLOR,
    NEUTRAL,
    PALETTE,
    WIDTH,
    bottom_margin,
    fit_margins,
    left_margin,
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
    parts = label.replace("/", " ").split()
    return tuple(int(p) if p.isdigit() else p for p in parts) if parts else (label,)


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
    fig = new_figure(5.2, width=6.4)
    ax = fig.add_subplot()
    show_fold_legend = len(_fold_groups(fold_ids)) <= 10
    curves = _fold_roc(y, p, fold_ids)  # computed once, for the thin lines and the mean
    for i, label, fpr, tpr in curves:
        ax.plot(
            fpr,
            tpr,
            color=PALETTE[i % len(PALETTE)],
            alpha=0.45,
            lw=1,
            label=f"fold {label} (AUC = {auc(fpr, tpr):0.2f})"
            if show_fold_legend
            else "_nolegend_",
        )
    mean, std, aucs = _mean_of(curves)
    if aucs:
        ax.fill_between(
            FPR_GRID,
            np.clip(mean - std, 0, 1),
            np.clip(mean + std, 0, 1),
            color=MEAN_COLOR,
            alpha=0.15,
            label="± 1 std",
        )
        ax.plot(
            FPR_GRID,
            mean,
            color=MEAN_COLOR,
            lw=2.5,
            label=f"mean (AUC = {np.mean(aucs):.3f} ± {np.std(aucs):.3f})",
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
    ax.legend(loc="lower right")
    fit_margins(fig, ax)
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
        RocCurveDisplay(fpr=fpr, tpr=tpr, roc_auc=aucs[-1], name=f"{name} vs rest").plot(
            ax=ax, curve_kwargs={"color": PALETTE[k % len(PALETTE)], "lw": 1.5}
        )
    ax.plot([0, 1], [0, 1], ls="--", color=NEUTRAL, lw=1, label="chance (AUC = 0.5)")
    title = "One-vs-rest ROC per class"
    if aucs:
        title += f" (macro AUC = {np.mean(aucs):.3f})"
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="False positive rate",
        ylabel="True positive rate",
        title=title,
    )
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    fit_margins(fig, ax)
    return fig


@styled
def pr_figure(y_true: np.ndarray, proba: np.ndarray, fold_ids: Sequence) -> Figure:
    """Precision-recall curve of every fold (thin) and of all out-of-fold predictions (bold)."""
    y = np.asarray(y_true)
    p = np.asarray(proba, dtype=float)
    fig = new_figure(5.2, width=6.4)
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
            color=PALETTE[i % len(PALETTE)],
            alpha=0.45,
            lw=1,
            label=f"fold {label} (AP = {ap:0.2f})" if len(groups) <= 10 else "_nolegend_",
        )
    precision, recall, _ = precision_recall_curve(y, p)
    ap = _average_precision(precision, recall)
    ax.plot(
        recall,
        precision,
        drawstyle="steps-post",
        color=MEAN_COLOR,
        lw=2.5,
        label=f"all folds (AP = {ap:0.2f})",
    )
    prevalence = float(np.mean(y))
    ax.plot(
        (0, 1),
        (prevalence, prevalence),
        color=NEUTRAL,
        linestyle="--",
        lw=1,
        label=f"Chance level (AP = {prevalence:0.2f})",
    )
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="Recall (share of positives found)",
        ylabel="Precision (share of flagged that are positive)",
        title="Precision-recall curve",
    )
    ax.set_aspect("equal")
    ax.legend(loc="lower left")
    fit_margins(fig, ax)
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


@styled
def threshold_figure(
    y_true: np.ndarray,
    proba: np.ndarray,
    metric: str,
    used: float | None = 0.5,
    optimized: float | None = None,
) -> Figure:
    """The metric at every decision threshold (accuracy and F1 when the metric does not depend on
    a threshold), with the threshold used and the optimised one marked."""
    grid = np.linspace(0.01, 0.99, 99)
    if optimized is not None:  # so that the curve's best point is the optimised threshold
        grid = np.union1d(grid, [float(optimized)])
    own = lookup(metric, "binary")
    if own is not None and own.kind != "label":
        own = None
    metrics = [own] if own is not None else [get_metric(n, "binary") for n in ("accuracy", "f1")]
    fig = new_figure(4.6, width=6.4)
    ax = fig.add_subplot()
    for i, m in enumerate(metrics):
        values = threshold_curve(m, y_true, proba, grid)
        ax.plot(grid, values, color=PALETTE[i], lw=2, label=metric if m is own else m.name)
        best = int(np.argmax(values) if m.greater_is_better else np.argmin(values))
        ax.plot(grid[best], values[best], "o", color=PALETTE[i], ms=6)
    if used is not None:
        ax.axvline(used, color=NEUTRAL, ls="--", lw=1.2, label=f"used by submission ({used:.2f})")
    if optimized is not None and (used is None or abs(optimized - used) > 1e-9):
        ax.axvline(
            optimized, color=MEAN_COLOR, ls=":", lw=1.5, label=f"optimised on OOF ({optimized:.2f})"
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
    ax.legend(loc="best")
    fit_margins(fig, ax)
    return fig


def confusion_at(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> np.ndarray:
    """2×2 confusion matrix at ``threshold`` (for tests and tables)."""
    return confusion_matrix(
        np.asarray(y_true).astype(int), (proba >= threshold).astype(int), labels=[0, 1]
    )
