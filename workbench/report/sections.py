"""The sections of the report, one builder per section; each registers its figures."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from workbench.report import explain_section as pexplain
from workbench.report import formats as fmt
from workbench.report import plots_classification as pc
from workbench.report import plots_data as pdata
from workbench.report import plots_diagnostics as pdiag
from workbench.report import plots_regression as preg
from workbench.report.html import Section
from workbench.report.render import Figures
from workbench.report.run import Pooled, Run, cv_text, model_kind
from workbench.report.scoring import baseline_description, baseline_score, lookup

WORST_ROWS = 15
TOP_FEATURES = 30


def _fmt(value: Any, digits: int = 4) -> str:
    """A number in a table cell, never in exponent notation: integers and values of 10,000 or
    more with thousands separators, others with up to ``digits`` decimals. Scores, counts,
    thresholds and durations have their own formats in :mod:`workbench.report.formats`."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,d}"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "—"
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != 0 else "0"
    return str(value)


def _duration(seconds: Any) -> str:
    return fmt.duration(seconds)


def _fold_names(oof: pd.DataFrame) -> np.ndarray:
    """A fold label per oof.csv row, numbered from 1 as everywhere in the report ("3", or
    "r2 f3" when there are repeats)."""
    repeats = int(oof["repeat"].nunique())
    if repeats > 1:
        return (
            "r" + (oof["repeat"] + 1).astype(str) + " f" + (oof["fold"] + 1).astype(str)
        ).to_numpy()
    return (oof["fold"] + 1).astype(str).to_numpy()


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
        (f"CV {metric} ({direction})", fmt.score_pm(summary.valid_mean, summary.valid_std)),
        ("Out-of-fold score", fmt.score(summary.oof_score)),
        ("Run time", fmt.duration(record.timings.total_seconds)),
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
            f"The submission used the decision threshold {fmt.threshold(threshold.used)}. CV "
            f"scores always use 0.500. The threshold that maximises {tuned} on the out-of-fold "
            f"predictions is {fmt.threshold(threshold.optimized)} (out-of-fold {tuned} there: "
            f"{fmt.score(threshold.oof_score_at_optimized)}); it is chosen on the same rows it is "
            "scored on, so that number is optimistic."
        )
    if record.folds:
        repeats = len({f.repeat for f in record.folds})
        multi = repeats > 1
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
                    *([f.repeat + 1] if multi else []),
                    f.fold + 1,
                    fmt.count(f.n_train),
                    fmt.count(f.n_valid),
                    fmt.score(f.train_score),
                    fmt.score(f.valid_score),
                    fmt.score(gap),
                    fmt.count(f.best_iteration),
                    fmt.duration(f.fit_seconds),
                ]
            )
        caption = (
            "Each row is one fold (numbered from 1, as on the terminal; the run's files number "
            "them from 0): the model was trained on the training rows and scored on both. "
            "The gap is how much better it did on the rows it had seen (positive = better on "
            "training rows)."
        )
        sampled = [f.train_rows_scored for f in record.folds if f.train_rows_scored < f.n_train]
        if sampled:
            caption += (
                f" The training score is computed on at most {fmt.count(max(sampled))} of a "
                "fold's training "
                "rows (a sample, where the fold has more)."
            )
        section.subheading("Scores per fold")
        section.table(columns, rows, caption=caption)
    return section


def _read_optional_json(path: Path) -> tuple[Any, str | None]:
    """A JSON file of the run directory that may be absent: (content, None), (None, None) when
    absent, or (None, why) when it cannot be read; the report then goes on without it."""
    if not path.is_file():
        return None, None
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, ValueError) as exc:
        return None, f"{path.name} could not be read ({exc})"


def _inline(value: Any) -> str:
    """A config value on one line, as YAML writes it in flow style (``[Sex, Title]``)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9
    ).strip()
    return text.removesuffix("...").strip()


def _params_text(params: Any) -> str:
    """A step's or a model's parameters: ``key: value`` pairs, "defaults" when there are none."""
    if not isinstance(params, dict) or not params:
        return "defaults"
    return ", ".join(f"{key}: {_inline(value)}" for key, value in params.items())


def feature_steps(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The config's feature steps in order: (step name, its parameters)."""
    steps = []
    for entry in config.get("features") or []:
        if isinstance(entry, str):
            steps.append((entry, {}))
        elif isinstance(entry, dict):
            params = {k: v for k, v in entry.items() if k != "step"}
            steps.append((str(entry.get("step", "?")), params))
        else:
            steps.append((str(entry), {}))
    return steps


