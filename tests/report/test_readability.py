"""What a reader sees: captions that follow the metric's direction and the curves' geometry, a
verdict on the metric's own scale, advice in the model's own parameter names, folds numbered
from 1, one marker per optimised threshold, honest axes, sharp figures, one number format."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import PIL.Image
import pytest
from sklearn.calibration import calibration_curve

from workbench.metrics import best_threshold, get_metric, threshold_curve
from workbench.report import build_report, formats, render
from workbench.report import plots_classification as pc
from workbench.report import plots_data as pdata
from workbench.report import plots_diagnostics as pdiag
from workbench.report import plots_regression as preg
from workbench.report.style import FOLD_MEAN_COLOR, LEGEND_SIZE, RENDER_DPI, to_png


@pytest.fixture
def drawn(monkeypatch):
    """The figures a build_report call draws, by title of their first axes."""
    figures = {}
    real = render.draw_rgb

    def keep(fig):
        figures[fig.axes[0].get_title()] = fig
        return real(fig)

    monkeypatch.setattr(render, "draw_rgb", keep)
    return figures


def _caption(html: str, figure: str) -> str:
    start = html.index(f'<figure id="fig-{figure}">')
    caption = html[start : html.index("</figure>", start)]
    return caption.split("<figcaption>")[1]


# --- 3. captions and advice ------------------------------------------------------------------


def _curve(scores: dict[float, float], folds: int = 3, noise: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        [
            {
                "repeat": 0,
                "fold": f,
                "fraction": fraction,
                "n_train": int(fraction * 1000),
                "train_score": valid,
                "valid_score": valid + rng.normal(0, noise),
            }
            for f in range(folds)
            for fraction, valid in scores.items()
        ]
    )


def test_learning_curve_trend_follows_the_metric_s_direction():
    falling_error = _curve({0.1: 0.30, 0.5: 0.20, 1.0: 0.15})
    assert "still improving" in pdiag.learning_curve_trend(falling_error, greater_is_better=False)
    assert "worsening" in pdiag.learning_curve_trend(falling_error, greater_is_better=True)
    rising_accuracy = _curve({0.1: 0.70, 0.5: 0.78, 1.0: 0.82})
    assert "still improving" in pdiag.learning_curve_trend(rising_accuracy, True)
    flat = _curve({0.1: 0.70, 0.5: 0.80, 1.0: 0.801}, noise=0.01)
    assert "is flat" in pdiag.learning_curve_trend(flat, True)


def test_learning_curve_caption_of_an_error_metric(run_factory):
    html = build_report(run_factory("regression", profile=False)).read_text(encoding="utf-8")
    caption = _caption(html, "learning_curve")
    assert "rmse: lower is better" in caption and "still improving (falling)" in caption
    assert "rising" not in caption


def _calibration_data(power: float, n: int = 20_000, seed: int = 0):
    """Rows whose true probability is q; predicted p = sigmoid(power * logit(q)): power > 1
    pushes p towards 0 and 1 (over-confident), power < 1 towards 0.5 (under-confident)."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(0.03, 0.97, n)
    y = (rng.random(n) < q).astype(int)
    logit = np.log(q / (1 - q))
    return y, 1 / (1 + np.exp(-power * logit))


def test_calibration_reading_follows_the_curve_s_geometry():
    y, p = _calibration_data(power=3.0)
    # the premise, on the curve itself: predicted probability on x, observed share on y; at
    # high predicted probabilities fewer rows are positive than predicted (below the diagonal)
    observed, predicted = calibration_curve(y, p, n_bins=10)
    high = predicted > 0.7
    assert np.all(observed[high] < predicted[high])
    assert "over-confident" in pc.calibration_reading(y, p)
    y, p = _calibration_data(power=0.4)
    observed, predicted = calibration_curve(y, p, n_bins=10)
    assert np.all(observed[predicted > 0.6] > predicted[predicted > 0.6])
    assert "under-confident" in pc.calibration_reading(y, p)
    y, p = _calibration_data(power=1.0)
    assert "well calibrated" in pc.calibration_reading(y, p)


