"""Over/underfitting diagnostics: train vs validation per fold, a verdict in plain words, the
learning curve, and feature importance across folds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.report import formats as fmt
from workbench.report.style import (
    NEUTRAL,
    PALETTE,
    TRAIN_COLOR,
    VALID_COLOR,
    bottom_margin,
    fit_margins,
    left_margin,
    legend_below,
    new_figure,
    set_margins,
    styled,
    top_margin,
    zero_based,
)

# without a baseline: the gap relative to the scores themselves
BALANCED = 0.02
MILD = 0.10
# with a baseline: the gap as a share of the model's gain over it on unseen rows
BALANCED_SHARE = 0.05
MILD_SHARE = 0.40
# "skill": the share of the way from the trivial baseline to a perfect score
NO_SKILL = 0.05
LOW_SKILL = 0.25


def fold_labels(folds: pd.DataFrame) -> list[str]:
    """A label per fold, numbered from 1 as everywhere in the report (the files number folds and
    repeats from 0): ``"1"``.., or ``"r1 f1"`` when there are several repeats."""
    repeats = folds["repeat"].nunique() if "repeat" in folds else 1
    if repeats > 1:
        return [
            fmt.fold_label(r, f, repeats)
            for r, f in zip(folds["repeat"], folds["fold"], strict=True)
        ]
    return [fmt.fold_label(0, f) for f in folds["fold"]]


@styled
def train_valid_figure(folds: pd.DataFrame, metric: str) -> Figure:
    """Side-by-side bars of the training and validation score of every fold.

    ``folds`` has columns ``repeat, fold, train_score, valid_score`` (metrics.json ``folds``).
    """
    labels = fold_labels(folds)
    x = np.arange(len(labels))
    width = 0.38
    fig = new_figure(3.8, width=min(9.6, 3.0 + 0.55 * len(labels)))
    ax = fig.add_subplot()
    train = folds["train_score"].to_numpy(dtype=float)
    valid = folds["valid_score"].to_numpy(dtype=float)
    ax.bar(x - width / 2, train, width, color=TRAIN_COLOR, label="training rows")
    ax.bar(x + width / 2, valid, width, color=VALID_COLOR, label="validation rows")
    ax.axhline(np.nanmean(valid), color=VALID_COLOR, ls="--", lw=1, label="validation mean")
    # bars start at zero: a bar's length is its score, so the gap is not exaggerated (a cut
    # axis made a gap of 0.04 look like half the bar)
    zero_based(ax, np.concatenate([train, valid]))
    rotation = 45 if len(labels) > 12 else 0
    ax.set_xticks(x, labels, rotation=rotation)
    ax.set(xlabel="Fold", ylabel=metric, title=f"Training vs validation {metric} per fold")
    legend = legend_below(fig, ax, ncols=3)
    set_margins(
        fig,
        left=left_margin(ax),
        bottom=bottom_margin(ax, extra=legend, rotation=rotation),
        top=top_margin(ax),
    )
    return fig


@dataclass(frozen=True)
class Verdict:
    """A plain-words diagnosis of over/underfitting."""

    kind: str  # balanced | mild_overfit | strong_overfit | underfit | no_skill | valid_better
    title: str
    text: str
    relative_gap: float
    baseline: float | None = None
    baseline_description: str | None = None
    gap: float = 0.0  # train - valid, oriented: positive means better on the training rows
    spread: float | None = None  # fold-to-fold std of the validation score
    gain: float | None = None  # how far the validation score is from the baseline (oriented)

    @property
    def level(self) -> str:
        """``good``, ``warn`` or ``bad``: the colour of the verdict box."""
        return {"balanced": "good", "mild_overfit": "warn", "valid_better": "warn"}.get(
            self.kind, "bad"
        )


def relative_gap(train_mean: float, valid_mean: float, greater_is_better: bool) -> float:
    """``gap / max(|train|, |valid|)``; positive means better on the training rows."""
    gap = train_mean - valid_mean if greater_is_better else valid_mean - train_mean
    scale = max(abs(train_mean), abs(valid_mean), 1e-12)
    return float(gap / scale)


def skill(value: float, baseline: float, greater_is_better: bool) -> float | None:
    """Share of the way from the baseline to a perfect score (1 for greater-is-better metrics,
    0 for errors); ``None`` when the baseline is already perfect."""
    best = 1.0 if greater_is_better else 0.0
    room = best - baseline
    if abs(room) < 1e-12 or (greater_is_better and baseline > best):
        return None
    return float((value - baseline) / room)


# What to change, in each library's own parameter names: to fight overfitting ...
_LESS_FLEXIBLE = {
    "lightgbm": "raise min_child_samples or reg_lambda, lower num_leaves (or set max_depth), or "
    "use fewer trees (a lower n_estimators, or early stopping)",
    "xgboost": "raise min_child_weight or reg_lambda (or gamma), lower max_depth, or use fewer "
    "trees (a lower n_estimators, or early stopping)",
    "hist_gb": "raise min_samples_leaf or l2_regularization, lower max_leaf_nodes or max_depth, "
    "or use fewer iterations (max_iter, or early stopping)",
    "random_forest": "raise min_samples_leaf, lower max_depth or max_features",
    "extra_trees": "raise min_samples_leaf, lower max_depth or max_features",
    "decision_tree": "lower max_depth or raise min_samples_leaf",
    "logistic": "regularise more: lower C (C is the inverse of the regularisation strength)",
    "ridge": "regularise more: raise alpha",
    "lasso": "regularise more: raise alpha",
    "elastic_net": "regularise more: raise alpha",
    "linear": "it has no regularisation: try ridge or lasso and tune their alpha",
    "svm": "regularise more: lower C, or lower gamma for a smoother kernel",
    "knn": "average over more neighbours: raise n_neighbors",
    "mlp": "raise alpha (the L2 penalty), use smaller hidden_layer_sizes, or set "
    "early_stopping: true",
}
# ... and to fight underfitting
_MORE_FLEXIBLE = {
    "lightgbm": "raise num_leaves or n_estimators, lower min_child_samples or reg_lambda",
    "xgboost": "raise max_depth or n_estimators, lower min_child_weight or reg_lambda",
    "hist_gb": "raise max_leaf_nodes or max_iter, lower min_samples_leaf",
    "random_forest": "raise max_depth, lower min_samples_leaf",
    "extra_trees": "raise max_depth, lower min_samples_leaf",
    "decision_tree": "raise max_depth, lower min_samples_leaf",
    "logistic": "regularise less (raise C), or add features that carry non-linear patterns "
    "(interactions, binned or transformed columns)",
    "ridge": "regularise less (lower alpha), or add features that carry non-linear patterns "
    "(interactions, binned or transformed columns)",
    "lasso": "regularise less (lower alpha), or add features that carry non-linear patterns",
    "elastic_net": "regularise less (lower alpha), or add features that carry non-linear patterns",
    "linear": "add features that carry non-linear patterns, or try a tree booster "
    "(lightgbm, xgboost)",
    "svm": "raise C or gamma",
    "knn": "lower n_neighbors",
    "mlp": "use larger hidden_layer_sizes, a lower alpha or a higher max_iter",
}


def fit_advice(kind: str | None, direction: str, members: Sequence[str] = ()) -> str:
    """What to try against overfitting (``direction="overfit"``) or underfitting
    (``"underfit"``) for the model ``kind``, in its library's own parameter names. A voting
    blend gets advice about its ``members`` (the kinds it blends), never a member's parameters
    as if they were the blend's."""
    if kind == "voting":
        names = ", ".join(members) if members else "its members"
        if direction == "overfit":
            return (
                f"This is a blend of {names}: its gap mixes theirs. Run each member on its own "
                "with the same CV (its kind and params as the model) to see which one "
                "overfits, then regularise that member with its own parameters or lower its "
                "weight."
            )
        return (
            f"This is a blend of {names}: a blend is rarely much better than its best member. "
            "Run each member on its own with the same CV, make the weakest more flexible or "
            "drop it, and look for better features."
        )
    table = _LESS_FLEXIBLE if direction == "overfit" else _MORE_FLEXIBLE
    if kind in table:
        goal = "To regularise" if direction == "overfit" else "To make more flexible"
        return f"{goal} {kind}: {table[kind]}."
    if direction == "overfit":
        return "Try more regularisation or a simpler model, fewer noisy features, or more data."
    return "Try a more flexible model, less regularisation, or more informative features."


