"""A prepared experiment: everything a cross-validation needs, checked, before the first fold.

:func:`prepare` reads and resolves the config (every default explicit), loads the competition
and its files, encodes the target and checks that the feature steps and the model can be
built. ``run``, ``tune`` and ``blend`` all start from a :class:`Prepared`; none of it touches
a run directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import cv, metrics, models
from workbench.competition import Competition, Project, load_competition
from workbench.config import ExperimentConfig, load_config, to_dict
from workbench.data import (
    Frames,
    data_digest,
    encode_target,
    fingerprint,
    load_frames,
    shown_value,
)
from workbench.errors import UserError
from workbench.features.pipeline import FeaturePipeline
from workbench.features.registry import build_pipeline
from workbench.submission import check_submission_format


@dataclass(frozen=True)
class Problem:
    """The encoded data of a competition and how to score it."""

    X: pd.DataFrame  # training features, indexed by the id column (no target)
    y: np.ndarray  # class indices 0..K-1, or float values
    X_test: pd.DataFrame
    task: str
    metric: metrics.Metric
    classes: list
    groups: np.ndarray | None = None
    data_digest: str = ""  # sha256 over the input files' hashes: what the data was

    @property
    def n_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class FeatureSpec:
    """How to build a fold's feature pipeline, and what its output depends on.

    ``steps`` is the resolved ``features:`` list as canonical JSON, ``code_digest`` the sha256
    of ``competitions/<name>/features.py``: with the seed, the data and the fold's rows they
    determine a fitted pipeline, which is what a fold cache keys on. ``float32``: the model
    takes its features as one block of 32-bit floats (:func:`workbench.models.takes_float32`).
    """

    steps: str
    competition: str
    competition_dir: Path
    seed: int
    code_digest: str
    float32: bool = False

    @classmethod
    def from_config(cls, config: ExperimentConfig, competition: Competition) -> FeatureSpec:
        return cls(
            steps=json.dumps(to_dict(config)["features"], sort_keys=True),
            competition=competition.spec.name,
            competition_dir=competition.directory,
            seed=config.seed,
            code_digest=_file_digest(competition.directory / "features.py"),
            float32=models.takes_float32(config.model.kind),
        )

    def build(self) -> FeaturePipeline:
        """A fresh, unfitted pipeline (unknown steps and parameters raise :class:`UserError`)."""
        return build_pipeline(
            json.loads(self.steps),
            competition=self.competition,
            competition_dir=self.competition_dir,
            seed=self.seed,
        )

    @cached_property
    def digest(self) -> str:
        text = f"{self.steps}\0{self.code_digest}\0{self.seed}\0{self.float32}"
        return hashlib.sha256(text.encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


@dataclass(frozen=True)
class Prepared:
    """A resolved config with its competition, data and problem: ready to cross-validate."""

    config: ExperimentConfig
    config_path: Path
    project: Project
    competition: Competition
    frames: Frames
    problem: Problem
    features: FeatureSpec
    fingerprint: dict[str, dict[str, Any]]

    def with_config(self, config: ExperimentConfig, *, check_values: bool = True) -> Prepared:
        """The same data under another config (e.g. a tuning trial): resolved and checked
        (``check_values=False``: names only, no trial fit of the model)."""
        config = resolve(config, self.competition)
        features = FeatureSpec.from_config(config, self.competition)
        features.build()
        problem = make_problem(
            config, self.competition, self.frames, data_digest=self.problem.data_digest
        )
        if check_values:
            check_model(config, problem)
        return dataclasses.replace(self, config=config, problem=problem, features=features)


def resolve(config: ExperimentConfig, competition: Competition) -> ExperimentConfig:
    """Fill in what the config left to defaults: metric, CV scheme, model parameters."""
    task = competition.spec.task
    try:
        metric = metrics.get_metric(config.metric or competition.spec.metric, task)
    except UserError as exc:
        if config.metric is not None:
            raise
        # the competition's default metric: the mistake is in its competition.yaml
        where = f"{competition.directory / 'competition.yaml'}: metric"
        raise UserError(exc.message, where=where, hint=exc.hint) from None
    scheme = cv.resolve_scheme(config.cv.scheme, task, config.cv.group_column is not None)
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


def make_problem(
    config: ExperimentConfig, competition: Competition, frames: Frames, *, data_digest: str
) -> Problem:
    """Encode the target and index the rows by their id (the id is never a feature)."""
    spec = competition.spec
    y, classes = encode_target(frames.train[spec.target], spec.task)
    if spec.task == "multiclass" and len(classes) < 3:
        shown = ", ".join(shown_value(c) for c in classes)
        raise UserError(
            f"task is multiclass but the target {spec.target!r} has {len(classes)} classes "
            f"({shown})",
            where=f"{competition.directory / 'competition.yaml'}: task",
            hint="write task: binary",
        )
    if spec.task == "binary" and len(classes) != 2:
        shown = ", ".join(shown_value(c) for c in classes[:6]) + (
            ", ..." if len(classes) > 6 else ""
        )
        raise UserError(
            f"task is binary but the target {spec.target!r} has {len(classes)} classes ({shown})",
            where=f"{competition.directory / 'competition.yaml'}: task",
            hint="write task: multiclass, or fix the target column of the training file",
        )
    metric = metrics.get_metric(config.metric or spec.metric, spec.task)
    if metric.log_space and spec.task == "regression" and np.any(y <= 0):
        bad = np.flatnonzero(y <= 0)
        ids = frames.train[spec.id_column].to_numpy()[bad[:5]]
        shown = ", ".join(map(shown_value, ids)) + (", ..." if len(bad) > 5 else "")
        raise UserError(
            f"the metric {metric.name!r} takes the log of the target, but {len(bad)} training "
            f"row(s) have a target <= 0 (ids {shown}; smallest {shown_value(y.min())})",
            where=str(frames.files["train"]),
            hint="use metric: rmse (with model.target_transform: log1p for a skewed target), "
            "or fix those rows",
        )
    X = frames.train.drop(columns=[spec.target]).set_index(spec.id_column, drop=True)
    X_test = frames.test.set_index(spec.id_column, drop=True)
    groups = None
    if config.cv.group_column:
        if config.cv.group_column not in frames.train.columns:
            raise UserError(
                f"group column {config.cv.group_column!r} not in the training data",
                where="cv.group_column",
            )
        column = frames.train[config.cv.group_column]
        n_missing = int(column.isna().sum())
        if n_missing and config.cv.scheme in cv.GROUPED:
            raise UserError(
                f"group column {config.cv.group_column!r} is missing in {n_missing} training "
                "row(s): each row needs a group",
                where="cv.group_column",
                hint="fill them in (a feature step runs too late: folds come first), or choose "
                "another column",
            )
        # group codes: values of any type (text, numbers, a mix of both) compare as equal or not
        groups = pd.factorize(column)[0]
    return Problem(
        X=X,
        y=y,
        X_test=X_test,
        task=spec.task,
        metric=metric,
        classes=classes,
        groups=groups,
        data_digest=data_digest,
    )


def prepare(
    config_path: str | Path, overrides: list[str] | None = None, *, project: Project | None = None
) -> Prepared:
    """Read, resolve and check a config and load its data; no fold is fitted yet."""
    config_path = Path(config_path)
    config = load_config(config_path, overrides)
    project = project or Project.find(config_path.parent)
    competition = load_competition(config.competition, project)
    config = resolve(config, competition)
    features = FeatureSpec.from_config(config, competition)
    features.build()  # unknown step names and parameters fail here, before the data is read
    frames = load_frames(competition)
    prints = fingerprint(frames.files)
    problem = make_problem(config, competition, frames, data_digest=data_digest(prints))
    check_submission_format(  # a sample the predictions cannot fill fails now, not after CV
        competition.spec,
        frames.sample_submission,
        problem.classes,
        where=str(frames.files["sample_submission"]),
    )
    check_model(config, problem)
    return Prepared(
        config=config,
        config_path=config_path,
        project=project,
        competition=competition,
        frames=frames,
        problem=problem,
        features=features,
        fingerprint=prints,
    )


def check_model(config: ExperimentConfig, problem: Problem) -> None:
    """Parameter values the model's library rejects fail here, before the first fold."""
    models.check_values(
        config.model.kind,
        task=problem.task,
        params=config.model.params,
        n_classes=problem.n_classes,
    )
