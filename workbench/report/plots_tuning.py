"""Tuning figures, from the trials of ``tuning.json`` (:func:`workbench.tune.tuning_record`):
the optimisation history, the parameter importances and score-vs-parameter slices.

Every function takes trials as normalised by :func:`workbench.report.tuning_section.trials`:
dicts with ``number``, ``state`` (complete, pruned, fail, running), ``value`` (a finite float or
``None``; a pruned trial's is its last running mean) and ``params`` (``{path: value}``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from workbench.report import formats as fmt
from workbench.report.style import (
    MEAN_COLOR,
    NEUTRAL,
    PALETTE,
    VALID_COLOR,
    bottom_margin,
    fit_margins,
    left_margin,
    legend_below,
    new_figure,
    set_margins,
    styled,
    top_margin,
)

# trial number → colour: light to dark blue (matplotlib's Blues without its near-white end, so
# that the first trials stay visible on the white plot)
TRIAL_CMAP = LinearSegmentedColormap.from_list("trial_number", ["#9ecae1", "#08306b"])
PRUNED_COLOR = "#8c959f"
BEST_COLOR = PALETTE[8]  # a yellow star with a dark edge: on the red line and the blue dots
BEST_EDGE = "#333333"
FAILED_COLOR = PALETTE[4]
JITTER = 0.18  # categorical slices: dots spread this far either side of their category
JITTER_SEED = 0
SLICE_WIDTH = 5.6  # inches: two slices side by side on the page


def value_label(value: Any) -> str:
    """A parameter value as YAML writes it on one line (``true``, ``null``, ``0.05``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _score_ticks(ax: Axes, values: Sequence[float], axis: str = "y") -> None:
    """Score tick labels in the report's one score format (4 decimals; integers with thousands
    separators for large scores such as an RMSE in dollars), never with an offset."""
    show = (lambda v: fmt.count(v)) if fmt.is_large_scale(values) else fmt.score
    getattr(ax, f"{axis}axis").set_major_formatter(lambda v, _: show(v))


def _direction(greater_is_better: bool) -> str:
    return "higher is better" if greater_is_better else "lower is better"


def _scored(trials: Sequence[Mapping[str, Any]], state: str) -> list[Mapping[str, Any]]:
    return sorted(
        (t for t in trials if t["state"] == state and t["value"] is not None),
        key=lambda t: t["number"],
    )


@styled
def history_figure(
    trials: Sequence[Mapping[str, Any]],
    greater_is_better: bool,
    metric: str = "score",
    best_number: int | None = None,
) -> Figure:
    """Complete trials' scores (dots) with the best score so far (a step line), pruned trials
    as hollow grey circles at their last running mean, failed trials as faint dashed
    vertical lines (they have no score) and the best trial as a star."""
    complete = _scored(trials, "complete")
    pruned = _scored(trials, "pruned")
    failed = sorted(t["number"] for t in trials if t["state"] == "fail")
    fig = new_figure(3.8, width=8.4)
    ax = fig.add_subplot()
    numbers = np.asarray([t["number"] for t in complete], dtype=float)
    values = np.asarray([t["value"] for t in complete], dtype=float)
    if pruned:
        ax.scatter(
            [t["number"] for t in pruned],
            [t["value"] for t in pruned],
            s=26,
            facecolors="none",
            edgecolors=PRUNED_COLOR,
            linewidths=1.2,
            label=f"pruned trial, at its last running mean ({len(pruned)})",
            zorder=2,
        )
    if len(complete):
        ax.scatter(
            numbers,
            values,
            s=24,
            color=VALID_COLOR,
            alpha=0.85,
            label=f"complete trial ({len(complete)})",
            zorder=3,
        )
        best = np.maximum.accumulate(values) if greater_is_better else np.minimum.accumulate(values)
        last = max(t["number"] for t in trials)
        ax.step(
            np.r_[numbers, max(last, numbers[-1])],
            np.r_[best, best[-1]],
            where="post",
            color=MEAN_COLOR,
            lw=2,
            label="best so far",
            zorder=4,
        )
        chosen = [t for t in complete if t["number"] == best_number]
        if chosen:
            ax.scatter(
                [chosen[0]["number"]],
                [chosen[0]["value"]],
                marker="*",
                s=220,
                color=BEST_COLOR,
                edgecolors="white",
                linewidths=0.8,
                label=f"best trial #{best_number}",
                zorder=5,
            )
    if failed:
        # no score to draw at: a faint dashed line across the plot at the trial's number
        ax.vlines(
            failed,
            0,
            1,
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            colors=FAILED_COLOR,
            linestyles="--",
            lw=1,
            alpha=0.6,
            label=f"failed trial, no score ({len(failed)})",
            zorder=1,
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    scores = [t["value"] for t in (*complete, *pruned)]
    _score_ticks(ax, scores)
    ax.set(
        xlabel="Trial number",
        ylabel=f"{metric} ({_direction(greater_is_better)})",
        title="Optimisation history",
    )
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


@styled
def importance_figure(importances: Mapping[str, float]) -> Figure:
    """Horizontal bars of the parameter importances (largest first), each with its share."""
    items = sorted(importances.items(), key=lambda kv: -kv[1])
    n = len(items)
    fig = new_figure(max(2.0, 0.36 * n + 1.3), width=7.6)
    ax = fig.add_subplot()
    y = np.arange(n)
    shares = [float(v) for _, v in items]
    bars = ax.barh(y, shares, color=PALETTE[2])
    ax.bar_label(bars, [fmt.percent(v) for v in shares], padding=3, fontsize=9)
    ax.set_yticks(y, [path for path, _ in items])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max([*shares, 0.01]) * 1.18)  # room for the labels
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set(xlabel="Share of the score's variation explained", title="Parameter importance")
    fit_margins(fig, ax)
    return fig


def slice_points(
    trials: Sequence[Mapping[str, Any]], path: str
) -> tuple[list[Any], list[float], list[int]]:
    """The complete trials that set ``path``: their values of it, scores and numbers."""
    chosen = [t for t in _scored(trials, "complete") if path in t["params"]]
    return (
        [t["params"][path] for t in chosen],
        [float(t["value"]) for t in chosen],
        [int(t["number"]) for t in chosen],
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def slice_kind(dist: Mapping[str, Any] | None, values: Sequence[Any]) -> str:
    """``categorical`` or ``numeric``: from the search space, else from the values."""
    if isinstance(dist, Mapping):
        if "categorical" in dist:
            return "categorical"
        if "int" in dist or "float" in dist:
            return "numeric"
    return "numeric" if values and all(_is_number(v) for v in values) else "categorical"


def _categories(dist: Mapping[str, Any] | None, values: Sequence[Any]) -> list[Any]:
    """The choices in the space's order, then any value the space does not list."""
    choices = list(dist.get("categorical") or []) if isinstance(dist, Mapping) else []
    for value in values:
        if value not in choices:
            choices.append(value)
    return choices


def _category_index(value: Any, choices: Sequence[Any]) -> int:
    for i, choice in enumerate(choices):
        # True == 1 in Python: a bool only matches a bool
        if choice == value and isinstance(choice, bool) == isinstance(value, bool):
            return i
    return len(choices) - 1


def range_bounds(dist: Mapping[str, Any] | None) -> tuple[float, float] | None:
    if not isinstance(dist, Mapping):
        return None
    bounds = dist.get("int", dist.get("float"))
    if isinstance(bounds, Sequence) and len(bounds) == 2 and all(_is_number(b) for b in bounds):
        return float(bounds[0]), float(bounds[1])
    return None


@styled
def slice_figure(
    trials: Sequence[Mapping[str, Any]],
    path: str,
    dist: Mapping[str, Any] | None,
    greater_is_better: bool,
    metric: str = "score",
    best_number: int | None = None,
    last_number: int | None = None,
) -> Figure:
    """Score against one parameter's value, one dot per complete trial, coloured by trial
    number (later trials darker); a log x axis when the space samples on a log scale,
    categories spread a little sideways; dotted lines at the ends of a numeric range."""
    values, scores, numbers = slice_points(trials, path)
    kind = slice_kind(dist, values)
    log = bool(isinstance(dist, Mapping) and dist.get("log"))
    fig = new_figure(4.0, width=SLICE_WIDTH)
    ax = fig.add_subplot()
    rotation = 0
    if kind == "categorical":
        choices = _categories(dist, values)
        index = np.asarray([_category_index(v, choices) for v in values], dtype=float)
        jitter = np.random.default_rng(JITTER_SEED).uniform(-JITTER, JITTER, len(index))
        x = index + jitter
        labels = [value_label(c) for c in choices]
        # long or many labels are turned, so that they do not run into each other
        rotation = 30 if sum(len(label) + 2 for label in labels) > 44 else 0
        ax.set_xticks(
            np.arange(len(choices)), labels, rotation=rotation, ha="right" if rotation else "center"
        )
        ax.set_xlim(-0.6, len(choices) - 0.4)
        ax.grid(axis="x", visible=False)
    else:
        x = np.asarray(values, dtype=float)
        if log:
            ax.set_xscale("log")
        bounds = range_bounds(dist)
        if bounds is not None:
            for edge in bounds:
                ax.axvline(edge, color=NEUTRAL, ls=":", lw=1.2, zorder=1)
            ax.plot([], [], color=NEUTRAL, ls=":", lw=1.2, label="ends of the search range")
            lo, hi = bounds
            if log and lo > 0:
                pad = (math.log10(hi) - math.log10(lo)) * 0.04 or 0.1
                ax.set_xlim(lo / 10**pad, hi * 10**pad)
            else:
                pad = (hi - lo) * 0.04 or 0.5
                ax.set_xlim(lo - pad, hi + pad)
    norm = Normalize(0, max(1, last_number if last_number is not None else max(numbers, default=1)))
    dots = ax.scatter(x, scores, c=numbers, cmap=TRIAL_CMAP, norm=norm, s=26, alpha=0.9, zorder=3)
    if best_number in numbers:
        i = numbers.index(best_number)
        ax.scatter(
            [x[i]],
            [scores[i]],
            marker="*",
            s=220,
            color=BEST_COLOR,
            edgecolors=BEST_EDGE,
            linewidths=0.9,
            label=f"best trial #{best_number}",
            zorder=4,
        )
    _score_ticks(ax, scores)
    xlabel = "value tried (log scale)" if log and kind == "numeric" else "value tried"
    ax.set(xlabel=xlabel, ylabel=f"{metric} ({_direction(greater_is_better)})", title=path)
    legend = legend_below(fig, ax, ncols=2)
    colorbar_room = 1.0
    left, top = left_margin(ax), top_margin(ax)
    bottom = bottom_margin(ax, extra=legend, rotation=rotation)
    set_margins(fig, left=left, bottom=bottom, top=top, right=colorbar_room)
    width, height = fig.get_size_inches()
    cax = fig.add_axes(
        (
            (width - colorbar_room + 0.15) / width,
            bottom / height,
            0.14 / width,
            (height - bottom - top) / height,
        )
    )
    bar = fig.colorbar(dots, cax=cax)
    bar.set_label("trial number")
    bar.locator = MaxNLocator(integer=True, nbins=5)
    bar.update_ticks()
    bar.outline.set_visible(False)
    return fig
