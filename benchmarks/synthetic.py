"""A synthetic multiclass competition of any size, for the benchmarks.

Shaped like a typical tabular Kaggle set (and like the 40,455-row, 5-class set of the "report at
any data size" issue): 15 numeric columns (skewed, integer and bounded ones among them; 4 with
missing values), 7 low-cardinality categoricals (3–8 levels, one with missing values), 2
higher-cardinality ones (30 and 80 levels) and 5 classes of unequal size that depend on
numeric columns, categories and an interaction, plus noise. Deterministic under ``--seed``;
vectorised, so a million rows take seconds (most of it writing the CSV).

    .venv/bin/python benchmarks/synthetic.py DIR [--rows 40000] [--test-rows N] [--seed 0]

writes ``DIR/competition.yaml`` and ``DIR/data/{train,test,sample_submission}.csv``; ``DIR``'s
name is the competition's name.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CLASSES = ["Class_1", "Class_2", "Class_3", "Class_4", "Class_5"]
TARGET = "target"
ID = "id"
N_NUMERIC = 15
LOW_LEVELS = (3, 4, 5, 5, 6, 7, 8)  # one low-cardinality categorical per entry
HIGH_LEVELS = (30, 80)
MISSING_NUMERIC = {2: 0.05, 5: 0.12, 9: 0.20, 13: 0.02}  # column -> share of missing values
MISSING_CATEGORICAL = {1: 0.03}


def _numeric(rng: np.random.Generator, rows: int) -> np.ndarray:
    """(rows, N_NUMERIC): normal, skewed (lognormal), integer counts and bounded columns."""
    columns = []
    for j in range(N_NUMERIC):
        kind = j % 4
        if kind == 0:
            col = rng.normal(0.0, 1.0, rows)
        elif kind == 1:
            col = rng.lognormal(1.0, 0.8, rows)
        elif kind == 2:
            col = rng.poisson(3.0, rows).astype(float)
        else:
            col = rng.uniform(0.0, 100.0, rows)
        columns.append(col)
    return np.column_stack(columns)


def _zipf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1)
    return weights / weights.sum()


def _standardised(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0)


def make_frames(
    rows: int, test_rows: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train (with the target), test and sample submission frames."""
    rng = np.random.default_rng(seed)
    total = rows + test_rows
    k = len(CLASSES)

    numeric = _numeric(rng, total)
    low = [rng.integers(0, n, total) for n in LOW_LEVELS]
    # higher-cardinality columns: Zipf-like level frequencies, as real ids and regions have
    high = [rng.choice(n, total, p=_zipf(n)) for n in HIGH_LEVELS]

    # the classes' scores: linear in 6 numeric columns, one effect per category of 4 columns,
    # one interaction and a threshold; unequal class sizes from the intercepts
    z = _standardised(np.log1p(np.abs(numeric[:, :8])) * np.sign(numeric[:, :8]))
    logits = np.tile(np.array([0.9, 0.5, 0.2, -0.3, -0.8]), (total, 1))
    logits += z[:, :6] @ rng.normal(0.0, 0.7, (6, k))
    for codes, n in ((low[0], LOW_LEVELS[0]), (low[3], LOW_LEVELS[3]), (high[0], HIGH_LEVELS[0])):
        logits += rng.normal(0.0, 0.6, (n, k))[codes]
    logits += rng.normal(0.0, 0.3, (HIGH_LEVELS[1], k))[high[1]]
    logits[:, 2] += 0.8 * z[:, 0] * z[:, 1]
    logits[:, 4] += 1.2 * (numeric[:, 3] > 70.0)
    gumbel = -np.log(-np.log(rng.random((total, k))))
    labels = np.asarray(CLASSES)[np.argmax(logits + gumbel, axis=1)]

    for j, share in MISSING_NUMERIC.items():
        numeric[rng.random(total) < share, j] = np.nan
    frame = pd.DataFrame({ID: np.arange(1, total + 1)})
    for j in range(N_NUMERIC):
        col = numeric[:, j]
        frame[f"num_{j}"] = col if j % 4 == 2 else np.round(col, 4)
    for i, codes in enumerate(low):
        values = np.asarray([f"L{i}_{c}" for c in range(LOW_LEVELS[i])], dtype=object)[codes]
        if i in MISSING_CATEGORICAL:
            values[rng.random(total) < MISSING_CATEGORICAL[i]] = None
        frame[f"cat_{i}"] = values
    for i, codes in enumerate(high):
        frame[f"hcat_{i}"] = np.asarray([f"H{i}_{c:03d}" for c in range(HIGH_LEVELS[i])])[codes]

    train = frame.iloc[:rows].copy()
    train[TARGET] = labels[:rows]
    test = frame.iloc[rows:].reset_index(drop=True)
    sample = pd.DataFrame({ID: test[ID], TARGET: CLASSES[0]})
    return train, test, sample


def write_competition(
    directory: Path, rows: int = 40_000, test_rows: int | None = None, seed: int = 0
) -> Path:
    """Write a competition directory (competition.yaml and data/*.csv); return it."""
    directory = Path(directory)
    test_rows = rows // 4 if test_rows is None else test_rows
    train, test, sample = make_frames(rows, test_rows, seed)
    (directory / "data").mkdir(parents=True, exist_ok=True)
    spec = {
        "name": directory.name,
        "slug": directory.name,
        "title": f"Synthetic multiclass, {rows:,} rows (benchmarks/synthetic.py, seed {seed})",
        "task": "multiclass",
        "target": TARGET,
        "id_column": ID,
        "metric": "log_loss",
        "files": {
            "train": "train.csv",
            "test": "test.csv",
            "sample_submission": "sample_submission.csv",
        },
        "submission": {"prediction": "label"},
    }
    (directory / "competition.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    train.to_csv(directory / "data" / "train.csv", index=False)
    test.to_csv(directory / "data" / "test.csv", index=False)
    sample.to_csv(directory / "data" / "sample_submission.csv", index=False)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="competition directory to write")
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--test-rows", type=int, default=None, help="default: rows // 4")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    out = write_competition(args.directory, args.rows, args.test_rows, args.seed)
    print(f"wrote {out} ({args.rows:,} training rows) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