def fit_verdict(
    train_mean: float,
    valid_mean: float,
    greater_is_better: bool,
    metric: str = "score",
    baseline: float | None = None,
    baseline_description: str | None = None,
    *,
    valid_std: float | None = None,
    model: str | None = None,
    members: Sequence[str] = (),
) -> Verdict:
    """Diagnose over/underfitting from the train/validation gap, the fold-to-fold spread and a
    trivial baseline, in the metric's own scale.

    The gap (training minus validation score, positive = better on training rows) is judged
    against two yardsticks of the same metric: the validation score's fold-to-fold standard
    deviation ``valid_std`` (a gap within it is noise) and the model's gain over the trivial
    ``baseline`` on unseen rows. A gap below 5 % of that gain is well balanced, below 40 %
    mild (normal for flexible models), above it strong. Without a baseline the gap is taken
    relative to the scores themselves (< 2 % balanced, < 10 % mild).

    Underfitting: the validation score is barely better than the baseline, or both training
    and validation scores recover less than a quarter of the distance from the baseline to a
    perfect score. ``model`` (the model kind) and ``members`` (a blend's kinds) pick the advice.
    """
    rel = relative_gap(train_mean, valid_mean, greater_is_better)
    gap = train_mean - valid_mean if greater_is_better else valid_mean - train_mean
    spread = float(valid_std) if valid_std is not None and np.isfinite(valid_std) else None
    has_baseline = baseline is not None and np.isfinite(baseline)
    gain = None
    if has_baseline:
        gain = valid_mean - baseline if greater_is_better else baseline - valid_mean
    base_words = baseline_description or "a trivial baseline"
    kw = {
        "relative_gap": rel,
        "baseline": baseline,
        "baseline_description": baseline_description,
        "gap": float(gap),
        "spread": spread,
        "gain": None if gain is None else float(gain),
    }
    if has_baseline:
        valid_skill = skill(valid_mean, baseline, greater_is_better)
        train_skill = skill(train_mean, baseline, greater_is_better)
        compare = (
            f"{metric} {fmt.score(valid_mean)} on validation vs {fmt.score(baseline)} for "
            f"{base_words}"
        )
        if valid_skill is not None and valid_skill < NO_SKILL:
            return Verdict(
                "no_skill",
                "Underfitting: no better than a trivial guess",
                f"The model scores {compare}: it has not learned anything useful yet. Check "
                "that the target and features are read correctly. "
                + fit_advice(model, "underfit", members),
                **kw,
            )
        if (
            valid_skill is not None
            and train_skill is not None
            and valid_skill < LOW_SKILL
            and train_skill < LOW_SKILL
        ):
            return Verdict(
                "underfit",
                "Underfitting: the model is too simple for this data",
                f"Even on the rows it was trained on, the model is only a little better than "
                f"{base_words} ({compare}). It has not captured the patterns in the data. "
                + fit_advice(model, "underfit", members),
                **kw,
            )
    scores = (
        f"{metric} {fmt.score(train_mean)} on training rows vs {fmt.score(valid_mean)} on "
        "unseen rows"
    )
    noise = spread or 0.0
    share = gap / gain if gain is not None and gain > 0 else None
    yardsticks = []
    if spread is not None and spread > 0:
        yardsticks.append(f"{abs(gap) / spread:.1f}× the fold-to-fold spread ({fmt.score(spread)})")
    if share is not None:
        yardsticks.append(
            f"{abs(share):.0%} of the model's gain over the trivial baseline ({fmt.score(gain)})"
        )
    measured = f"a gap of {fmt.score(abs(gap))}" + (
        f", {' and '.join(yardsticks)}" if yardsticks else f" ({abs(rel):.1%} of the score)"
    )
    if gap < 0 and -gap > noise and rel < -BALANCED:
        return Verdict(
            "valid_better",
            "Validation better than training (unusual)",
            f"The model scores better on the validation rows than on the rows it was trained on "
            f"({scores}; {measured}). That is unusual: check for strong regularisation, "
            "training-only augmentation or row filters, or very small folds where the score is "
            "noisy.",
            **kw,
        )
    within_noise = gap <= noise
    small = share < BALANCED_SHARE if share is not None else rel < BALANCED
    moderate = share < MILD_SHARE if share is not None else rel < MILD
    if within_noise or small:
        why = "within the fold-to-fold spread" if within_noise else "small"
        return Verdict(
            "balanced",
            "Well balanced",
            f"Training and validation scores differ by little ({scores}; {measured}: {why}). "
            "The model generalises about as well as it fits. To improve further, try better "
            "features or a more flexible model and watch that this gap stays small.",
            **kw,
        )
    if moderate:
        return Verdict(
            "mild_overfit",
            "Mild overfitting",
            f"The model is better on the rows it was trained on than on unseen rows ({scores}; "
            f"{measured}). Some gap is normal for a flexible model; judge changes by the "
            "validation score, not by the gap, and act if the gap grows as you tune. "
            + fit_advice(model, "overfit", members),
            **kw,
        )
    valid_skill = skill(valid_mean, baseline, greater_is_better) if has_baseline else None
    if valid_skill is not None and valid_skill >= 0.5:
        return Verdict(
            "strong_overfit",
            "Strong overfitting, but it generalises",
            f"The model is much better on the rows it was trained on than on unseen rows "
            f"({scores}; {measured}), yet on unseen rows it is still far better than "
            f"{base_words} ({fmt.score(baseline)}). More regularisation may narrow the gap: "
            "judge such changes by the validation score, not by the gap. "
            + fit_advice(model, "overfit", members),
            **kw,
        )
    return Verdict(
        "strong_overfit",
        "Strong overfitting",
        f"The model is much better on the rows it was trained on than on unseen rows ({scores}; "
        f"{measured}): it is memorising the training rows instead of learning general "
        "patterns. " + fit_advice(model, "overfit", members),
        **kw,
    )


