"""Read a run directory (docs/run-directory.md) into a :class:`Run` for the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from workbench import tasks
from workbench.record import CVInfo, RunRecord, not_a_run, read_record


@dataclass
class Run:
    """What the report needs from a run directory: its record (``metrics.json``), its
    out-of-fold predictions and the optional files beside them."""

    path: Path
    record: RunRecord
    oof: pd.DataFrame
    config: dict[str, Any] = field(default_factory=dict)
    importance: pd.DataFrame | None = None
    explanations: pd.DataFrame | None = None  # explanations.csv (SHAP models only)
    learning_curve: pd.DataFrame | None = None
    profile: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None  # drift.json (report.drift)

    @property
    def task(self) -> str:
        return self.record.task

    @property
    def metric(self) -> str:
        return self.record.metric.name

    @property
    def greater_is_better(self) -> bool:
        return self.record.metric.greater_is_better


def _read_json(path: Path, run_dir: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise not_a_run(run_dir, f"cannot read {path.name}: {exc}") from None


def _read_csv(path: Path, run_dir: Path, required: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise not_a_run(run_dir, f"cannot read {path.name}: {exc}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise not_a_run(run_dir, f"{path.name} has no column {missing[0]!r}")
    return frame


def load_run(run_dir: str | Path) -> Run:
    """Read a run directory; :class:`UserError` if it is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise not_a_run(run_dir, "not a directory")
    record = read_record(run_dir)
    if not (run_dir / "oof.csv").is_file():
        raise not_a_run(run_dir, "not a run directory (no oof.csv)")
    oof = _read_csv(run_dir / "oof.csv", run_dir, ["id", "repeat", "fold", "target"])
    run = Run(path=run_dir, record=record, oof=oof)
    config_path = run_dir / "config.yaml"
    if config_path.is_file():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise not_a_run(run_dir, f"cannot read config.yaml: {exc}") from None
        run.config = loaded if isinstance(loaded, dict) else {}
    if (run_dir / "importance.csv").is_file():
        run.importance = _read_csv(
            run_dir / "importance.csv", run_dir, ["feature", "kind", "importance"]
        )
    if (run_dir / "explanations.csv").is_file():
        run.explanations = _read_csv(
            run_dir / "explanations.csv",
            run_dir,
            ["repeat", "fold", "id", "set", "rank", "feature", "shap", "value"],
        )
    if (run_dir / "learning_curve.csv").is_file():
        run.learning_curve = _read_csv(
            run_dir / "learning_curve.csv",
            run_dir,
            ["fold", "fraction", "n_train", "train_score", "valid_score"],
        )
    if (run_dir / "data_profile.json").is_file():
        run.profile = _read_json(run_dir / "data_profile.json", run_dir)
    if (run_dir / "tuning.json").is_file():
        run.tuning = _read_json(run_dir / "tuning.json", run_dir)
    if (run_dir / "drift.json").is_file():
        run.drift = _read_json(run_dir / "drift.json", run_dir)
    return run


def model_kind(run: Run) -> str:
    """The model kind: config.yaml's ``model.kind``, else the record's ``model``."""
    model = run.config.get("model")
    if isinstance(model, dict) and model.get("kind"):
        return str(model["kind"])
    return run.record.model


def cv_text(cv: CVInfo) -> str:
    """The validation scheme in words, e.g. "stratified kfold, 5 folds × 3 repeats"."""
    text = f"{cv.scheme.replace('_', ' ')}, {cv.folds} folds"
    if cv.repeats > 1:
        text += f" × {cv.repeats} repeats"
    return text


def prediction_columns(run: Run) -> list[str]:
    """The prediction columns of oof.csv (:func:`workbench.tasks.prediction_columns`);
    :class:`UserError` if oof.csv lacks any of them."""
    columns = tasks.prediction_columns(run.record.task, run.record.classes)
    if not columns:
        raise not_a_run(run.path, f"metrics.json lists no classes ({run.task} run)")
    missing = [c for c in columns if c not in run.oof.columns]
    if missing:
        raise not_a_run(run.path, f"oof.csv has no column {missing[0]!r} ({run.task} run)")
    return columns


@dataclass
class Pooled:
    """Out-of-fold predictions, one row per training row (averaged over repeats)."""

    ids: np.ndarray
    y: np.ndarray
    pred: np.ndarray  # 1-d (binary, regression) or 2-d (multiclass)
    folds: np.ndarray  # the row's validation fold (repeat 0)
    repeats: int


def pool(run: Run, columns: list[str]) -> Pooled:
    """Pool the out-of-fold predictions in ``columns``, averaging over repeats."""
    oof = run.oof
    repeats = int(oof["repeat"].nunique())
    if repeats > 1:
        first = oof[oof["repeat"] == oof["repeat"].min()][["id", "fold"]]
        means = oof.groupby("id", sort=False)[["target", *columns]].mean()
        frame = first.merge(means, left_on="id", right_index=True, how="left")
    else:
        frame = oof
    pred = frame[columns].to_numpy(dtype=float)
    return Pooled(
        ids=frame["id"].to_numpy(),
        y=frame["target"].to_numpy(),
        pred=pred if len(columns) > 1 else pred[:, 0],
        folds=frame["fold"].to_numpy(),
        repeats=repeats,
    )