def test_calibration_caption_says_which_side_is_over_confident(run_factory):
    html = build_report(run_factory("binary", profile=False)).read_text(encoding="utf-8")
    caption = _caption(html, "calibration")
    assert "Below the diagonal at high probabilities and above it at low ones means " in caption
    assert "over-confident" in caption
    assert "Points below the diagonal mean over-confident" not in caption


def test_a_normal_blend_gap_is_not_strong_overfitting():
    # House Prices' blend, 5-fold x 3: rmse_log 0.0796 on training rows, 0.1174 ± 0.0177 on
    # unseen rows, 0.3993 for the geometric mean: the gap is ~2 std and 13% of the gain
    verdict = pdiag.fit_verdict(
        0.0796, 0.1174, False, "rmse_log", baseline=0.3993, valid_std=0.0177, model="voting"
    )
    assert verdict.kind == "mild_overfit"
    assert "2.1× the fold-to-fold spread" in verdict.text and "13%" in verdict.text
    # the same gap without the yardsticks would have been 32% of the score
    assert pdiag.relative_gap(0.0796, 0.1174, False) > pdiag.MILD


def test_a_gap_within_the_fold_to_fold_spread_is_balanced():
    verdict = pdiag.fit_verdict(0.86, 0.845, True, "accuracy", baseline=0.62, valid_std=0.02)
    assert verdict.kind == "balanced" and "within the fold-to-fold spread" in verdict.text
    # a gap as large as most of the model's gain is strong overfitting at any spread
    assert (
        pdiag.fit_verdict(0.99, 0.78, True, "accuracy", baseline=0.62, valid_std=0.02).kind
        == "strong_overfit"
    )


TREE_WORDS = ("min_child_samples", "num_leaves", "min_child_weight", "max_depth")


@pytest.mark.parametrize(
    ("kind", "present", "absent"),
    [
        ("lightgbm", ["min_child_samples", "num_leaves"], ["min_child_weight"]),
        ("xgboost", ["min_child_weight", "max_depth"], ["min_child_samples", "num_leaves"]),
        ("logistic", ["lower C"], TREE_WORDS),
        ("ridge", ["raise alpha"], TREE_WORDS),
        ("lasso", ["raise alpha"], TREE_WORDS),
        ("svm", ["lower C"], TREE_WORDS),
    ],
)
def test_overfitting_advice_speaks_the_model_s_parameters(kind, present, absent):
    verdict = pdiag.fit_verdict(0.92, 0.80, True, "accuracy", baseline=0.6, model=kind)
    assert verdict.kind == "strong_overfit"
    for word in present:
        assert word in verdict.text, (kind, word)
    for word in absent:
        assert word not in verdict.text, (kind, word)


def test_blend_advice_is_about_its_members():
    verdict = pdiag.fit_verdict(
        0.09, 0.20, False, "rmse", baseline=0.4, model="voting", members=["lasso", "lightgbm"]
    )
    assert "blend of lasso, lightgbm" in verdict.text and "weight" in verdict.text
    assert not any(word in verdict.text for word in TREE_WORDS)
    underfit = pdiag.fit_verdict(0.38, 0.39, False, "rmse", baseline=0.40, model="voting")
    assert underfit.kind == "no_skill" and not any(w in underfit.text for w in TREE_WORDS)


def test_the_report_s_verdict_uses_the_run_s_model(run_factory):
    run_dir = run_factory(
        "binary", train_mean=0.99, valid_mean=0.80, profile=False, importance=False
    )
    html = build_report(run_dir).read_text(encoding="utf-8")
    verdict = html.split('<div class="verdict')[1].split("</div></div>")[0]
    assert "To regularise lightgbm: raise min_child_samples" in verdict
    assert "min_child_weight" not in verdict


# --- 4. one numbering ------------------------------------------------------------------------


