"""SHAP, and where the model fails: the report's SHAP section, the worst-rows table of a
classification run and the "why" of every worst-rows table, from importance.csv and
explanations.csv (:mod:`workbench.explain` writes them; docs/run-directory.md).

Also the facts the importance captions state: what each importance measures (the ``measure``
column) and on how many rows per fold it was computed (``n_rows``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.explain import TOP_FEATURES, WHY_FEATURES
from workbench.explain import WORST_ROWS as FOLD_WORST_ROWS
from workbench.report import plots_explain as pexp
from workbench.report.html import Section
from workbench.report.render import Figures
from workbench.report.run import Pooled, Run, model_kind

SHAP_TOP = 20  # features in the mean |SHAP| bar chart
BEESWARM_TOP = 10  # features in the beeswarm
WORST_ROWS = 15  # rows in the classification worst-rows table
WHY_COLUMN = f"why: the {WHY_FEATURES} features that pushed it most (value, SHAP)"
BLEND_MEASURE = "weighted blend of members"


# --- what an importance measures, and on how many rows ------------------------------------


def _kind_rows(run: Run, kind: str) -> pd.DataFrame | None:
    imp = run.importance
    if imp is None or not len(imp) or "kind" not in imp:
        return None
    rows = imp[imp["kind"].astype(str) == kind]
    return rows if len(rows) else None


def measure(run: Run, kind: str) -> str | None:
    """What importance.csv's rows of ``kind`` measure (its ``measure`` column), e.g. "gain",
    "drop in accuracy", "mean |SHAP|"; None for runs written before that column."""
    rows = _kind_rows(run, kind)
    if rows is None or "measure" not in rows:
        return None
    values = [str(v) for v in pd.unique(rows["measure"].dropna())]
    return " / ".join(values) if values else None


def _span(values: Sequence[int]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def rows_text(run: Run, kind: str) -> str:
    """On how many validation rows per fold ``kind`` was computed, in words ("" if unknown)."""
    rows = _kind_rows(run, kind)
    if rows is None or "n_rows" not in rows or not {"repeat", "fold"} <= set(rows.columns):
        return ""
    per_fold = rows.groupby(["repeat", "fold"])["n_rows"].first().dropna().astype(int)
    if not len(per_fold):
        return ""
    n_valid = {(f.repeat, f.fold): f.n_valid for f in run.record.folds}
    valid = [n_valid[key] for key in per_fold.index if key in n_valid]
    if (
        valid
        and len(valid) == len(per_fold)
        and all(n_valid[key] == n for key, n in per_fold.items())
    ):
        return f"on every validation row of each fold ({_span(valid)} rows per fold)"
    text = f"on a seeded, stratified sample of {_span(list(per_fold))} validation rows per fold"
    if valid:
        text += f" (of {_span(valid)})"
    return text


def _blend_members(run: Run) -> list[str]:
    model = run.config.get("model")
    params = model.get("params") if isinstance(model, dict) else None
    estimators = params.get("estimators") if isinstance(params, dict) else None
    if not isinstance(estimators, list):
        return []
    return [str(e.get("kind")) for e in estimators if isinstance(e, dict) and e.get("kind")]


def is_blend(run: Run) -> bool:
    """A voting blend: its own importance mixes its members' (the measure says so)."""
    return measure(run, "model") == BLEND_MEASURE or model_kind(run) == "voting"


def importance_order(run: Run) -> tuple[str, ...]:
    """The order of the importance figures: permutation importance first for a blend, whose own
    importance is not comparable across its members."""
    return ("permutation", "model") if is_blend(run) else ("model", "permutation")


def importance_caption(run: Run, kind: str, caption: str) -> str:
    """``caption`` for the figure of importance ``kind``, with what it measures and on how many
    rows; a blend's own importance gets its own caption, saying what it mixes."""
    what = measure(run, kind)
    if kind == "model" and is_blend(run):
        members = _blend_members(run)
        listed = f" ({', '.join(members)})" if members else ""
        instead = (
            "Permutation importance, above, measures the blend as a whole: read that instead."
            if _kind_rows(run, "permutation") is not None
            else "Permutation importance would measure the blend as a whole (see below)."
        )
        return (
            f"the voting blend's own importance ({what or BLEND_MEASURE}): each of its "
            f"members{listed} that has an importance of its own contributes it, normalised to "
            "sum to 1 and weighted like the blend, averaged over folds. It mixes incomparable "
            "quantities (a linear member's |coefficient| with a booster's gain), and members "
            "without an importance of their own (such as an SVM with a non-linear kernel) are "
            f"left out entirely, however much the blend relies on them. {instead}"
        )
    facts = []
    if what:
        facts.append(f"Measure: {what}")
    if kind == "permutation" and is_blend(run):
        facts.append("of the blend as a whole (its weighted members' predictions together)")
    if kind == "model":
        facts.append("from each fold's fitted model")
    else:
        where = rows_text(run, kind)
        if where:
            facts.append(where)
    return caption + (" " + ", ".join(facts) + "." if facts else "")


