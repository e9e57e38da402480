"""Regression figures: predicted vs actual, residuals, error by target decile, worst rows.

``log_space=True`` (for ``rmse_log``) draws errors as ``log(pred) - log(y)`` with the metric's own
log (:func:`workbench.metrics.log_values`), the quantity the metric averages.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from workbench.metrics import log_values
from workbench.report import formats as fmt
from workbench.report.style import (
    MEAN_COLOR,
    NEUTRAL,
    PALETTE,
    fit_margins,
    legend_below,
    new_figure,
    styled,
)


def _space(values: np.ndarray, log_space: bool) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return log_values(values) if log_space else values


def errors(y_true: np.ndarray, pred: np.ndarray, log_space: bool = False) -> np.ndarray:
    """Signed error ``pred - actual`` (in log space when ``log_space``)."""
    return _space(pred, log_space) - _space(y_true, log_space)


def _in_target_units(ax: Axes, axes: str, y_true: np.ndarray, log_space: bool) -> None:
    """Tick labels of the ``axes`` ("x", "y" or "xy") that show target units in the target's
    one format (integers with thousands separators for prices; never ``1e5`` offsets)."""
    if log_space or not fmt.is_large_scale(y_true):
        return
    show = fmt.target_format(y_true)
    for name in axes:
        getattr(ax, f"{name}axis").set_major_formatter(lambda v, _: show(v))


SCATTER_POINTS = 5_000  # the scatter plots draw at most this many rows (a seeded sample)
SCATTER_SEED = 0


def scatter_rows(n: int) -> np.ndarray:
    """The rows a scatter plot draws: all of ``n``, or a seeded random sample of
    :data:`SCATTER_POINTS` (sorted), so drawing costs the same at any data size."""
    if n <= SCATTER_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(SCATTER_SEED).choice(n, SCATTER_POINTS, replace=False))


def scatter_note(n: int) -> str:
    """A caption sentence saying the scatter plots draw a sample ("" when they draw every row)."""
    if n <= SCATTER_POINTS:
        return ""
    return f" Drawn: a random sample of {SCATTER_POINTS:,} of the {n:,} rows."


def _scatter_kwargs(n: int) -> dict:
    return {"s": 10 if n < 2000 else 4, "alpha": 0.5 if n < 2000 else 0.25, "linewidths": 0}


@styled
def pred_vs_actual_figure(y_true: np.ndarray, pred: np.ndarray, log_space: bool = False) -> Figure:
    """Predicted vs actual values with the perfect-prediction diagonal."""
    y = _space(y_true, log_space)
    p = _space(pred, log_space)
    fig = new_figure(5.0, width=5.6)
    ax = fig.add_subplot()
    drawn = scatter_rows(len(y))
    ax.scatter(y[drawn], p[drawn], color=PALETTE[0], **_scatter_kwargs(len(drawn)))
    # the diagonal spans every row, not only the drawn ones
    lo = float(np.nanmin([y.min(), p.min()]))
    hi = float(np.nanmax([y.max(), p.max()]))
    ax.plot([lo, hi], [lo, hi], ls="--", color=MEAN_COLOR, lw=1.5, label="perfect prediction")
    unit = " (log)" if log_space else ""
    _in_target_units(ax, "xy", y_true, log_space)
    ax.set(xlabel=f"Actual{unit}", ylabel=f"Predicted{unit}", title="Predicted vs actual")
    ax.legend(loc="upper left")
    fit_margins(fig, ax)
    return fig


@styled
def residuals_figure(y_true: np.ndarray, pred: np.ndarray, log_space: bool = False) -> Figure:
    """Residuals (predicted − actual) against the prediction."""
    p = _space(pred, log_space)
    err = errors(y_true, pred, log_space)
    fig = new_figure(4.2, width=5.6)
    ax = fig.add_subplot()
    drawn = scatter_rows(len(p))
    ax.scatter(p[drawn], err[drawn], color=PALETTE[0], **_scatter_kwargs(len(drawn)))
    ax.axhline(0, color=MEAN_COLOR, ls="--", lw=1.5)
    unit = " (log)" if log_space else ""
    _in_target_units(ax, "xy", y_true, log_space)
    ax.set(
        xlabel=f"Predicted{unit}",
        ylabel=f"Error: predicted − actual{unit}",
        title="Residuals vs predicted",
    )
    fit_margins(fig, ax)
    return fig


@styled
def residual_hist_figure(y_true: np.ndarray, pred: np.ndarray, log_space: bool = False) -> Figure:
    """Distribution of the residuals."""
    err = errors(y_true, pred, log_space)
    fig = new_figure(4.2, width=5.6)
    ax = fig.add_subplot()
    ax.hist(err, bins=40, color=PALETTE[0], alpha=0.85)
    ax.axvline(0, color=MEAN_COLOR, ls="--", lw=1.5)
    show = fmt.target_format(y_true, log_space)  # an error has the target's units and format
    mean = float(np.mean(err))
    ax.axvline(mean, color=NEUTRAL, ls=":", lw=1.5, label=f"mean error {show(mean)}")
    _in_target_units(ax, "x", y_true, log_space)
    unit = " (log)" if log_space else ""
    ax.set(xlabel=f"Error: predicted − actual{unit}", ylabel="Rows", title="Residual distribution")
    ax.legend(loc="upper right")
    fit_margins(fig, ax)
    return fig


def error_by_decile(y_true: np.ndarray, pred: np.ndarray, log_space: bool = False) -> pd.DataFrame:
    """Mean absolute error and mean signed error per decile of the actual target."""
    y = np.asarray(y_true, dtype=float)
    err = errors(y, pred, log_space)
    deciles = pd.qcut(pd.Series(y).rank(method="first"), q=min(10, len(y)), labels=False)
    frame = pd.DataFrame({"decile": deciles.to_numpy(), "y": y, "abs_err": np.abs(err), "err": err})
    out = frame.groupby("decile").agg(
        lo=("y", "min"), hi=("y", "max"), mae=("abs_err", "mean"), bias=("err", "mean")
    )
    return out.reset_index()


@styled
def error_by_decile_figure(y_true: np.ndarray, pred: np.ndarray, log_space: bool = False) -> Figure:
    """Bar chart of the mean absolute error per decile of the actual target."""
    table = error_by_decile(y_true, pred, log_space)
    fig = new_figure(3.8, width=9.6)
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x, table["mae"], color=PALETTE[0], label="mean |error|")
    ax.plot(x, table["bias"], "o-", color=MEAN_COLOR, label="mean error (bias)")
    ax.axhline(0, color=NEUTRAL, lw=0.8)
    show = fmt.target_format(y_true)  # the deciles' ranges are actual values
    ax.set_xticks(
        x,
        [
            f"D{i + 1}\n{show(lo)}\n–{show(hi)}"
            for i, lo, hi in zip(table["decile"], table["lo"], table["hi"], strict=True)
        ],
        fontsize=8.5,
    )
    unit = " (log)" if log_space else ""
    _in_target_units(ax, "y", y_true, log_space)
    ax.set(
        xlabel="Decile of the actual target (range of actual values)",
        ylabel=f"Error{unit}",
        title="Error by target decile",
    )
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


def worst_rows(
    ids: Sequence,
    y_true: np.ndarray,
    pred: np.ndarray,
    log_space: bool = False,
    n: int = 15,
    folds: Sequence | None = None,
) -> pd.DataFrame:
    """The ``n`` rows with the largest absolute error (log space when ``log_space``)."""
    err = errors(y_true, pred, log_space)
    frame = pd.DataFrame(
        {
            "id": list(ids),
            "actual": np.asarray(y_true, dtype=float),
            "predicted": np.asarray(pred, dtype=float),
            "error": err,
            "abs_error": np.abs(err),
        }
    )
    if folds is not None:
        frame.insert(1, "fold", list(folds))
    order = np.argsort(-frame["abs_error"].to_numpy(), kind="stable")[:n]
    return frame.iloc[order].reset_index(drop=True)
