"""Every plot function returns a Figure with the expected axes and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.report import plots_classification as pc
from workbench.report import plots_data as pdata
from workbench.report import plots_diagnostics as pdiag
from workbench.report import plots_regression as preg
from workbench.report.style import to_png

RNG = np.random.default_rng(0)
N = 400


@pytest.fixture
def binary():
    y = (RNG.random(N) < 0.4).astype(int)
    p = np.clip(0.35 * y + 0.65 * RNG.random(N), 0, 1)
    folds = np.arange(N) % 5
    return y, p, folds


@pytest.fixture
def multiclass():
    y = RNG.integers(0, 3, N)
    logits = RNG.normal(0, 1, (N, 3))
    logits[np.arange(N), y] += 1.5
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, p, ["a", "b", "c"]


@pytest.fixture
def regression():
    y = RNG.lognormal(5, 0.5, N)
    return y, y * np.exp(RNG.normal(0, 0.1, N))


def _png_ok(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert to_png(fig).startswith(b"\x89PNG")


def test_roc_figure(binary):
    y, p, folds = binary
    fig = pc.roc_figure(y, p, folds)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "False positive rate"
    assert ax.get_ylabel() == "True positive rate"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum(label.startswith("fold ") for label in labels) == 5
    assert any(label.startswith("mean (AUC = ") and "±" in label for label in labels)
    _png_ok(fig)


def test_mean_roc_matches_fold_aucs(binary):
    y, p, folds = binary
    mean, std, aucs = pc.mean_roc(y, p, folds)
    assert len(aucs) == 5 and mean[0] == 0.0 and mean[-1] == 1.0
    assert np.all(np.diff(mean) >= -1e-12) and std.shape == mean.shape


def test_pr_and_calibration_and_threshold(binary):
    y, p, folds = binary
    pr = pc.pr_figure(y, p, folds)
    assert pr.axes[0].get_xlabel().startswith("Recall")
    cal = pc.calibration_figure(y, p)
    assert len(cal.axes) == 2 and cal.axes[1].get_xlabel() == "Predicted probability"
    thr = pc.threshold_figure(y, p, "accuracy", used=0.5, optimized=0.42)
    labels = [t.get_text() for t in thr.axes[0].get_legend().get_texts()]
    assert labels[0] == "accuracy" and any("used by submission" in s for s in labels)
    auc_thr = pc.threshold_figure(y, p, "roc_auc", used=0.5)
    assert "does not use a threshold" in auc_thr.axes[0].get_title()
    for fig in (pr, cal, thr):
        _png_ok(fig)


def test_confusion_figure_two_thresholds(binary):
    y, p, _ = binary
    fig = pc.confusion_figure(y, p, {"0.50": 0.5, "0.30 (best on OOF), used": 0.3}, ["no", "yes"])
    assert len(fig.axes) == 2
    assert "0.50" in fig.axes[0].get_title() and "0.30" in fig.axes[1].get_title()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["no", "yes"]
    counts = pc.confusion_at(y, p, 0.3)
    assert counts.sum() == N
    # every cell: its count, then its share of the true class (row)
    cells = [t.get_text() for t in fig.axes[1].texts]
    expected = [
        f"{counts[i, j]}\n{counts[i, j] / counts[i].sum():.1%}" for i in range(2) for j in range(2)
    ]
    assert sorted(cells) == sorted(expected)
    _png_ok(fig)


def test_multiclass_figures(multiclass):
    y, p, classes = multiclass
    roc = pc.multiclass_roc_figure(y, p, classes)
    labels = [t.get_text() for t in roc.axes[0].get_legend().get_texts()]
    assert sum("vs rest" in label for label in labels) == 3
    cm = pc.multiclass_confusion_figure(y, p, classes)
    assert len(cm.axes) == 2
    assert [t.get_text() for t in cm.axes[0].get_yticklabels()] == classes
    _png_ok(roc)
    _png_ok(cm)


@pytest.mark.parametrize("log_space", [False, True])
def test_regression_figures(regression, log_space):
    y, p = regression
    unit = " (log)" if log_space else ""
    f1 = preg.pred_vs_actual_figure(y, p, log_space)
    assert f1.axes[0].get_xlabel() == f"Actual{unit}"
    f2 = preg.residuals_figure(y, p, log_space)
    assert f2.axes[0].get_title() == "Residuals vs predicted"
    f3 = preg.residual_hist_figure(y, p, log_space)
    assert f3.axes[0].get_ylabel() == "Rows"
    f4 = preg.error_by_decile_figure(y, p, log_space)
    assert len(f4.axes[0].patches) == 10
    for fig in (f1, f2, f3, f4):
        _png_ok(fig)


def test_worst_rows_uses_log_space_for_log_metrics():
    y = np.array([10.0, 1000.0, 100.0])
    p = np.array([20.0, 1100.0, 100.0])  # +10 in raw units is a bigger log error at 10
    raw = preg.worst_rows(["a", "b", "c"], y, p, log_space=False, n=2)
    log = preg.worst_rows(["a", "b", "c"], y, p, log_space=True, n=2)
    assert list(raw["id"]) == ["b", "a"]
    assert list(log["id"]) == ["a", "b"]
    assert np.isclose(log["error"][0], np.log(20) - np.log(10))


def test_train_valid_and_learning_curve():
    folds = pd.DataFrame(
        {
            "repeat": 0,
            "fold": range(5),
            "train_score": 0.9,
            "valid_score": [0.8, 0.82, 0.81, 0.79, 0.8],
        }
    )
    fig = pdiag.train_valid_figure(folds, "accuracy")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "accuracy" and len(ax.patches) == 10
    curve = pd.DataFrame(
        [
            {
                "repeat": 0,
                "fold": f,
                "fraction": fr,
                "n_train": int(fr * 700),
                "train_score": 0.9,
                "valid_score": 0.7 + 0.1 * fr,
            }
            for f in range(3)
            for fr in (0.25, 0.5, 1.0)
        ]
    )
    lc = pdiag.learning_curve_figure(curve, "accuracy")
    assert [line.get_label() for line in lc.axes[0].get_lines()] == [
        "training rows",
        "validation rows",
    ]
    _png_ok(fig)
    _png_ok(lc)


def test_importance_figure_top_and_order():
    rows = [
        {"repeat": 0, "fold": f, "feature": f"f{i}", "kind": kind, "importance": 50 - i + f * 0.1}
        for f in range(3)
        for i in range(45)
        for kind in ("model", "permutation")
    ]
    imp = pd.DataFrame(rows)
    summary = pdiag.importance_summary(imp, "model", top=30)
    assert len(summary) == 30 and summary["feature"].iloc[0] == "f0"
    fig = pdiag.importance_figure(imp, "permutation")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 30 and labels[0] == "f0"
    assert "permutation" in fig.axes[0].get_title()
    _png_ok(fig)


def test_data_figures():
    classes = pdata.target_distribution_figure({"kind": "classes", "counts": {"0": 5, "1": 3}}, "y")
    assert [t.get_text() for t in classes.axes[0].get_xticklabels()] == ["0", "1"]
    values = pdata.target_distribution_figure({"kind": "values", "values": [1.0, 2.0, 3.5]}, "y")
    assert values.axes[0].get_xlabel() == "y"
    missing = pdata.missing_figure(
        [
            {"column": "Age", "train": 0.2, "test": 0.21},
            {"column": "Fare", "train": 0.0, "test": 0.01},
        ]
    )
    assert [t.get_text() for t in missing.axes[0].get_yticklabels()] == ["Age", "Fare"]
    # every non-zero share is written beside its bar (tiny bars are invisible otherwise)
    assert sorted(t.get_text() for t in missing.axes[0].texts if t.get_text()) == [
        "1.0%",
        "20.0%",
        "21.0%",
    ]
    related = pdata.related_figure(
        [{"feature": "Sex", "score": 0.15, "method": "mutual_information"}]
    )
    assert related.axes[0].get_xlabel() == "mutual information"
    for fig in (classes, values, missing, related):
        _png_ok(fig)


@pytest.mark.parametrize(
    ("train", "valid", "gib", "kind"),
    [
        (0.85, 0.845, True, "balanced"),
        (0.88, 0.84, True, "mild_overfit"),
        (0.99, 0.80, True, "strong_overfit"),
        (0.10, 0.13, False, "strong_overfit"),
        (0.125, 0.13, False, "mild_overfit"),
        (0.80, 0.85, True, "valid_better"),
    ],
)
def test_verdict_follows_the_gap(train, valid, gib, kind):
    verdict = pdiag.fit_verdict(train, valid, gib, "m")
    assert verdict.kind == kind


def test_verdict_underfitting_against_baseline():
    # accuracy baseline 0.62 (majority class): 0.64 / 0.63 is barely better -> underfitting
    assert pdiag.fit_verdict(0.64, 0.63, True, "accuracy", baseline=0.62).kind == "no_skill"
    assert pdiag.fit_verdict(0.70, 0.69, True, "accuracy", baseline=0.62).kind == "underfit"
    ok = pdiag.fit_verdict(0.86, 0.85, True, "accuracy", baseline=0.62)
    assert ok.kind == "balanced"
    # rmse baseline 0.40 (predicting the mean): 0.13 is far better, and a gap of 0.01 is under
    # 4% of that gain of 0.27 (judged by the metric's scale, not as 8% of the score itself)
    assert pdiag.fit_verdict(0.12, 0.13, False, "rmse", baseline=0.40).kind == "balanced"
    assert pdiag.fit_verdict(0.09, 0.13, False, "rmse", baseline=0.40).kind == "mild_overfit"
    assert pdiag.fit_verdict(0.38, 0.39, False, "rmse", baseline=0.40).kind == "no_skill"
