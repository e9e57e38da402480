"""A synthetic Playground-Series-like competition: a million rows, ~40 typed columns, binary.

Kaggle's Playground Series ship 300k–3M training rows of mixed columns; this generator writes
one such competition so the workbench can be measured at that scale without outside data:
20 float columns (normal, skewed, bounded; 6 with missing values), 4 integer counts (one with
missing values), 10 low-cardinality text columns (2–15 levels, 3 with missing values), 6
high-cardinality ones (200 to 100,000 levels, Zipf-distributed, 2 with missing values) and a
binary target (about 23 % positive) that depends on numbers, categories, an interaction and
noise. Deterministic under ``--seed``; vectorised with numpy and written with polars.

    .venv/bin/python benchmarks/playground.py PROJECT [--rows 1000000] [--test-rows N]
        [--format csv|parquet] [--seed 0]

writes ``PROJECT/competitions/playground/{competition.yaml,features.py,data/}`` and
``PROJECT/configs/playground.yaml`` (impute + ordinal and frequency encoding, LightGBM with
400 trees, stratified 5-fold), which ``workbench run`` takes as it is.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

NAME = "playground"
ID, TARGET = "id", "target"
N_FLOAT = 20
MISSING_FLOAT = {1: 0.02, 4: 0.05, 7: 0.10, 10: 0.15, 13: 0.01, 16: 0.08}
N_INT = 4
MISSING_INT = {2: 0.04}
LOW_LEVELS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15)
MISSING_LOW = {2: 0.03, 5: 0.10, 8: 0.01}
HIGH_LEVELS = (200, 1_000, 5_000, 20_000, 50_000, 100_000)
MISSING_HIGH = {1: 0.05, 4: 0.02}

LOW_COLUMNS = [f"cat_{j:02d}" for j in range(len(LOW_LEVELS))]
HIGH_COLUMNS = [f"hc_{j:02d}" for j in range(len(HIGH_LEVELS))]
PARAMS = {
    "n_estimators": 400,
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_child_samples": 50,
    "colsample_bytree": 0.8,
    "verbose": -1,
}
SEED = 42


def _zipf(n: int, exponent: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _with_missing(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    if share:
        values = values.astype(float)
        values[rng.random(len(values)) < share] = np.nan
    return values


def _text(codes: np.ndarray, prefix: str, missing: np.ndarray | None) -> pl.Series:
    """Category codes as text (``prefix`` + code), missing where ``missing``."""
    text = pl.Series(codes).cast(pl.String)
    out = pl.select(pl.lit(prefix) + text).to_series()
    if missing is not None:
        out = out.scatter(np.flatnonzero(missing), None)
    return out


def make_frames(rows: int, test_rows: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Train (with ``target``) and test rows drawn from one distribution."""
    rng = np.random.default_rng(seed)
    n = rows + test_rows
    columns: dict[str, pl.Series | np.ndarray] = {ID: np.arange(n, dtype=np.int64)}
    floats = []
    for j in range(N_FLOAT):
        kind = j % 3
        if kind == 0:
            col = rng.normal(0.0, 1.0, n)
        elif kind == 1:
            col = rng.lognormal(1.0, 0.9, n)
        else:
            col = rng.uniform(0.0, 100.0, n)
        floats.append(col)
        columns[f"num_{j:02d}"] = _with_missing(col, MISSING_FLOAT.get(j, 0.0), rng)
    ints = []
    for j in range(N_INT):
        col = rng.poisson(2.0 + 2 * j, n)
        ints.append(col)
        columns[f"int_{j:02d}"] = _with_missing(col, MISSING_INT.get(j, 0.0), rng)
    low_effect = np.zeros(n)
    for j, levels in enumerate(LOW_LEVELS):
        codes = rng.choice(levels, n, p=_zipf(levels, 0.7))
        low_effect += rng.normal(0.0, 0.35, levels)[codes]
        missing = rng.random(n) < MISSING_LOW[j] if j in MISSING_LOW else None
        columns[LOW_COLUMNS[j]] = _text(codes, "v", missing)
    high_effect = np.zeros(n)
    for j, levels in enumerate(HIGH_LEVELS):
        codes = rng.choice(levels, n, p=_zipf(levels))
        # the frequent levels carry signal; rare ones are noise (as with real ids and zip codes)
        effect = rng.normal(0.0, 0.6, levels) * (np.arange(levels) < 50)
        high_effect += effect[codes]
        missing = rng.random(n) < MISSING_HIGH[j] if j in MISSING_HIGH else None
        columns[HIGH_COLUMNS[j]] = _text(codes, "h", missing)
    f = np.column_stack(floats)
    z = (f - f.mean(axis=0)) / f.std(axis=0)
    logit = (
        0.8 * z[:, 0]
        - 0.6 * np.tanh(z[:, 1])
        + 0.5 * z[:, 2] * z[:, 3]
        + 0.4 * np.abs(z[:, 4])
        + 0.3 * np.sin(2 * z[:, 5])
        + 0.25 * (np.asarray(ints[0]) > 2)
        + low_effect
        + high_effect
        + rng.logistic(0.0, 0.6, n)
        - 1.6
    )
    columns[TARGET] = (logit > 0).astype(np.int8)
    frame = pl.DataFrame(
        {
            k: pl.Series(k, v, nan_to_null=True) if isinstance(v, np.ndarray) else v
            for k, v in columns.items()
        }
    )
    return frame.head(rows), frame.tail(test_rows).drop(TARGET)