def test_folds_and_repeats_are_numbered_from_one(run_factory, drawn):
    run_dir = run_factory("binary", repeats=2, profile=False, importance=False)
    html = build_report(run_dir).read_text(encoding="utf-8")
    table = html.split("<h3>Scores per fold</h3>")[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td>", table)
    assert rows[0] == ("1", "1") and rows[-1] == ("2", "5") and len(rows) == 10
    bars = drawn["Training vs validation accuracy per fold"].axes[0]
    ticks = [t.get_text() for t in bars.get_xticklabels()]
    assert ticks[0] == "r1 f1" and ticks[-1] == "r2 f5"
    labels = [t.get_text() for t in drawn["ROC curve per fold"].axes[0].get_legend().get_texts()]
    folds = [label.split(" (")[0] for label in labels if label.startswith("fold ")]
    assert folds[0] == "fold r1 f1" and folds[-1] == "fold r2 f5" and len(folds) == 10
    single = run_factory("binary", profile=False, importance=False)
    build_report(single)
    labels = [t.get_text() for t in drawn["ROC curve per fold"].axes[0].get_legend().get_texts()]
    folds = [label.split(" (")[0] for label in labels if label.startswith("fold ")]
    assert folds == ["fold 1", "fold 2", "fold 3", "fold 4", "fold 5"]


def test_fold_labels_are_numbered_from_one():
    folds = pd.DataFrame({"repeat": [0, 0, 1, 1], "fold": [0, 1, 0, 1]})
    assert pdiag.fold_labels(folds) == ["r1 f1", "r1 f2", "r2 f1", "r2 f2"]
    assert pdiag.fold_labels(folds[folds["repeat"] == 0]) == ["1", "2"]


# --- 5. the threshold chart ------------------------------------------------------------------


def test_one_labelled_marker_at_the_record_s_threshold_even_on_a_tie():
    # every threshold in (0.2, 0.8] gives the same accuracy: the curve's first best point is
    # at 0.21, while the run chose another threshold of the plateau
    y = np.array([0] * 40 + [1] * 40)
    p = np.r_[np.full(40, 0.2), np.full(40, 0.8)]
    p[:4] = 0.9  # four confident mistakes, so the score is not 1
    accuracy = get_metric("accuracy", "binary")
    chosen, score = best_threshold(accuracy, y, p)
    record = 0.55 if abs(chosen - 0.55) > 0.05 else chosen
    fig = pc.threshold_figure(
        y, p, "accuracy", used=0.5, optimized=record, optimized_metric="accuracy"
    )
    ax = fig.axes[0]
    markers = [line for line in ax.get_lines() if line.get_marker() not in (None, "None", "")]
    assert len(markers) == 1
    (x,), (value,) = markers[0].get_data()
    assert x == pytest.approx(record)
    assert value == pytest.approx(threshold_curve(accuracy, y, p, np.array([record]))[0])
    assert value == pytest.approx(score)  # the plateau: the record's score too
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"optimised on OOF: {record:.3f} (accuracy {value:.4f})" in labels
    assert not any(line.get_linestyle() == ":" for line in ax.get_lines())  # no second line


def test_the_marker_is_on_the_curve_of_the_metric_the_threshold_was_optimised_for():
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.4).astype(int)
    p = np.clip(0.4 * y + 0.6 * rng.random(300), 0, 1)
    fig = pc.threshold_figure(y, p, "roc_auc", used=0.5, optimized=0.42, optimized_metric="f1")
    ax = fig.axes[0]
    (marker,) = [line for line in ax.get_lines() if line.get_marker() == "o"]
    f1 = threshold_curve(get_metric("f1", "binary"), y, p, np.array([0.42]))[0]
    assert marker.get_ydata()[0] == pytest.approx(f1)
    assert "f1" in marker.get_label()


# --- 6. figures ------------------------------------------------------------------------------


def test_train_vs_validation_bars_start_at_zero():
    folds = pd.DataFrame({"repeat": 0, "fold": range(5), "train_score": 0.90, "valid_score": 0.85})
    ax = pdiag.train_valid_figure(folds, "accuracy").axes[0]
    assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] >= 0.9
    negative = folds.assign(train_score=0.2, valid_score=-0.1)  # e.g. r2 below zero
    low, high = pdiag.train_valid_figure(negative, "r2").axes[0].get_ylim()
    assert low < -0.1 and high > 0.2


