"""``workbench export mlflow``: finished runs into an MLflow tracking store.

One MLflow experiment per competition, one MLflow run per workbench run (named by its run id,
tagged ``workbench.run_id``): the resolved config as params, the CV and per-fold scores and the
Kaggle scores as metrics, the report, submission, OOF predictions, config and record as
artifacts. Exporting again never duplicates a run: an unchanged one is skipped, one that gained
something (a public score, a rebuilt report) is updated with just that. The run directories stay
the truth; the store is a copy for browsing in MLflow's UI.

``mlflow`` is an optional extra (``pip install 'workbench[mlflow]'``) imported only here, inside
:func:`export_runs`. Only files of the run directory are read: never ``environment.json``, the
environment or credentials; a password in the tracking URI is never printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from workbench import configdiff
from workbench.competition import Project
from workbench.errors import UserError, redact
from workbench.record import RECORD_FILE, RunRecord, Submissions, read_record, read_submissions
from workbench.runs import competitions_with_runs, find_run

INSTALL_HINT = "pip install 'workbench[mlflow]'"
STORE_DIR = Path("runs") / ".mlflow"  # hidden: nothing that lists runs/ takes it for a competition
RUN_ID_TAG = "workbench.run_id"
STATE_TAG = "workbench.exported_files"  # sha256 of each exported file: what changed since
PARAM_VALUE_LIMIT = 500  # the smallest limit MLflow servers have had (6,000 in recent releases)
PARAM_KEY_LIMIT = 250
ARTIFACTS = (
    "report.html",
    "figures",
    "submission.csv",
    "oof.csv",
    "config.yaml",
    "metrics.json",
    "submissions.json",
)


@dataclass(frozen=True)
class Exported:
    """What happened to one run: ``exported`` (new), ``updated`` or ``skipped``."""

    run_id: str
    action: str
    experiment: str
    mlflow_run_id: str
    changed: tuple[str, ...] = ()

    def line(self) -> str:
        where = f"experiment {self.experiment!r}, MLflow run {self.mlflow_run_id}"
        if self.action == "skipped":
            return f"skipped {self.run_id}: already exported and unchanged ({where})"
        if self.action == "updated":
            return f"updated {self.run_id}: {', '.join(self.changed)} ({where})"
        return f"exported {self.run_id} ({where})"


@dataclass(frozen=True)
class Store:
    """Where runs go: the tracking URI, and the artifact folder of a default (local) store."""

    uri: str
    artifacts: Path | None = None

    @property
    def shown(self) -> str:
        """The URI without its password, fit to print."""
        return redact(self.uri)


def default_store(project: Project) -> Store:
    """The project's own local store: ``runs/.mlflow/mlflow.db`` (SQLite, MLflow's default
    backend since 3.7; its file store is legacy) with the artifacts beside it."""
    return store_for(f"sqlite:///{project.root / STORE_DIR / 'mlflow.db'}")


def store_for(uri: str) -> Store:
    """A store; a local SQLite one keeps new experiments' artifacts in ``mlartifacts/`` beside
    its database (MLflow alone would put them in ``./mlruns`` of whatever folder it runs in)."""
    match = re.fullmatch(r"sqlite:///([^?]+)(\?.*)?", uri)
    if match is None or match.group(1) == ":memory:":
        return Store(uri)
    return Store(uri, Path(match.group(1)).absolute().parent / "mlartifacts")


def runs_to_export(project: Project, refs: Sequence[str]) -> list[Path]:
    """The run directories named by ``refs`` (ids or paths), else every complete run of the
    project; each once, in order. An unknown or incomplete run is a :class:`UserError`."""
    if refs:
        found = [find_run(ref, project) for ref in refs]
    else:
        found = [
            entry
            for competition in competitions_with_runs(project)
            for entry in sorted(project.runs_dir(competition).iterdir())
            if entry.is_dir() and not entry.name.startswith(".") and (entry / RECORD_FILE).is_file()
        ]
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def flatten_config(config: Mapping[str, Any]) -> dict[str, str]:
    """The resolved config as MLflow params: the dotted keys of :func:`configdiff.flatten` with
    list items as path parts (``features.0.step``: MLflow keys have no brackets); values as
    JSON, cut to :data:`PARAM_VALUE_LIMIT` characters."""
    params: dict[str, str] = {}
    for key, value in configdiff.flatten(config).items():
        if key:
            parts = re.sub(r"\[(\d+)\]", r".\1", key).split(".")
            params.setdefault(_param_key(parts), _param_value(value))
    return params


def _param_key(parts: list[str]) -> str:
    """Each part in MLflow's key characters (no ``/``, so the key stays a unique path)."""
    clean = [re.sub(r"[^A-Za-z0-9_\- ]", "_", part).strip() or "_" for part in parts]
    return ".".join(clean)[:PARAM_KEY_LIMIT]


