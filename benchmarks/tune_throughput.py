"""Tuning throughput: `workbench tune --jobs 2` against a plain Optuna loop, same budget.

House Prices, `configs/house_prices_lgbm.yaml` (the workbench's feature steps, LightGBM 800
trees, 5 stratified folds). Both sides search the same space (the workbench's default LightGBM
space) with TPE under the same seed for the same wall-clock budget:

- plain: what a competitor writes by hand: an Optuna objective that builds the same feature
  pipeline and model in a scikit-learn Pipeline and calls `cross_val_score` on the same folds
  every trial (features refitted every trial, no pruning, one process);
- workbench: `tune(..., TuneOptions(jobs=2, timeout=...))`: cached fold features, median
  pruning after each fold, two worker processes.

Then, with `--trials N` (default 100), a full study: the untuned and the tuned parameters
re-scored on a fresh fold split (what the final run keeps).

    .venv/bin/python benchmarks/tune_throughput.py [--budget 180] [--trials 100]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.competition import Project  # noqa: E402
from workbench.config import set_value, to_dict, validate  # noqa: E402
from workbench.engine import TargetTransform, make_folds  # noqa: E402
from workbench.prepare import prepare  # noqa: E402
from workbench.resources import model_threads  # noqa: E402
from workbench.tune import TuneOptions, open_storage, search_space, tune  # noqa: E402

CONFIG = "configs/house_prices_lgbm.yaml"


def plain_loop(project: Project, budget: float) -> optuna.Study:
    """The trials finished in ``budget`` seconds, the way a notebook does it."""
    from sklearn.base import BaseEstimator, RegressorMixin, clone
    from sklearn.model_selection import cross_val_score

    prepared = prepare(project.root / CONFIG, project=project)
    config, problem = prepared.config, prepared.problem
    space = search_space(prepared)
    folds = [(f.train, f.valid) for f in make_folds(prepared)]
    threads = model_threads(config.threads, n_rows=len(problem.y))
    base = to_dict(config)

    class FeaturesThenModel(BaseEstimator, RegressorMixin):
        """The feature pipeline and LightGBM on log1p(price), refitted on every call."""

        def __init__(self, params: dict | None = None):
            self.params = params

        def fit(self, X, y):
            import lightgbm

            self.features_ = prepared.features.build()
            Xt, yt = self.features_.fit_transform(X, pd.Series(y, index=X.index))
            self.model_ = lightgbm.LGBMRegressor(
                **self.params, random_state=config.seed, n_jobs=threads
            ).fit(Xt, TargetTransform("log1p").forward(np.asarray(yt)))
            return self

        def predict(self, X):
            out = self.model_.predict(self.features_.transform(X))
            return TargetTransform("log1p").inverse(out)

    def rmse_log(estimator, X, y):
        pred = np.clip(estimator.predict(X), 1e-15, None)
        return -float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2)))

    def objective(trial: optuna.Trial) -> float:
        data = base
        for path, dist in space.items():
            if dist.int_range is not None:
                value = trial.suggest_int(path, *dist.int_range, log=dist.log)
            else:
                value = trial.suggest_float(path, *dist.float_range, log=dist.log)
            data = set_value(data, path, value)
        params = validate(data, source="bench").model.params
        scores = cross_val_score(
            clone(FeaturesThenModel(params)),
            problem.X,
            problem.y,
            cv=folds,
            scoring=rmse_log,
        )
        return float(-scores.mean())

    study = optuna.create_study(  # the sampler the workbench uses
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=config.seed, multivariate=True),
    )
    study.optimize(objective, timeout=budget)
    return study


def trial_costs(side: str, trials: list, workers: int, seconds: float) -> str:
    """Where the time went: seconds per complete / pruned trial, the leaves they grew (a
    trial's cost grows with ``num_leaves``), and how busy the workers were."""

    def duration(t: optuna.trial.FrozenTrial) -> float:
        return (t.datetime_complete - t.datetime_start).total_seconds()

    state = optuna.trial.TrialState
    done = [t for t in trials if t.datetime_complete is not None]
    complete = [t for t in done if t.state == state.COMPLETE]
    pruned = [t for t in done if t.state == state.PRUNED]
    leaves = [t.params.get("model.params.num_leaves", np.nan) for t in complete]
    busy = sum(map(duration, done)) / (workers * seconds)
    return (
        f"{side}: complete {len(complete)} at {np.mean([duration(t) for t in complete]):.2f} "
        f"s each (median num_leaves {np.nanmedian(leaves):.0f}), pruned {len(pruned)} at "
        f"{np.mean([duration(t) for t in pruned]) if pruned else 0:.2f} s each (last step "
        f"{np.mean([t.last_step for t in pruned]) if pruned else 0:.1f}); workers busy "
        f"{busy:.0%} of the budget"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=180.0, help="seconds for each side")
    parser.add_argument("--trials", type=int, default=100, help="0 skips the full study")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if not (ROOT / "competitions/house_prices/data/train.csv").is_file():
        sys.exit("House Prices files absent: run `bash .ci/copy-data` first")
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        shutil.copytree(ROOT / "competitions", project.root / "competitions")
        shutil.copytree(ROOT / "configs", project.root / "configs")

        start = time.perf_counter()
        plain = plain_loop(project, args.budget)
        plain_seconds = time.perf_counter() - start
        plain_trials, plain_best = len(plain.trials), plain.best_value

        start = time.perf_counter()
        result = tune(
            project.root / CONFIG,
            ["report=false"],
            TuneOptions(jobs=2, timeout=args.budget, trials=10_000, study="throughput"),
            project=project,
            write=None,
        )
        bench_seconds = time.perf_counter() - start
        counts = result.summary["counts"]
        finished = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0)
        plain_rate = plain_trials / (plain_seconds / 60)
        bench_rate = finished / (args.budget / 60)
        print(
            f"plain Optuna loop: {plain_trials} trials in {plain_seconds:.0f} s "
            f"({plain_rate:.1f}/min), best CV {plain_best:.5f}"
        )
        print(
            f"workbench tune --jobs 2: {finished} trials in {args.budget:.0f} s of study "
            f"({bench_rate:.1f}/min; complete {counts.get('COMPLETE', 0)}, pruned "
            f"{counts.get('PRUNED', 0)}, failed {counts.get('FAIL', 0)}), best CV "
            f"{result.summary['best_value']:.5f}; whole command {bench_seconds:.0f} s "
            "(with the fresh-split re-scoring and the final run)"
        )
        print(f"throughput ratio: {bench_rate / plain_rate:.2f}x")
        bench = optuna.load_study(
            study_name="throughput",
            storage=open_storage(None, project, "house_prices"),
        )
        print(trial_costs("plain", plain.trials, 1, plain_seconds))
        print(trial_costs("workbench", bench.trials, 2, args.budget))

        if args.trials:
            start = time.perf_counter()
            full = tune(
                project.root / CONFIG,
                ["report=false"],
                TuneOptions(jobs=2, trials=args.trials, study="full"),
                project=project,
                write=None,
            ).summary
            print(
                f"{args.trials} trials in {time.perf_counter() - start:.0f} s: best trial "
                f"{full['best_value']:.5f} on the tuning folds (optimistic); fresh split (seed "
                f"{full['fresh_seed']}): untuned {full['untuned_fresh']:.5f}, tuned "
                f"{full['tuned_fresh']:.5f}; kept {full['kept']}"
            )


if __name__ == "__main__":
    main()
