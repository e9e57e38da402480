"""Helpers shared by the tests: synthetic competitions, configs, the real-data guard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def real_data_dir(competition: str) -> Path:
    return REPO_ROOT / "competitions" / competition / "data"


def require_real_data(competition: str) -> Path:
    """Skip the calling test, with the reason, when the real Kaggle files are absent."""
    data = real_data_dir(competition)
    if not (data / "train.csv").is_file():
        pytest.skip(
            f"real {competition} files absent: put Kaggle's files in {data} "
            "(.ci/run copies them from ../shared/data)"
        )
    return data


def make_frame(task: str, n: int, seed: int) -> pd.DataFrame:
    """Numeric, categorical and text-ish columns with missing values and a learnable target."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    signal = 1.5 * x1 - x2 + np.where(color == "red", 1.0, 0.0)
    frame = pd.DataFrame(
        {
            "Id": np.arange(1, n + 1) + (0 if seed == 0 else 10_000),
            "x1": np.where(rng.random(n) < 0.1, np.nan, x1),
            "x2": x2,
            "color": color,
            "noise": rng.normal(size=n),
        }
    )
    if task == "binary":
        frame["label"] = (signal + rng.normal(scale=0.5, size=n) > 0).astype(int)
    elif task == "multiclass":
        frame["label"] = np.digitize(signal + rng.normal(scale=0.3, size=n), [-1.0, 1.0])
        frame["label"] = frame["label"].map({0: "low", 1: "mid", 2: "high"})
    else:
        frame["label"] = np.exp(10 + 0.3 * signal + rng.normal(scale=0.1, size=n))
    return frame


SPECS = {
    "synth_binary": ("binary", "accuracy", "label"),
    "synth_multi": ("multiclass", "accuracy", "label"),
    "synth_reg": ("regression", "rmse_log", "value"),
}


def write_competition(root: Path, name: str, n_train: int = 240, n_test: int = 60) -> None:
    task, metric, prediction = SPECS[name]
    directory = root / "competitions" / name
    (directory / "data").mkdir(parents=True)
    spec = {
        "name": name,
        "slug": name.replace("_", "-"),
        "task": task,
        "target": "label",
        "id_column": "Id",
        "metric": metric,
        "files": {"train": "train.csv", "test": "test.csv", "sample_submission": "sample.csv"},
        "submission": {"prediction": prediction},
    }
    (directory / "competition.yaml").write_text(yaml.safe_dump(spec))
    train = make_frame(task, n_train, seed=0)
    test = make_frame(task, n_test, seed=1).drop(columns=["label"])
    train.to_csv(directory / "data" / "train.csv", index=False)
    test.to_csv(directory / "data" / "test.csv", index=False)
    fill = {"binary": 0, "multiclass": "low", "regression": 100000.0}[task]
    pd.DataFrame({"Id": test["Id"], "label": fill}).to_csv(
        directory / "data" / "sample.csv", index=False
    )


BASE_FEATURES = [
    {"step": "impute", "columns": ["x1"], "strategy": "median"},
    {"step": "onehot", "columns": ["color"]},
]

# The plainest complete experiment: tests override what they are about.
LOGISTIC_BINARY = {
    "competition": "synth_binary",
    "features": BASE_FEATURES,
    "model": {"kind": "logistic"},
    "report": False,
}

# A quick regression experiment on synth_reg (three folds, ridge on log1p of the target).
RIDGE_REGRESSION = {
    "competition": "synth_reg",
    "features": BASE_FEATURES,
    "model": {"kind": "ridge", "target_transform": "log1p"},
    "cv": {"folds": 3},
    "report": False,
}


def write_config(root: Path, name: str, body: dict) -> Path:
    path = root / "configs" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path
