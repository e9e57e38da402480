"""The report at any data size: harness and report cost on a synthetic 5-class set, and the
Titanic report build.

On a synthetic competition (benchmarks/synthetic.py: ~25 numeric and categorical columns, 5
classes) of ``--rows`` training rows, in one process, alternating the order, ``--repeats`` times:

(a) a plain script of raw pandas / scikit-learn / LightGBM calls: read the CSVs, per fold one-hot
    encode the categorical columns (fitted on the fold's training rows), fit LightGBM (500 trees,
    the same parameters, per-fold seeds and threads as the workbench), predict the validation
    and test rows, write the OOF predictions and the submission;
(b) ``run_experiment`` with the report off, same folds (``workbench.cv.make_folds``);
(c) ``run_experiment`` with the report on, defaults (permutation importance etc.).

It prints the medians, the ratios b/a and c/b (and per repeat), the OOF log loss of (a) and
(b), which must agree to the last digit, where the report-on run spends its time, and then (d) the
in-process report build of a finished Titanic run (``build_report(run_dir)``, median).

    .venv/bin/python benchmarks/report_at_scale.py                      # 40,000 rows, 3 repeats
    .venv/bin/python benchmarks/report_at_scale.py --rows 1000000       # 1 repeat by default

``--estimators 20 --rows 5000 --titanic-repeats 1`` is a quick smoke test of the script itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402

from workbench.competition import Project  # noqa: E402
from workbench.cv import make_folds  # noqa: E402
from workbench.experiment import run_experiment  # noqa: E402
from workbench.resources import model_threads  # noqa: E402

SEED = 42
FOLDS = 5
COMPETITION = "synth"
PARAMS = {
    "n_estimators": 500,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "verbose": -1,
}


def config(params: dict) -> dict:
    return {
        "competition": COMPETITION,
        "name": "bench-scale",
        "seed": SEED,
        "metric": "log_loss",
        "features": [{"step": "onehot", "columns": "categorical"}],
        "cv": {"scheme": "stratified_kfold", "folds": FOLDS},
        "model": {"kind": "lightgbm", "params": params},
    }


def raw_script(data_dir: Path, out_dir: Path, params: dict) -> float:
    """What a competitor would write by hand: the same folds, encoding and model."""
    import lightgbm
    from sklearn.metrics import log_loss
    from sklearn.preprocessing import OneHotEncoder

    train = pd.read_csv(data_dir / "train.csv")
    test = pd.read_csv(data_dir / "test.csv")
    classes, y = np.unique(train.pop(synthetic.TARGET).to_numpy(), return_inverse=True)
    ids = train.pop(synthetic.ID)
    test_ids = test.pop(synthetic.ID)
    categorical = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    numeric = [c for c in train.columns if c not in categorical]
    folds = make_folds(
        scheme="stratified_kfold",
        n_folds=FOLDS,
        repeats=1,
        task="multiclass",
        y=y,
        groups=None,
        seed=SEED,
    )
    threads = model_threads(n_rows=len(y))
    oof = np.zeros((len(y), len(classes)))
    test_pred = np.zeros((len(test), len(classes)))
    for number, fold in enumerate(folds):
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.int8)
        encoder.fit(train.iloc[fold.train][categorical].astype(object))
        names = encoder.get_feature_names_out()

        def encode(frame: pd.DataFrame, encoder=encoder, names=names) -> pd.DataFrame:
            onehot = encoder.transform(frame[categorical].astype(object))
            return pd.concat(
                [frame[numeric], pd.DataFrame(onehot, index=frame.index, columns=names)], axis=1
            )

        # The workbench seeds fold k's model with seed + k (distinct, reproducible streams).
        model = lightgbm.LGBMClassifier(**params, random_state=SEED + number, n_jobs=threads)
        model.fit(encode(train.iloc[fold.train]), y[fold.train])
        oof[fold.valid] = model.predict_proba(encode(train.iloc[fold.valid]))
        test_pred += model.predict_proba(encode(test))
    test_pred /= len(folds)
    score = float(log_loss(y, oof, labels=np.arange(len(classes))))
    frame = pd.DataFrame(oof, columns=[f"proba_{c}" for c in classes])
    frame.insert(0, "id", ids.to_numpy())
    frame.insert(1, "target", y)
    frame.to_csv(out_dir / "oof.csv", index=False)
    pd.DataFrame({synthetic.ID: test_ids, synthetic.TARGET: classes[test_pred.argmax(1)]}).to_csv(
        out_dir / "submission.csv", index=False
    )
    return score


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def scale(args: argparse.Namespace, tmp: Path) -> dict:
    """(a), (b), (c) on the synthetic set; returns the figures."""
    project = Project(tmp / "project")
    competition_dir = project.competition_dir(COMPETITION)
    start = time.perf_counter()
    synthetic.write_competition(competition_dir, args.rows, seed=args.data_seed)
    generated = time.perf_counter() - start
    train_bytes = (competition_dir / "data" / "train.csv").stat().st_size
    print(
        f"synthetic set: {args.rows:,} training rows ({train_bytes / 1e6:.0f} MB CSV), "
        f"{args.rows // 4:,} test rows, generated and written in {generated:.1f} s",
        flush=True,
    )
    params = {**PARAMS, "n_estimators": args.estimators}
    config_path = tmp / "scale.yaml"
    config_path.write_text(yaml.safe_dump(config(params), sort_keys=False))
    raw_dir = tmp / "raw"
    raw_dir.mkdir()

    times: dict[str, list[float]] = {"raw": [], "off": [], "on": []}
    scores: dict[str, list[float]] = {"raw": [], "off": [], "on": []}
    timings: dict[str, list[dict]] = {"off": [], "on": []}
    loads: list[tuple[float, float]] = []  # the machine's 1-minute load before and after a run
    last_on_run: Path | None = None
    for i in range(args.repeats):
        order = ("raw", "off", "on") if i % 2 == 0 else ("on", "off", "raw")
        for variant in order:
            gc.collect()
            load_before = os.getloadavg()[0]
            start = time.perf_counter()
            if variant == "raw":
                score = raw_script(competition_dir / "data", raw_dir, params)
            else:
                result = run_experiment(
                    config_path,
                    [f"report={'true' if variant == 'on' else 'false'}"],
                    project=project,
                )
                score = result.record.summary.oof_score
            wall = time.perf_counter() - start
            times[variant].append(wall)
            scores[variant].append(score)
            loads.append((load_before, os.getloadavg()[0]))
            if variant != "raw":
                t = result.record.timings
                timings[variant].append(
                    {
                        "wall": wall,
                        "cv": t.cv_seconds,
                        "fit": t.fit_seconds,
                        "features": t.features_seconds,
                        "after_record": wall - t.total_seconds,
                        "train_rows_scored": result.record.folds[0].train_rows_scored,
                    }
                )
                if variant == "on":
                    last_on_run = result.run_dir
            print(
                f"  repeat {i + 1} {variant:>3}: {wall:8.1f} s  OOF log loss {score!r}  "
                f"(load average {loads[-1][0]:.1f} -> {loads[-1][1]:.1f})",
                flush=True,
            )

    raw, off, on = (median(times[k]) for k in ("raw", "off", "on"))
    print(f"\n{args.rows:,} rows, {args.estimators} trees, {args.repeats} repeat(s)")
    print(f"(a) raw script        median {raw:8.1f} s  runs {seconds(times['raw'])}")
    print(f"(b) workbench, off    median {off:8.1f} s  runs {seconds(times['off'])}")
    print(f"(c) workbench, on     median {on:8.1f} s  runs {seconds(times['on'])}")
    per_ba = [b / a for a, b in zip(times["raw"], times["off"], strict=True)]
    per_cb = [c / b for b, c in zip(times["off"], times["on"], strict=True)]
    print(f"b/a = {off / raw:.3f}   per repeat {[round(r, 3) for r in per_ba]}")
    print(f"c/b = {on / off:.3f}   per repeat {[round(r, 3) for r in per_cb]}")
    same = scores["raw"][0] == scores["off"][0]
    print(
        f"OOF log loss: raw {scores['raw'][0]!r}, workbench {scores['off'][0]!r} "
        f"({'identical' if same else 'DIFFERENT'}); report on {scores['on'][0]!r}"
    )
    for variant in ("off", "on"):
        rows = timings[variant]
        print(
            f"  {variant}: cv {median([r['cv'] for r in rows]):.1f} s (fit "
            f"{median([r['fit'] for r in rows]):.1f} s, features "
            f"{median([r['features'] for r in rows]):.1f} s), after the record (profile, "
            f"report, submission) {median([r['after_record'] for r in rows]):.1f} s; training "
            f"score on {rows[0]['train_rows_scored']:,} rows per fold"
        )
    out = {
        "rows": args.rows,
        "estimators": args.estimators,
        "repeats": args.repeats,
        "threads": model_threads(n_rows=args.rows),
        "generate_seconds": generated,
        "times": times,
        "scores": scores,
        "timings": timings,
        "load_average": loads,
    }
    if last_on_run is not None:
        out["parts"] = report_parts(project, last_on_run)
    return out


def report_parts(project: Project, run_dir: Path) -> dict:
    """The report's own parts on the finished report-on run: profile and rebuild."""
    from workbench.competition import load_competition
    from workbench.data import load_frames
    from workbench.report import build_report, profile_data

    competition = load_competition(COMPETITION, project)
    frames = load_frames(competition)
    spec = competition.spec
    start = time.perf_counter()
    profile = profile_data(
        frames.train,
        frames.test,
        target=spec.target,
        id_column=spec.id_column,
        task=spec.task,
        seed=SEED,
    )
    profiled = time.perf_counter() - start
    del frames
    gc.collect()
    start = time.perf_counter()
    build_report(run_dir)
    built = time.perf_counter() - start
    size = (run_dir / "data_profile.json").stat().st_size
    print(
        f"  report parts: profile_data {profiled:.2f} s (data_profile.json {size:,} bytes, "
        f"{len(json.dumps(profile)):,} recomputed), build_report(run_dir) {built:.2f} s"
    )
    return {"profile_seconds": profiled, "profile_bytes": size, "build_seconds": built}