def importance_notes(run: Run) -> list[str]:
    """Notes under the importance figures: what to read for a blend, and where SHAP is."""
    notes = []
    if is_blend(run) and _kind_rows(run, "permutation") is None:
        notes.append(
            "This run has no permutation importance (report.permutation_importance is off): "
            "turn it on to see which features the blend as a whole needs; the blend's own "
            "importance above is not comparable across its members."
        )
    if _kind_rows(run, "shap") is not None:
        notes.append(
            "SHAP values of this model are in the next section"
            + (
                " (permutation importance is left out when SHAP values exist: set "
                "report.permutation_importance: true to add it)."
                if _kind_rows(run, "permutation") is None
                else "."
            )
        )
    elif _kind_rows(run, "permutation") is not None:
        notes.append(
            "No SHAP values for this model (only LightGBM and XGBoost compute them exactly): "
            "permutation importance is the model-agnostic view."
        )
    return notes


# --- SHAP ---------------------------------------------------------------------------------


def _target_name(run: Run) -> str:
    profile = run.profile if isinstance(run.profile, dict) else {}
    return str(profile.get("target") or "the target")


def _log1p(run: Run) -> bool:
    model = run.config.get("model")
    return isinstance(model, dict) and model.get("target_transform") == "log1p"


def shap_units(run: Run) -> str:
    """The units of this run's SHAP values, short (an axis label): log-odds for classification,
    the fitted target's units for regression (``log1p(target)`` under a log1p transform)."""
    if run.task != "regression":
        return "log-odds"
    target = _target_name(run)
    return f"log1p({target})" if _log1p(run) else target


def units_sentence(run: Run) -> str:
    """The units of this run's SHAP values and what their sign means, in a sentence."""
    if run.task == "binary":
        classes = run.record.classes or [0, 1]
        return (
            f"SHAP values are in log-odds of class {classes[-1]}: positive pushes toward "
            f"{classes[-1]}, negative toward {classes[0]}."
        )
    if run.task == "multiclass":
        return "SHAP values are in log-odds: a class's raw score, before the softmax."
    target = _target_name(run)
    if _log1p(run):
        return (
            f"SHAP values are in log1p({target}) units: the model was fitted on log1p of the "
            "target (model.target_transform: log1p), so +0.1 is about 10% higher; positive "
            "pushes the prediction up."
        )
    return f"SHAP values are in the units of {target}: positive pushes the prediction up."


def _push_words(run: Run, repeats: int = 1) -> str:
    """What the sign of a "why" SHAP value means, in a sentence."""
    if run.task != "multiclass":
        return units_sentence(run)
    which = (
        "the class that repeat 1's model predicted (it can differ from the averaged prediction "
        "shown)"
        if repeats > 1
        else "the predicted class"
    )
    return (
        f"SHAP values are toward {which}, in log-odds (raw scores before the softmax): "
        "positive pushes toward it."
    )


def has_shap(run: Run) -> bool:
    return _kind_rows(run, "shap") is not None or (
        run.explanations is not None and len(run.explanations) > 0
    )


def _samples(run: Run) -> pd.DataFrame:
    """explanations.csv's sampled rows of the first repeat (each training row once)."""
    frame = run.explanations
    if frame is None or not len(frame):
        return pd.DataFrame(columns=["feature", "shap", "value"])
    rows = frame[frame["set"].astype(str) == "sample"]
    return rows[rows["repeat"] == rows["repeat"].min()] if len(rows) else rows


