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
from workbench.report.scoring import lookup


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


# the feature steps of every synthetic run's config.yaml (the Configuration section lists them)
SYNTH_FEATURES: list[Any] = [
    "synthetic.title",
    {"step": "impute", "columns": ["Age", "Fare"], "strategy": "median"},
    {"step": "onehot", "columns": ["Sex", "Title"]},
]
# the command line of every synthetic run's environment.json
SYNTH_COMMAND = [
    "/work/main/workbench/__main__.py",
    "run",
    "configs/synthetic.yaml",
    "--set",
    "model.params.n_estimators=300",
    "--set=cv.folds=5",
]
SYNTH_TRAIN_SHA = "7d118fef8b6ccf7f81111877bc388536f7b1e498a655e3d649d19aaa010e9f6f"


def _write_provenance(run_dir: Path) -> None:
    """environment.json and fingerprint.json as a run writes them."""
    (run_dir / "environment.json").write_text(
        json.dumps(
            {
                "python": "3.11.7",
                "packages": {"workbench": "0.1.0"},
                "git": {"commit": "f934bc151ba64dfd9f580c6bf8dda09fe2ccafce", "dirty": False},
                "command": SYNTH_COMMAND,
            }
        )
    )
    (run_dir / "fingerprint.json").write_text(
        json.dumps(
            {
                "train": {"path": "train.csv", "sha256": SYNTH_TRAIN_SHA, "bytes": 61194},
                "test": {"path": "test.csv", "sha256": "56023b99482" + "0" * 53, "bytes": 28629},
            }
        )
    )


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
    tuning: bool | dict[str, Any] = False,
    metric: str | None = None,
    greater_is_better: bool | None = None,
    train_mean: float | None = None,
    valid_mean: float | None = None,
    n_classes: int = 3,
    seed: int = 0,
    train_rows_scored: int | None = None,
    run_id: str | None = None,
    dir_name: str | None = None,
    model: str = "lightgbm",
    shap: bool = False,
    sample_rows: int | None = None,
    measure: bool = True,
    target_transform: str | None = None,
) -> Path:
    """Write a complete synthetic run directory and return its path.

    ``metrics.json`` is a valid :class:`~workbench.record.RunRecord`; each fold's training score
    counts at most ``train_rows_scored`` rows (default: all of them). The directory is
    ``root/dir_name`` (default ``run-<task>-<seed>``).

    ``model``: the model kind ("voting": a blend of lasso, lightgbm and svm whose own importance
    is the "weighted blend of members"). ``shap``: also SHAP rows in importance.csv and an
    explanations.csv as :mod:`workbench.explain` writes them. ``sample_rows``: permutation
    importance and SHAP on at most this many validation rows per fold (default: all).
    ``measure=False`` writes importance.csv without ``measure`` and ``n_rows`` (older runs).
    ``tuning``: a tuning.json, as :func:`synth_tuning` writes it (``True``) or the dict given."""
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
    pred_columns = [c for c in oof.columns if c == "pred" or c.startswith("proba_")]
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
        model=model,
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
    model_spec: dict[str, Any] = {"kind": model, "params": {}}
    if model == "voting":
        model_spec["params"] = {
            "estimators": [{"kind": "lasso"}, {"kind": "lightgbm"}, {"kind": "svm"}],
            "weights": [1, 1, 1],
        }
    if target_transform:
        model_spec["target_transform"] = target_transform
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "competition": "synthetic",
                "name": f"{task}-base",
                "description": f"A synthetic {task} run for the report tests.",
                "seed": 42,
                "features": SYNTH_FEATURES,
                "cv": {
                    "scheme": record.cv.scheme,
                    "folds": folds,
                    "repeats": repeats,
                    "shuffle": True,
                },
                "model": model_spec,
            },
            sort_keys=False,
        )
    )
    _write_provenance(run_dir)
    features = [f"feature_{i:02d}" for i in range(40)]
    own_measure = "weighted blend of members" if model == "voting" else "gain"
    if importance or shap:
        rows = []
        for r in range(repeats):
            for f in range(folds):
                n_valid = int((fold_of[r] == f).sum())
                n_rows = min(n_valid, sample_rows or n_valid)
                for i, feat in enumerate(features):
                    base = 100.0 / (i + 1)
                    rows.append(
                        {
                            "repeat": r,
                            "fold": f,
                            "feature": feat,
                            "kind": "model",
                            "measure": own_measure,
                            "importance": base + rng.normal(0, base * 0.1),
                            "importance_std": np.nan,
                            "n_rows": n - n_valid,
                        }
                    )
                    rows.append(
                        {
                            "repeat": r,
                            "fold": f,
                            "feature": feat,
                            "kind": "permutation",
                            "measure": f"drop in {metric}",
                            "importance": 0.05 / (i + 1) + rng.normal(0, 0.002),
                            "importance_std": 0.003,
                            "n_rows": n_rows,
                        }
                    )
                    if shap:
                        rows.append(
                            {
                                "repeat": r,
                                "fold": f,
                                "feature": feat,
                                "kind": "shap",
                                "measure": "mean |SHAP|",
                                "importance": 0.8 / (i + 1) + abs(rng.normal(0, 0.02)),
                                "importance_std": 0.0,
                                "n_rows": n_rows,
                            }
                        )
        frame = pd.DataFrame(rows)
        if not measure:
            frame = frame.drop(columns=["measure", "n_rows"])
        frame.to_csv(run_dir / "importance.csv", index=False)
    if shap:
        _explanations(
            rng, task, metric, features, oof, pred_columns, fold_of, folds, sample_rows
        ).to_csv(run_dir / "explanations.csv", index=False)
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
        content = tuning if isinstance(tuning, dict) else synth_tuning(valid_mean, gib, metric)
        (run_dir / "tuning.json").write_text(json.dumps(content))
    return run_dir


