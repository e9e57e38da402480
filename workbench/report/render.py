"""Collect the report's figures and render them to PNG."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from matplotlib.figure import Figure

from workbench.report.html import FigureItem
from workbench.report.style import css_size, draw_rgb, encode_png
from workbench.resources import helper_threads


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
        shown at) and the size it is shown at on the page.

        With a spare core, each figure's PNG is encoded in a thread while the next one is
        drawn (matplotlib holds the GIL while it draws; Pillow's encoder releases it).
        """
        if helper_threads() == 0:
            for item, draw in zip(self.items, self._draws, strict=True):
                self._store(item, encode_png(draw_rgb(draw())))
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="png") as encoder:
            pending: tuple[FigureItem, Future[bytes]] | None = None
            for item, draw in zip(self.items, self._draws, strict=True):
                image = draw_rgb(draw())
                if pending is not None:  # at most one image waits: memory stays bounded
                    self._store(pending[0], pending[1].result())
                pending = (item, encoder.submit(encode_png, image))
            if pending is not None:
                self._store(pending[0], pending[1].result())

    @staticmethod
    def _store(item: FigureItem, png: bytes) -> None:
        item.png = png
        item.width, item.height = css_size(png)
