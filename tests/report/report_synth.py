"""Synthetic run directories that follow docs/run-directory.md, for the report tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from workbench.record import (
    CVInfo,
    FoldRecord,
    MetricInfo,
    RunRecord,
    ScoreSummary,
    ThresholdInfo,
    Timings,
    write_record,
)
from workbench.report.profile import profile_data


def titanic_like(n: int = 891, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A train/test pair shaped like Titanic (numeric, categorical, missing, near-unique text)."""
    rng = np.random.default_rng(seed)

    def frame(rows: int, start: int, with_target: bool) -> pd.DataFrame:
        sex = rng.choice(["male", "female"], rows, p=[0.65, 0.35])
        pclass = rng.choice([1, 2, 3], rows, p=[0.25, 0.2, 0.55])
        age = rng.normal(30, 14, rows).clip(0.5, 80)
        age[rng.random(rows) < 0.2] = np.nan
        fare = rng.lognormal(3, 1, rows)
        embarked = rng.choice(["S", "C", "Q", None], rows, p=[0.7, 0.18, 0.11, 0.01])
        out = pd.DataFrame(
            {
                "PassengerId": np.arange(start, start + rows),
                "Pclass": pclass,
                "Name": [f"Person {i}, Mr. X" for i in range(start, start + rows)],
                "Sex": sex,
                "Age": age,
                "SibSp": rng.integers(0, 4, rows),
                "Fare": fare,
                "Cabin": np.where(rng.random(rows) < 0.77, None, "C85"),
                "Embarked": embarked,
            }
        )
        if with_target:
            logit = -0.5 + 2.3 * (sex == "female") - 0.8 * (pclass - 2)
            out.insert(1, "Survived", (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int))
        return out

    return frame(n, 1, True), frame(int(n * 0.47), n + 1, False)


def _scores(rng, folds, repeats, train_base, valid_base, noise=0.005):
    rows = []
    for r in range(repeats):
        for f in range(folds):
            rows.append(
                (r, f, train_base + rng.normal(0, noise), valid_base + rng.normal(0, noise))
            )
    return rows


