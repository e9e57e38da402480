"""Collect the report's figures and render them to PNG."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Container, Mapping

from matplotlib.figure import Figure

from workbench.report.html import FigureItem
from workbench.report.style import to_png


class Figures:
    """Collects the figures of the report, renders them to PNG and remembers them for figures/
    and the HTML. Registering is cheap (a drawing closure); drawing happens in :meth:`render`."""

    def __init__(self) -> None:
        self.items: list[FigureItem] = []
        self._draws: list[Callable[[], Figure]] = []

    def make(self, name: str, title: str, caption: str, draw: Callable[[], Figure]) -> FigureItem:
        """Register a figure; its ``png`` is filled in by :meth:`render_all` or :meth:`fill`."""
        item = FigureItem(name=f"{name}.png", title=title, caption=caption, png=b"")
        self.items.append(item)
        self._draws.append(draw)
        return item

    def render(self, claim: Callable[[], int], done: Container[str] = ()) -> dict[str, bytes]:
        """Draw the figures whose indices ``claim()`` hands out, until it hands out one past the
        last; skip those named in ``done``. Returns file name -> PNG of the ones drawn here.

        Two processes that register the same figures and share one counter as ``claim`` split
        the work between them, each taking the next figure as soon as it is free.
        """
        drawn = {}
        while (index := claim()) < len(self.items):
            name = self.items[index].name
            if name not in done:
                drawn[name] = to_png(self._draws[index]())
        return drawn

    def fill(self, pngs: Mapping[str, bytes]) -> None:
        """Give every figure its PNG: from ``pngs`` where it is there, else drawn now."""
        for item, draw in zip(self.items, self._draws, strict=True):
            item.png = pngs[item.name] if item.name in pngs else to_png(draw())

    def render_all(self) -> None:
        """Render every figure here, one by one."""
        self.fill(self.render(itertools.count().__next__))