def titanic(args: argparse.Namespace, tmp: Path) -> dict | None:
    """(d) ``build_report(run_dir)`` on a finished configs/titanic.yaml run, in process."""
    from workbench.report import build_report

    data = ROOT / "competitions" / "titanic" / "data"
    if not (data / "train.csv").is_file():
        print(f"(d) skipped: Titanic files absent from {data} (run `bash .ci/copy-data`)")
        return None
    root = tmp / "titanic-project"
    (root / "competitions").mkdir(parents=True)
    (root / "competitions" / "titanic").symlink_to(
        ROOT / "competitions" / "titanic", target_is_directory=True
    )
    result = run_experiment(ROOT / "configs" / "titanic.yaml", project=Project(root))
    builds = []
    for _ in range(args.titanic_repeats):
        gc.collect()
        start = time.perf_counter()
        build_report(result.run_dir)
        builds.append(time.perf_counter() - start)
    print(
        f"\n(d) Titanic build_report(run_dir): median {median(builds):.3f} s  "
        f"runs {[round(b, 3) for b in builds]}"
    )
    return {"build_seconds": builds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=None, help="default 3; 1 from 200k rows")
    parser.add_argument("--estimators", type=int, default=PARAMS["n_estimators"])
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--titanic-repeats", type=int, default=5, help="0: skip (d)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 3 if args.rows < 200_000 else 1
    from workbench.rundir import git_state

    git = git_state(ROOT)
    print(f"code: {git}; model threads: {model_threads(n_rows=args.rows)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        figures = {"code": git, "scale": scale(args, Path(tmp))}
        if args.titanic_repeats > 0:
            figures["titanic"] = titanic(args, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
