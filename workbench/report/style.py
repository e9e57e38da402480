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
import struct
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
# one colour per fold (matplotlib's tab10: ten clearly distinct hues, drawn opaque), and the mean
# curve over them in near-black, so that no fold can be mistaken for the mean
FOLD_COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
FOLD_MEAN_COLOR = "#111111"
MANY_FOLDS_COLOR = "#9aa4ae"  # more folds than colours: thin grey lines, no legend

DPI = 100  # layout: one inch of a figure is shown as 100 CSS pixels on the page
SCALE = 2  # figures are drawn at SCALE x DPI (sharp on high-density screens, and when opened)
RENDER_DPI = DPI * SCALE
WIDTH = 9.6  # inches: 960 CSS px, for a ~1000 px wide page
LEGEND_SIZE = 9.5  # points, the same in every figure: legends never shrink with the data

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
    "legend.fontsize": LEGEND_SIZE,
    "legend.title_fontsize": LEGEND_SIZE,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "image.cmap": "Blues",
    "figure.dpi": DPI,
    "savefig.dpi": RENDER_DPI,
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


def legend_below(fig: Figure, ax: Axes, *, ncols: int = 2) -> float:
    """Put ``ax``'s legend under the plot, at the bottom of the figure, in :data:`LEGEND_SIZE`
    points; grow the figure by its height and return that height in inches, for the bottom
    margin. A legend outside the axes never hides a curve, and its size does not depend on how
    many entries it has."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return 0.0
    ncols = max(1, min(ncols, len(handles)))
    rows = -(-len(handles) // ncols)
    height = rows * LEGEND_SIZE * 1.45 / 72 + 0.2
    width, fig_height = fig.get_size_inches()
    fig.set_size_inches(width, fig_height + height)
    ax.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=fig.transFigure,
        ncols=ncols,
        fontsize=LEGEND_SIZE,
        frameon=False,
        borderaxespad=0.3,
    )
    return height


def zero_based(ax: Axes, values: Iterable[float], *, pad: float = 0.08) -> None:
    """A value axis that starts at zero (or below it, for negative values), so that bar lengths
    compare honestly."""
    array = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    lo = min([0.0, *array])
    hi = max([0.0, *array])
    span = (hi - lo) or 1.0
    ax.set_ylim(lo - (pad * span if lo < 0 else 0.0), hi + pad * span if hi > 0 else 0.0)


def to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes: :func:`draw_rgb`, then :func:`encode_png`."""
    return encode_png(draw_rgb(fig))


def draw_rgb(fig: Figure) -> PIL.Image.Image:
    """Draw ``fig`` (Agg) at :data:`RENDER_DPI` into an RGB image of its own: the page shows it
    at half its pixel size (:func:`css_size`).

    The margins are fixed by the plot function, so the figure is drawn once and taken straight
    from the Agg buffer (``savefig`` would add its own overhead).
    """
    with matplotlib.rc_context(STYLE):
        fig.set_dpi(RENDER_DPI)  # the layout is in inches, so only the pixel count changes
        canvas = FigureCanvasAgg(fig)  # attaches itself as fig.canvas
        canvas.draw()
        width, height = canvas.get_width_height(physical=True)
        image = PIL.Image.frombuffer(
            "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        return image.convert("RGB")  # a copy: independent of the figure's buffer


def encode_png(image: PIL.Image.Image) -> bytes:
    """PNG bytes at a fast zlib level. Pillow releases the GIL while it encodes, so this can
    run in a thread while the next figure is drawn."""
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


def css_size(png: bytes) -> tuple[int, int]:
    """The size in CSS pixels a PNG of :func:`to_png` is shown at on the page: its pixels over
    :data:`SCALE` (its figure's inches at :data:`DPI`)."""
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk, first in every PNG
    return round(width / SCALE), round(height / SCALE)