def _param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > PARAM_VALUE_LIMIT:
        text = text[: PARAM_VALUE_LIMIT - 1] + "…"
    return text


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def run_metrics(record: RunRecord, submissions: Submissions) -> list[tuple[str, float, int, int]]:
    """``(key, value, step, timestamp_ms)``: the CV summary, each fold's scores (step: the
    fold's index over repeats), and the Kaggle scores of each scored submission."""
    when = _millis(record.created_at)
    s = record.summary
    metrics = [
        ("cv_mean", s.valid_mean, 0, when),
        ("cv_std", s.valid_std, 0, when),
        ("oof_score", s.oof_score, 0, when),
        ("train_mean", s.train_mean, 0, when),
        ("train_std", s.train_std, 0, when),
        ("gap", s.gap, 0, when),
        ("run_seconds", record.timings.total_seconds, 0, when),
    ]
    for fold in record.folds:
        step = fold.repeat * record.cv.folds + fold.fold
        metrics.append(("fold_valid_score", fold.valid_score, step, when))
        metrics.append(("fold_train_score", fold.train_score, step, when))
        if fold.best_iteration is not None:
            metrics.append(("fold_best_iteration", float(fold.best_iteration), step, when))
    for step, entry in enumerate(submissions.submissions):
        for key, score in (
            ("public_score", entry.public_score),
            ("private_score", entry.private_score),
        ):
            if score is not None:
                metrics.append((key, score, step, _millis(entry.submitted_at)))
    return metrics


def run_tags(record: RunRecord, run_dir: Path) -> dict[str, str]:
    """What the run is, as tags to filter on in MLflow."""
    return {
        RUN_ID_TAG: record.run_id,
        "workbench.competition": record.competition,
        "workbench.config_name": record.config_name,
        "workbench.task": record.task,
        "workbench.model": record.model,
        "workbench.metric": record.metric.name,
        "workbench.cv_scheme": record.cv.scheme,
        "workbench.run_dir": str(run_dir.resolve()),
    }


def file_digests(run_dir: Path) -> dict[str, str]:
    """A short sha256 of each artifact there is (``figures`` over all its files)."""
    digests: dict[str, str] = {}
    for name in ARTIFACTS:
        path = run_dir / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        files = [p for p in files if p.is_file()]
        if not files:
            continue
        h = hashlib.sha256()
        for file in files:
            h.update(str(file.relative_to(run_dir)).encode())
            with file.open("rb") as f:
                for block in iter(lambda f=f: f.read(1 << 20), b""):
                    h.update(block)
        digests[name] = h.hexdigest()[:16]
    return digests


def export_runs(
    project: Project,
    refs: Sequence[str] = (),
    tracking_uri: str | None = None,
    write: Callable[[str], None] = print,
) -> tuple[Store, list[Exported]]:
    """Export the runs ``refs`` (default: every complete run) to ``tracking_uri`` (default: the
    project's local store), saying one line per run through ``write``."""
    run_dirs = runs_to_export(project, refs)  # every run checked before the store is touched
    records = [(run_dir, read_record(run_dir)) for run_dir in run_dirs]
    store = store_for(tracking_uri) if tracking_uri else default_store(project)
    if not records:
        return store, []
    mlflow = _import_mlflow()
    from mlflow.exceptions import MlflowException

    with _quiet():
        client = _open(mlflow, store)
        results = []
        experiments: dict[str, str] = {}
        for run_dir, record in records:
            try:
                if record.competition not in experiments:
                    experiments[record.competition] = _experiment(client, store, record.competition)
                result = _export_run(client, experiments[record.competition], run_dir, record)
            except (MlflowException, OSError) as exc:
                raise UserError(
                    f"could not export run {record.run_id}: {_message(exc)}", where=store.shown
                ) from None
            write(result.line())
            results.append(result)
    return store, results


def _import_mlflow() -> Any:
    """``mlflow``, or the :class:`UserError` that says how to install it."""
    # Ask MLflow not to send usage telemetry on the user's behalf (an explicit setting wins).
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
    except ImportError as exc:
        missing = exc.name == "mlflow"
        raise UserError(
            "MLflow is not installed" if missing else f"MLflow cannot be imported: {exc}",
            hint=f"install the optional extra: {INSTALL_HINT}",
        ) from None
    return mlflow


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's info lines (database creation and migration) stay off the terminal."""
    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _message(exc: BaseException) -> str:
    """The first line of an exception's message, without passwords."""
    lines = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return redact(lines[0]) if lines else type(exc).__name__


