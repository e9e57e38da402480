"""One ``workbench run``: config -> data -> CV -> predictions -> report -> submission.

Everything is checked before the first fold is fitted (config, competition, data, step and
model names), and the run directory appears only when the run is complete.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import io, metrics, models
from workbench.competition import Competition, Project, load_competition
from workbench.config import ExperimentConfig, load_config, to_dict
from workbench.data import Frames, encode_target, fingerprint, load_frames
from workbench.engine import CVResult, FoldResult, Problem, run_cv
from workbench.errors import UserError
from workbench.features.registry import build_pipeline
from workbench.resources import model_threads
from workbench.rundir import RunDirectory, new_run_id, write_environment
from workbench.submission import build_submission, validate_submission, write_submission

log = logging.getLogger("workbench")


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    submission: Path
    metrics: dict[str, Any]
    report: Path | None


def resolve(config: ExperimentConfig, competition: Competition) -> ExperimentConfig:
    """Fill in what the config left to defaults: metric, CV scheme, model parameters."""
    task = competition.spec.task
    metric_name = config.metric or competition.spec.metric
    metric = metrics.get_metric(metric_name, task)
    scheme = config.cv.scheme
    if scheme == "auto":
        scheme = "kfold" if task == "regression" else "stratified_kfold"
    if config.cv.group_column is None and "group" in scheme:
        raise UserError(f"cv scheme {scheme!r} needs cv.group_column", where="cv.group_column")
    # Validates the kind and every parameter name now, before any data is touched.
    models.make_model(config.model.kind, task=task, params=config.model.params, seed=0, n_threads=1)
    params = models.resolve_params(config.model.kind, task, config.model.params)
    if config.model.target_transform != "none" and task != "regression":
        raise UserError(
            "target_transform is for regression targets", where="model.target_transform"
        )
    return config.model_copy(
        update={
            "metric": metric.name,
            "cv": config.cv.model_copy(update={"scheme": scheme}),
            "model": config.model.model_copy(update={"params": params}),
        }
    )


def make_problem(config: ExperimentConfig, competition: Competition, frames: Frames) -> Problem:
    spec = competition.spec
    y, classes = encode_target(frames.train[spec.target], spec.task)
    if spec.task == "binary" and len(classes) != 2:
        raise UserError(
            f"task is binary but the target has {len(classes)} classes",
            where=f"{competition.directory / 'competition.yaml'}: task",
        )
    # Rows are indexed by their id: steps can tell rows apart, the id is never a feature.
    X = frames.train.drop(columns=[spec.target]).set_index(spec.id_column, drop=True)
    X_test = frames.test.set_index(spec.id_column, drop=True)
    groups = None
    if config.cv.group_column:
        if config.cv.group_column not in frames.train.columns:
            raise UserError(
                f"group column {config.cv.group_column!r} not in the training data",
                where="cv.group_column",
            )
        groups = frames.train[config.cv.group_column].to_numpy()
    return Problem(
        X=X,
        y=y,
        X_test=X_test,
        task=spec.task,
        metric=metrics.get_metric(config.metric or spec.metric, spec.task),
        classes=classes,
        groups=groups,
    )


def run_experiment(
    config_path: str | Path,
    overrides: list[str] | None = None,
    *,
    project: Project | None = None,
    on_fold: Callable[[FoldResult, int], None] | None = None,
) -> RunResult:
    """Run one experiment end to end and return where its outputs are."""
    config_path = Path(config_path)
    try:
        return _execute(config_path, overrides, project, on_fold)
    except UserError as exc:
        raise _locate(exc, config_path) from None


def _locate(exc: UserError, config_path: Path) -> UserError:
    """Prefix a config-field error (``model.kind``, ``features[2]``) with the config file."""
    fields = ("model", "features", "cv", "metric", "predict", "report", "competition")
    if exc.where and exc.where.startswith(fields):
        return exc.located(str(config_path))
    return exc


def _execute(
    config_path: Path,
    overrides: list[str] | None,
    project: Project | None,
    on_fold: Callable[[FoldResult, int], None] | None,
) -> RunResult:
    started = time.perf_counter()
    config = load_config(config_path, overrides)
    project = project or Project.find(config_path.parent)
    competition = load_competition(config.competition, project)
    config = resolve(config, competition)
    spec = competition.spec

    def make_pipeline():
        return build_pipeline(
            config.features,
            competition=spec.name,
            competition_dir=competition.directory,
            seed=config.seed,
        )

    make_pipeline()  # unknown step names and parameters fail here, before any work
    frames = load_frames(competition)
    problem = make_problem(config, competition, frames)
    run = RunDirectory(project.runs_dir(spec.name), new_run_id(config.name)).create()

    def write_profile() -> None:
        from workbench.report.profile import profile_data

        profile = profile_data(
            frames.train,
            frames.test,
            target=spec.target,
            id_column=spec.id_column,
            task=spec.task,
            seed=config.seed,
        )
        io.write_json(run.file("data_profile.json"), profile)

    worker = None
    try:
        with run.logging():
            log.info("run %s: config %s", run.run_id, config_path)
            if config.report.enabled:
                # started first, so that it has every moment of the run to get ready
                from workbench.report.background import ReportWorker

                worker = ReportWorker.start(run.path, write_profile)
            io.write_yaml(run.file("config.yaml"), to_dict(config))
            io.write_yaml(run.file("competition.yaml"), spec.model_dump(mode="json"))
            io.write_json(run.file("fingerprint.json"), fingerprint(frames.files))
            write_environment(run, project.root)

            result = run_cv(
                config,
                problem,
                make_pipeline,
                n_threads=model_threads(config.threads, n_rows=len(problem.y)),
                on_fold=on_fold,
            )
            ids = frames.train[spec.id_column]
            write_predictions(run, result, problem, ids, frames.test[spec.id_column])
            threshold = choose_threshold(config, problem, result)

            submission_path = project.submissions_dir(spec.name) / f"{run.run_id}.csv"
            submission = build_submission(
                spec,
                frames.test[spec.id_column],
                result.test_pred,
                problem.classes,
                frames.sample_submission,
                threshold=(threshold or {}).get("used", 0.5),
            )
            validate_submission(
                submission, frames.sample_submission, spec, where=str(submission_path)
            )
            summary = build_metrics(config, spec.task, problem, result, run.run_id, threshold)
            summary["submission"] = str(submission_path.relative_to(project.root))
            summary["timings"]["total_seconds"] = time.perf_counter() - started
            io.write_json(run.file("metrics.json"), summary)

            report_path = None
            if config.report.enabled:
                report_started = time.perf_counter()
                report_path = worker.finish() if worker else None
                if report_path is None:
                    from workbench.report import build_report

                    write_profile()
                    report_path = build_report(run.path)
                summary["timings"]["report_seconds"] = time.perf_counter() - report_started
                summary["timings"]["total_seconds"] = time.perf_counter() - started
                io.write_json(run.file("metrics.json"), summary)
                report_path = run.final_path / report_path.name
            write_submission(submission, submission_path)
            log.info("done in %.1fs", summary["timings"]["total_seconds"])
        run.finalize()
    except BaseException:
        if worker is not None:
            worker.stop()  # before the directory it writes to is removed
        run.abandon()
        raise
    finally:
        if worker is not None:
            worker.stop()
    return RunResult(
        run_id=run.run_id,
        run_dir=run.final_path,
        submission=submission_path,
        metrics=summary,
        report=report_path,
    )


def prediction_columns(problem: Problem) -> list[str]:
    if problem.task == "multiclass":
        return [f"proba_{c}" for c in problem.classes]
    return ["pred"]


def write_predictions(
    run: RunDirectory, result: CVResult, problem: Problem, ids: pd.Series, test_ids: pd.Series
) -> None:
    """folds.csv, oof.csv, test_predictions.csv, importance.csv, learning_curve.csv."""
    n = len(ids)
    fold_of = np.full((result.oof.shape[0], n), -1, dtype=np.int64)
    for fold in result.folds:
        fold_of[fold.repeat, fold.valid] = fold.fold
    columns = prediction_columns(problem)
    parts = []
    for repeat in range(result.oof.shape[0]):
        frame = pd.DataFrame(
            {"id": ids.to_numpy(), "repeat": repeat, "fold": fold_of[repeat], "target": problem.y}
        )
        preds = result.oof[repeat].reshape(n, -1)
        for i, column in enumerate(columns):
            frame[column] = preds[:, i]
        parts.append(frame)
    oof = pd.concat(parts, ignore_index=True)
    io.write_csv(run.file("folds.csv"), oof[["id", "repeat", "fold"]])
    io.write_csv(run.file("oof.csv"), oof)
    test = pd.DataFrame({"id": test_ids.to_numpy()})
    test_preds = np.asarray(result.test_pred).reshape(len(test_ids), -1)
    for i, column in enumerate(columns):
        test[column] = test_preds[:, i]
    io.write_csv(run.file("test_predictions.csv"), test)
    if not result.importance.empty:
        io.write_csv(run.file("importance.csv"), result.importance)
    if result.learning_curve is not None and not result.learning_curve.empty:
        io.write_csv(run.file("learning_curve.csv"), result.learning_curve)


def choose_threshold(
    config: ExperimentConfig, problem: Problem, result: CVResult
) -> dict[str, float] | None:
    """Binary tasks: the threshold the submission uses, and the OOF-optimal one (labelled)."""
    if problem.task != "binary":
        return None
    metric = (
        problem.metric
        if problem.metric.kind == "label"
        else metrics.get_metric("accuracy", "binary")
    )
    proba = np.nanmean(result.oof, axis=0)
    optimized, score_at = metrics.best_threshold(metric, problem.y, proba)
    used = optimized if config.predict.threshold == "optimize" else float(config.predict.threshold)
    return {
        "used": float(used),
        "optimized": float(optimized),
        "optimized_metric": metric.name,
        "oof_score_at_optimized": float(score_at),
    }


def build_metrics(
    config: ExperimentConfig,
    task: str,
    problem: Problem,
    result: CVResult,
    run_id: str,
    threshold: dict[str, float] | None,
) -> dict[str, Any]:
    metric = problem.metric
    valid, train = result.scores("valid_score"), result.scores("train_score")
    gap = (train.mean() - valid.mean()) * (1 if metric.greater_is_better else -1)
    oof_mean = np.nanmean(result.oof, axis=0)
    summary: dict[str, Any] = {
        "run_id": run_id,
        "competition": config.competition,
        "config_name": config.name,
        "task": task,
        "classes": problem.classes,
        "metric": {"name": metric.name, "greater_is_better": metric.greater_is_better},
        "cv": {"scheme": config.cv.scheme, "folds": config.cv.folds, "repeats": config.cv.repeats},
        "model": config.model.kind,
        "seed": config.seed,
        "folds": [r.summary() for r in result.fold_results],
        "summary": {
            "valid_mean": float(valid.mean()),
            "valid_std": float(valid.std(ddof=1)) if len(valid) > 1 else 0.0,
            "train_mean": float(train.mean()),
            "train_std": float(train.std(ddof=1)) if len(train) > 1 else 0.0,
            "gap": float(gap),
            "oof_score": float(metrics.score(metric, problem.y, oof_mean, task=task)),
        },
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if threshold is not None:
        summary["threshold"] = threshold
    return summary
