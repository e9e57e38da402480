"""Over/underfitting diagnostics: train vs validation per fold, a verdict in plain words, the
learning curve, and feature importance across folds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.report.style import (
    NEUTRAL,
    PALETTE,
    TRAIN_COLOR,
    VALID_COLOR,
    bottom_margin,
    fit_margins,
    left_margin,
    new_figure,
    set_margins,
    styled,
    top_margin,
)

BALANCED = 0.02
MILD = 0.10
# "skill": the share of the way from the trivial baseline to a perfect score
NO_SKILL = 0.05
LOW_SKILL = 0.25


def fold_labels(folds: pd.DataFrame) -> list[str]:
    """``"1"``.. per fold, or ``"r0 f1"`` when there are several repeats."""
    repeats = folds["repeat"].nunique() if "repeat" in folds else 1
    if repeats > 1:
        return [f"r{r} f{f}" for r, f in zip(folds["repeat"], folds["fold"], strict=True)]
    return [str(f) for f in folds["fold"]]


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
    values = np.concatenate([train, valid])
    values = values[np.isfinite(values)]
    if len(values):
        lo, hi = float(values.min()), float(values.max())
        pad = max((hi - lo) * 0.6, abs(hi) * 0.02, 1e-6)
        ax.set_ylim(lo - pad if lo - pad > 0 or lo < 0 else 0, hi + pad)
    rotation = 45 if len(labels) > 12 else 0
    ax.set_xticks(x, labels, rotation=rotation)
    ax.set(xlabel="Fold", ylabel=metric, title=f"Training vs validation {metric} per fold")
    # below the axes, at the bottom of the figure: the margin below leaves room for it
    ax.legend(
        loc="lower center", ncols=3, bbox_to_anchor=(0.5, 0.0), bbox_transform=fig.transFigure
    )
    set_margins(
        fig,
        left=left_margin(ax),
        bottom=bottom_margin(ax, extra=0.4, rotation=rotation),
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


def fit_verdict(
    train_mean: float,
    valid_mean: float,
    greater_is_better: bool,
    metric: str = "score",
    baseline: float | None = None,
    baseline_description: str | None = None,
) -> Verdict:
    """Diagnose over/underfitting from the train/validation gap and a trivial baseline.

    Relative gap < 2 %: well balanced; 2–10 %: mild overfitting; > 10 %: strong overfitting.
    Underfitting when the validation score is barely better than the trivial baseline, or when
    both training and validation scores recover less than a quarter of the distance from the
    baseline to a perfect score.
    """
    rel = relative_gap(train_mean, valid_mean, greater_is_better)
    base_words = baseline_description or "a trivial baseline"
    kw = {"relative_gap": rel, "baseline": baseline, "baseline_description": baseline_description}
    if baseline is not None and np.isfinite(baseline):
        valid_skill = skill(valid_mean, baseline, greater_is_better)
        train_skill = skill(train_mean, baseline, greater_is_better)
        compare = f"{metric} {valid_mean:.4g} on validation vs {baseline:.4g} for {base_words}"
        if valid_skill is not None and valid_skill < NO_SKILL:
            return Verdict(
                "no_skill",
                "Underfitting: no better than a trivial guess",
                f"The model scores {compare}: it has not learned anything useful yet. Check "
                "that the target and features are read correctly, then try a more flexible "
                "model or better features.",
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
                f"{base_words} ({compare}). It has not captured the patterns in the data: try a "
                "more flexible model (more trees, more leaves, deeper trees), less "
                "regularisation, or more informative features.",
                **kw,
            )
    pct = f"{abs(rel):.1%}"
    higher = "higher" if greater_is_better else "lower"
    scores = f"{metric} {train_mean:.4g} on training rows vs {valid_mean:.4g} on unseen rows"
    if rel < -BALANCED:
        return Verdict(
            "valid_better",
            "Validation better than training (unusual)",
            f"The model scores better on the validation rows than on the rows it was trained on "
            f"({scores}). That is unusual: check for strong regularisation, training-only "
            "augmentation or row filters, or very small folds where the score is noisy.",
            **kw,
        )
    if rel < BALANCED:
        return Verdict(
            "balanced",
            "Well balanced",
            f"Training and validation scores differ by only {pct} ({scores}): the model "
            "generalises about as well as it fits. To improve further, try better features or a "
            "more flexible model and watch that this gap stays small.",
            **kw,
        )
    if rel < MILD:
        return Verdict(
            "mild_overfit",
            "Mild overfitting",
            f"The model's {metric} is {pct} {higher} on the rows it was trained on than on unseen "
            f"rows ({scores}). Some gap is normal; if it grows as you tune, add a little "
            "regularisation (e.g. min_child_samples, reg_lambda) or use fewer, simpler trees.",
            **kw,
        )
    valid_skill = None if baseline is None else skill(valid_mean, baseline, greater_is_better)
    if valid_skill is not None and valid_skill >= 0.5:
        return Verdict(
            "strong_overfit",
            "Strong overfitting, but it generalises",
            f"The model's {metric} is {pct} {higher} on the rows it was trained on than on unseen "
            f"rows ({scores}), yet on unseen rows it is still far better than {base_words} "
            f"({baseline:.4g}). Flexible models (boosted trees in particular) often fit their "
            "training rows this closely. More regularisation, fewer leaves or early stopping may "
            "narrow the gap: judge such changes by the validation score, not by the gap.",
            **kw,
        )
    return Verdict(
        "strong_overfit",
        "Strong overfitting",
        f"The model's {metric} is {pct} {higher} on the rows it was trained on than on unseen "
        f"rows ({scores}): it is memorising the training rows instead of learning general "
        "patterns. Try more regularisation, fewer leaves or shallower trees, a lower learning "
        "rate with early stopping, fewer noisy features, or more data.",
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
    ax.set_xticks(x, [f"{f:g}\n({n:.0f} rows)" for f, n in zip(x, grouped["n_train"], strict=True)])
    ax.legend(loc="best")
    fit_margins(fig, ax)
    return fig


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