def _legend_is_below_the_plot(fig) -> None:
    ax = fig.axes[0]  # the figure is drawn: the boxes below are the drawn ones
    legend = ax.get_legend()
    assert legend is not None
    assert all(t.get_fontsize() == LEGEND_SIZE for t in legend.get_texts())
    box = legend.get_window_extent()
    assert box.y1 <= ax.get_window_extent().y0  # outside: it hides no curve


def test_legends_are_outside_the_plot_at_a_fixed_size():
    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.4).astype(int)
    p = np.clip(0.35 * y + 0.65 * rng.random(500), 0, 1)
    folds = np.arange(500) % 5 + 1
    curve = _curve({0.1: 0.7, 0.5: 0.8, 1.0: 0.82})
    for fig in (
        pc.roc_figure(y, p, folds),
        pc.pr_figure(y, p, folds),
        pc.threshold_figure(y, p, "accuracy", optimized=0.45),
        pdiag.learning_curve_figure(curve, "accuracy"),
    ):
        to_png(fig)
        _legend_is_below_the_plot(fig)


def test_roc_folds_have_clearly_distinct_colours():
    rng = np.random.default_rng(3)
    y = (rng.random(600) < 0.4).astype(int)
    p = np.clip(0.35 * y + 0.65 * rng.random(600), 0, 1)
    ax = pc.roc_figure(y, p, np.arange(600) % 5 + 1).axes[0]
    folds = [line for line in ax.get_lines() if line.get_label().startswith("fold ")]
    colours = [line.get_color() for line in folds]
    assert len(folds) == 5 and len(set(colours)) == 5
    assert FOLD_MEAN_COLOR not in colours
    assert all(line.get_alpha() >= 0.9 for line in folds)
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=float)
    distances = [np.abs(a - b).sum() for i, a in enumerate(rgb) for b in rgb[i + 1 :]]
    assert min(distances) > 120  # clearly apart, not shades of one hue


def test_figures_are_drawn_at_twice_their_size_and_link_to_their_png(run_factory):
    run_dir = run_factory("binary", profile=False)
    html = build_report(run_dir).read_text(encoding="utf-8")
    figures = re.findall(
        r'<figure id="fig-([\w-]+)"><a href="figures/([\w-]+\.png)"[^>]*><img src="data:image/'
        r'png;base64,[^"]+" width="(\d+)" height="(\d+)"',
        html,
    )
    assert len(figures) == len(list((run_dir / "figures").glob("*.png"))) > 5
    assert RENDER_DPI == 200
    for name, href, width, height in figures:
        assert href == f"{name}.png"
        image = PIL.Image.open(io.BytesIO((run_dir / "figures" / href).read_bytes()))
        assert abs(image.width - 2 * int(width)) <= 1, name
        assert abs(image.height - 2 * int(height)) <= 1, name
        assert int(width) <= 960, name  # a sane size: never wider than the page


def test_missing_values_chart_has_a_bounded_height(run_factory):
    missing = [{"column": f"c{i:02d}", "train": 0.5 - i / 100, "test": 0.1} for i in range(40)]
    ax = pdata.missing_figure(missing).axes[0]
    assert len(ax.get_yticklabels()) == pdata.MISSING_TOP == 25
    assert "top 25 of 40 columns" in ax.get_title()
    assert ax.figure.get_size_inches()[1] < 9.5
    few = pdata.missing_figure(missing[:3]).axes[0]
    assert "(3 columns)" in few.get_title()


def test_missing_values_caption_says_how_many_are_not_drawn(run_factory):
    run_dir = run_factory("binary", importance=False, learning_curve=False)
    profile = json.loads((run_dir / "data_profile.json").read_text())
    profile["missing"] = [{"column": f"c{i}", "train": 0.1, "test": 0.2} for i in range(31)]
    (run_dir / "data_profile.json").write_text(json.dumps(profile))
    html = build_report(run_dir).read_text(encoding="utf-8")
    assert "6 more columns have some" in _caption(html, "missing_values")


