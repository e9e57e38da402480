"""SHAP figures, the worst-rows tables and their "why", and what each importance caption says
(explanations.csv and importance.csv as workbench/explain.py writes them)."""

from __future__ import annotations

import html as html_module
import re

import numpy as np
import pandas as pd
import pytest

from workbench.report import build_report
from workbench.report import explain_section as pexplain
from workbench.report import plots_explain as pexp
from workbench.report.build import plan_report
from workbench.report.html import Section
from workbench.report.run import load_run, pool, prediction_columns
from workbench.report.style import to_png

WHY = re.compile(r"^[^;]+ = [^;]+ \([+−][0-9.,]+\)(; [^;]+ = [^;]+ \([+−][0-9.,]+\)){2}$")


def _plan(run_dir):
    run = load_run(run_dir)
    sections, figs = plan_report(run)
    return run, {s.id: s for s in sections}, {f.name: f for f in figs.items}


def _tables(section: Section) -> list[dict]:
    return [b for b in section.blocks if b["type"] == "table"]


def _worst_table(section: Section) -> dict:
    (table,) = [t for t in _tables(section) if t["columns"][0] == "id"]
    return table


def _assert_why(table: dict) -> list[str]:
    assert table["columns"][-1] == pexplain.WHY_COLUMN
    cells = [row[-1] for row in table["rows"]]
    assert cells and all(WHY.match(c) for c in cells), cells[:3]
    return cells


def _text(html: str) -> str:
    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def test_binary_shap_figures_and_worst_rows(run_factory):
    run_dir = run_factory("binary", shap=True, sample_rows=100, n=891, folds=5)
    _, sections, figs = _plan(run_dir)
    assert "shap" in sections
    assert {"shap_importance.png", "shap_beeswarm.png"} <= set(figs)
    bars, swarm = figs["shap_importance.png"], figs["shap_beeswarm.png"]
    for caption in (bars.caption, swarm.caption):
        # the sample size per fold (of how many) and the units
        assert "sample of 100 validation rows per fold (of 178–179)" in caption
        assert "log-odds of class 1" in caption
    assert "Measure: mean |SHAP|" in bars.caption
    # the classification section gets the most confident mistakes, with their why
    table = _worst_table(sections["predictions"])
    assert table["columns"][:5] == [
        "id",
        "fold",
        "true class",
        "P(true class)",
        "predicted class (P)",
    ]
    cells = _assert_why(table)
    assert len(cells) == 15
    assert all(1 <= row[1] <= 5 for row in table["rows"])  # folds from 1
    p_true = [float(row[3]) for row in table["rows"]]
    assert p_true == sorted(p_true) and max(p_true) < 0.5  # mistakes, most confident first
    assert "log-odds of class 1: positive pushes toward 1, negative toward 0" in table["caption"]
    assert "repeat" not in table["caption"]
    html = build_report(run_dir).read_text(encoding="utf-8")
    assert 'id="shap"' in html and "SHAP: what drives each prediction" in html
    assert "The 15 most confident mistakes" in html


def test_why_names_the_features_of_the_row(run_factory):
    run_dir = run_factory("binary", shap=True)
    run = load_run(run_dir)
    pooled = pool(run, prediction_columns(run))
    worst = pexplain.classification_worst(run, pooled)
    why = pexplain.why_texts(run, worst["id"])
    explained = run.explanations[run.explanations["set"] == "worst"]
    first = explained[explained["id"] == worst["id"].iloc[0]].sort_values("rank")
    expected = [f"{f} = " for f in first["feature"]]
    parts = why[0].split("; ")
    assert [p[: len(e)] for p, e in zip(parts, expected, strict=True)] == expected
    assert "—" not in why  # one repeat: every worst row is among its fold's 15 worst


def test_signed_numbers():
    assert pexplain._signed(-0.5812) == "−0.58"
    assert pexplain._signed(1.0) == "+1.00"
    assert pexplain._signed(0.00123) == "+0.0012"
    assert pexplain._signed(15234.6) == "+15,235"
    assert pexplain._number(1.0) == "1" and pexplain._number(np.nan) == "missing"
    assert pexplain._number(2.44251) == "2.443"


def test_multiclass_with_repeats(run_factory):
    run_dir = run_factory("multiclass", shap=True, repeats=2, n=600)
    run, sections, figs = _plan(run_dir)
    assert {"shap_importance.png", "shap_beeswarm.png"} <= set(figs)
    assert "averaged over the classes" in figs["shap_importance.png"].caption
    assert "toward the row's true class" in figs["shap_beeswarm.png"].caption
    assert "first repeat only" in figs["shap_beeswarm.png"].caption
    table = _worst_table(sections["predictions"])
    classes = set(run.record.classes)
    assert all(row[2] in classes for row in table["rows"])  # class names, not indices
    assert all(row[4].split(" (")[0] in classes for row in table["rows"])
    caption = table["caption"]
    assert "averaged over the 2 repeats" in caption and "repeat 1" in caption
    assert "toward the class that repeat 1's model predicted" in caption
    # rows whose repeat-averaged prediction is bad but which were not among their fold's worst
    # in repeat 1 have no why; the others have three features
    cells = [row[-1] for row in table["rows"]]
    assert all(c == "—" or WHY.match(c) for c in cells)
    if "—" in cells:
        assert "not among its fold's 15 worst-predicted rows in repeat 1" in caption


def test_regression_worst_rows_get_the_why(run_factory):
    run_dir = run_factory(
        "regression", shap=True, metric="rmse_log", target_transform="log1p", n=500
    )
    _, sections, figs = _plan(run_dir)
    table = _worst_table(sections["predictions"])
    assert table["columns"][:5] == ["id", "fold", "actual", "predicted", "error (log)"]
    assert len(_assert_why(table)) == 15
    assert all(1 <= row[1] <= 5 for row in table["rows"])
    assert "log1p(Survived)" in table["caption"]  # the synthetic profile's target column
    assert "model.target_transform: log1p" in figs["shap_beeswarm.png"].caption
    assert "on every validation row of each fold (100 rows per fold)" in (
        figs["shap_importance.png"].caption
    )


