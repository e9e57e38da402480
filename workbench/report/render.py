"""Collect the report's figures and render them to PNG."""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from workbench.report.html import FigureItem
from workbench.report.style import css_size, to_png


class Figures:
    """Collects the figures of the report and remembers them for figures/ and the HTML.
    Registering is cheap (a drawing closure); drawing happens in :meth:`render_all`."""

    def __init__(self) -> None:
        self.items: list[FigureItem] = []
        self._draws: list[Callable[[], Figure]] = []

    def make(self, name: str, title: str, caption: str, draw: Callable[[], Figure]) -> FigureItem:
        """Register a figure; its ``png`` is filled in by :meth:`render_all`."""
        item = FigureItem(name=f"{name}.png", title=title, caption=caption, png=b"")
        self.items.append(item)
        self._draws.append(draw)
        return item

    def render_all(self) -> None:
        """Draw every registered figure once and store its PNG (drawn at twice the pixels it is
        shown at) and the size it is shown at on the page."""
        for item, draw in zip(self.items, self._draws, strict=True):
            item.png = to_png(draw())
            item.width, item.height = css_size(item.png)