def _top_features(run: Run, samples: pd.DataFrame, k: int) -> list[str]:
    shap = _kind_rows(run, "shap")
    if shap is not None:
        mean = shap.groupby("feature", sort=False)["importance"].mean()
    else:
        mean = samples.assign(abs=samples["shap"].abs()).groupby("feature", sort=False)["abs"]
        mean = mean.mean()
    mean = mean[mean.index.isin(set(samples["feature"]))] if len(samples) else mean
    return [str(f) for f in mean.sort_values(ascending=False, kind="stable").index[:k]]


def shap_section(run: Run, figs: Figures) -> Section | None:
    """Mean |SHAP| per feature across folds and a beeswarm of the top features; None when the
    run has no SHAP values (models other than LightGBM and XGBoost)."""
    if not has_shap(run):
        return None
    section = Section(
        "shap",
        "SHAP: what drives each prediction",
        "SHAP values split each prediction into one contribution per feature: how far that "
        "feature moved this row's prediction away from the model's average prediction. They "
        "come from the boosters' own exact TreeSHAP, computed on each fold's validation rows "
        "by that fold's model.",
    )
    units = units_sentence(run)
    where = rows_text(run, "shap") or "on each fold's validation rows"
    multiclass = " (multiclass: averaged over the classes)" if run.task == "multiclass" else ""
    imp = _kind_rows(run, "shap")
    if imp is not None:
        section.figure(
            figs.make(
                "shap_importance",
                "Mean |SHAP| per feature",
                "each bar is how much a feature moves the prediction on average, in either "
                "direction: the mean absolute SHAP value over a fold's rows, averaged over folds; "
                "the error bar is the spread (± 1 std) across folds. "
                f"Measure: {measure(run, 'shap') or 'mean |SHAP|'}{multiclass}, {where}. "
                f"{units}",
                lambda: pexp.shap_importance_figure(imp, shap_units(run), SHAP_TOP),
            )
        )
    samples = _samples(run)
    features = _top_features(run, samples, BEESWARM_TOP)
    if len(samples) and features:
        samples = samples[samples["feature"].isin(features)]
        n_rows = samples.groupby("feature")["id"].size().max()
        toward = (
            " For a multiclass task each dot is the SHAP value toward the row's true class."
            if run.task == "multiclass"
            else ""
        )
        drawn = (
            f" Each feature draws a random sample of {pexp.BEESWARM_DOTS:,} of its "
            f"{int(n_rows):,} dots."
            if n_rows > pexp.BEESWARM_DOTS
            else ""
        )
        repeats = (
            " Rows of the first repeat only, so each row appears once."
            if run.record.cv.repeats > 1
            else ""
        )
        section.figure(
            figs.make(
                "shap_beeswarm",
                "SHAP beeswarm",
                "one row per feature, most important on top; each dot is one validation row, "
                "placed at the SHAP value of that feature for that row (right of 0 pushes the "
                "prediction up, left pushes it down) and coloured by the feature's value in "
                "that row (blue low, red high, scaled within the feature; grey missing). Dots "
                "pile up where many rows have the same impact. Red dots on the right mean high "
                f"values raise the prediction. Computed {where}; each fold keeps the SHAP values "
                f"of its own top {TOP_FEATURES} features. {units}{toward}{repeats}{drawn}",
                lambda: pexp.beeswarm_figure(samples, features, shap_units(run)),
            )
        )
    if not section.blocks:
        return None
    return section


# --- the worst rows and why ---------------------------------------------------------------


def _number(value: float) -> str:
    """A feature's value: "missing", an integer as such, else 4 significant digits."""
    if not np.isfinite(value):
        return "missing"
    text = str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    return text.replace("-", "−")


def _signed(value: float) -> str:
    """A SHAP value with its sign (a real minus), e.g. "+0.58", "−0.031", "+12,345"."""
    size = abs(value)
    if size >= 1000:
        text = f"{size:,.0f}"
    elif size >= 10:
        text = f"{size:.3g}"
    elif size >= 0.01:
        text = f"{size:.2f}"
    elif size > 0:
        text = f"{size:.2g}"
    else:
        return "0"
    return ("−" if value < 0 else "+") + text


