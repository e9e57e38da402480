"""What the report explains about each fold, at a cost that does not grow with the data.

Per fold, on a bounded, seeded, stratified sample of the validation rows (:func:`report_rows`):
the model's own importance, permutation importance and, for boosters, SHAP values from their
own exact TreeSHAP; and for the fold's worst-predicted rows, the features that pushed each one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench import metrics as metrics_module
from workbench.config import ExperimentConfig
from workbench.cv import quantile_bins
from workbench.models import Model
from workbench.prepare import Problem

REPORT_ROWS = 2_000  # validation rows per fold the report's computations look at, at most
# Their cost also grows with the model: TreeSHAP with the number of trees, permutation importance
# with the number of columns. Per fold, at most this many row x tree (row x column x repeat)
# units are spent, with a floor of rows so the figures stay readable.
SHAP_ROW_TREES = 60_000
MIN_SHAP_ROWS = 20
PERMUTATION_CELLS = 2_000_000
MIN_PERMUTATION_ROWS = 100
WORST_ROWS = 15  # worst-predicted rows per fold explained (the report shows the worst overall)
TOP_FEATURES = 20  # features per fold whose SHAP values are kept for the sampled rows
WHY_FEATURES = 3  # features named for each worst-predicted row


@dataclass(frozen=True)
class FoldExplanation:
    importance: pd.DataFrame  # feature, kind, measure, importance, importance_std, n_rows
    explanations: pd.DataFrame  # id, set, rank, feature, shap, value (SHAP models only)


def report_rows(y: np.ndarray, task: str, seed: int, max_rows: int = REPORT_ROWS) -> np.ndarray:
    """Sorted positions of at most ``max_rows`` rows, stratified on the class (or on target
    deciles for regression) and seeded; every row when there are no more than that."""
    n = len(y)
    if n <= max_rows:
        return np.arange(n)
    from sklearn.model_selection import train_test_split

    strata = quantile_bins(y, 10) if task == "regression" else y
    try:
        kept, _ = train_test_split(
            np.arange(n), train_size=max_rows, random_state=seed, stratify=strata
        )
    except ValueError:  # a stratum with a single row cannot be split: draw plainly
        kept = np.random.default_rng(seed).choice(n, max_rows, replace=False)
    return np.sort(kept)


def _within(sample: np.ndarray, y: np.ndarray, task: str, seed: int, budget: int) -> np.ndarray:
    """At most ``budget`` rows of ``sample``, stratified."""
    keep = report_rows(y[sample], task, seed, max_rows=budget)
    return sample[keep]


def worst_rows(
    problem: Problem, y: np.ndarray, pred: np.ndarray, n: int = WORST_ROWS
) -> np.ndarray:
    """Positions of the ``n`` worst-predicted rows, worst first: the largest errors (in log
    space for log metrics), or the most confident mistakes (least probability on the truth)."""
    if problem.task == "regression":
        if problem.metric.log_space:
            error = np.abs(metrics_module.log_values(pred) - metrics_module.log_values(y))
        else:
            error = np.abs(pred - y)
    else:
        proba = np.column_stack([1 - pred, pred]) if problem.task == "binary" else pred
        error = 1.0 - proba[np.arange(len(y)), np.asarray(y, dtype=np.int64)]
    return np.argsort(-error, kind="stable")[:n]


def explain_fold(
    config: ExperimentConfig,
    problem: Problem,
    model: Model,
    X_valid: pd.DataFrame,
    y_valid: np.ndarray,
    valid_pred: np.ndarray,
    predict: Callable[[pd.DataFrame], np.ndarray],
    *,
    n_train: int,
    seed: int,
) -> FoldExplanation:
    """Importances of one fitted fold and the SHAP values the report draws."""
    names = list(map(str, X_valid.columns))
    sample = report_rows(y_valid, problem.task, seed)
    frames = []
    own = model.importance()
    if own is not None and len(own) == len(names):
        frames.append(_importance_frame(names, "model", model.importance_kind, own, 0.0, n_train))
    # One TreeSHAP call for the sampled rows and the fold's worst rows, within the budget.
    worst = worst_rows(problem, y_valid, valid_pred)
    trees = model.tree_count()
    shap_budget = max(MIN_SHAP_ROWS, SHAP_ROW_TREES // max(1, trees or 1) - len(worst))
    shap_rows = _within(sample, y_valid, problem.task, seed, shap_budget)
    both = model.contributions(X_valid.iloc[np.r_[shap_rows, worst]])
    shap = None if both is None else both[: len(shap_rows)]
    wanted = config.report.permutation_importance
    if wanted is True or (wanted == "auto" and shap is None):
        cells = PERMUTATION_CELLS // max(1, len(names) * config.report.permutation_repeats)
        rows = _within(sample, y_valid, problem.task, seed, max(MIN_PERMUTATION_ROWS, cells))
        mean, std = _permutation(
            config, problem, predict, X_valid.iloc[rows], y_valid[rows], valid_pred[rows], seed
        )
        drop = f"drop in {problem.metric.name}"
        frames.append(_importance_frame(names, "permutation", drop, mean, std, len(rows)))
    explanations = pd.DataFrame()
    if shap is not None:
        # mean |SHAP| per feature over the sampled rows (and over the classes of a multiclass task)
        mean_abs = np.abs(shap).mean(axis=(0, 1))
        frames.append(
            _importance_frame(names, "shap", "mean |SHAP|", mean_abs, 0.0, len(shap_rows))
        )
        explanations = pd.concat(
            [
                _sample_values(problem, X_valid, y_valid, shap_rows, shap, mean_abs),
                _why(problem, X_valid, valid_pred, worst, both[len(shap_rows) :]),
            ],
            ignore_index=True,
        )
    importance = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return FoldExplanation(importance=importance, explanations=explanations)


def _importance_frame(
    names: list[str],
    kind: str,
    measure: str,
    importance: np.ndarray,
    std: np.ndarray | float,
    n_rows: int,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "feature": names,
            "kind": kind,
            "measure": measure,
            "importance": importance,
            "importance_std": std,
            "n_rows": n_rows,
        }
    )


def _permutation(
    config: ExperimentConfig,
    problem: Problem,
    predict: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    y: np.ndarray,
    pred: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    from workbench.importance import permutation_importance

    metric = problem.metric
    sign = 1.0 if metric.greater_is_better else -1.0

    def signed_scores(y_true: np.ndarray, preds: np.ndarray) -> np.ndarray:
        return sign * metrics_module.score_blocks(metric, y_true, preds, task=problem.task)

    return permutation_importance(
        predict,
        X,
        y,
        signed_scores,
        n_repeats=config.report.permutation_repeats,
        seed=seed,
        predictions=pred,
    )


def _long(
    kind: str, ids: pd.Index, names: np.ndarray, shap: np.ndarray, values: np.ndarray
) -> pd.DataFrame:
    """Rows ``(id, set, rank, feature, shap, value)`` from aligned ``(n, k)`` arrays; ``rank``
    is a feature's place in its row (1 = pushed most) for the worst rows, 0 for the sample."""
    n, k = shap.shape
    rank = np.tile(np.arange(1, k + 1), n) if kind == "worst" else 0
    return pd.DataFrame(
        {
            "id": np.repeat(np.asarray(ids), k),
            "set": kind,
            "rank": rank,
            "feature": names.ravel(),
            "shap": shap.ravel(),
            "value": values.ravel(),
        }
    )