def make_run(
    root: Path,
    task: str = "binary",
    *,
    n: int = 891,
    folds: int = 5,
    repeats: int = 1,
    importance: bool = True,
    learning_curve: bool = True,
    profile: bool = True,
    tuning: bool = False,
    metric: str | None = None,
    greater_is_better: bool | None = None,
    train_mean: float | None = None,
    valid_mean: float | None = None,
    n_classes: int = 3,
    seed: int = 0,
    train_rows_scored: int | None = None,
    run_id: str | None = None,
    dir_name: str | None = None,
) -> Path:
    """Write a complete synthetic run directory and return its path.

    ``metrics.json`` is a valid :class:`~workbench.record.RunRecord`; each fold's training score
    counts at most ``train_rows_scored`` rows (default: all of them). The directory is
    ``root/dir_name`` (default ``run-<task>-<seed>``)."""
    rng = np.random.default_rng(seed)
    run_dir = root / (dir_name or f"run-{task}-{seed}")
    run_dir.mkdir(parents=True)
    ids = np.arange(1, n + 1)
    if task == "binary":
        metric = metric or "accuracy"
        classes: list[Any] = [0, 1]
        y = (rng.random(n) < 0.38).astype(int)
        score = y * 1.2 + rng.normal(0, 1, n)
        pred_cols = {"pred": lambda: 1 / (1 + np.exp(-(score * 1.5 - 0.8 + rng.normal(0, 0.1, n))))}
        gib = True if greater_is_better is None else greater_is_better
        train_mean = 0.88 if train_mean is None else train_mean
        valid_mean = 0.84 if valid_mean is None else valid_mean
    elif task == "multiclass":
        metric = metric or "accuracy"
        classes = ["setosa", "versicolor", "virginica", "other"][:n_classes]
        y = rng.integers(0, n_classes, n)

        def proba():
            logits = rng.normal(0, 1, (n, n_classes))
            logits[np.arange(n), y] += 1.5
            e = np.exp(logits)
            return e / e.sum(axis=1, keepdims=True)

        pred_cols = {"__multi__": proba}
        gib = True if greater_is_better is None else greater_is_better
        train_mean = 0.80 if train_mean is None else train_mean
        valid_mean = 0.70 if valid_mean is None else valid_mean
    else:
        metric = metric or "rmse"
        classes = []
        y = rng.lognormal(12, 0.4, n)
        pred_cols = {"pred": lambda: y * np.exp(rng.normal(0, 0.12, n))}
        gib = False if greater_is_better is None else greater_is_better
        train_mean = 0.09 if train_mean is None else train_mean
        valid_mean = 0.13 if valid_mean is None else valid_mean

    fold_of = {}
    frames = []
    for r in range(repeats):
        perm = rng.permutation(n)
        fold = np.empty(n, dtype=int)
        fold[perm] = np.arange(n) % folds
        fold_of[r] = fold
        frame = pd.DataFrame({"id": ids, "repeat": r, "fold": fold, "target": y})
        for name, make in pred_cols.items():
            if name == "__multi__":
                p = make()
                for k, c in enumerate(classes):
                    frame[f"proba_{c}"] = p[:, k]
            else:
                frame[name] = make()
        frames.append(frame)
    oof = pd.concat(frames, ignore_index=True)
    oof.to_csv(run_dir / "oof.csv", index=False)
    pd.DataFrame(
        {
            "id": np.tile(ids, repeats),
            "repeat": np.repeat(np.arange(repeats), n),
            "fold": np.concatenate([fold_of[r] for r in range(repeats)]),
        }
    ).to_csv(run_dir / "folds.csv", index=False)

    fold_rows = []
    for r, f, tr, va in _scores(rng, folds, repeats, train_mean, valid_mean):
        n_valid = int((fold_of[r] == f).sum())
        fold_rows.append(
            FoldRecord(
                repeat=r,
                fold=f,
                n_train=n - n_valid,
                n_valid=n_valid,
                train_score=tr,
                valid_score=va,
                train_rows_scored=min(n - n_valid, train_rows_scored or n),
                best_iteration=120 + f,
                fit_seconds=0.2,
                features_seconds=0.05,
            )
        )
    tr = np.array([f.train_score for f in fold_rows])
    va = np.array([f.valid_score for f in fold_rows])
    record = RunRecord(
        run_id=run_id or f"20261125-204512-synthetic-{task}",
        competition="synthetic",
        config_name=f"{task}-base",
        task=task,
        classes=classes,
        metric=MetricInfo(name=metric, greater_is_better=gib),
        cv=CVInfo(
            scheme="stratified_kfold" if task != "regression" else "kfold",
            folds=folds,
            repeats=repeats,
        ),
        model="lightgbm",
        seed=42,
        folds=fold_rows,
        summary=ScoreSummary(
            valid_mean=float(va.mean()),
            valid_std=float(va.std()),
            train_mean=float(tr.mean()),
            train_std=float(tr.std()),
            gap=float(tr.mean() - va.mean()) * (1 if gib else -1),
            oof_score=float(va.mean()),
        ),
        threshold=(
            ThresholdInfo(
                used=0.5, optimized=0.47, optimized_metric=metric, oof_score_at_optimized=0.845
            )
            if task == "binary"
            else None
        ),
        submission=f"submissions/synthetic/{task}.csv",
        timings=Timings(total_seconds=3.1, cv_seconds=2.7, features_seconds=0.4, fit_seconds=2.2),
        created_at="2026-11-25T20:45:12+00:00",
    )
    write_record(run_dir, record)
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(
            {"competition": "synthetic", "model": {"kind": "lightgbm", "params": {}}, "seed": 42}
        )
    )
    features = [f"feature_{i:02d}" for i in range(40)]
    if importance:
        rows = []
        for r in range(repeats):
            for f in range(folds):
                for i, feat in enumerate(features):
                    base = 100.0 / (i + 1)
                    rows.append(
                        {
                            "repeat": r,
                            "fold": f,
                            "feature": feat,
                            "kind": "model",
                            "importance": base + rng.normal(0, base * 0.1),
                            "importance_std": np.nan,
                        }
                    )
                    rows.append(
                        {
                            "repeat": r,
                            "fold": f,
                            "feature": feat,
                            "kind": "permutation",
                            "importance": 0.05 / (i + 1) + rng.normal(0, 0.002),
                            "importance_std": 0.003,
                        }
                    )
        pd.DataFrame(rows).to_csv(run_dir / "importance.csv", index=False)
    if learning_curve:
        rows = []
        for r in range(repeats):
            for f in range(folds):
                for frac in (0.1, 0.25, 0.5, 0.75, 1.0):
                    rows.append(
                        {
                            "repeat": r,
                            "fold": f,
                            "fraction": frac,
                            "n_train": int(frac * n * (folds - 1) / folds),
                            "train_score": train_mean + 0.05 * (1 - frac),
                            "valid_score": valid_mean - 0.1 * (1 - frac) + rng.normal(0, 0.01),
                        }
                    )
        pd.DataFrame(rows).to_csv(run_dir / "learning_curve.csv", index=False)
    if profile:
        train, test = titanic_like(n, seed)
        target = "Survived"
        if task != "binary":
            train[target] = y if task == "regression" else np.asarray(classes)[y]
        prof = profile_data(train, test, target=target, id_column="PassengerId", task=task, seed=42)
        (run_dir / "data_profile.json").write_text(json.dumps(prof))
    if tuning:
        trials = [
            {"number": i, "value": float(valid_mean - 0.05 * np.exp(-i / 5) + rng.normal(0, 0.005))}
            for i in range(30)
        ]
        (run_dir / "tuning.json").write_text(
            json.dumps(
                {
                    "best_params": {
                        "model.params.num_leaves": 31,
                        "model.params.learning_rate": 0.05,
                    },
                    "trials": trials,
                }
            )
        )
    return run_dir
