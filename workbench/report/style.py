"""One matplotlib style for every report figure.

Seaborn's look (white grid, colour-blind palette) without importing seaborn: ``import seaborn``
costs well over a second, more than the whole report may take. Plot functions build
:class:`matplotlib.figure.Figure` objects directly (never pyplot), so no global figure state is
left behind and nothing needs closing; the Agg renderer is used for PNG output.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

import matplotlib
import matplotlib.style
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

# seaborn's "colorblind" palette
PALETTE = [
    "#0173b2",
    "#de8f05",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#fbafe4",
    "#949494",
    "#ece133",
    "#56b4e9",
]
TRAIN_COLOR = PALETTE[1]
VALID_COLOR = PALETTE[0]
MEAN_COLOR = PALETTE[3]
NEUTRAL = "#555555"

DPI = 100
WIDTH = 9.6  # inches: 960 px at DPI, for a ~1000 px wide page

STYLE: dict[str, Any] = {
    **matplotlib.style.library["seaborn-v0_8-whitegrid"],
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "sans-serif"],
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9.5,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "image.cmap": "Blues",
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.autolayout": False,
    # a fixed title position: matplotlib would otherwise measure the axes' tick labels on every
    # draw to lift the title above any top-side labels, and no report figure has those
    "axes.titley": 1.0,
}

P = ParamSpec("P")
R = TypeVar("R")


def styled(func: Callable[P, R]) -> Callable[P, R]:
    """Run a plot function with the report style active (figures pick it up when created)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)

    return wrapper


def new_figure(height: float, width: float = WIDTH, **kwargs: Any) -> Figure:
    """A figure sized for the report page, without a layout engine: every plot function sets its
    margins with :func:`set_margins` (tight layout measured every text on every figure and cost
    more than drawing it)."""
    return Figure(figsize=(width, height), dpi=DPI, **kwargs)


def text_width(labels: Iterable[object], size: float) -> float:
    """Width in inches of the widest of ``labels`` (one line each) at font ``size`` points."""
    prop = FontProperties(size=size)  # the family of the active style (plot functions are styled)
    widest = 0.0
    for label in labels:
        for line in str(label).split("\n"):
            if line:
                widest = max(
                    widest, text_to_path.get_text_width_height_descent(line, prop, False)[0]
                )
    return widest / 72.0


def _lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


def _tick_labels(axis: Axis) -> list[str]:
    """The tick labels ``axis`` will draw, without drawing (fixed labels or formatted locs)."""
    return [str(t) for t in axis.major.formatter.format_ticks(list(axis.get_majorticklocs()))]


def left_margin(ax: Axes, extra: float = 0.0) -> float:
    """Inches needed left of ``ax`` for its y tick labels and y label."""
    size = STYLE["ytick.labelsize"]
    need = text_width(_tick_labels(ax.yaxis), size) + 0.12
    if ax.get_ylabel():
        need += _lines(ax.get_ylabel()) * STYLE["axes.labelsize"] * 1.25 / 72 + 0.06
    return need + 0.1 + extra


def bottom_margin(ax: Axes, extra: float = 0.0, rotation: float = 0.0) -> float:
    """Inches needed below ``ax`` for its x tick labels and x label."""
    labels = _tick_labels(ax.xaxis)
    size = STYLE["xtick.labelsize"]  # (or smaller: then a little more room than needed)
    lines = max((_lines(t) for t in labels), default=1)
    need = lines * size * 1.2 / 72 + 0.1
    if rotation:
        need = max(need, text_width(labels, size) * math.sin(math.radians(rotation)) + 0.2)
    if ax.get_xlabel():
        need += _lines(ax.get_xlabel()) * STYLE["axes.labelsize"] * 1.25 / 72 + 0.06
    return need + 0.08 + extra


def top_margin(ax: Axes, extra: float = 0.0) -> float:
    """Inches needed above ``ax`` for its title."""
    title = ax.get_title()
    if not title:
        return 0.15 + extra
    size = ax.title.get_fontsize()
    return _lines(title) * size * 1.25 / 72 + 0.12 + 0.08 + extra


def set_margins(
    fig: Figure,
    *,
    left: float,
    bottom: float,
    top: float,
    right: float = 0.25,
    wgap: float = 0.0,
    hgap: float = 0.0,
    nrows: int = 1,
    ncols: int = 1,
) -> None:
    """Fixed margins and gaps between subplots, all in inches (``subplots_adjust`` wants
    fractions of the figure and of the mean axes size)."""
    width, height = fig.get_size_inches()
    axes_w = max((width - left - right - (ncols - 1) * wgap) / ncols, 0.1)
    axes_h = max((height - top - bottom - (nrows - 1) * hgap) / nrows, 0.1)
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=wgap / axes_w,
        hspace=hgap / axes_h,
    )


def fit_margins(fig: Figure, ax: Axes, *, right: float = 0.25, extra_bottom: float = 0.0) -> None:
    """Margins for a figure with one axes, from its own labels and title."""
    set_margins(
        fig,
        left=left_margin(ax),
        bottom=bottom_margin(ax, extra_bottom),
        top=top_margin(ax),
        right=right,
    )


def to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (Agg, RGB, fast zlib level).

    The margins are fixed by the plot function, so the figure is drawn once and encoded straight
    from the Agg buffer (``savefig`` would add its own overhead).
    """
    with matplotlib.rc_context(STYLE):
        canvas = FigureCanvasAgg(fig)  # attaches itself as fig.canvas
        canvas.draw()
        width, height = canvas.get_width_height(physical=True)
        image = PIL.Image.frombuffer(
            "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()