@styled
def learning_curve_figure(curve: pd.DataFrame, metric: str) -> Figure:
    """Training and validation score vs training-set fraction: mean across folds ± spread (std).

    ``curve`` has the columns of learning_curve.csv.
    """
    grouped = curve.groupby("fraction").agg(
        n_train=("n_train", "mean"),
        train_mean=("train_score", "mean"),
        train_std=("train_score", "std"),
        valid_mean=("valid_score", "mean"),
        valid_std=("valid_score", "std"),
    )
    grouped = grouped.fillna(0.0)
    x = grouped.index.to_numpy(dtype=float)
    fig = new_figure(4.2, width=7.6)
    ax = fig.add_subplot()
    for prefix, color, label in (
        ("train", TRAIN_COLOR, "training rows"),
        ("valid", VALID_COLOR, "validation rows"),
    ):
        mean = grouped[f"{prefix}_mean"].to_numpy()
        std = grouped[f"{prefix}_std"].to_numpy()
        ax.plot(x, mean, "o-", color=color, lw=2, label=label)
        ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.18)
    ax.set(
        xlabel="Fraction of each fold's training rows used",
        ylabel=metric,
        title=f"Learning curve ({metric}, mean ± std across folds)",
    )
    ax.set_xticks(
        x,
        [f"{f:g}\n({fmt.count(n)} rows)" for f, n in zip(x, grouped["n_train"], strict=True)],
    )
    legend = legend_below(fig, ax, ncols=2)
    fit_margins(fig, ax, extra_bottom=legend)
    return fig