TUNING_ERRORS = [
    "model.params.num_leaves: lightgbm rejected the parameter values: num_leaves must be > 1",
    "features[1].strategy: impute rejected 'mode': choose median or mean",
]


def synth_tuning(
    valid_mean: float,
    greater_is_better: bool = True,
    metric: str = "accuracy",
    *,
    n_trials: int = 30,
    seed: int = 0,
) -> dict[str, Any]:
    """A tuning.json as :func:`workbench.tune.tuning_record` writes it: ``n_trials`` trials over
    num_leaves, learning_rate (log) and a feature step's strategy, trials 7 and 13 pruned,
    4, 19 and 26 failed (two distinct messages), the best trial 21 with num_leaves 31."""
    rng = np.random.default_rng(seed)
    sign = 1.0 if greater_is_better else -1.0
    best_number = min(21, n_trials - 1)
    trials = []
    for i in range(n_trials):
        params = {
            "model.params.num_leaves": int(rng.integers(8, 256)),
            "model.params.learning_rate": float(np.exp(rng.uniform(np.log(0.005), np.log(0.3)))),
            "features[1].strategy": str(rng.choice(["median", "mean"])),
        }
        value: float | None = float(
            valid_mean - sign * (0.05 * np.exp(-i / 5) + abs(rng.normal(0, 0.005)))
        )
        state, error = "complete", None
        if i in (7, 13):
            state, value = "pruned", float(valid_mean - sign * 0.08)
        elif i in (4, 19, 26):
            state, value, error = "fail", None, TUNING_ERRORS[int(i == 19)]
        if i == best_number:
            params.update({"model.params.num_leaves": 31, "model.params.learning_rate": 0.05})
            value = float(valid_mean + sign * 0.003)
        trials.append(
            {
                "number": i,
                "state": state,
                "value": value,
                "params": params,
                "seconds": float(rng.uniform(0.5, 3.0)),
                "error": error,
            }
        )
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial["state"].upper()] = counts.get(trial["state"].upper(), 0) + 1
    best = trials[best_number]
    return {
        "study": "synthetic-study",
        "metric": metric,
        "direction": "maximize" if greater_is_better else "minimize",
        "counts": counts,
        "space": {
            "model.params.num_leaves": {"int": [8, 255], "log": False},
            "model.params.learning_rate": {"float": [0.005, 0.3], "log": True},
            "features[1].strategy": {"categorical": ["median", "mean"], "log": False},
        },
        "best_trial": best_number,
        "best_value": best["value"],
        "best_params": dict(best["params"]),
        "fresh_seed": 43,
        "untuned_fresh": float(valid_mean - sign * 0.012),
        "tuned_fresh": float(valid_mean - sign * 0.001),
        "kept": "tuned",
        "param_importances": {
            "model.params.learning_rate": 0.62,
            "model.params.num_leaves": 0.25,
            "features[1].strategy": 0.13,
        },
        "trials": trials,
    }


