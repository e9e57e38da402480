"""Data section figures (from data_profile.json) and the tuning history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

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


@styled
def target_distribution_figure(distribution: Mapping[str, Any], target: str = "target") -> Figure:
    """Bar chart of class counts (``kind: classes``) or a histogram (``kind: values``)."""
    fig = new_figure(3.6, width=7.6)
    ax = fig.add_subplot()
    if distribution.get("kind") == "classes":
        counts = distribution.get("counts", {})
        labels = [str(k) for k in counts]
        values = np.asarray([counts[k] for k in counts], dtype=float)
        x = np.arange(len(labels))
        bars = ax.bar(x, values, color=[PALETTE[i % len(PALETTE)] for i in range(len(labels))])
        total = values.sum() or 1.0
        ax.bar_label(bars, [f"{v:.0f} ({v / total:.0%})" for v in values], fontsize=9, padding=2)
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 8 else 0)
        ax.set_ylim(0, values.max() * 1.15 if len(values) else 1)
        ax.set(xlabel=target, ylabel="Training rows", title=f"Target distribution: {target}")
    else:
        values = np.asarray(distribution.get("values", []), dtype=float)
        values = values[np.isfinite(values)]
        ax.hist(values, bins=40, color=PALETTE[0], alpha=0.85)
        if len(values):
            ax.axvline(
                values.mean(), color=MEAN_COLOR, ls="--", lw=1.5, label=f"mean {values.mean():.4g}"
            )
            ax.axvline(
                np.median(values),
                color=PALETTE[2],
                ls=":",
                lw=1.5,
                label=f"median {np.median(values):.4g}",
            )
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
def missing_figure(missing: Sequence[Mapping[str, Any]], top: int = 30) -> Figure:
    """Grouped horizontal bars: share of missing values per column, train vs test (top ``top``)."""
    rows = sorted(missing, key=lambda r: -max(r.get("train") or 0.0, r.get("test") or 0.0))[:top]
    n = len(rows)
    fig = new_figure(max(2.2, 0.34 * n + 1.3), width=8.4)
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
    ax.set(xlabel="Share of rows missing", title=f"Missing values per column (top {n})")
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


@styled
def tuning_history_figure(
    trials: Sequence[Mapping[str, Any]], greater_is_better: bool, metric: str = "score"
) -> Figure:
    """Every trial's value and the best value so far."""
    done = [t for t in trials if t.get("value") is not None]
    numbers = np.asarray([t["number"] for t in done], dtype=float)
    values = np.asarray([t["value"] for t in done], dtype=float)
    order = np.argsort(numbers, kind="stable")
    numbers, values = numbers[order], values[order]
    best = np.maximum.accumulate(values) if greater_is_better else np.minimum.accumulate(values)
    fig = new_figure(3.6, width=7.6)
    ax = fig.add_subplot()
    ax.scatter(numbers, values, s=18, color=PALETTE[0], alpha=0.7, label="trial")
    ax.step(numbers, best, where="post", color=MEAN_COLOR, lw=2, label="best so far")
    ax.set(xlabel="Trial number", ylabel=metric, title="Tuning history")
    ax.legend(loc="best")
    fit_margins(fig, ax)
    return fig