def test_regression_without_shap_has_no_why(run_factory):
    run_dir = run_factory("regression", n=300)
    _, sections, figs = _plan(run_dir)
    table = _worst_table(sections["predictions"])
    assert pexplain.WHY_COLUMN not in table["columns"]
    assert "shap" not in sections and not any(name.startswith("shap") for name in figs)


def test_no_shap_keeps_permutation_as_the_model_agnostic_view(run_factory):
    run_dir = run_factory("binary", model="random_forest", sample_rows=120)
    _, sections, figs = _plan(run_dir)
    assert "shap" not in sections
    table = _worst_table(sections["predictions"])
    assert table["columns"][-1] == "predicted class (P)"  # no why column
    assert "Measure: gain, from each fold's fitted model" in figs["importance_model.png"].caption
    perm = figs["importance_permutation.png"].caption
    assert "Measure: drop in accuracy" in perm and "sample of 120 validation rows" in perm
    notes = [b["text"] for b in sections["importance"].blocks if b["type"] == "text"]
    assert any("permutation importance is the model-agnostic view" in t for t in notes)


def test_voting_blend_leads_with_permutation_and_says_what_its_own_importance_is(
    run_factory,
):
    run_dir = run_factory("regression", model="voting", n=400)
    _, sections, figs = _plan(run_dir)
    order = [b["figure"].name for b in sections["importance"].blocks if b["type"] == "figure"]
    assert order == ["importance_permutation.png", "importance_model.png"]
    own = figs["importance_model.png"].caption
    assert "weighted blend of members" in own
    assert "lasso, lightgbm, svm" in own and "left out" in own
    perm = figs["importance_permutation.png"].caption
    assert "Measure: drop in rmse, of the blend as a whole" in perm
    assert "shap" not in sections


def test_voting_blend_without_permutation_says_to_turn_it_on(run_factory):
    run_dir = run_factory("regression", model="voting", n=300)
    imp = pd.read_csv(run_dir / "importance.csv")
    imp[imp["kind"] != "permutation"].to_csv(run_dir / "importance.csv", index=False)
    _, sections, _ = _plan(run_dir)
    notes = [b["text"] for b in sections["importance"].blocks if b["type"] == "text"]
    assert any("report.permutation_importance is off" in t for t in notes)


def test_older_importance_without_measure_still_builds(run_factory):
    run_dir = run_factory("binary", measure=False, n=300)
    run, _, figs = _plan(run_dir)
    assert "Measure" not in figs["importance_model.png"].caption
    assert pexplain.measure(run, "model") is None and pexplain.rows_text(run, "permutation") == ""
    html = build_report(run_dir).read_text(encoding="utf-8")
    assert "Feature importance" in html


def test_every_shap_figure_is_drawn(run_factory):
    run_dir = run_factory("binary", shap=True, n=400)
    html = _text(build_report(run_dir).read_text(encoding="utf-8"))
    pngs = {p.name for p in (run_dir / "figures").glob("*.png")}
    assert {"shap_importance.png", "shap_beeswarm.png"} <= pngs
    assert "why: the 3 features that pushed it most" in html


def test_swarm_offsets_spread_by_density():
    x = np.r_[np.zeros(50), np.linspace(1, 2, 5)]
    offsets = pexp.swarm_offsets(x)
    assert offsets.shape == x.shape
    assert np.abs(offsets).max() <= pexp.SWARM_HEIGHT
    # the pile at 0 is spread wide; the lone dots stay on their row
    assert np.ptp(offsets[:50]) > 0.5 and np.allclose(offsets[50:], 0)
    assert len(set(np.round(offsets[:50], 9))) == 50  # no two dots of the pile overlap
    assert pexp.swarm_offsets(np.array([])).shape == (0,)


def test_scaled_values_clip_and_keep_missing():
    v = np.r_[np.arange(100.0), np.nan]
    scaled = pexp.scaled_values(v)
    assert np.isnan(scaled[-1]) and scaled[0] == 0 and scaled[-2] == 1
    assert np.all(pexp.scaled_values(np.ones(5)) == 0.5)


def test_beeswarm_figure(run_factory):
    rng = np.random.default_rng(0)
    samples = pd.DataFrame(
        {
            "feature": np.repeat(["a", "b", "c"], 4000),
            "shap": rng.normal(0, 1, 12000),
            "value": rng.normal(0, 1, 12000),
        }
    )
    fig = pexp.beeswarm_figure(samples, ["b", "a", "c"], "log-odds")
    ax, cax = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a", "c"]
    assert ax.get_xlabel().startswith("SHAP value (log-odds)")
    assert cax.get_ylabel() == "feature value"
    # at most BEESWARM_DOTS dots per feature
    assert sum(len(c.get_offsets()) for c in ax.collections) == 3 * pexp.BEESWARM_DOTS
    assert to_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("top", [5, 50])
def test_shap_importance_figure(top):
    imp = pd.DataFrame(
        [
            {"repeat": 0, "fold": f, "feature": f"f{i}", "kind": "shap", "importance": 1 / (i + 1)}
            for f in range(3)
            for i in range(12)
        ]
    )
    fig = pexp.shap_importance_figure(imp, "log-odds", top)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "f0" and len(labels) == min(top, 12)
    assert ("top 5 of 12" if top == 5 else "all 12 features") in ax.get_title()
    assert to_png(fig).startswith(b"\x89PNG")