def _explanations(
    rng: np.random.Generator,
    task: str,
    metric: str,
    features: list[str],
    oof: pd.DataFrame,
    pred_columns: list[str],
    fold_of: dict[int, np.ndarray],
    folds: int,
    sample_rows: int | None,
    top: int = 20,
    worst: int = 15,
) -> pd.DataFrame:
    """explanations.csv as workbench.explain writes it: per fold, the SHAP values and feature
    values of its top features on its sampled validation rows (``set=sample``), and for its
    worst-predicted rows the 3 features that pushed each most (``set=worst``, rank 1..3)."""
    frames = []
    log_space = task == "regression" and (lookup(metric, task) or lookup("rmse", task)).log_space
    for r, fold in fold_of.items():
        rows = oof[oof["repeat"] == r].reset_index(drop=True)
        y = rows["target"].to_numpy()
        pred = rows[pred_columns].to_numpy(dtype=float)
        if task == "regression":
            p, t = pred[:, 0], y.astype(float)
            error = np.abs(np.log1p(p) - np.log1p(t)) if log_space else np.abs(p - t)
        else:
            proba = np.column_stack([1 - pred[:, 0], pred[:, 0]]) if task == "binary" else pred
            error = 1 - proba[np.arange(len(y)), y.astype(int)]
        for f in range(folds):
            valid = np.flatnonzero(fold == f)
            kept = valid[: min(len(valid), sample_rows or len(valid))]
            # each fold keeps its own top features: 0..18 and one that changes with the fold
            names = [*features[: top - 1], features[top - 1 + f]]
            values = rng.normal(0, 1, (len(kept), len(names)))
            values[rng.random(values.shape) < 0.05] = np.nan
            coef = 1.0 / (np.arange(len(names)) + 1)
            shap = np.nan_to_num(values) * coef + rng.normal(0, 0.05, values.shape)
            frames.append(
                pd.DataFrame(
                    {
                        "repeat": r,
                        "fold": f,
                        "id": np.repeat(rows["id"].to_numpy()[kept], len(names)),
                        "set": "sample",
                        "rank": 0,
                        "feature": np.tile(names, len(kept)),
                        "shap": shap.ravel(),
                        "value": values.ravel(),
                    }
                )
            )
            bad = valid[np.argsort(-error[valid], kind="stable")[:worst]]
            chosen = rng.choice(len(features), (len(bad), 3))
            frames.append(
                pd.DataFrame(
                    {
                        "repeat": r,
                        "fold": f,
                        "id": np.repeat(rows["id"].to_numpy()[bad], 3),
                        "set": "worst",
                        "rank": np.tile([1, 2, 3], len(bad)),
                        "feature": np.asarray(features)[chosen].ravel(),
                        "shap": (rng.normal(0, 1, (len(bad), 3)) * [3, 2, 1]).ravel(),
                        "value": rng.integers(0, 4, (len(bad), 3)).astype(float).ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
