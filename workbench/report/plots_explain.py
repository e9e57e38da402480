"""SHAP figures: mean |SHAP| per feature across folds, and a beeswarm of the top features.

Both draw what the run wrote (importance.csv rows of kind ``shap``, explanations.csv rows of set
``sample``; see :mod:`workbench.explain`), never recompute SHAP values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure

from workbench.report.plots_diagnostics import importance_summary
from workbench.report.style import (
    NEUTRAL,
    PALETTE,
    bottom_margin,
    fit_margins,
    left_margin,
    new_figure,
    set_margins,
    styled,
    top_margin,
)

# low → high feature value, blue → red through purple (shap's own colours)
VALUE_CMAP = LinearSegmentedColormap.from_list("feature_value", ["#008bfb", "#ff0051"])
MISSING_COLOR = "#b0b0b0"
SWARM_BINS = 100  # x is cut into this many bins per feature; dots in one bin stack vertically
SWARM_HEIGHT = 0.4  # at most this far above or below a feature's row (rows are 1 apart)
BEESWARM_DOTS = 3_000  # per feature at most; more rows are drawn as a seeded sample
BEESWARM_SEED = 0


def swarm_offsets(x: np.ndarray, nbins: int = SWARM_BINS, seed: int = BEESWARM_SEED) -> np.ndarray:
    """Vertical offsets that spread dots by density, like shap's beeswarm: ``x`` is cut into
    ``nbins`` bins and the dots of a bin are stacked 0, +1, −1, +2, −2, … (in random order within
    the bin), then scaled so the fullest bin spans ±:data:`SWARM_HEIGHT`."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return np.empty(0)
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi > lo:
        bins = np.round(nbins * (x - lo) / (hi - lo)).astype(np.int64)
    else:
        bins = np.zeros(n, dtype=np.int64)
    order = np.lexsort((np.random.default_rng(seed).random(n), bins))
    sorted_bins = bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    layer = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    stacked = np.ceil(layer / 2) * np.where(layer % 2 == 1, 1.0, -1.0)
    offsets = np.empty(n)
    offsets[order] = stacked
    peak = float(np.abs(offsets).max())
    return offsets * (0.9 * SWARM_HEIGHT / peak) if peak > 0 else offsets


def scaled_values(values: np.ndarray) -> np.ndarray:
    """A feature's values mapped to 0..1 for colour: its 5th to 95th percentile (the whole range
    when that is empty), clipped; NaN stays NaN (missing values), a constant feature is 0.5."""
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), np.nan)
    ok = np.isfinite(v)
    if not ok.any():
        return out
    lo, hi = np.percentile(v[ok], [5, 95])
    if hi <= lo:
        lo, hi = float(v[ok].min()), float(v[ok].max())
    out[ok] = 0.5 if hi <= lo else np.clip((v[ok] - lo) / (hi - lo), 0.0, 1.0)
    return out


def beeswarm_rows(n: int) -> np.ndarray:
    """The dots a beeswarm row draws: all ``n``, or a seeded sample of :data:`BEESWARM_DOTS`."""
    if n <= BEESWARM_DOTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(BEESWARM_SEED).choice(n, BEESWARM_DOTS, replace=False))


@styled
def shap_importance_figure(importance: pd.DataFrame, units: str, top: int = 20) -> Figure:
    """Horizontal bars of mean |SHAP| per feature: the mean over folds of each fold's mean |SHAP|,
    with ±1 std across folds as error bars (``importance`` rows of kind ``shap``)."""
    summary = importance_summary(importance, "shap", top)
    n = len(summary)
    total = importance.loc[importance["kind"] == "shap", "feature"].nunique()
    shown = f"top {n} of {total} features" if n < total else f"all {n} features"
    fig = new_figure(max(2.4, 0.26 * n + 1.3), width=8.4)
    ax = fig.add_subplot()
    y = np.arange(n)
    ax.barh(
        y,
        summary["mean"],
        xerr=summary["std"],
        color=PALETTE[4],
        ecolor=NEUTRAL,
        capsize=2,
        error_kw={"lw": 1},
    )
    ax.set_yticks(y, summary["feature"].astype(str))
    ax.set_ylim(n - 0.4, -0.6)  # most important on top
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    ax.set(
        xlabel=f"mean |SHAP| ({units}): mean across folds, bars = ± 1 std",
        title=f"SHAP: mean |impact| on the prediction ({shown})",
    )
    fit_margins(fig, ax)
    return fig


@styled
def beeswarm_figure(samples: pd.DataFrame, features: list[str], units: str) -> Figure:
    """One row per feature (``features``, top first): a dot per sampled row at its SHAP value,
    spread vertically by density, coloured by the feature's value (scaled within the feature;
    grey = missing). ``samples`` has columns ``feature, shap, value``."""
    k = len(features)
    fig = new_figure(max(2.6, 0.5 * k + 1.4), width=8.4)
    ax = fig.add_subplot()
    by_feature = dict(tuple(samples.groupby("feature", sort=False)))
    for row, name in enumerate(features):
        rows = by_feature.get(name)
        if rows is None or not len(rows):
            continue
        rows = rows.iloc[beeswarm_rows(len(rows))]
        x = rows["shap"].to_numpy(dtype=float)
        y = row + swarm_offsets(x)
        shade = scaled_values(rows["value"].to_numpy(dtype=float))
        size = 9 if len(x) < 1000 else 5
        missing = ~np.isfinite(shade)
        if missing.any():
            ax.scatter(x[missing], y[missing], s=size, color=MISSING_COLOR, linewidths=0)
        ax.scatter(
            x[~missing],
            y[~missing],
            c=shade[~missing],
            cmap=VALUE_CMAP,
            vmin=0.0,
            vmax=1.0,
            s=size,
            alpha=0.85,
            linewidths=0,
        )
    ax.axvline(0, color=NEUTRAL, lw=0.8)
    ax.set_yticks(np.arange(k), features)
    ax.set_ylim(k - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set(
        xlabel=f"SHAP value ({units}): impact on the prediction",
        title=f"SHAP values of the top {k} features, one dot per row",
    )
    colorbar_room = 1.05
    left, bottom, top = left_margin(ax), bottom_margin(ax), top_margin(ax)
    set_margins(fig, left=left, bottom=bottom, top=top, right=colorbar_room)
    width, height = fig.get_size_inches()
    cax = fig.add_axes(
        (
            (width - colorbar_room + 0.2) / width,
            bottom / height,
            0.14 / width,
            (height - bottom - top) / height,
        )
    )
    bar = fig.colorbar(ScalarMappable(norm=Normalize(0.0, 1.0), cmap=VALUE_CMAP), cax=cax)
    bar.set_ticks([0.0, 1.0], labels=["low", "high"])
    bar.set_label("feature value", labelpad=-4)
    bar.outline.set_visible(False)
    return fig
