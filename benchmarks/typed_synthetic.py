"""Synthetic competitions with every kind of column, one per task type, for `workbench init`.

Each has an integer id, numeric columns (normal, skewed, counts, bounded; some missing),
low-cardinality categoricals (one with missing values), a high-cardinality one (400 levels,
Zipf-like frequencies), a True/False column with missing values, a timestamp, a free-text
note and an id-like reference code (unique per row: a model can learn nothing from it). The
target depends on all of them (the note through its length, the timestamp through month, day
of the week and hour), plus noise:

- ``binary``: ``Transported``, True/False labels, scored by accuracy;
- ``multiclass``: ``rating``, 5 classes with spaces in their names, one probability column per
  class in the sample (in the classes' natural order, not sorted), log loss;
- ``regression``: ``price``, positive and right-skewed, a log metric (RMSLE).

    .venv/bin/python benchmarks/typed_synthetic.py DIR --task binary [--rows 8000] [--seed 0]

writes ``DIR/{train,test,sample_submission}.csv`` (no competition.yaml: that is init's job).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ID = "id"
NUMERIC = ["num_normal", "num_skewed", "num_count", "num_bounded", "num_noise"]
CATEGORICAL = ["region", "channel", "shop"]  # 4 and 8 levels, then 400 (high cardinality)
BOOLEAN = ["member"]
DATETIME = ["signup"]
TEXT = ["note"]
ID_LIKE = ["ref"]
RATINGS = ["Very Low", "Low", "Medium", "High", "Very High"]  # natural order
WORDS = np.array(
    [
        "fast",
        "slow",
        "good",
        "bad",
        "new",
        "old",
        "big",
        "small",
        "nice",
        "poor",
        "great",
        "fine",
        "ok",
        "cheap",
        "warm",
    ]
)


@dataclass(frozen=True)
class TaskSpec:
    """What a task's files hold: its target, how the sample writes predictions, its metric."""

    task: str
    target: str
    metric: str
    prediction: str  # label | probability | value


TASKS = {
    "binary": TaskSpec("binary", "Transported", "accuracy", "label"),
    "multiclass": TaskSpec("multiclass", "rating", "log_loss", "probability"),
    "regression": TaskSpec("regression", "price", "rmse_log", "value"),
}


def _zipf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** 0.8
    return weights / weights.sum()


def _features(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The feature columns, a latent score the targets are made from, and region codes."""
    normal = rng.normal(0.0, 1.0, n)
    skewed = rng.lognormal(1.0, 0.9, n)
    count = rng.poisson(3.0, n).astype(float)
    bounded = rng.uniform(0.0, 100.0, n)
    region = rng.integers(0, 4, n)
    channel = rng.choice(8, n, p=_zipf(8))
    shop = rng.choice(400, n, p=_zipf(400))
    member = rng.random(n) < 0.35
    stamps = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 2 * 365 * 24, n), "h")
    words = rng.poisson(2.0 + 4.0 * (rng.random(n) < 0.5), n)

    month, weekday, hour = stamps.month.to_numpy(), stamps.dayofweek.to_numpy(), stamps.hour
    score = (
        0.8 * normal
        + 0.6 * np.log(skewed)
        + 0.35 * (count >= 5)
        + 0.012 * (bounded - 50.0)
        + rng.normal(0.0, 0.5, 4)[region]
        + rng.normal(0.0, 0.4, 8)[channel]
        + rng.normal(0.0, 0.6, 400)[shop]
        + 0.5 * member
        + 0.3 * normal * member
        + 0.5 * np.sin(2 * np.pi * month / 12)
        + 0.4 * (weekday >= 5)
        - 0.5 * ((hour < 6) | (hour >= 22))
        + 0.12 * (words - 4.0)
    )
    note = np.array([" ".join(rng.choice(WORDS, k)) for k in words], dtype=object)
    note[words == 0] = None
    frame = pd.DataFrame(
        {
            ID: np.arange(1, n + 1),
            "num_normal": np.round(normal, 4),
            "num_skewed": np.round(skewed, 3),
            "num_count": count,
            "num_bounded": np.round(bounded, 2),
            "num_noise": np.round(rng.normal(0.0, 1.0, n), 4),
            "region": np.array(["north", "south", "east", "west"], dtype=object)[region],
            "channel": np.array([f"ch_{c}" for c in range(8)], dtype=object)[channel],
            "shop": np.array([f"S{c:04d}" for c in range(400)], dtype=object)[shop],
            "member": pd.Series(member, dtype=object),
            "signup": stamps.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object),
            "note": note,
            "ref": [f"R-{code:07d}" for code in rng.permutation(n) * 7 + 1000],
        }
    )
    for column, share in (("num_skewed", 0.10), ("num_bounded", 0.05), ("channel", 0.05)):
        frame.loc[rng.random(n) < share, column] = None
    frame.loc[rng.random(n) < 0.06, "member"] = None
    frame.loc[rng.random(n) < 0.03, "signup"] = None
    return frame, score, region


def make_frames(
    task: str, rows: int = 8000, test_rows: int = 2000, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train (with the target), test and sample submission of one task."""
    spec = TASKS[task]
    rng = np.random.default_rng([seed, list(TASKS).index(task)])
    n = rows + test_rows
    frame, score, region = _features(rng, n)
    score = (score - score.mean()) / score.std()
    if task == "binary":
        noisy = score + rng.logistic(0.0, 0.6, n)
        target = pd.Series(noisy > 0.3, dtype=bool)
    elif task == "multiclass":
        logits = np.outer(score, [-2.0, -1.0, 0.0, 1.0, 2.0])
        logits += rng.normal(0.0, 0.5, (4, 5))[region]
        logits -= np.log(-np.log(rng.random((n, 5))))  # Gumbel noise: a softmax draw
        target = pd.Series(np.asarray(RATINGS, dtype=object)[logits.argmax(axis=1)])
    else:
        target = pd.Series(np.round(np.exp(11.5 + 0.45 * score + rng.normal(0, 0.25, n)), -2))
    train = frame.iloc[:rows].assign(**{spec.target: target.iloc[:rows].to_numpy()})
    test = frame.iloc[rows:].reset_index(drop=True)
    ids = test[ID]
    if task == "binary":
        sample = pd.DataFrame({ID: ids, spec.target: False})
    elif task == "multiclass":
        sample = pd.DataFrame({ID: ids, **dict.fromkeys(RATINGS, 0.2)})
    else:
        sample = pd.DataFrame({ID: ids, spec.target: float(np.round(target.mean(), -2))})
    return train, test, sample


def write_files(directory: Path, task: str, rows: int = 8000, seed: int = 0) -> Path:
    """Write ``train.csv``, ``test.csv`` and ``sample_submission.csv`` of ``task``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    train, test, sample = make_frames(task, rows, rows // 4, seed)
    train.to_csv(directory / "train.csv", index=False)
    test.to_csv(directory / "test.csv", index=False)
    sample.to_csv(directory / "sample_submission.csv", index=False)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--task", choices=list(TASKS), required=True)
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_files(args.directory, args.task, args.rows, args.seed))


if __name__ == "__main__":
    main()