def _open(mlflow: Any, store: Store) -> Any:
    """A client on the store, checked by one read, so a bad URI is one clear message."""
    try:
        if store.artifacts is not None:
            store.artifacts.mkdir(parents=True, exist_ok=True)
        client = mlflow.MlflowClient(tracking_uri=store.uri)
        client.search_experiments(max_results=1)
    except Exception as exc:  # a bad URI fails in MLflow, SQLAlchemy, requests, the OS...
        raise UserError(
            f"cannot open the MLflow store: {type(exc).__name__}: {_message(exc)}",
            where=store.shown,
            hint="check --tracking-uri (e.g. sqlite:///path/mlflow.db or http://host:5000) "
            "and that its server is up",
        ) from None
    return client


def _experiment(client: Any, store: Store, competition: str) -> str:
    """The id of the competition's experiment, made on first use."""
    experiment = client.get_experiment_by_name(competition)
    if experiment is None:
        location = (store.artifacts / competition).as_uri() if store.artifacts else None
        return client.create_experiment(
            competition, artifact_location=location, tags={"workbench.competition": competition}
        )
    if experiment.lifecycle_stage == "deleted":
        raise UserError(
            f"the experiment {competition!r} is deleted in this store",
            where=store.shown,
            hint=f"restore it (mlflow experiments restore --experiment-id "
            f"{experiment.experiment_id}) or remove it for good (mlflow gc)",
        )
    return experiment.experiment_id


def _export_run(client: Any, experiment_id: str, run_dir: Path, record: RunRecord) -> Exported:
    """Create the run's MLflow run, or bring an existing one up to date with what is missing."""
    from mlflow.entities import Metric, Param, RunTag

    digests = file_digests(run_dir)
    state = json.dumps(digests, sort_keys=True)
    found = client.search_runs(
        [experiment_id], filter_string=f"tags.`{RUN_ID_TAG}` = '{record.run_id}'", max_results=10
    )
    existing = next((r for r in found if r.data.tags.get(RUN_ID_TAG) == record.run_id), None)
    end = _millis(record.created_at)
    if existing is not None:
        mlflow_run_id = existing.info.run_id
        if existing.info.status == "FINISHED" and existing.data.tags.get(STATE_TAG) == state:
            return Exported(record.run_id, "skipped", record.competition, mlflow_run_id)
        params, before = existing.data.params, json.loads(existing.data.tags.get(STATE_TAG, "{}"))
    else:
        start = end - round(record.timings.total_seconds * 1000)
        mlflow_run_id = client.create_run(
            experiment_id, start_time=start, tags=run_tags(record, run_dir), run_name=record.run_id
        ).info.run_id
        params, before = {}, {}

    config = run_dir / "config.yaml"
    flat = (
        flatten_config(yaml.safe_load(config.read_text("utf-8")) or {}) if config.is_file() else {}
    )
    new_params = [Param(k, v) for k, v in flat.items() if k not in params]
    metrics = run_metrics(record, read_submissions(run_dir))
    logged = {  # (step, value) already there, so nothing is logged twice
        key: {(m.step, _same(m.value)) for m in client.get_metric_history(mlflow_run_id, key)}
        for key in ({key for key, *_ in metrics} if existing is not None else ())
    }
    new_metrics = [
        Metric(key, value, when, step)
        for key, value, step, when in metrics
        if (step, _same(value)) not in logged.get(key, set())
    ]
    tags = [RunTag(k, v) for k, v in run_tags(record, run_dir).items()]
    for chunk in _chunks(new_params, 100):
        client.log_batch(mlflow_run_id, params=chunk)
    for chunk in _chunks(new_metrics, 1000):
        client.log_batch(mlflow_run_id, metrics=chunk)
    changed_files = [name for name, digest in digests.items() if before.get(name) != digest]
    for name in changed_files:
        path = run_dir / name
        if path.is_dir():
            client.log_artifacts(mlflow_run_id, str(path), artifact_path=name)
        else:
            client.log_artifact(mlflow_run_id, str(path))
    client.log_batch(mlflow_run_id, tags=[*tags, RunTag(STATE_TAG, state)])
    if existing is None or existing.info.status != "FINISHED":
        client.set_terminated(mlflow_run_id, status="FINISHED", end_time=end)
    if existing is None:
        return Exported(record.run_id, "exported", record.competition, mlflow_run_id)
    changed = sorted({m.key for m in new_metrics}) + changed_files + [p.key for p in new_params]
    if existing.info.status != "FINISHED":
        changed.insert(0, "completed an interrupted export")
    return Exported(
        record.run_id, "updated", record.competition, mlflow_run_id, tuple(changed or ["tags"])
    )


def _same(value: float) -> float | str:
    """A metric value fit to compare (NaN equals NaN here)."""
    return "nan" if math.isnan(value) else float(value)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
