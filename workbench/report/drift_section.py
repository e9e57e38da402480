"""The report's adversarial-validation section (``report.drift``), from ``drift.json`` as
:func:`workbench.drift.write_run_drift` writes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.report import formats as fmt
from workbench.report import plots_drift
from workbench.report.html import Section
from workbench.report.render import Figures
from workbench.report.run import Run

LEVELS = {"alike": "good", "mild": "warn", "strong": "bad"}  # the verdict's colour
TOP = 10


def _rows_text(rows: Mapping[str, Any]) -> str:
    train, test = rows.get("train"), rows.get("test")
    used_train, used_test = rows.get("train_used"), rows.get("test_used")
    text = f"{fmt.count(train)} training and {fmt.count(test)} test rows"
    if (used_train, used_test) != (train, test):
        text += (
            f"; a seeded sample of {fmt.count(used_train)} and {fmt.count(used_test)} of them "
            f"was compared (at most {fmt.count(rows.get('max_per_side'))} of each side)"
        )
    return text


def drift_section(run: Run, figs: Figures) -> Section | None:
    """AUC, the verdict in words, the figure and the top features; ``None`` without
    drift.json."""
    drift = run.drift
    if not isinstance(drift, Mapping):
        return None
    section = Section(
        "drift",
        "Train vs test (adversarial validation)",
        "A LightGBM classifier was cross-validated to tell the test rows from the training "
        "rows on the features this run's model sees. If it cannot (ROC AUC near 0.5), the test "
        "rows look like the training rows and the CV score should predict the leaderboard.",
    )
    level = str(drift.get("level"))
    auc = f"Train-vs-test ROC AUC {fmt.score_pm(drift.get('auc'), drift.get('auc_std'))}"
    section.verdict(LEVELS.get(level, "warn"), auc, str(drift["verdict"]))
    folds = [fmt.score(a) for a in drift.get("fold_aucs") or []]
    section.pairs(
        [
            ("ROC AUC per fold", ", ".join(folds)),
            ("Rows compared", _rows_text(drift.get("rows") or {})),
            ("Compared", drift.get("compared")),
        ]
    )
    features = [f for f in drift.get("features") or [] if (fmt.as_number(f.get("shap")) or 0) > 0]
    thresholds = drift.get("thresholds") or {}
    section.text(
        f"Thresholds: AUC below {thresholds.get('alike_below')} alike, up to "
        f"{thresholds.get('strong_from')} a mild shift, above it a strong one. "
        + (
            "No column stands out: the importances below are what the classifier fitted to "
            "noise, and each column alone scores near 0.5."
            if level == "alike"
            else "The features below are the ones that give the split away."
        )
    )
    if features:
        auc, std = drift.get("auc"), drift.get("auc_std")
        section.figure(
            figs.make(
                "drift",
                "What tells train from test",
                "Mean |SHAP| toward 'test' on the out-of-fold rows (rows the classifier did not "
                "train on); 'alone': the ROC AUC of that column on its own, out of fold.",
                lambda: plots_drift.drift_figure(drift["features"], auc, std),
            )
        )
        section.table(
            ["feature", "mean |SHAP|", "share", "AUC alone"],
            [
                [
                    f["feature"],
                    fmt.score(f.get("shap")),
                    fmt.percent(f.get("share")),
                    fmt.score(f.get("alone_auc")),
                ]
                for f in features[:TOP]
            ],
            caption=f"The {min(TOP, len(features))} features the classifier leaned on most"
            + (" (noise here: the AUC is near 0.5)." if level == "alike" else "."),
        )
    notes = [
        *(
            f"{name} rises (or falls) with the row number in both files, like an index"
            for name in drift.get("index_like") or []
        ),
        *(drift.get("notes") or []),
    ]
    if notes:
        section.text("Notes: " + "; ".join(notes) + ".")
    return section
