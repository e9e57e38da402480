"""The regression scatter plots draw a bounded, seeded sample of rows; their lines use all rows."""

from __future__ import annotations

import numpy as np

from workbench.report import plots_regression as preg


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.lognormal(12, 0.4, n)
    return y, y * np.exp(rng.normal(0, 0.1, n))


def _points(fig) -> np.ndarray:
    return np.asarray(fig.axes[0].collections[0].get_offsets())


def test_scatter_rows_bounded_and_seeded():
    assert np.array_equal(preg.scatter_rows(100), np.arange(100))
    rows = preg.scatter_rows(1_000_000)
    assert len(rows) == preg.SCATTER_POINTS == len(np.unique(rows))
    assert np.all(np.diff(rows) > 0) and rows[-1] < 1_000_000
    assert np.array_equal(rows, preg.scatter_rows(1_000_000))  # the same rows every build
    assert preg.scatter_note(preg.SCATTER_POINTS) == ""
    assert "5,000 of the 1,000,000 rows" in preg.scatter_note(1_000_000)


def test_small_data_draws_every_row():
    y, p = _data(300)
    assert len(_points(preg.pred_vs_actual_figure(y, p))) == 300
    assert len(_points(preg.residuals_figure(y, p))) == 300


def test_large_data_draws_a_sample_but_lines_span_every_row():
    y, p = _data(60_000)
    for log_space in (False, True):
        fig = preg.pred_vs_actual_figure(y, p, log_space)
        points = _points(fig)
        assert len(points) == preg.SCATTER_POINTS
        rows = preg.scatter_rows(len(y))
        space = np.log if log_space else np.asarray
        assert np.allclose(points[:, 0], space(y[rows]))
        diagonal = fig.axes[0].lines[0].get_xdata()
        lo = min(space(y).min(), space(p).min())
        hi = max(space(y).max(), space(p).max())
        assert np.allclose(diagonal, [lo, hi])  # from all rows, not the drawn ones
        resid = preg.residuals_figure(y, p, log_space)
        assert len(_points(resid)) == preg.SCATTER_POINTS