def learning_curve_trend(curve: pd.DataFrame, greater_is_better: bool) -> str:
    """The validation curve's end in words, in the metric's direction: how the mean validation
    score moved over the last step of training-set fraction, against its fold-to-fold spread
    ("still improving", "flat", "worsening")."""
    grouped = curve.groupby("fraction")["valid_score"].agg(["mean", "std"]).sort_index()
    if len(grouped) < 2:
        return ""
    first, before, last = grouped.iloc[0], grouped.iloc[-2], grouped.iloc[-1]
    sign = 1.0 if greater_is_better else -1.0
    step = sign * (last["mean"] - before["mean"])
    overall = sign * (last["mean"] - first["mean"])
    noise = float(np.nanmean([before["std"], last["std"]])) if len(curve) > len(grouped) else 0.0
    noise = noise if np.isfinite(noise) else 0.0
    fractions = f"{grouped.index[-2]:g} to {grouped.index[-1]:g}"
    moved = (
        f"from {fmt.score(before['mean'])} to {fmt.score(last['mean'])} between fractions "
        f"{fractions}"
    )
    if step > max(noise / 2, 1e-12):
        where = "still improving"
        advice = "more training data would probably help"
    elif step < -max(noise / 2, 1e-12):
        where = "worsening"
        advice = (
            "more rows made it worse at the last step, by more than the fold-to-fold noise; "
            "settings tuned on fewer rows may not suit the full data"
        )
    else:
        where = "flat"
        advice = "more rows of the same kind are unlikely to help much; better features or a "
        advice += "different model are the way forward"
    total = "improved" if overall > 0 else "did not improve"
    return (
        f"Here the validation score is {where} at the right edge ({moved}; it {total} overall, "
        f"from {fmt.score(first['mean'])} at fraction {grouped.index[0]:g}): {advice}."
    )


