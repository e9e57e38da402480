"""``data_profile.json``: a first look at the data (see docs/run-directory.md)."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

MI_SAMPLE = 20_000
TOP_RELATED = 10
# a regression target is kept as a histogram over every row: this many bins, so the file's size
# does not grow with the data (the report's figure draws these bins)
TARGET_BINS = 40
# a positive target this skewed (the ``log1p`` step's default threshold) also gets bins that are
# equally wide in log space, the scale a log metric (rmse_log) measures it on
LOG_SKEW = 0.75
# categorical columns with at most this many levels are treated as discrete for mutual
# information; above it (names, tickets, free text) the ordinal codes are treated as continuous,
# since discrete MI of a near-unique column is just the target's entropy, not a real relation.
MAX_DISCRETE_LEVELS = 50


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _histogram(values: np.ndarray) -> dict[str, list]:
    counts, edges = np.histogram(values, bins=TARGET_BINS)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def _target_distribution(y: pd.Series, task: str) -> dict[str, Any]:
    y = y.dropna()
    if task == "regression":
        values = y.to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            return {"kind": "histogram", "n": 0, "edges": [], "counts": []}
        out: dict[str, Any] = {
            "kind": "histogram",
            "n": len(values),
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            **_histogram(values),
        }
        if values.min() > 0:
            logs = np.log(values)
            skew = float(pd.Series(values).skew())
            if np.isfinite(skew) and skew > LOG_SKEW and logs.max() > logs.min():
                counts, log_edges = np.histogram(logs, bins=TARGET_BINS)
                out["log"] = {
                    "skew": round(skew, 4),
                    "edges": [float(e) for e in np.exp(log_edges)],
                    "counts": [int(c) for c in counts],
                }
        return out
    counts = y.value_counts(sort=False)
    with contextlib.suppress(TypeError):
        counts = counts.sort_index()
    return {"kind": "classes", "counts": {str(k): int(v) for k, v in counts.items()}}


def _missing(train: pd.DataFrame, test: pd.DataFrame, target: str) -> list[dict[str, Any]]:
    columns = [c for c in train.columns if c != target]
    columns += [c for c in test.columns if c not in train.columns and c != target]
    train_na = train.isna().mean()
    test_na = test.isna().mean()
    rows = []
    for col in columns:
        tr = float(train_na[col]) if col in train_na else None
        te = float(test_na[col]) if col in test_na else None
        if (tr or 0.0) > 0 or (te or 0.0) > 0:
            rows.append(
                {
                    "column": str(col),
                    "train": None if tr is None else round(tr, 4),
                    "test": None if te is None else round(te, 4),
                }
            )
    rows.sort(key=lambda r: (-max(r["train"] or 0.0, r["test"] or 0.0), r["column"]))
    return rows


def _encode(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Numeric matrix for mutual information and the discrete-feature mask."""
    columns, discrete = [], []
    for col in frame.columns:
        series = frame[col]
        if _is_numeric(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            finite = np.isfinite(values)
            fill = float(np.median(values[finite])) if finite.any() else 0.0
            columns.append(np.where(finite, values, fill))
            discrete.append(False)
        else:
            codes, uniques = pd.factorize(series.astype("string"), sort=True)
            # missing gets its own code (-1 -> 0, the others shift up by one)
            columns.append(codes.astype(float) + 1.0)
            discrete.append(len(uniques) + 1 <= MAX_DISCRETE_LEVELS)
    if not columns:
        return np.empty((len(frame), 0)), np.zeros(0, dtype=bool)
    return np.column_stack(columns), np.asarray(discrete, dtype=bool)


def _related(
    train: pd.DataFrame, *, target: str, id_column: str, task: str, seed: int
) -> list[dict[str, Any]]:
    labelled = train[target].notna().to_numpy()
    if labelled.sum() > MI_SAMPLE:
        # sample the row positions first: copying every row of a big frame is the slow part
        rows = np.flatnonzero(labelled)
        rows = np.sort(np.random.default_rng(seed).choice(rows, MI_SAMPLE, replace=False))
        data = train.iloc[rows]
    else:
        data = train[labelled]
    features = data.drop(columns=[c for c in (target, id_column) if c in data.columns])
    # a column that is constant carries no information; skip it (and empty frames)
    features = features.loc[:, features.nunique(dropna=False) > 1]
    if features.shape[1] == 0 or len(data) < 4:
        return []
    X, discrete = _encode(features)
    y = data[target]
    n_neighbors = min(3, len(data) - 1)
    if task == "regression":
        scores = mutual_info_regression(
            X,
            y.to_numpy(dtype=float),
            discrete_features=discrete,
            n_neighbors=n_neighbors,
            random_state=seed,
        )
    else:
        codes, _ = pd.factorize(y.astype("string"), sort=True)
        scores = mutual_info_classif(
            X, codes, discrete_features=discrete, n_neighbors=n_neighbors, random_state=seed
        )
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], str(features.columns[i])))
    return [
        {
            "feature": str(features.columns[i]),
            "score": round(float(scores[i]), 6),
            "method": "mutual_information",
        }
        for i in order[:TOP_RELATED]
    ]


def profile_data(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    target: str,
    id_column: str,
    task: str,
    seed: int,
) -> dict[str, Any]:
    """The content of ``data_profile.json``: sizes, target distribution, missing values train vs
    test and the raw columns most related to the target (mutual information on a sample of at
    most 20k rows; categorical columns ordinal-coded).

    Its size does not grow with the rows: class counts, a regression target as a histogram of
    :data:`TARGET_BINS` bins, shares of missing values (counted on every row, in vectorised
    passes) and the top related columns."""
    return {
        "n_train": len(train),
        "n_test": len(test),
        "target": target,
        "task": task,
        "target_distribution": _target_distribution(train[target], task),
        "missing": _missing(train, test, target),
        "related": _related(train, target=target, id_column=id_column, task=task, seed=seed),
    }