def _sample_values(
    problem: Problem,
    X: pd.DataFrame,
    y: np.ndarray,
    sample: np.ndarray,
    shap: np.ndarray,
    mean_abs: np.ndarray,
) -> pd.DataFrame:
    """The fold's top features' SHAP values on the sampled rows (multiclass: toward each
    row's true class), with the feature values that colour a beeswarm."""
    top = np.argsort(-mean_abs, kind="stable")[:TOP_FEATURES]
    output = np.asarray(y[sample], dtype=np.int64) if problem.task == "multiclass" else 0
    values = shap[np.arange(len(sample)), output][:, top]
    names = np.tile(np.asarray(list(map(str, X.columns[top])), dtype=object), (len(sample), 1))
    return _long("sample", X.index[sample], names, values, X.iloc[sample, top].to_numpy(float))


def _why(
    problem: Problem, X: pd.DataFrame, pred: np.ndarray, worst: np.ndarray, shap: np.ndarray
) -> pd.DataFrame:
    """For each worst-predicted row (``shap``: its SHAP values), the features that pushed its
    prediction most (multiclass: toward the class it predicted), largest |SHAP| first."""
    output = np.argmax(pred[worst], axis=1) if problem.task == "multiclass" else 0
    values = shap[np.arange(len(worst)), output]
    top = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :WHY_FEATURES]
    chosen = np.take_along_axis(values, top, axis=1)
    features = np.take_along_axis(X.iloc[worst].to_numpy(dtype=float), top, axis=1)
    names = np.asarray(list(map(str, X.columns)), dtype=object)[top]
    return _long("worst", X.index[worst], names, chosen, features)
