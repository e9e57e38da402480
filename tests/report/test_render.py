"""Rendering the report's figures: the same PNGs whether or not encoding overlaps drawing."""

import numpy as np
import pytest

from workbench.report import render
from workbench.report.render import Figures
from workbench.report.style import new_figure, styled


@styled
def _line_figure(seed: int):
    fig = new_figure(2.0)
    ax = fig.add_subplot()
    ax.plot(np.random.default_rng(seed).normal(size=50).cumsum())
    ax.set_title(f"figure {seed}")
    return fig


def _render(monkeypatch: pytest.MonkeyPatch, threads: int) -> list[bytes]:
    monkeypatch.setattr(render, "helper_threads", lambda: threads)
    figures = Figures()
    for seed in range(4):
        figures.make(f"f{seed}", f"F{seed}", "", lambda seed=seed: _line_figure(seed))
    figures.render_all()
    assert all(item.width > 0 and item.height > 0 for item in figures.items)
    return [item.png for item in figures.items]


def test_encoding_in_a_thread_gives_the_same_pngs_in_order(monkeypatch):
    threaded = _render(monkeypatch, 1)
    assert threaded == _render(monkeypatch, 0)
    assert len(set(threaded)) == 4  # each figure its own image, in registration order
    assert all(png.startswith(b"\x89PNG") for png in threaded)