def config(competition: str = NAME) -> dict:
    """The benchmark's experiment: default steps (impute, encodings), LightGBM, 5 folds."""
    return {
        "competition": competition,
        "name": "playground-lgbm",
        "seed": SEED,
        "features": [
            {"step": "impute", "columns": "numeric", "strategy": "median"},
            {"step": "ordinal", "columns": LOW_COLUMNS},
            {"step": "frequency_encode", "columns": HIGH_COLUMNS, "drop_original": True},
        ],
        "cv": {"scheme": "stratified_kfold", "folds": 5},
        "model": {"kind": "lightgbm", "params": PARAMS},
    }


def write_competition(
    project: Path, rows: int, test_rows: int, *, fmt: str = "csv", seed: int = 0
) -> Path:
    """Write the competition and its config under ``project``; return the config's path."""
    directory = project / "competitions" / NAME
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    train, test = make_frames(rows, test_rows, seed)
    sample = test.select(ID).with_columns(pl.lit(0.5).alias(TARGET))
    suffix = ".parquet" if fmt == "parquet" else ".csv"
    for frame, stem in ((train, "train"), (test, "test"), (sample, "sample_submission")):
        path = data / f"{stem}{suffix}"
        frame.write_parquet(path) if fmt == "parquet" else frame.write_csv(path)
    spec = {
        "name": NAME,
        "slug": "playground-series-synthetic",
        "task": "binary",
        "target": TARGET,
        "id_column": ID,
        "metric": "roc_auc",
        "files": {
            "train": f"train{suffix}",
            "test": f"test{suffix}",
            "sample_submission": f"sample_submission{suffix}",
        },
        "submission": {"prediction": "probability"},
    }
    (directory / "competition.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (directory / "features.py").write_text('"""No competition-specific steps."""\n')
    configs = project / "configs"
    configs.mkdir(exist_ok=True)
    path = configs / f"{NAME}.yaml"
    path.write_text(yaml.safe_dump(config(), sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--test-rows", type=int, default=None, help="default: 0.3 x rows")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    test_rows = args.test_rows or max(1, int(0.3 * args.rows))
    start = time.perf_counter()
    path = write_competition(args.project, args.rows, test_rows, fmt=args.format, seed=args.seed)
    print(f"wrote {args.rows} + {test_rows} rows and {path} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
