"""The sections of the report, one builder per section; each registers its figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import yaml

from workbench.report import plots_classification as pc
from workbench.report import plots_data as pdata
from workbench.report import plots_diagnostics as pdiag
from workbench.report import plots_regression as preg
from workbench.report.html import Section
from workbench.report.render import Figures
from workbench.report.run import Pooled, Run, cv_text, fold_ids, model_kind
from workbench.report.scoring import baseline_description, baseline_score, lookup

WORST_ROWS = 15
TOP_FEATURES = 30


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "—"
        return (
            f"{value:.{digits}g}"
            if abs(value) >= 1e4 or abs(value) < 1e-3
            else (f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != 0 else "0")
        )
    return str(value)


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {sec:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def summary_section(run: Run) -> Section:
    record = run.record
    summary = record.summary
    metric = run.metric
    direction = "higher is better" if run.greater_is_better else "lower is better"
    section = Section("summary", "Summary")
    cards = [
        ("Competition", record.competition),
        ("Config", record.config_name),
        ("Model", model_kind(run)),
        ("Seed", record.seed),
        ("Validation scheme", cv_text(record.cv)),
        (f"CV {metric} ({direction})", f"{_fmt(summary.valid_mean)} ± {_fmt(summary.valid_std)}"),
        ("Out-of-fold score", _fmt(summary.oof_score)),
        ("Run time", _duration(record.timings.total_seconds)),
    ]
    section.cards(cards)
    section.text(
        f"The CV score is the mean ± standard deviation of {metric} over the validation rows of "
        "each fold: rows the model never saw while training. It is the best estimate of how the "
        "model will score on new data. The out-of-fold score is the same metric computed once on "
        "all out-of-fold predictions pooled together."
    )
    threshold = record.threshold
    if run.task == "binary" and threshold is not None:
        tuned = threshold.optimized_metric
        section.text(
            f"The submission used the decision threshold {_fmt(threshold.used)}. CV scores always "
            f"use 0.5. The threshold that maximises {tuned} on the out-of-fold predictions is "
            f"{_fmt(threshold.optimized)} (out-of-fold {tuned} there: "
            f"{_fmt(threshold.oof_score_at_optimized)}); it is chosen on the same rows it is "
            "scored on, so that number is optimistic."
        )
    if record.folds:
        multi = len({f.repeat for f in record.folds}) > 1
        columns = [
            *(["repeat"] if multi else []),
            "fold",
            "training rows",
            "validation rows",
            f"train {metric}",
            f"validation {metric}",
            "gap",
            "best iteration",
            "fit time",
        ]
        rows = []
        for f in record.folds:
            gap = (
                f.train_score - f.valid_score
                if run.greater_is_better
                else f.valid_score - f.train_score
            )
            rows.append(
                [
                    *([f.repeat] if multi else []),
                    f.fold,
                    f.n_train,
                    f.n_valid,
                    _fmt(f.train_score),
                    _fmt(f.valid_score),
                    _fmt(gap),
                    _fmt(f.best_iteration),
                    _duration(f.fit_seconds),
                ]
            )
        caption = (
            "Each row is one fold: the model was trained on the training rows and scored on both. "
            "The gap is how much better it did on the rows it had seen (positive = better on "
            "training rows)."
        )
        sampled = [f.train_rows_scored for f in record.folds if f.train_rows_scored < f.n_train]
        if sampled:
            caption += (
                f" The training score is computed on at most {max(sampled)} of a fold's training "
                "rows (a sample, where the fold has more)."
            )
        section.subheading("Scores per fold")
        section.table(columns, rows, caption=caption)
    return section


def fit_section(run: Run, figs: Figures, pooled: Pooled | None) -> Section:
    section = Section(
        "fit",
        "Over- or underfitting?",
        "A model overfits when it is much better on the rows it was trained on than on unseen "
        "rows, and underfits when it is poor on both.",
    )
    record = run.record
    train_mean, valid_mean = record.summary.train_mean, record.summary.valid_mean
    baseline = words = None
    metric = lookup(run.metric, run.task)
    if pooled is not None and metric is not None:
        n_classes = len(record.classes) or 2
        baseline = baseline_score(metric, run.task, pooled.y, n_classes)
        words = baseline_description(metric, run.task, pooled.y, record.classes)
    verdict = pdiag.fit_verdict(
        train_mean,
        valid_mean,
        run.greater_is_better,
        run.metric,
        baseline=baseline,
        baseline_description=words,
    )
    section.verdict(verdict.level, verdict.title, verdict.text)
    detail = (
        f"Training {run.metric}: {_fmt(train_mean)}, validation: {_fmt(valid_mean)}, "
        f"relative gap {verdict.relative_gap:.1%}."
    )
    if baseline is not None:
        detail += f" Trivial baseline ({words}): {_fmt(baseline)}."
    section.text(detail, "caption")
    if record.folds:
        folds = pd.DataFrame([f.model_dump() for f in record.folds])
        section.figure(
            figs.make(
                "train_vs_valid",
                "Training vs validation score per fold",
                "each pair of bars is one fold; orange is the score on the rows the model was "
                "trained on, blue on the rows it never saw. Similar bars mean the model "
                "generalises; a training bar that is consistently better means overfitting.",
                lambda: pdiag.train_valid_figure(folds, run.metric),
            )
        )
    section.subheading("Learning curve")
    if run.learning_curve is not None and len(run.learning_curve):
        section.figure(
            figs.make(
                "learning_curve",
                "Learning curve",
                "the model was retrained on growing fractions of each fold's training rows. If "
                "the validation curve is still rising at the right edge, more data would help; if "
                "the two curves stay far apart, the model overfits; if both are flat and poor, it "
                "underfits.",
                lambda: pdiag.learning_curve_figure(run.learning_curve, run.metric),
            )
        )
    else:
        section.text(
            "No learning curve for this run. Set report.learning_curve: true in the config to "
            "see how the score changes with the amount of training data.",
            "note",
        )
    return section


def binary_section(run: Run, figs: Figures, pooled: Pooled) -> Section:
    section = Section("predictions", "Classification results")
    if pooled.repeats > 1:
        section.text(
            "Pooled plots use each row's out-of-fold probability averaged over the "
            f"{pooled.repeats} repeats; per-fold curves show every repeat and fold.",
            "note",
        )
    y = pooled.y.astype(int)
    p = pooled.pred
    classes = run.record.classes
    fold_y = run.oof["target"].to_numpy().astype(int)
    fold_p = run.oof["pred"].to_numpy(dtype=float)
    fold_names = fold_ids(run.oof)
    roc = figs.make(
        "roc",
        "ROC curve",
        "each thin line is one fold, the bold line their average with a ±1 std band. A curve "
        "hugging the top-left corner separates the classes well; the dashed diagonal is random "
        "guessing. AUC is the area under the curve (1 = perfect, 0.5 = random).",
        lambda: pc.roc_figure(fold_y, fold_p, fold_names),
    )
    pr = figs.make(
        "precision_recall",
        "Precision-recall curve",
        f"for every threshold, how many of the rows predicted '{classes[-1]}' really are "
        "(precision) against how many of the real ones are found (recall). Higher and further "
        "right is better; the dashed line is the share of positives (a random model).",
        lambda: pc.pr_figure(fold_y, fold_p, fold_names),
    )
    section.figures_row([roc, pr])
    threshold = run.record.threshold
    used = threshold.used if threshold is not None else 0.5
    optimized = threshold.optimized if threshold is not None else None
    rows: dict[str, float] = {}
    candidates = [(0.5, "0.50")]
    if optimized is not None:
        candidates.append((optimized, f"{optimized:.2f} (best on OOF)"))
    if all(abs(used - t) > 1e-9 for t, _ in candidates):
        candidates.append((used, f"{used:.2f}"))
    for thr, label in candidates:
        if any(abs(thr - t) < 1e-9 for t in rows.values()):
            continue
        if abs(thr - used) < 1e-9:
            label += ", used"
        rows[label] = thr
    used_text = f"The submission used threshold {_fmt(used)}."
    section.subheading("Confusion matrices")
    section.figure(
        figs.make(
            "confusion",
            "Confusion matrices",
            "rows are the true class, columns the predicted class; the diagonal holds the correct "
            "predictions. Each cell shows the count and its share of the row (the true class), "
            "so the diagonal reads as the recall of each class; the colour follows the share. "
            f"One matrix per threshold. {used_text}",
            lambda: pc.confusion_figure(y, p, rows, classes),
        )
    )
    cal = figs.make(
        "calibration",
        "Calibration curve",
        "rows are grouped by predicted probability; a well-calibrated model lies on the "
        "diagonal (of the rows given 0.7, about 70% are positive). Points below the diagonal "
        "mean over-confident probabilities. The histogram shows how predictions are spread.",
        lambda: pc.calibration_figure(y, p),
    )
    thr = figs.make(
        "threshold",
        "Score vs threshold",
        "the score if rows with probability ≥ threshold were predicted positive. The dashed "
        "line is the threshold the submission used, the dotted one the best on the "
        "out-of-fold predictions; a flat peak means the choice matters little.",
        lambda: pc.threshold_figure(y, p, run.metric, used=used, optimized=optimized),
    )
    section.figures_row([cal, thr])
    return section


def multiclass_section(run: Run, figs: Figures, pooled: Pooled) -> Section:
    section = Section("predictions", "Classification results")
    classes = run.record.classes
    y = pooled.y.astype(int)
    if pooled.repeats > 1:
        section.text(f"Probabilities are averaged over the {pooled.repeats} repeats.", "note")
    section.figure(
        figs.make(
            "roc_per_class",
            "One-vs-rest ROC per class",
            "one curve per class: how well that class is told apart from all the others "
            "(top-left is better, the dashed diagonal is random guessing). A class with a low AUC "
            "is the one the model confuses most.",
            lambda: pc.multiclass_roc_figure(y, pooled.pred, classes),
        )
    )
    section.figure(
        figs.make(
            "confusion",
            "Confusion matrix",
            "rows are the true class, columns the predicted class (the most probable one); the "
            "diagonal holds the correct predictions. Right: each row as shares, i.e. the recall of "
            "each class and where its mistakes go.",
            lambda: pc.multiclass_confusion_figure(y, pooled.pred, classes),
        )
    )
    return section


def regression_section(run: Run, figs: Figures, pooled: Pooled) -> Section:
    section = Section("predictions", "Regression results")
    metric = lookup(run.metric, run.task)
    log_space = metric is not None and metric.log_space
    y = pooled.y.astype(float)
    p = pooled.pred.astype(float)
    if log_space:
        section.text(
            f"{run.metric} measures errors between the logs of prediction and truth, so errors "
            "below are in log space: an error of 0.1 is roughly 10% too high.",
            "note",
        )
    if pooled.repeats > 1:
        section.text(f"Predictions are averaged over the {pooled.repeats} repeats.", "note")
    scatter = figs.make(
        "pred_vs_actual",
        "Predicted vs actual",
        "each dot is one training row predicted by a model that never saw it. Dots on the "
        "dashed diagonal are perfect; a cloud flatter than the diagonal means the model "
        "shrinks towards the average.",
        lambda: preg.pred_vs_actual_figure(y, p, log_space),
    )
    resid = figs.make(
        "residuals",
        "Residuals vs predicted",
        "the error of each row against its prediction. A shapeless band around 0 is good; a "
        "funnel or a curve shows errors that depend on the size of the prediction.",
        lambda: preg.residuals_figure(y, p, log_space),
    )
    section.figures_row([scatter, resid])
    hist = figs.make(
        "residual_distribution",
        "Residual distribution",
        "how often each size of error occurs. Centred on 0 and symmetric is good; a long tail "
        "points to a few rows the model gets badly wrong (see the table below).",
        lambda: preg.residual_hist_figure(y, p, log_space),
    )
    section.figures_row([hist])
    section.figure(
        figs.make(
            "error_by_decile",
            "Error by target decile",
            "training rows split into ten equal groups by their actual target, from smallest to "
            "largest. Bars are the mean absolute error of each group, dots the mean signed error: "
            "dots above 0 mean that group is over-predicted.",
            lambda: preg.error_by_decile_figure(y, p, log_space),
        )
    )
    worst = preg.worst_rows(pooled.ids, y, p, log_space, n=WORST_ROWS, folds=pooled.folds)
    unit = " (log)" if log_space else ""
    section.subheading(f"The {len(worst)} worst-predicted rows")
    section.table(
        ["id", "fold", "actual", "predicted", f"error{unit}"],
        [
            [r.id, r.fold, _fmt(r.actual, 6), _fmt(r.predicted, 6), _fmt(r.error)]
            for r in worst.itertuples()
        ],
        caption="Sorted by absolute error (predicted − actual). Look these rows up in the "
        "training data: outliers, data errors or a missing feature often explain them.",
    )
    return section


def importance_section(run: Run, figs: Figures) -> Section:
    section = Section("importance", "Feature importance")
    imp = run.importance
    if imp is None or not len(imp):
        section.text("This run did not record feature importance.", "note")
        return section
    kinds = set(imp["kind"].astype(str))
    captions = {
        "model": (
            "Model's own importance",
            "the importance the model reports (splits/gain for trees, absolute coefficients for "
            "linear models), averaged over folds; the error bar is the spread across folds. "
            "Long bars with short error bars are features the model relies on consistently.",
        ),
        "permutation": (
            "Permutation importance",
            "how much the validation score drops when one feature's values are shuffled, "
            "averaged over folds. Near zero or negative means the model does not really need "
            "that feature on unseen rows.",
        ),
    }
    for kind in ("model", "permutation"):
        if kind not in kinds:
            continue
        title, caption = captions[kind]
        section.figure(
            figs.make(
                f"importance_{kind}",
                title,
                caption,
                lambda kind=kind: pdiag.importance_figure(imp, kind, TOP_FEATURES),
            )
        )
    if not kinds & {"model", "permutation"}:
        section.text("importance.csv has no 'model' or 'permutation' rows.", "note")
    return section


def data_section(run: Run, figs: Figures) -> Section:
    section = Section("data", "Data")
    profile = run.profile
    if not isinstance(profile, dict):
        section.text("This run has no data_profile.json.", "note")
        return section
    section.text(
        f"{profile.get('n_train', '—')} training rows and {profile.get('n_test', '—')} test "
        f"rows; target column: {profile.get('target', '—')}."
    )
    dist = profile.get("target_distribution")
    if isinstance(dist, dict):
        section.figure(
            figs.make(
                "target_distribution",
                "Target distribution",
                "how the target is spread in the training data. Rare classes or a long tail are "
                "harder to predict and make some metrics misleading.",
                lambda: pdata.target_distribution_figure(
                    dist, str(profile.get("target", "target"))
                ),
            )
        )
    missing = profile.get("missing") or []
    if missing:
        section.figure(
            figs.make(
                "missing_values",
                "Missing values",
                "the share of empty cells per column in train (orange) and test (blue). Columns "
                "with very different shares in train and test deserve a closer look.",
                lambda: pdata.missing_figure(missing),
            )
        )
    else:
        section.text("No missing values in train or test.", "note")
    related = profile.get("related") or []
    if related:
        section.figure(
            figs.make(
                "related_features",
                "Features most related to the target",
                "mutual information between each raw column and the target: 0 means the column "
                "tells nothing about the target on its own; higher means more. Columns can still "
                "help in combination with others.",
                lambda: pdata.related_figure(related),
            )
        )
    return section


def _unflatten(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        node = out
        parts = str(key).split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                return dict(params)
        node[parts[-1]] = value
    return out


def tuning_section(run: Run, figs: Figures) -> Section | None:
    tuning = run.tuning
    if not isinstance(tuning, dict):
        return None
    section = Section("tuning", "Tuning")
    best = tuning.get("best_params")
    if isinstance(best, dict) and best:
        snippet = yaml.safe_dump(_unflatten(best), sort_keys=False, allow_unicode=True)
        section.text("This run used the best parameters found by the tuning study:")
        section.code(snippet.rstrip("\n"), caption="Paste into a config to reuse them.")
    trials = [t for t in tuning.get("trials") or [] if isinstance(t, dict)]
    if any(t.get("value") is not None and t.get("number") is not None for t in trials):
        direction = tuning.get("direction")
        gib = run.greater_is_better if direction is None else direction == "maximize"
        section.figure(
            figs.make(
                "tuning_history",
                "Tuning history",
                "each dot is one trial's CV score; the line is the best score found so far. A line "
                "that has stopped improving means more trials are unlikely to help.",
                lambda: pdata.tuning_history_figure(
                    [t for t in trials if t.get("number") is not None], gib, run.metric
                ),
            )
        )
    return section if section.blocks else None