def model_members(model: dict[str, Any]) -> list[dict[str, Any]]:
    """The members of a voting blend (``model.params.estimators``), else ``[]``."""
    params = model.get("params") if isinstance(model.get("params"), dict) else {}
    estimators = params.get("estimators") if model.get("kind") == "voting" else None
    return [e for e in estimators or [] if isinstance(e, dict)]


def set_overrides(command: Any) -> list[str] | None:
    """The ``--set`` values of a ``workbench run`` command line (environment.json's ``command``,
    i.e. ``sys.argv``); ``None`` when ``command`` is not such a command line (a run started from
    Python, e.g. by a tuning study or a test, whose overrides are not recorded there)."""
    if not isinstance(command, list) or "run" not in command[1:2]:
        return None
    args = [str(a) for a in command[2:]]
    found, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg in ("--s", "--se", "--set") and i + 1 < len(args):
            found.append(args[i + 1])
            i += 2
            continue
        for prefix in ("--set=", "--se=", "--s="):
            if arg.startswith(prefix):
                found.append(arg[len(prefix) :])
                break
        i += 1
    return found


def config_section(run: Run) -> Section:
    """What was run: the resolved config (config.yaml) step by step, the command line's
    ``--set`` overrides (environment.json) and the data's fingerprint (fingerprint.json)."""
    record = run.record
    config = run.config
    section = Section(
        "config",
        "Configuration",
        "What was run: the resolved config (config.yaml, every default filled in), the command "
        "line and the exact input files.",
    )
    environment, env_problem = _read_optional_json(run.path / "environment.json")
    fingerprint, fp_problem = _read_optional_json(run.path / "fingerprint.json")
    environment = environment if isinstance(environment, dict) else {}
    fingerprint = fingerprint if isinstance(fingerprint, dict) else {}
    entries: list[tuple[str, Any]] = [("Config", config.get("name") or record.config_name)]
    if config.get("description"):
        entries.append(("Description", str(config["description"]).strip()))
    command = environment.get("command")
    overrides = set_overrides(command)
    if overrides is not None:
        entries.append(("Command", "workbench " + shlex.join(str(a) for a in command[1:])))
        entries.append(("--set overrides", ", ".join(overrides) if overrides else "none"))
    elif isinstance(command, list) and command:
        entries.append(
            ("--set overrides", "not recorded (the run was not started by `workbench run`)")
        )
    entries.append(("Seed", config.get("seed", record.seed)))
    cv = config.get("cv") if isinstance(config.get("cv"), dict) else {}
    cv_extra = {k: v for k, v in cv.items() if k not in ("scheme", "folds", "repeats")}
    cv_extra = {k: v for k, v in cv_extra.items() if v is not None}
    if run.task != "regression":  # target bins only stratify a regression target
        cv_extra.pop("bins", None)
    cv_words = cv_text(record.cv) + (f" ({_params_text(cv_extra)})" if cv_extra else "")
    entries.append(("Cross-validation", cv_words))
    if "metric" in config:
        entries.append(("Metric", config["metric"]))
    predict = config.get("predict")
    if isinstance(predict, dict) and predict:
        entries.append(("Prediction", _params_text(predict)))
    for role in ("train", "test"):
        info = fingerprint.get(role)
        if isinstance(info, dict) and isinstance(info.get("sha256"), str):
            size = f", {fmt.count(info['bytes'])} bytes" if "bytes" in info else ""
            entries.append(
                (
                    f"{role.capitalize()} data",
                    f"{info.get('path', role)}: sha256 {info['sha256'][:12]}…{size}",
                )
            )
    git = environment.get("git")
    if isinstance(git, dict) and git.get("commit"):
        dirty = " (with uncommitted changes)" if git.get("dirty") else ""
        entries.append(("Code", f"git commit {str(git['commit'])[:10]}{dirty}"))
    section.pairs(entries)
    for problem in (env_problem, fp_problem):
        if problem:
            section.text(problem, "note")

    steps = feature_steps(config)
    section.subheading("Feature steps")
    if steps:
        section.table(
            ["#", "step", "parameters"],
            [[i, name, _params_text(params)] for i, (name, params) in enumerate(steps, 1)],
            caption="In the order they run, fitted on each fold's training rows only.",
            css="text",
        )
    else:
        section.text("No feature steps: the model sees the raw columns.", "note")

    model = config.get("model") if isinstance(config.get("model"), dict) else {}
    kind = model_kind(run)
    section.subheading("Model")
    params = model.get("params") if isinstance(model.get("params"), dict) else {}
    members = model_members(model)
    others = {k: v for k, v in model.items() if k not in ("kind", "params") and v is not None}
    if members:
        weights = params.get("weights")
        rows = []
        for i, member in enumerate(members):
            weight = weights[i] if isinstance(weights, list) and i < len(weights) else "—"
            rows.append(
                [
                    i + 1,
                    member.get("kind", "?"),
                    _params_text(member.get("params")),
                    weight,
                ]
            )
        section.table(["member", "kind", "parameters", "weight"], rows, css="text")
        blend = {k: v for k, v in params.items() if k not in ("estimators", "weights")}
        section.text(
            f"A voting blend of {len(members)} models"
            + (f" ({_params_text(blend)})" if blend else "")
            + (f"; {_params_text(others)}" if others else "")
            + ".",
            "caption",
        )
    else:
        section.table(["kind", "parameters"], [[kind, _params_text(params)]], css="text")
        if others:
            section.text(_params_text(others), "caption")
    if config:
        section.details(
            "The whole resolved config (config.yaml)",
            yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip("\n"),
        )
    else:
        section.text("This run has no config.yaml.", "note")
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
    model = run.config.get("model") if isinstance(run.config.get("model"), dict) else {}
    verdict = pdiag.fit_verdict(
        train_mean,
        valid_mean,
        run.greater_is_better,
        run.metric,
        baseline=baseline,
        baseline_description=words,
        valid_std=record.summary.valid_std if len(record.folds) > 1 else None,
        model=model_kind(run),
        members=[str(m.get("kind", "?")) for m in model_members(model)],
    )
    section.verdict(verdict.level, verdict.title, verdict.text)
    detail = (
        f"Training {run.metric}: {fmt.score(train_mean)}, validation: "
        f"{fmt.score_pm(valid_mean, record.summary.valid_std)} (mean ± fold-to-fold std); "
        f"gap {fmt.score(verdict.gap)}."
    )
    if baseline is not None:
        detail += f" Trivial baseline ({words}): {fmt.score(baseline)}."
    detail += (
        " The gap is judged against the fold-to-fold spread and against how far the model got "
        "from the baseline, in the metric's own units, not as a percentage of the score."
    )
    section.text(detail, "caption")
    if record.folds:
        folds = pd.DataFrame([f.model_dump() for f in record.folds])
        section.figure(
            figs.make(
                "train_vs_valid",
                "Training vs validation score per fold",
                "each pair of bars is one fold (numbered from 1); orange is the score on the "
                "rows the model was trained on, blue on the rows it never saw. The bars start "
                "at zero, so their lengths compare honestly. Similar bars mean the model "
                "generalises; a training bar that is consistently better means overfitting.",
                lambda: pdiag.train_valid_figure(folds, run.metric),
            )
        )
    section.subheading("Learning curve")
    if run.learning_curve is not None and len(run.learning_curve):
        better = f"{run.metric}: {'higher' if run.greater_is_better else 'lower'} is better"
        rising = "rising" if run.greater_is_better else "falling"
        section.figure(
            figs.make(
                "learning_curve",
                "Learning curve",
                "the model was retrained on growing fractions of each fold's training rows "
                f"({better}). If the validation curve is still improving ({rising}) at the right "
                "edge, more data would help; if the two curves stay far apart, the model "
                "overfits; if both are flat and poor, it underfits. "
                + pdiag.learning_curve_trend(run.learning_curve, run.greater_is_better),
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
    fold_names = _fold_names(run.oof)
    roc = figs.make(
        "roc",
        "ROC curve",
        "each coloured line is one fold (numbered from 1), the black line their average with a "
        "±1 std band. A curve "
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
    candidates = [(0.5, fmt.threshold(0.5))]
    if optimized is not None:
        candidates.append((optimized, f"{fmt.threshold(optimized)} (best on OOF)"))
    if all(abs(used - t) > 1e-9 for t, _ in candidates):
        candidates.append((used, fmt.threshold(used)))
    for thr, label in candidates:
        if any(abs(thr - t) < 1e-9 for t in rows.values()):
            continue
        if abs(thr - used) < 1e-9:
            label += ", used"
        rows[label] = thr
    used_text = f"The submission used threshold {fmt.threshold(used)}."
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
        "rows are grouped by predicted probability (x axis); the y axis is the share of them "
        "that really were positive. A well-calibrated model lies on the diagonal (of the rows "
        "given 0.7, about 70% are positive). A point below the diagonal means fewer positives "
        "than predicted (the probabilities there are too high), above it more. Below the "
        "diagonal at high probabilities and above it at low ones means over-confident "
        "probabilities (too close to 0 and 1); the reverse means under-confident ones. The "
        "histogram shows how predictions are spread. " + pc.calibration_reading(y, p),
        lambda: pc.calibration_figure(y, p),
    )
    thr = figs.make(
        "threshold",
        "Score vs threshold",
        "the score if rows with probability ≥ threshold were predicted positive. The dashed "
        "line is the threshold the submission used; the marked point is the threshold "
        "optimised on the out-of-fold predictions (as in the summary) with its score on this "
        "curve. A flat peak means the choice matters little; on a tie several thresholds share "
        "the best score and the run keeps one of them.",
        lambda: pc.threshold_figure(
            y,
            p,
            run.metric,
            used=used,
            optimized=optimized,
            optimized_metric=threshold.optimized_metric if threshold is not None else None,
        ),
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
        "shrinks towards the average." + preg.scatter_note(len(y)),
        lambda: preg.pred_vs_actual_figure(y, p, log_space),
    )
    resid = figs.make(
        "residuals",
        "Residuals vs predicted",
        "the error of each row against its prediction. A shapeless band around 0 is good; a "
        "funnel or a curve shows errors that depend on the size of the prediction."
        + preg.scatter_note(len(p)),
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
    why = pexplain.why_texts(run, worst["id"])  # None without SHAP
    section.subheading(f"The {len(worst)} worst-predicted rows")
    section.table(
        ["id", "fold", "actual", "predicted", f"error{unit}"]
        + ([pexplain.WHY_COLUMN] if why is not None else []),
        [
            [r.id, r.fold + 1, _fmt(r.actual, 6), _fmt(r.predicted, 6), _fmt(r.error)]
            + ([why[i]] if why is not None else [])
            for i, r in enumerate(worst.itertuples())
        ],
        caption="Sorted by absolute error (predicted − actual). Look these rows up in the "
        "training data: outliers, data errors or a missing feature often explain them."
        + pexplain.worst_rows_note(run, pooled.repeats, why),
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
    for kind in pexplain.importance_order(run):  # permutation first for a blend
        if kind not in kinds:
            continue
        title, caption = captions[kind]
        caption = pexplain.importance_caption(run, kind, caption)  # its measure and rows
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
    for note in pexplain.importance_notes(run):
        section.text(note, "note")
    return section


def data_section(run: Run, figs: Figures) -> Section:
    section = Section("data", "Data")
    profile = run.profile
    if not isinstance(profile, dict):
        section.text("This run has no data_profile.json.", "note")
        return section
    section.text(
        f"{fmt.count(profile.get('n_train'))} training rows and "
        f"{fmt.count(profile.get('n_test'))} test rows; target column: "
        f"{profile.get('target', '—')}."
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
                "with very different shares in train and test deserve a closer look."
                + (
                    f" Only the {pdata.MISSING_TOP} columns with the most missing values are "
                    f"drawn; {len(missing) - pdata.MISSING_TOP} more columns have some "
                    "(data_profile.json lists them all)."
                    if len(missing) > pdata.MISSING_TOP
                    else ""
                ),
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