def why_texts(run: Run, ids: Sequence[Any]) -> list[str] | None:
    """For each of ``ids``, the features that pushed its prediction most, e.g.
    "Sex_male = 1 (−0.58); Title_Mr = 1 (−0.61); …", from the first repeat's models; "—" for
    a row explanations.csv does not explain. None when the run has no explanations."""
    frame = run.explanations
    if frame is None or not len(frame):
        return None
    worst = frame[frame["set"].astype(str) == "worst"]
    if not len(worst):
        return None
    worst = worst[worst["repeat"] == worst["repeat"].min()].sort_values("rank", kind="stable")
    texts = {
        str(row_id): "; ".join(
            f"{f} = {_number(v)} ({_signed(s)})"
            for f, v, s in zip(
                rows["feature"],
                rows["value"].astype(float),
                rows["shap"].astype(float),
                strict=True,
            )
        )
        for row_id, rows in worst.groupby(worst["id"].astype(str), sort=False)
    }
    return [texts.get(str(i), "—") for i in ids]


def worst_rows_note(run: Run, repeats: int, why: list[str] | None) -> str:
    """Caption sentences for a worst-rows table: the units of the "why" column, and with repeated
    CV that the prediction is averaged and the fold (and the "why") are the first repeat's."""
    text = ""
    if repeats > 1:
        text += (
            f" Predictions are averaged over the {repeats} repeats; the fold shown is the row's "
            "validation fold in repeat 1."
        )
    if why is None:
        return text
    text += (
        f" Why: the {WHY_FEATURES} features whose SHAP values pushed this row's prediction "
        "most, as feature = its value in the row, then its signed SHAP value"
        + (", from that fold's model in repeat 1. " if repeats > 1 else ". ")
        + _push_words(run, repeats)
    )
    if "—" in why:
        text += (
            f" — : the row is not among its fold's {FOLD_WORST_ROWS} worst-predicted rows"
            + (" in repeat 1" if repeats > 1 else "")
            + ", whose SHAP values the run kept."
        )
    return text


def classification_worst(run: Run, pooled: Pooled, n: int = WORST_ROWS) -> pd.DataFrame:
    """The ``n`` most confident mistakes: wrongly predicted rows (the most probable class; 0.5
    for binary) with the least probability on their true class, that first. Columns ``id, fold,
    true, p_true, predicted, p_predicted`` (class indices, ``fold`` as in oof.csv)."""
    y = np.asarray(pooled.y, dtype=np.int64)
    if run.task == "binary":
        p1 = np.asarray(pooled.pred, dtype=float)
        proba = np.column_stack([1 - p1, p1])
    else:
        proba = np.asarray(pooled.pred, dtype=float)
    rows = np.arange(len(y))
    p_true = proba[rows, y]
    predicted = np.argmax(proba, axis=1)
    wrong = np.flatnonzero(predicted != y)
    order = wrong[np.argsort(p_true[wrong], kind="stable")][:n]
    return pd.DataFrame(
        {
            "id": pooled.ids[order],
            "fold": pooled.folds[order],
            "true": y[order],
            "p_true": p_true[order],
            "predicted": predicted[order],
            "p_predicted": proba[order, predicted[order]],
        }
    )


def add_classification_worst_rows(section: Section, run: Run, pooled: Pooled) -> None:
    """The most confident mistakes of a classification run, with the "why" where SHAP exists."""
    classes = list(run.record.classes) or [0, 1]
    worst = classification_worst(run, pooled)
    if not len(worst):
        section.subheading("Most confident mistakes")
        section.text("No out-of-fold prediction is wrong.", "note")
        return
    why = why_texts(run, worst["id"])
    section.subheading(f"The {len(worst)} most confident mistakes")
    columns = ["id", "fold", "true class", "P(true class)", "predicted class (P)"]
    rows = []
    for i, r in enumerate(worst.itertuples()):
        rows.append(
            [
                r.id,
                int(r.fold) + 1,
                classes[int(r.true)],
                f"{r.p_true:.3f}",
                f"{classes[int(r.predicted)]} ({r.p_predicted:.3f})",
                *([why[i]] if why is not None else []),
            ]
        )
    threshold = " (for a binary task: the threshold 0.5 the CV score uses)"
    section.table(
        [*columns, *([WHY_COLUMN] if why is not None else [])],
        rows,
        caption="Out-of-fold predictions the model got wrong with the most confidence, the "
        "least probability on the true class first. The predicted class is the most probable "
        f"one{threshold if run.task == 'binary' else ''}. Look these rows up in the training "
        "data: mislabelled rows, outliers or a missing feature often explain them."
        + worst_rows_note(run, pooled.repeats, why),
    )
