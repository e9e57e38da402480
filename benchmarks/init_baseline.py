"""Is the `workbench init` baseline as good as a careful hand-written LightGBM baseline?

For each task type (binary with True/False labels, 5-class with one probability column per
class, regression with a skewed positive target and RMSLE; `benchmarks/typed_synthetic.py`),
in a throwaway project:

(a) ``workbench init NAME --data DIR --yes`` then ``workbench run configs/NAME.yaml``, in this
    process through ``workbench.cli.main``, as a user runs them (report off: it changes no score);
(b) a hand-written LightGBM baseline on the same 5 folds (the run's ``folds.csv``): category
    dtype for the categoricals, True/False as 1/0, datetime parts, text length and word
    count, the id-like code dropped, early stopping on an inner 10% slice of each fold's
    training rows, the log of the target for the log metric.

It prints both CV scores (mean ± std over folds) and the corrected resampled t-test of the
per-fold differences (``workbench.paired.corrected_ttest``): within noise or not.

    .venv/bin/python benchmarks/init_baseline.py [--rows 8000] [--seed 0] [--tasks ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import typed_synthetic as synth

from workbench import metrics
from workbench.data import encode_target
from workbench.paired import PairedTest, corrected_ttest

HAND_PARAMS = {
    "n_estimators": 5000,
    "learning_rate": 0.03,
    "num_leaves": 31,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_jobs": 1,
    "verbose": -1,
}
INNER = 0.10  # share of a fold's training rows that early stopping watches
PATIENCE = 200


@dataclass
class Outcome:
    task: str
    metric: str
    greater_is_better: bool
    init: list[float]
    hand: list[float]
    ratio: float  # n_valid / n_train of a fold
    init_seconds: float
    hand_seconds: float
    steps: list[str]
    model: str


# ------------------------------------------------------------------- (a) init, then run


def init_and_run(project: Path, name: str, data: Path) -> tuple[Path, float, str]:
    """``workbench init`` then ``workbench run``: the run directory, seconds, init's output."""
    from workbench.cli import main

    start = time.perf_counter()
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(["init", name, "--data", str(data), "--yes"])
    if code != 0:
        sys.exit(f"workbench init {name} failed (exit {code}); its output:\n{said.getvalue()}")
    config = project / "configs" / f"{name}.yaml"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", str(config), "--quiet", "--set", "report.enabled=false"])
    if code != 0:
        sys.exit(f"workbench run {config} failed (exit {code})")
    runs = sorted((project / "runs" / name).glob("*/metrics.json"), key=os.path.getmtime)
    return runs[-1].parent, time.perf_counter() - start, said.getvalue()


def config_summary(project: Path, name: str) -> tuple[list[str], str]:
    """The feature steps and the model kind of init's config, for the write-up."""
    config = yaml.safe_load((project / "configs" / f"{name}.yaml").read_text())
    steps = [s if isinstance(s, str) else s.get("step", "?") for s in config.get("features", [])]
    return steps, str(config.get("model", {}).get("kind"))


# ---------------------------------------------------------- (b) the hand-written baseline