def importance_summary(importance: pd.DataFrame, kind: str, top: int = 30) -> pd.DataFrame:
    """Mean and std of ``importance`` per feature across (repeat, fold) for one ``kind``;
    the ``top`` features by mean, most important first."""
    rows = importance[importance["kind"] == kind]
    summary = rows.groupby("feature", sort=False)["importance"].agg(["mean", "std", "count"])
    summary["std"] = summary["std"].fillna(0.0)
    summary = summary.sort_values("mean", ascending=False, kind="stable").head(top)
    return summary.reset_index()


@styled
def importance_figure(importance: pd.DataFrame, kind: str, top: int = 30) -> Figure:
    """Horizontal bars of mean importance across folds with ±1 std error bars (top ``top``)."""
    summary = importance_summary(importance, kind, top)
    n = len(summary)
    fig = new_figure(max(2.4, 0.26 * n + 1.3), width=8.4)
    ax = fig.add_subplot()
    y = np.arange(n)
    color = PALETTE[0] if kind == "model" else PALETTE[2]
    ax.barh(
        y,
        summary["mean"],
        xerr=summary["std"],
        color=color,
        ecolor=NEUTRAL,
        capsize=2,
        error_kw={"lw": 1},
    )
    ax.set_yticks(y, summary["feature"].astype(str))
    ax.set_ylim(n - 0.4, -0.6)  # most important on top, no empty band
    ax.axvline(0, color=NEUTRAL, lw=0.8)
    ax.grid(axis="y", visible=False)
    what = "model's own importance" if kind == "model" else "permutation importance"
    ax.set(
        xlabel="Importance (mean across folds, bars = ± 1 std)"
        if kind == "model"
        else "Drop in validation score when the feature is shuffled (mean ± 1 std)",
        title=f"Feature importance: {what} (top {n})",
    )
    fit_margins(fig, ax)
    return fig
