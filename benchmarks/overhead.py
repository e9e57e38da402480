"""Harness overhead: `workbench run` (report off) vs a plain script of raw scikit-learn/LightGBM.

Same data (House Prices), same folds, same model and parameters, same threads, run side by side
in one process, alternating, several times; the ratio of medians is reported.

    .venv/bin/python benchmarks/overhead.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.preprocessing import OrdinalEncoder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.competition import Project  # noqa: E402
from workbench.cv import make_folds  # noqa: E402
from workbench.experiment import run_experiment  # noqa: E402
from workbench.resources import model_threads  # noqa: E402

PARAMS = {
    "n_estimators": 400,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "verbose": -1,
}
SEED = 42
CONFIG = {
    "competition": "house_prices",
    "name": "bench-overhead",
    "seed": SEED,
    "features": [{"step": "ordinal", "columns": "categorical"}],
    "cv": {"scheme": "kfold", "folds": 5},
    "model": {"kind": "lightgbm", "params": PARAMS, "target_transform": "log1p"},
    "report": False,
}


def raw_script(data_dir: Path, out_dir: Path) -> float:
    """What a competitor would write by hand: the same folds, encoder and model."""
    import lightgbm

    train = pd.read_csv(data_dir / "train.csv")
    test = pd.read_csv(data_dir / "test.csv")
    y = np.log1p(train.pop("SalePrice").to_numpy())
    ids = train.pop("Id")
    test_ids = test.pop("Id")
    categorical = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    folds = make_folds(
        scheme="kfold", n_folds=5, repeats=1, task="regression", y=y, groups=None, seed=SEED
    )
    oof = np.zeros(len(y))
    test_pred = np.zeros(len(test))
    for fold in folds:
        X_tr, X_va = train.iloc[fold.train].copy(), train.iloc[fold.valid].copy()
        X_te = test.copy()
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        )
        X_tr[categorical] = encoder.fit_transform(X_tr[categorical].astype(object))
        X_va[categorical] = encoder.transform(X_va[categorical].astype(object))
        X_te[categorical] = encoder.transform(X_te[categorical].astype(object))
        # The workbench seeds fold k's model with seed + k (distinct, reproducible streams).
        model = lightgbm.LGBMRegressor(
            **PARAMS, random_state=SEED + fold.fold, n_jobs=model_threads(n_rows=len(y))
        )
        model.fit(X_tr, y[fold.train])
        oof[fold.valid] = model.predict(X_va)
        test_pred += model.predict(X_te) / len(folds)
    score = float(np.sqrt(np.mean((oof - y) ** 2)))
    pd.DataFrame({"id": ids, "pred": np.expm1(oof)}).to_csv(out_dir / "oof.csv", index=False)
    pd.DataFrame({"Id": test_ids, "SalePrice": np.expm1(test_pred)}).to_csv(
        out_dir / "submission.csv", index=False
    )
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data_dir = ROOT / "competitions" / "house_prices" / "data"
    if not (data_dir / "train.csv").is_file():
        sys.exit(f"House Prices files absent from {data_dir}: run `bash .ci/copy-data` first")

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        project_root = tmp_path / "project"
        (project_root / "competitions").mkdir(parents=True)
        (project_root / "competitions" / "house_prices").symlink_to(
            ROOT / "competitions" / "house_prices", target_is_directory=True
        )
        config_path = tmp_path / "overhead.yaml"
        config_path.write_text(yaml.safe_dump(CONFIG))
        project = Project(project_root)

        raw_times, bench_times, scores = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            raw_score = raw_script(data_dir, tmp_path)
            raw_times.append(time.perf_counter() - start)

            start = time.perf_counter()
            result = run_experiment(config_path, project=project)
            bench_times.append(time.perf_counter() - start)
            scores.append((raw_score, result.record.summary.oof_score))

    raw, bench = statistics.median(raw_times), statistics.median(bench_times)
    print(f"raw script       median {raw:.3f}s  runs {[round(t, 3) for t in raw_times]}")
    print(f"workbench run    median {bench:.3f}s  runs {[round(t, 3) for t in bench_times]}")
    print(f"ratio workbench/raw: {bench / raw:.3f}")
    print(f"OOF RMSE of log price: raw {scores[0][0]:.5f}, workbench {scores[0][1]:.5f}")


if __name__ == "__main__":
    main()