def hand_features(frame: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """What a careful competitor writes for these columns (no target, so no leakage)."""
    out = frame[synth.NUMERIC].astype(float)
    for column in synth.CATEGORICAL:
        known = frame[column].where(frame[column].isin(categories[column]))  # unseen: missing
        out[column] = pd.Categorical(known, categories=categories[column])
    for column in synth.BOOLEAN:
        out[column] = frame[column].map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0})
    for column in synth.DATETIME:
        stamp = pd.to_datetime(frame[column], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        for part in ("year", "month", "day", "day_of_week", "hour"):
            out[f"{column}_{part}"] = getattr(stamp.dt, part).astype(float)
    for column in synth.TEXT:
        text = frame[column].fillna("").astype(str)
        out[f"{column}_len"] = text.str.len()
        out[f"{column}_words"] = text.str.split().str.len()
    return out


def hand_cv(
    train: pd.DataFrame, task: str, target: str, metric: metrics.Metric, folds: pd.DataFrame
) -> list[float]:
    """Per-fold validation scores of the hand-written baseline on the run's folds."""
    y, _ = encode_target(train[target], task)
    log_target = task == "regression" and metric.log_space
    fold_of = train[synth.ID].map(folds.set_index("id")["fold"]).to_numpy()
    scores = []
    for fold in sorted(set(fold_of)):
        fit_rows, valid_rows = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
        categories = {
            c: sorted(train[c].iloc[fit_rows].dropna().unique()) for c in synth.CATEGORICAL
        }
        X = hand_features(train, categories)
        rng = np.random.default_rng(fold)
        inner = rng.random(len(fit_rows)) < INNER
        fit, watch = fit_rows[~inner], fit_rows[inner]
        target_values = np.log1p(y) if log_target else y
        if task == "regression":
            model = lgb.LGBMRegressor(**HAND_PARAMS, random_state=fold)
        else:
            model = lgb.LGBMClassifier(**HAND_PARAMS, random_state=fold)
        model.fit(
            X.iloc[fit],
            target_values[fit],
            eval_X=(X.iloc[watch],),
            eval_y=(target_values[watch],),
            callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
        )
        if task == "regression":
            pred = model.predict(X.iloc[valid_rows])
            pred = np.expm1(pred) if log_target else pred
        else:
            pred = model.predict_proba(X.iloc[valid_rows])
            pred = pred[:, 1] if task == "binary" else pred
        scores.append(metrics.score(metric, y[valid_rows], pred, task=task))
    return scores


# ------------------------------------------------------------------------------ report


def compare(task: str, project: Path, rows: int, seed: int) -> Outcome:
    name = f"typed_{task}"
    data = synth.write_files(project / "incoming" / name, task, rows, seed)
    run_dir, init_seconds, _ = init_and_run(project, name, data)
    record = json.loads((run_dir / "metrics.json").read_text())
    folds = pd.read_csv(run_dir / "folds.csv").query("repeat == 0")  # one repeat is enough
    first = [f for f in record["folds"] if f["repeat"] == 0]
    metric = metrics.get_metric(record["metric"]["name"], task)
    start = time.perf_counter()
    train = pd.read_csv(data / "train.csv")
    hand = hand_cv(train, task, synth.TASKS[task].target, metric, folds)
    fold_rows = first[0]
    steps, model = config_summary(project, name)
    return Outcome(
        task=task,
        metric=metric.name,
        greater_is_better=metric.greater_is_better,
        init=[f["valid_score"] for f in sorted(first, key=lambda f: f["fold"])],
        hand=hand,
        ratio=fold_rows["n_valid"] / fold_rows["n_train"],
        init_seconds=init_seconds,
        hand_seconds=time.perf_counter() - start,
        steps=steps,
        model=model,
    )


def _mean_std(scores: list[float]) -> str:
    return f"{statistics.fmean(scores):.4f} ± {statistics.stdev(scores):.4f}"


def _verdict(test: PairedTest, greater_is_better: bool) -> str:
    if not test.judged:
        return f"cannot be judged: {test.reason}"
    if not test.significant:
        return "within noise"
    init_better = test.mean_diff > 0 if greater_is_better else test.mean_diff < 0
    return ("init" if init_better else "hand") + " better, beyond the noise"


def report(outcome: Outcome) -> str:
    test = corrected_ttest(
        outcome.hand,
        outcome.init,
        test_train_ratio=outcome.ratio,
        greater_is_better=outcome.greater_is_better,
    )
    verdict = _verdict(test, outcome.greater_is_better)
    p = f"{test.p:.2f}" if test.p is not None else "-"
    return (
        f"| {outcome.task} | {outcome.metric} | {_mean_std(outcome.init)} | "
        f"{_mean_std(outcome.hand)} | {test.mean_diff:+.4f} | {test.wins}/{test.n} | {p} | "
        f"{verdict} | {outcome.init_seconds:.1f} s / {outcome.hand_seconds:.1f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8000, help="training rows (test: rows // 4)")
    parser.add_argument("--seed", type=int, default=0, help="the data's seed")
    parser.add_argument("--tasks", nargs="+", default=list(synth.TASKS), choices=list(synth.TASKS))
    args = parser.parse_args()
    start = time.perf_counter()
    lines = [
        "| task | metric | init + run (mean ± std) | hand LightGBM (mean ± std) | "
        "init − hand | init wins | p | verdict | time init+run / hand |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "competitions").mkdir()
        os.environ["WORKBENCH_ROOT"] = str(project)
        for task in args.tasks:
            outcome = compare(task, project, args.rows, args.seed)
            lines.append(report(outcome))
            notes.append(f"{task}: init chose {outcome.model} with steps {outcome.steps}")
            print(lines[-1], flush=True)
    print()
    print("\n".join(lines))
    print("\n".join(notes))
    print(
        f"wall time {time.perf_counter() - start:.0f} s ({args.rows:,} training rows per task, "
        f"seed {args.seed}, commit {_commit()})"
    )


def _commit() -> str:
    """The measured commit, ``+dirty`` when the tree has changes (it usually has, mid-work)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain") else "")


if __name__ == "__main__":
    main()
