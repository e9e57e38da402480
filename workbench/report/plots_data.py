"""Data section figures (from data_profile.json) and the tuning history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from workbench.report import formats as fmt
from workbench.report.style import (
    MEAN_COLOR,
    PALETTE,
    TRAIN_COLOR,
    VALID_COLOR,
    bottom_margin,
    fit_margins,
    left_margin,
    new_figure,
    set_margins,
    styled,
    top_margin,
)


def _target_histogram(
    distribution: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray, float | None, float | None]:
    """Bin edges, counts, mean and median of a regression target: ``kind: histogram`` as
    written, or ``kind: values`` (runs written before the histogram) binned here alike."""
    if distribution.get("kind") == "values":
        values = np.asarray(distribution.get("values", []), dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            return np.empty(0), np.empty(0), None, None
        counts, edges = np.histogram(values, bins=40)
        return edges, counts, float(values.mean()), float(np.median(values))
    edges = np.asarray(distribution.get("edges", []), dtype=float)
    counts = np.asarray(distribution.get("counts", []), dtype=float)
    if len(edges) != len(counts) + 1:
        edges, counts = np.empty(0), np.empty(0)
    return edges, counts, distribution.get("mean"), distribution.get("median")


MISSING_TOP = 25  # the missing-values chart shows at most this many columns


@styled
def target_distribution_figure(distribution: Mapping[str, Any], target: str = "target") -> Figure:
    """Bar chart of class counts (``kind: classes``) or a histogram of the binned target
    (``kind: histogram``; the ``kind: values`` of older runs is binned the same way)."""
    fig = new_figure(3.6, width=7.6)
    ax = fig.add_subplot()
    if distribution.get("kind") == "classes":
        counts = distribution.get("counts", {})
        labels = [str(k) for k in counts]
        values = np.asarray([counts[k] for k in counts], dtype=float)
        x = np.arange(len(labels))
        bars = ax.bar(x, values, color=[PALETTE[i % len(PALETTE)] for i in range(len(labels))])
        total = values.sum() or 1.0
        ax.bar_label(
            bars, [f"{fmt.count(v)} ({v / total:.0%})" for v in values], fontsize=9, padding=2
        )
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 8 else 0)
        ax.set_ylim(0, values.max() * 1.15 if len(values) else 1)
        ax.set(xlabel=target, ylabel="Training rows", title=f"Target distribution: {target}")
    else:
        edges, counts, mean, median = _target_histogram(distribution)
        if len(counts):
            ax.hist(edges[:-1], bins=edges, weights=counts, color=PALETTE[0], alpha=0.85)
        # the target's one format (prices: integers with thousands separators), on the axis too
        show = fmt.target_format([v for v in (mean, median) if v is not None] or edges)
        if fmt.is_large_scale(edges):
            ax.xaxis.set_major_formatter(lambda v, _: show(v))
        if mean is not None and median is not None:
            ax.axvline(mean, color=MEAN_COLOR, ls="--", lw=1.5, label=f"mean {show(mean)}")
            ax.axvline(median, color=PALETTE[2], ls=":", lw=1.5, label=f"median {show(median)}")
            ax.legend(loc="upper right")
        ax.set(xlabel=target, ylabel="Training rows", title=f"Target distribution: {target}")
    rotation = 45 if distribution.get("kind") == "classes" and len(ax.get_xticks()) > 8 else 0
    set_margins(
        fig,
        left=left_margin(ax),
        bottom=bottom_margin(ax, rotation=rotation),
        top=top_margin(ax),
    )
    return fig


@styled
def missing_figure(missing: Sequence[Mapping[str, Any]], top: int = MISSING_TOP) -> Figure:
    """Grouped horizontal bars: share of missing values per column, train vs test, for the
    ``top`` columns with the most (the figure's height is bounded; its title says how many
    columns have missing values in all)."""
    rows = sorted(missing, key=lambda r: -max(r.get("train") or 0.0, r.get("test") or 0.0))[:top]
    n = len(rows)
    fig = new_figure(max(2.2, 0.3 * n + 1.3), width=8.4)
    ax = fig.add_subplot()
    y = np.arange(n)
    h = 0.4
    train = [r.get("train") or 0.0 for r in rows]
    test = [r.get("test") or 0.0 for r in rows]
    for offset, shares, color, label in (
        (-h / 2, train, TRAIN_COLOR, "train"),
        (h / 2, test, VALID_COLOR, "test"),
    ):
        bars = ax.barh(y + offset, shares, h, color=color, label=label)
        # the share at the end of each bar: a column missing 0.2% has a bar too thin to see
        ax.bar_label(bars, [f"{v:.1%}" if v else "" for v in shares], padding=2, fontsize=8)
    ax.set_yticks(y, [str(r["column"]) for r in rows])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlim(0, max([*train, *test, 0.01]) * 1.2)  # room for the labels
    ax.set_xticks([t for t in ax.get_xticks() if 0 <= t <= 1.0])
    shown = f"top {n} of {len(missing)} columns" if len(missing) > n else f"{n} columns"
    ax.set(xlabel="Share of rows missing", title=f"Missing values per column ({shown})")
    ax.legend(loc="lower right")
    fit_margins(fig, ax)
    return fig


@styled
def related_figure(related: Sequence[Mapping[str, Any]]) -> Figure:
    """Horizontal bars of the features most related to the target (mutual information)."""
    rows = list(related)[:10]
    n = len(rows)
    fig = new_figure(max(2.2, 0.32 * n + 1.2), width=7.6)
    ax = fig.add_subplot()
    y = np.arange(n)
    ax.barh(y, [r["score"] for r in rows], color=PALETTE[2])
    ax.set_yticks(y, [str(r["feature"]) for r in rows])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    method = rows[0].get("method", "score").replace("_", " ") if rows else "score"
    ax.set(xlabel=method, title=f"Raw columns most related to the target ({method})")
    fit_margins(fig, ax)
    return fig