# --- 7. numbers ------------------------------------------------------------------------------


def test_formats():
    assert formats.score(0.853) == "0.8530"
    assert formats.score_pm(0.85297, 0.01568) == "0.8530 ± 0.0157"
    assert formats.score(None) == formats.score(float("nan")) == "—"
    assert formats.count(1168) == "1,168"
    assert formats.threshold(0.5) == "0.500"
    assert formats.duration(0.035) == "35 ms"
    assert formats.duration(0.0002) == "< 1 ms"
    assert formats.duration(1.25) == "1.2 s"
    assert formats.duration(75) == "1 min 15 s"
    assert formats.duration(7500) == "2 h 5 min"
    price = formats.target_format([180921.2, 34900.0, 755000.0])
    assert price(180921.2) == "180,921" and price(-1234.6) == "-1,235"
    small = formats.target_format([0.5, 2.25, 1.0])
    assert small(2.25) == "2.2500"
    assert formats.target_format([180921.2], log_space=True)(0.1234) == "0.1234"
    assert formats.fold_label(0, 0) == "1" and formats.fold_label(1, 4, repeats=3) == "r2 f5"


def test_fit_times_never_round_to_zero(run_factory):
    from workbench.record import read_record, write_record

    run_dir = run_factory("binary", profile=False, importance=False, learning_curve=False)
    record = read_record(run_dir)
    folds = [f.model_copy(update={"fit_seconds": 0.035}) for f in record.folds]
    write_record(run_dir, record.model_copy(update={"folds": folds}))
    html = build_report(run_dir).read_text(encoding="utf-8")
    assert "<td>35 ms</td>" in html and "0.0 s" not in html


def test_prices_and_scores_have_one_format(run_factory, drawn):
    # the synthetic regression target is a price (lognormal around 160,000), scored with rmse
    run_dir = run_factory("regression", importance=False)
    html = build_report(run_dir).read_text(encoding="utf-8")
    text = re.sub(r'src="data:[^"]+"', "", html)
    assert not re.search(r"\d[eE][+-]\d\d", text)  # no exponent notation (1.809e+05)
    cards = re.search(r"CV rmse \(lower is better\)</div><div class=\"value\">([^<]+)<", html)
    assert re.fullmatch(r"\d+\.\d{4} ± \d+\.\d{4}", cards.group(1))
    figure_texts = []
    for fig in drawn.values():
        for ax in fig.axes:
            legend = ax.get_legend()
            figure_texts += [t.get_text() for t in legend.get_texts()] if legend else []
            figure_texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert figure_texts and not any(re.search(r"\de[+-]?\d", t) for t in figure_texts)
    assert not any(re.search(r"\d{5}", t) for t in figure_texts)  # 180,921, never 180921
    target = drawn["Target distribution: Survived"].axes[0]
    legend = [t.get_text() for t in target.get_legend().get_texts()]
    assert all(re.fullmatch(r"(mean|median) \d{1,3}(,\d{3})+", label) for label in legend)
    residuals = drawn["Residual distribution"].axes[0]
    (mean_label,) = [t.get_text() for t in residuals.get_legend().get_texts()]
    assert re.fullmatch(r"mean error -?\d{1,3}(,\d{3})*", mean_label)
    deciles = [t.get_text() for t in drawn["Error by target decile"].axes[0].get_xticklabels()]
    assert re.fullmatch(r"D1\n\d{1,3}(,\d{3})+\n–\d{1,3}(,\d{3})+", deciles[0])


def test_price_axes_use_thousands_separators():
    rng = np.random.default_rng(4)
    y = rng.lognormal(12, 0.4, 500)
    p = y * np.exp(rng.normal(0, 0.1, 500))
    fig = preg.pred_vs_actual_figure(y, p)
    to_png(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert any("," in t for t in ticks) and not any("e" in t for t in ticks)
