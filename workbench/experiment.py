"""One ``workbench run``: prepare, cross-validate, write the run.

:func:`run_experiment` is :func:`~workbench.prepare.prepare` (everything checked before the
first fold), :func:`~workbench.engine.run_cv` and :func:`write_run`. ``tune`` and ``blend``
reuse the same three pieces; only :func:`write_run` touches the disk, and the run directory
appears only when it is complete.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import io, metrics
from workbench.competition import Project
from workbench.config import ExperimentConfig, to_dict
from workbench.engine import CVResult, run_cv, warnings_to_log
from workbench.errors import UserError
from workbench.prepare import Prepared, Problem, prepare
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
from workbench.rundir import (
    SUBMISSION_FILE,
    LogCapture,
    RunDirectory,
    new_run_id,
    write_environment,
)
from workbench.submission import build_submission, validate_submission, write_submission
from workbench.tasks import prediction_columns

log = logging.getLogger("workbench")


@dataclass(frozen=True)
class RunResult:
    run_id: str
    run_dir: Path
    submission: Path
    record: RunRecord
    report: Path | None


def run_experiment(
    config_path: str | Path,
    overrides: list[str] | None = None,
    *,
    project: Project | None = None,
    on_fold: Callable[[FoldRecord, int], None] | None = None,
) -> RunResult:
    """Run one experiment end to end and return where its outputs are."""
    config_path = Path(config_path)
    started = time.perf_counter()
    try:
        with LogCapture() as captured:
            prepared = prepare(config_path, overrides, project=project)
            prepared.project.check_writable(prepared.competition.spec.name)
            log.info("config %s", config_path)
            result = run_cv(prepared, on_fold=on_fold)
        return write_run(prepared, result, log_lines=captured.lines, started=started)
    except UserError as exc:
        raise locate(exc, config_path) from None


def locate(exc: UserError, config_path: Path) -> UserError:
    """Prefix a config-field error (``model.kind``, ``features[2]``) with the config file."""
    head = re.match(r"[A-Za-z_]+", exc.where or "")
    if head and head.group() in ExperimentConfig.model_fields:  # the whole field name
        return exc.located(str(config_path))
    return exc


def write_run(
    prepared: Prepared,
    result: CVResult,
    *,
    log_lines: list[str] | None = None,
    started: float | None = None,
    tuning: dict[str, Any] | None = None,
    extra_json: dict[str, Any] | None = None,
) -> RunResult:
    """Write the run directory and the submission of a cross-validated experiment.

    Built in ``.<run_id>.partial/`` and renamed into place when complete. The report is
    built last, from the files alone; if it fails, the failure is logged and the run kept.
    ``extra_json``: more JSON files of the run, by name (``blend.json`` of a blend).
    """
    started = time.perf_counter() if started is None else started
    config, problem, project = prepared.config, prepared.problem, prepared.project
    spec, frames = prepared.competition.spec, prepared.frames
    run = RunDirectory(project.runs_dir(spec.name), new_run_id(config.name))
    try:
        run.create()
        with run.logging(log_lines or []):
            log.info("run %s", run.run_id)
            io.write_yaml(run.file("config.yaml"), to_dict(config))
            io.write_yaml(run.file("competition.yaml"), spec.model_dump(mode="json"))
            io.write_json(run.file("fingerprint.json"), prepared.fingerprint)
            write_environment(run, project.root)
            write_predictions(
                run, result, problem, frames.train[spec.id_column], frames.test[spec.id_column]
            )
            if tuning is not None:
                io.write_json(run.file("tuning.json"), tuning)
            for name, content in (extra_json or {}).items():
                io.write_json(run.file(name), content)
            threshold = choose_threshold(config, problem, result)

            submission_path = project.submissions_dir(spec.name) / f"{run.run_id}.csv"
            submission = build_submission(
                spec,
                frames.test[spec.id_column],
                result.test_pred,
                problem.classes,
                frames.sample_submission,
                threshold=threshold.used if threshold else 0.5,
                sample_file=frames.files["sample_submission"],
            )
            validate_submission(
                submission, frames.sample_submission, spec, where=str(submission_path)
            )
            record = build_record(
                prepared,
                result,
                run.run_id,
                threshold,
                submission=str(submission_path.relative_to(project.root)),
                seconds=time.perf_counter() - started,
            )
            write_record(run.path, record)
            report_path = None
            if config.report.enabled:
                with warnings_to_log():  # e.g. a font lacking a glyph: run.log, not the terminal
                    report_path = build_report(prepared, run)
            write_submission(submission, run.file(SUBMISSION_FILE))
            log.info("done in %.1fs", time.perf_counter() - started)
        run.commit(submission=submission_path)  # then published: never without its run
    except BaseException:
        run.abandon()
        raise
    index_run(project, run.final_path)
    return RunResult(
        run_id=run.run_id,
        run_dir=run.final_path,
        submission=submission_path,
        record=record,
        report=run.final_path / report_path.name if report_path else None,
    )


def index_run(project: Project, run_dir: Path) -> None:
    """Add a committed run to the run index. The index is a cache of the run directories
    (the next ``leaderboard`` adds a run it lacks), so a failure here is a warning."""
    from workbench import runindex

    try:
        runindex.update_run(project, run_dir)
    except (OSError, sqlite3.Error, UserError) as exc:
        log.warning("the run index was not updated (%s); the next leaderboard adds the run", exc)


def build_report(prepared: Prepared, run: RunDirectory) -> Path | None:
    """Profile the data and build the report in the run directory; None if that failed.

    The report is a view of a finished run: a failure here is logged, and the run kept.
    """
    from workbench.report import build_report as build
    from workbench.report import profile_data

    spec, frames = prepared.competition.spec, prepared.frames
    try:
        profile = profile_data(
            frames.train,
            frames.test,
            target=spec.target,
            id_column=spec.id_column,
            task=spec.task,
            seed=prepared.config.seed,
        )
        io.write_json(run.file("data_profile.json"), profile)
        if prepared.config.report.drift:
            from workbench.drift import write_run_drift

            write_run_drift(prepared, run.file("drift.json"))  # a failure is logged, not raised
        return build(run.path)
    except Exception as exc:  # the run is complete; only its view failed
        log.warning("the report could not be built: %s: %s", type(exc).__name__, exc)
        log.warning("rebuild it with: workbench report %s", run.run_id)
        return None


def write_predictions(
    run: RunDirectory, result: CVResult, problem: Problem, ids: pd.Series, test_ids: pd.Series
) -> None:
    """folds.csv, oof.csv, test_predictions.csv, importance.csv, explanations.csv,
    learning_curve.csv."""
    n = len(ids)
    fold_of = np.full((result.oof.shape[0], n), -1, dtype=np.int64)
    for fold in result.folds:
        fold_of[fold.repeat, fold.valid] = fold.fold
    columns = prediction_columns(problem.task, problem.classes)
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
    if not result.explanations.empty:
        io.write_csv(run.file("explanations.csv"), result.explanations)
    if result.learning_curve is not None and not result.learning_curve.empty:
        io.write_csv(run.file("learning_curve.csv"), result.learning_curve)


def choose_threshold(
    config: ExperimentConfig, problem: Problem, result: CVResult
) -> ThresholdInfo | None:
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
    return ThresholdInfo(
        used=float(used),
        optimized=float(optimized),
        optimized_metric=metric.name,
        oof_score_at_optimized=float(score_at),
    )


def _std(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def build_record(
    prepared: Prepared,
    result: CVResult,
    run_id: str,
    threshold: ThresholdInfo | None,
    *,
    submission: str | None,
    seconds: float,
) -> RunRecord:
    """The typed ``metrics.json`` of a cross-validated experiment."""
    config, problem = prepared.config, prepared.problem
    metric = problem.metric
    valid, train = result.scores("valid_score"), result.scores("train_score")
    gap = (train.mean() - valid.mean()) * (1 if metric.greater_is_better else -1)
    oof_mean = np.nanmean(result.oof, axis=0)
    timings = result.timings
    return RunRecord(
        run_id=run_id,
        competition=config.competition,
        config_name=config.name,
        task=problem.task,
        classes=problem.classes,
        metric=MetricInfo(name=metric.name, greater_is_better=metric.greater_is_better),
        cv=CVInfo(scheme=config.cv.scheme, folds=config.cv.folds, repeats=config.cv.repeats),
        model=config.model.kind,
        seed=config.seed,
        folds=result.fold_records,
        summary=ScoreSummary(
            valid_mean=float(valid.mean()),
            valid_std=_std(valid),
            train_mean=float(train.mean()),
            train_std=_std(train),
            gap=float(gap),
            oof_score=float(metrics.score(metric, problem.y, oof_mean, task=problem.task)),
        ),
        threshold=threshold,
        submission=submission,
        timings=Timings(
            total_seconds=round(seconds, 4),
            cv_seconds=round(timings["cv_seconds"], 4),
            features_seconds=round(timings["features_seconds"], 4),
            fit_seconds=round(timings["fit_seconds"], 4),
        ),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
