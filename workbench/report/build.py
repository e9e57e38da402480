"""Assemble the report from a run directory (see :func:`build_report`)."""

from __future__ import annotations

import gc
import json
import multiprocessing
import pickle
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from workbench.errors import UserError
from workbench.io import write_bytes, write_text
from workbench.report import plots_classification as pc
from workbench.report import plots_data as pdata
from workbench.report import plots_diagnostics as pdiag
from workbench.report import plots_regression as preg
from workbench.report.html import FigureItem, Section, render_html
from workbench.report.scoring import baseline_description, baseline_score, is_log_metric, lookup
from workbench.report.style import to_png

WORST_ROWS = 15
TOP_FEATURES = 30


@dataclass
class Run:
    """What the report needs from a run directory."""

    path: Path
    metrics: dict[str, Any]
    oof: pd.DataFrame
    config: dict[str, Any] = field(default_factory=dict)
    importance: pd.DataFrame | None = None
    learning_curve: pd.DataFrame | None = None
    profile: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None

    @property
    def task(self) -> str:
        return str(self.metrics.get("task", "regression"))

    @property
    def metric(self) -> str:
        return str(self.metrics.get("metric", {}).get("name", "score"))

    @property
    def greater_is_better(self) -> bool:
        return bool(self.metrics.get("metric", {}).get("greater_is_better", True))


def _not_a_run(run_dir: Path, message: str) -> UserError:
    return UserError(
        message,
        where=str(run_dir),
        hint="pass a finished run directory, e.g. runs/<competition>/<run_id>",
    )


