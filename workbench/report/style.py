"""One matplotlib style for every report figure.

Seaborn's look (white grid, colour-blind palette) without importing seaborn: ``import seaborn``
costs well over a second, more than the whole report may take. Plot functions build
:class:`matplotlib.figure.Figure` objects directly (never pyplot), so no global figure state is
left behind and nothing needs closing; the Agg renderer is used for PNG output.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import matplotlib
import matplotlib.style
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
    """A figure sized for the report page, with tight layout so that labels never overlap
    (constrained layout looks the same here and costs twice as much)."""
    return Figure(figsize=(width, height), dpi=DPI, layout="tight", **kwargs)


def to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (Agg, RGB, fast zlib level).

    The layout is computed once, then the figure is drawn once and encoded straight from the
    Agg buffer: ``savefig`` would add a dry-run draw for the layout engine and its own overhead.
    """
    with matplotlib.rc_context(STYLE):
        canvas = FigureCanvasAgg(fig)  # attaches itself as fig.canvas
        engine = fig.get_layout_engine()
        if engine is not None:
            engine.execute(fig)
            fig.set_layout_engine("none")
        canvas.draw()
        width, height = canvas.get_width_height(physical=True)
        image = PIL.Image.frombuffer(
            "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()
