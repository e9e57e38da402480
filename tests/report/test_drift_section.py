"""The report's Train vs test section (``drift.json`` as :func:`workbench.drift.write_run_drift`
writes it): the verdict, the AUC, the figure and the top features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import drift, io
from workbench.report.build import plan_report
from workbench.report.plots_drift import drift_figure
from workbench.report.run import load_run
from workbench.report.style import to_png


def _result(shift: float, **kwargs) -> drift.DriftResult:
    """A real adversarial validation of two frames whose ``b`` differs by ``shift``."""
    rng = np.random.default_rng(0)

    def frame(n: int, offset: float) -> pd.DataFrame:
        return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n) + offset})

    sides = drift.Sides("c", frame(400, 0.0), frame(300, shift), "raw columns", [], "test.csv")
    return drift.adversarial(sides, **kwargs)


@pytest.fixture(scope="module")
def shifted() -> drift.DriftResult:
    return _result(2.0)


def _plan(run_dir):
    sections, figs = plan_report(load_run(run_dir))
    return {s.id: s for s in sections}, {f.name for f in figs.items}


def _with(run_dir, result: drift.DriftResult):
    io.write_json(run_dir / "drift.json", drift.as_json(result))
    return _plan(run_dir)


def test_no_drift_json_no_section(run_factory):
    sections, figures = _plan(run_factory())
    assert "drift" not in sections and "drift.png" not in figures


def test_a_shift_is_a_red_verdict_with_its_column_first(run_factory, shifted):
    sections, figures = _with(run_factory(), shifted)
    section = sections["drift"]
    verdict = next(b for b in section.blocks if b["type"] == "verdict")
    assert verdict["level"] == "bad" and "strong shift" in verdict["text"]
    table = next(b for b in section.blocks if b["type"] == "table")
    assert table["rows"][0][0] == "b"
    assert verdict["title"].startswith(f"Train-vs-test ROC AUC {shifted.auc:.4f} ± ")
    assert "drift.png" in figures


def test_alike_is_a_green_verdict_that_calls_the_ranking_noise(run_factory):
    sections, _ = _with(run_factory(), _result(0.0))
    section = sections["drift"]
    verdict = next(b for b in section.blocks if b["type"] == "verdict")
    assert verdict["level"] == "good"
    texts = " ".join(b["text"] for b in section.blocks if b["type"] == "text")
    assert "No column stands out" in texts


def test_a_sampled_comparison_says_so(run_factory):
    sections, _ = _with(run_factory(), _result(2.0, max_rows=100))
    pairs = dict(next(b for b in sections["drift"].blocks if b["type"] == "pairs")["entries"])
    assert "a seeded sample of 100 and 100" in pairs["Rows compared"]


def test_the_figure_has_the_auc_in_its_title_and_skips_unused_features(shifted):
    features = [*drift.as_json(shifted)["features"], {"feature": "unused", "shap": 0.0}]
    fig = drift_figure(features, shifted.auc, shifted.auc_std)
    ax = fig.axes[0]
    assert f"ROC AUC {shifted.auc:.4f}" in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]
    assert to_png(fig)[:4] == b"\x89PNG"
