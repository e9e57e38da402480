"""The raw script the workbench is measured against: polars + LightGBM calls, nothing else.

What a careful competitor writes by hand for the Playground competition of
``benchmarks/playground.py``: read with polars, and in each of the same stratified 5 folds
learn the same steps on the fold's training rows only (median imputation, sorted ordinal
codes with -1 for missing and unseen values, frequency shares with missing values as a value of
their own), hand LightGBM one float32 matrix, average the folds' test predictions, write a
submission. Its out-of-fold predictions go to ``--oof`` so the benchmark can check that both
paths learn the same model.

    .venv/bin/python benchmarks/playground_raw.py PROJECT [--oof FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
from playground import HIGH_COLUMNS, ID, LOW_COLUMNS, NAME, PARAMS, SEED, TARGET
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

FOLDS = 5
#: the workbench's LightGBM defaults that ``PARAMS`` leaves as they are
DEFAULTS = {"subsample": 0.8, "subsample_freq": 1}


def fold_steps(rows: pl.DataFrame, features: list[str]) -> list[pl.Expr]:
    """Each feature as a float32 expression whose learned values come from ``rows`` only."""
    n = rows.height
    exprs = []
    for column in features:
        values = rows[column]
        if column in LOW_COLUMNS:
            levels = values.drop_nulls().unique().sort()
            expr = pl.col(column).replace_strict(
                levels, pl.int_range(len(levels), eager=True), default=-1
            )
            expr = expr.fill_null(-1)
        elif column in HIGH_COLUMNS:
            counts = values.drop_nulls().value_counts()
            shares = counts["count"] / n
            missing_share = values.null_count() / n
            expr = (
                pl.when(pl.col(column).is_null())
                .then(pl.lit(missing_share))
                .otherwise(pl.col(column).replace_strict(counts[column], shares, default=0.0))
            )
        else:
            expr = pl.col(column).fill_null(values.median())
        exprs.append(expr.cast(pl.Float32).alias(column))
    return exprs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--oof", type=Path, default=None, help="write the OOF predictions here")
    args = parser.parse_args()
    start = time.perf_counter()
    data = args.project / "competitions" / NAME / "data"
    train = pl.read_csv(data / "train.csv")
    test = pl.read_csv(data / "test.csv")
    features = [c for c in train.columns if c not in (ID, TARGET)]
    y = train[TARGET].to_numpy()
    oof = np.zeros(len(y))
    test_pred = np.zeros(test.height)
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for k, (fit_rows, valid_rows) in enumerate(splitter.split(np.zeros((len(y), 1)), y)):
        fit_frame = train[np.sort(fit_rows)]
        exprs = fold_steps(fit_frame, features)
        X_fit = fit_frame.select(exprs).to_numpy()
        del fit_frame
        model = lgb.LGBMClassifier(
            **PARAMS, **DEFAULTS, random_state=SEED + k, n_jobs=os.cpu_count()
        )
        model.fit(X_fit, y[np.sort(fit_rows)])
        del X_fit
        valid_rows = np.sort(valid_rows)
        oof[valid_rows] = model.predict_proba(train[valid_rows].select(exprs).to_numpy())[:, 1]
        test_pred += model.predict_proba(test.select(exprs).to_numpy())[:, 1] / FOLDS
    submission = args.project / "raw_submission.csv"
    pl.DataFrame({ID: test[ID], TARGET: test_pred}).write_csv(submission)
    if args.oof is not None:
        np.save(args.oof, oof)
    seconds = time.perf_counter() - start
    print(json.dumps({"auc": roc_auc_score(y, oof), "seconds": seconds}))


if __name__ == "__main__":
    main()