def _read_json(path: Path, run_dir: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _not_a_run(run_dir, f"cannot read {path.name}: {exc}") from None


def _read_csv(path: Path, run_dir: Path, required: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise _not_a_run(run_dir, f"cannot read {path.name}: {exc}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise _not_a_run(run_dir, f"{path.name} has no column {missing[0]!r}")
    return frame


def load_run(run_dir: str | Path) -> Run:
    """Read a run directory; :class:`UserError` if it is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise _not_a_run(run_dir, "not a directory")
    if not (run_dir / "metrics.json").is_file():
        raise _not_a_run(run_dir, "not a run directory (no metrics.json)")
    if not (run_dir / "oof.csv").is_file():
        raise _not_a_run(run_dir, "not a run directory (no oof.csv)")
    metrics = _read_json(run_dir / "metrics.json", run_dir)
    if not isinstance(metrics, dict):
        raise _not_a_run(run_dir, "metrics.json is not a JSON object")
    oof = _read_csv(run_dir / "oof.csv", run_dir, ["id", "repeat", "fold", "target"])
    run = Run(path=run_dir, metrics=metrics, oof=oof)
    config_path = run_dir / "config.yaml"
    if config_path.is_file():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise _not_a_run(run_dir, f"cannot read config.yaml: {exc}") from None
        run.config = loaded if isinstance(loaded, dict) else {}
    if (run_dir / "importance.csv").is_file():
        run.importance = _read_csv(
            run_dir / "importance.csv", run_dir, ["feature", "kind", "importance"]
        )
    if (run_dir / "learning_curve.csv").is_file():
        run.learning_curve = _read_csv(
            run_dir / "learning_curve.csv",
            run_dir,
            ["fold", "fraction", "n_train", "train_score", "valid_score"],
        )
    if (run_dir / "data_profile.json").is_file():
        run.profile = _read_json(run_dir / "data_profile.json", run_dir)
    if (run_dir / "tuning.json").is_file():
        run.tuning = _read_json(run_dir / "tuning.json", run_dir)
    return run


# ----------------------------------------------------------------------------------- helpers


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


def _model_kind(run: Run) -> str:
    model = run.config.get("model")
    if isinstance(model, dict) and model.get("kind"):
        return str(model["kind"])
    if isinstance(model, str):
        return model
    return (
        str(run.metrics.get("model", {}).get("kind", "—"))
        if isinstance(run.metrics.get("model"), dict)
        else str(run.metrics.get("model") or "—")
    )


def _cv_text(cv: dict[str, Any]) -> str:
    scheme = str(cv.get("scheme", "—")).replace("_", " ")
    folds, repeats = cv.get("folds"), cv.get("repeats", 1)
    text = scheme
    if folds:
        text += f", {folds} folds"
    if repeats and int(repeats) > 1:
        text += f" × {repeats} repeats"
    return text


def _prediction_columns(run: Run) -> list[str]:
    if run.task == "multiclass":
        classes = run.metrics.get("classes") or []
        named = [f"proba_{c}" for c in classes]
        if named and all(c in run.oof.columns for c in named):
            return named
        cols = [c for c in run.oof.columns if str(c).startswith("proba_")]
        if not cols:
            raise _not_a_run(run.path, "oof.csv has no proba_<class> columns (multiclass run)")
        return cols
    if "pred" not in run.oof.columns:
        raise _not_a_run(run.path, "oof.csv has no 'pred' column")
    return ["pred"]


@dataclass
class Pooled:
    """Out-of-fold predictions, one row per training row (averaged over repeats)."""

    ids: np.ndarray
    y: np.ndarray
    pred: np.ndarray  # 1-d (binary, regression) or 2-d (multiclass)
    folds: np.ndarray  # the row's validation fold (repeat 0)
    repeats: int


def _pool(run: Run, columns: list[str]) -> Pooled:
    oof = run.oof
    repeats = int(oof["repeat"].nunique())
    if repeats > 1:
        first = oof[oof["repeat"] == oof["repeat"].min()][["id", "fold"]]
        means = oof.groupby("id", sort=False)[["target", *columns]].mean()
        frame = first.merge(means, left_on="id", right_index=True, how="left")
    else:
        frame = oof
    pred = frame[columns].to_numpy(dtype=float)
    return Pooled(
        ids=frame["id"].to_numpy(),
        y=frame["target"].to_numpy(),
        pred=pred if len(columns) > 1 else pred[:, 0],
        folds=frame["fold"].to_numpy(),
        repeats=repeats,
    )


def _fold_ids(oof: pd.DataFrame) -> np.ndarray:
    if oof["repeat"].nunique() > 1:
        return ("r" + oof["repeat"].astype(str) + " f" + oof["fold"].astype(str)).to_numpy()
    return oof["fold"].astype(str).to_numpy()


# The figures being rendered by render_all: set before the worker processes are forked, so that
# they inherit the drawing closures (which cannot be pickled) and receive only an index.
_PENDING: list[Callable[[], Figure]] = []


def _render(index: int) -> bytes:
    return to_png(_PENDING[index]())


class _Figures:
    """Collects the figures of the report, renders them to PNG (:meth:`render_all`) and
    remembers them for figures/ and the HTML."""

    def __init__(self) -> None:
        self.items: list[FigureItem] = []
        self._draws: list[Callable[[], Figure]] = []

    def make(self, name: str, title: str, caption: str, draw: Callable[[], Figure]) -> FigureItem:
        """Register a figure; its ``png`` is filled in by :meth:`render_all`."""
        item = FigureItem(name=f"{name}.png", title=title, caption=caption, png=b"")
        self.items.append(item)
        self._draws.append(draw)
        return item

    def render_all(self, workers: int = 1) -> None:
        """Render every registered figure: one by one here, or with ``workers > 1`` in that many
        forked processes (one by one again if the pool cannot start). Both paths produce the
        same bytes. Serial is the default: on a 2-core machine the pool (fork, worker start-up,
        cold caches in each worker) did not pay for 11 figures of ~0.1 s."""
        pngs = None
        if workers > 1 and len(self._draws) > 1:
            pngs = self._render_parallel(workers)
        if pngs is None:
            pngs = [to_png(draw()) for draw in self._draws]
        for item, png in zip(self.items, pngs, strict=True):
            item.png = png

    def _render_parallel(self, workers: int) -> list[bytes] | None:
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        _PENDING[:] = self._draws
        try:
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("fork")
            ) as pool:
                return list(pool.map(_render, range(len(self._draws))))
        except (OSError, BrokenProcessPool, pickle.PicklingError):
            return None
        finally:
            _PENDING.clear()


# ----------------------------------------------------------------------------------- sections


def _summary_section(run: Run) -> Section:
    m = run.metrics
    summary = m.get("summary", {})
    metric = run.metric
    direction = "higher is better" if run.greater_is_better else "lower is better"
    section = Section("summary", "Summary")
    cards = [
        ("Competition", m.get("competition", "—")),
        ("Config", m.get("config_name", "—")),
        ("Model", _model_kind(run)),
        ("Seed", m.get("seed", "—")),
        ("Validation scheme", _cv_text(m.get("cv", {}))),
        (
            f"CV {metric} ({direction})",
            f"{_fmt(summary.get('valid_mean'))} ± {_fmt(summary.get('valid_std'))}",
        ),
        ("Out-of-fold score", _fmt(summary.get("oof_score"))),
        ("Run time (before the report)", _duration(m.get("timings", {}).get("total_seconds"))),
    ]
    section.cards(cards)
    section.text(
        f"The CV score is the mean ± standard deviation of {metric} over the validation rows of "
        "each fold: rows the model never saw while training. It is the best estimate of how the "
        "model will score on new data. The out-of-fold score is the same metric computed once on "
        "all out-of-fold predictions pooled together."
    )
    threshold = m.get("threshold")
    if run.task == "binary" and isinstance(threshold, dict):
        used = threshold.get("used")
        text = f"The submission used the decision threshold {_fmt(used)}. CV scores always use 0.5."
        if threshold.get("optimized") is not None:
            text += (
                f" The threshold that maximises {metric} on the out-of-fold predictions is "
                f"{_fmt(threshold['optimized'])} (out-of-fold {metric} there: "
                f"{_fmt(threshold.get('oof_score_at_optimized'))}); it is chosen on the same rows "
                "it is scored on, so that number is optimistic."
            )
        section.text(text)
    folds = m.get("folds") or []
    if folds:
        multi = len({f.get("repeat", 0) for f in folds}) > 1
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
        for f in folds:
            train, valid = f.get("train_score"), f.get("valid_score")
            gap = None
            if isinstance(train, int | float) and isinstance(valid, int | float):
                gap = train - valid if run.greater_is_better else valid - train
            rows.append(
                [
                    *([f.get("repeat", 0)] if multi else []),
                    f.get("fold"),
                    f.get("n_train"),
                    f.get("n_valid"),
                    _fmt(train),
                    _fmt(valid),
                    _fmt(gap),
                    _fmt(f.get("best_iteration")),
                    _duration(f.get("fit_seconds")),
                ]
            )
        section.subheading("Scores per fold")
        section.table(
            columns,
            rows,
            caption="Each row is one fold: the model was trained on the training rows and scored "
            "on both. The gap is how much better it did on the rows it had seen (positive = "
            "better on training rows).",
        )
    return section


def _fit_section(run: Run, figs: _Figures, pooled: Pooled | None) -> Section:
    section = Section(
        "fit",
        "Over- or underfitting?",
        "A model overfits when it is much better on the rows it was trained on than on unseen "
        "rows, and underfits when it is poor on both.",
    )
    m = run.metrics
    folds = pd.DataFrame(m.get("folds") or [])
    summary = m.get("summary", {})
    train_mean = summary.get("train_mean")
    valid_mean = summary.get("valid_mean")
    if not len(folds) and valid_mean is None:
        section.text("metrics.json has no per-fold scores.", "note")
        return section
    if train_mean is None and "train_score" in folds:
        train_mean = float(folds["train_score"].mean())
    if valid_mean is None and "valid_score" in folds:
        valid_mean = float(folds["valid_score"].mean())
    if train_mean is not None and valid_mean is not None:
        baseline = words = None
        metric = lookup(run.metric, run.task)
        if pooled is not None and metric is not None:
            n_classes = len(m.get("classes") or []) or (
                pooled.pred.shape[1] if pooled.pred.ndim == 2 else 2
            )
            baseline = baseline_score(metric, run.task, pooled.y, n_classes)
            words = baseline_description(
                metric, run.task, pooled.y, list(m.get("classes") or range(n_classes))
            )
        verdict = pdiag.fit_verdict(
            float(train_mean),
            float(valid_mean),
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
    if {"train_score", "valid_score", "fold"} <= set(folds.columns):
        if "repeat" not in folds:
            folds["repeat"] = 0
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


def _binary_section(run: Run, figs: _Figures, pooled: Pooled) -> Section:
    section = Section("predictions", "Classification results")
    if pooled.repeats > 1:
        section.text(
            "Pooled plots use each row's out-of-fold probability averaged over the "
            f"{pooled.repeats} repeats; per-fold curves show every repeat and fold.",
            "note",
        )
    y = pooled.y.astype(int)
    p = pooled.pred
    classes = run.metrics.get("classes") or [0, 1]
    fold_y = run.oof["target"].to_numpy().astype(int)
    fold_p = run.oof["pred"].to_numpy(dtype=float)
    fold_ids = _fold_ids(run.oof)
    roc = figs.make(
        "roc",
        "ROC curve",
        "each thin line is one fold, the bold line their average with a ±1 std band. A curve "
        "hugging the top-left corner separates the classes well; the dashed diagonal is random "
        "guessing. AUC is the area under the curve (1 = perfect, 0.5 = random).",
        lambda: pc.roc_figure(fold_y, fold_p, fold_ids),
    )
    pr = figs.make(
        "precision_recall",
        "Precision-recall curve",
        f"for every threshold, how many of the rows predicted '{classes[-1]}' really are "
        "(precision) against how many of the real ones are found (recall). Higher and further "
        "right is better; the dashed line is the share of positives (a random model).",
        lambda: pc.pr_figure(fold_y, fold_p, fold_ids),
    )
    section.figures_row([roc, pr])
    threshold = run.metrics.get("threshold") or {}
    used = threshold.get("used", 0.5)
    optimized = threshold.get("optimized")
    rows: dict[str, float] = {}
    candidates = [(0.5, "0.50")]
    if optimized is not None:
        candidates.append((float(optimized), f"{float(optimized):.2f} (best on OOF)"))
    if used is not None and all(abs(float(used) - t) > 1e-9 for t, _ in candidates):
        candidates.append((float(used), f"{float(used):.2f}"))
    for thr, label in candidates:
        if any(abs(thr - t) < 1e-9 for t in rows.values()):
            continue
        if used is not None and abs(thr - float(used)) < 1e-9:
            label += ", used"
        rows[label] = thr
    used_text = f"The submission used threshold {_fmt(used)}." if used is not None else ""
    section.subheading("Confusion matrices")
    section.figure(
        figs.make(
            "confusion",
            "Confusion matrices",
            "rows are the true class, columns the predicted class; the diagonal holds the correct "
            "predictions. Left: counts; right: each row as shares, so you can read the recall of "
            f"each class. One row of matrices per threshold. {used_text}",
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


def _multiclass_section(run: Run, figs: _Figures, pooled: Pooled) -> Section:
    section = Section("predictions", "Classification results")
    columns = _prediction_columns(run)
    classes = run.metrics.get("classes") or [c.removeprefix("proba_") for c in columns]
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


def _regression_section(run: Run, figs: _Figures, pooled: Pooled) -> Section:
    section = Section("predictions", "Regression results")
    log_space = is_log_metric(run.metric)
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


def _importance_section(run: Run, figs: _Figures) -> Section:
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


def _data_section(run: Run, figs: _Figures) -> Section:
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


def _tuning_section(run: Run, figs: _Figures) -> Section | None:
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


# ----------------------------------------------------------------------------------- build


def build_report(run_dir: str | Path, *, workers: int = 1) -> Path:
    """Write ``run_dir/report.html`` and ``run_dir/figures/*.png``; return the HTML path.

    ``workers > 1`` renders the figures in that many forked processes (``fork`` start method
    only; matplotlib only, no OpenMP in the children); the output is the same either way.

    Raises :class:`UserError` if ``run_dir`` is not a run directory.
    """
    start = time.perf_counter()
    run = load_run(run_dir)
    # Full garbage collections over a big heap (the engine's data, models, modules) can cost more
    # than drawing a figure; freeze what exists now so they only scan the report's own objects.
    gc.freeze()
    try:
        return _build(run, start, workers)
    finally:
        gc.unfreeze()


def _build(run: Run, start: float, workers: int) -> Path:
    figs = _Figures()
    columns = _prediction_columns(run)
    pooled = _pool(run, columns) if len(run.oof) else None

    sections = [_summary_section(run), _fit_section(run, figs, pooled)]
    if pooled is not None:
        if run.task == "binary":
            sections.append(_binary_section(run, figs, pooled))
        elif run.task == "multiclass":
            sections.append(_multiclass_section(run, figs, pooled))
        else:
            sections.append(_regression_section(run, figs, pooled))
    sections.append(_importance_section(run, figs))
    sections.append(_data_section(run, figs))
    tuning = _tuning_section(run, figs)
    if tuning is not None:
        sections.append(tuning)

    figs.render_all(workers)
    figures_dir = run.path / "figures"
    written = set()
    for item in figs.items:
        write_bytes(figures_dir / item.name, item.png)
        written.add(item.name)
    if figures_dir.is_dir():
        for stale in figures_dir.glob("*.png"):
            if stale.name not in written:
                stale.unlink(missing_ok=True)

    m = run.metrics
    title = f"{m.get('competition', 'run')} · {m.get('config_name', run.path.name)}"
    subtitle = (
        f"Run {m.get('run_id', run.path.name)} · {run.task} · metric {run.metric} "
        f"({'higher' if run.greater_is_better else 'lower'} is better)"
    )
    footer = (
        f"Created {m.get('created_at', '—')} · report built in "
        f"{time.perf_counter() - start:.2f} s from {run.path.name}/ · figures also in figures/"
    )
    html = render_html(title=title, subtitle=subtitle, sections=sections, footer=footer)
    return write_text(run.path / "report.html", html)
