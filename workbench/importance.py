"""Permutation importance on a fold's validation rows, batched.

The same quantity as :func:`sklearn.inspection.permutation_importance` (score drop when one
column is shuffled, ``n_repeats`` times), but all shuffled copies of a chunk of columns are
stacked and predicted in one call instead of one call per column and repeat, and scored in one
vectorised call (:func:`workbench.metrics.score_blocks`). On Titanic-size folds that is the
difference between ~275 small predict and score calls (most of a run's time) and one of each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def permutation_importance(
    predict: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    y: np.ndarray,
    score_blocks: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    n_repeats: int,
    seed: int,
    predictions: np.ndarray | None = None,
    max_cells: int = 4_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over repeats of ``score(y, predict(X)) - score(y, predict(X shuffled))``.

    ``score_blocks(y, preds)`` scores a stack of predictions ``preds[b]`` (shape ``(blocks,
    n_rows, ...)``) against ``y`` and must be greater-is-better (negate a loss). Column ``j``'s
    repeat ``r`` uses the ``r``-th permutation drawn for that column from ``seed``, so results
    are reproducible. ``predictions``: ``predict(X)`` when the caller already has it.
    """
    n_rows, n_cols = X.shape
    rng = np.random.default_rng(seed)
    permutations = [[rng.permutation(n_rows) for _ in range(n_repeats)] for _ in range(n_cols)]
    if predictions is None:
        predictions = predict(X)
    baseline = score_blocks(y, _blocks(predictions, 1))[0]
    drops = np.zeros((n_cols, n_repeats))
    columns = [X[c].to_numpy() for c in X.columns]
    per_column = max(1, max_cells // max(1, n_rows * n_repeats * n_cols))
    for start in range(0, n_cols, per_column):
        chunk = range(start, min(start + per_column, n_cols))
        blocks = len(chunk) * n_repeats
        stacked = {}
        for j, name in enumerate(X.columns):
            values = np.tile(columns[j], blocks)
            if j in chunk:
                offset = (j - start) * n_repeats
                for r, order in enumerate(permutations[j]):
                    block = offset + r
                    values[block * n_rows : (block + 1) * n_rows] = columns[j][order]
            stacked[name] = values
        scores = score_blocks(y, _blocks(predict(pd.DataFrame(stacked, columns=X.columns)), blocks))
        drops[start : start + len(chunk)] = baseline - scores.reshape(len(chunk), n_repeats)
    return drops.mean(axis=1), drops.std(axis=1)


def _blocks(predictions: np.ndarray, blocks: int) -> np.ndarray:
    """``(blocks * n, ...)`` predictions as ``(blocks, n, ...)``."""
    predictions = np.asarray(predictions)
    return predictions.reshape(blocks, -1, *predictions.shape[1:])
