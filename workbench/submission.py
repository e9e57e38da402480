"""Submission files: built from test predictions, validated against the sample submission.

Kaggle scores a malformed file as 0 or rejects it: ids out of order, a float ``Survived``
column, NaN. Every submission is checked before it is written (atomically).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import io
from workbench.competition import CompetitionSpec
from workbench.errors import UserError
from workbench.metrics import get_metric

log = logging.getLogger("workbench")


def build_submission(
    spec: CompetitionSpec,
    test_ids: pd.Series,
    predictions: np.ndarray,
    classes: list,
    sample: pd.DataFrame,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """A frame in the sample submission's format (columns, id order, dtypes)."""
    value_columns = [c for c in sample.columns if c != spec.id_column]
    kind = spec.submission.prediction
    if kind == "label":
        if spec.task == "binary":
            index = (predictions >= threshold).astype(int)
        elif spec.task == "multiclass":
            index = np.asarray(predictions).argmax(axis=1)
        else:
            raise UserError(
                "prediction 'label' needs a classification task", where="competition.yaml"
            )
        values = np.asarray(classes, dtype=object)[index]
        frame = pd.DataFrame({value_columns[0]: values})
    elif kind == "probability" and spec.task == "multiclass":
        frame = pd.DataFrame(np.asarray(predictions), columns=[str(c) for c in classes])
        frame = (
            frame[[str(c) for c in value_columns]]
            if set(map(str, value_columns)) <= set(frame.columns)
            else frame
        )
        frame.columns = value_columns[: frame.shape[1]]
    else:
        frame = pd.DataFrame({value_columns[0]: np.asarray(predictions, dtype=float)})
    frame.insert(0, spec.id_column, test_ids.to_numpy())
    frame = frame.set_index(spec.id_column).reindex(sample[spec.id_column]).reset_index()
    for column in value_columns:
        if kind == "value" and pd.api.types.is_integer_dtype(sample[column]):
            # Truncating predicted values to integers would change them (0.501 -> 0).
            log.warning(
                "the sample submission's %r holds integers; the predicted values are written "
                "as decimals (Kaggle reads both)",
                column,
            )
            continue
        frame[column] = _cast_like(frame[column], sample[column])
    return frame[list(sample.columns)]


def _cast_like(values: pd.Series, template: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(template):
        return values.astype(bool)
    if pd.api.types.is_integer_dtype(template):
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            return numeric
        return numeric.astype(template.dtype)
    if pd.api.types.is_float_dtype(template):
        return pd.to_numeric(values, errors="coerce").astype(float)
    return values.astype(template.dtype)


def validate_submission(
    frame: pd.DataFrame, sample: pd.DataFrame, spec: CompetitionSpec, *, where: str
) -> None:
    """Raise :class:`UserError` unless ``frame`` would be accepted and scored by Kaggle."""
    if list(frame.columns) != list(sample.columns):
        raise UserError(
            f"columns {list(frame.columns)} differ from the sample's {list(sample.columns)}",
            where=where,
        )
    if len(frame) != len(sample) or not frame[spec.id_column].reset_index(drop=True).equals(
        sample[spec.id_column].reset_index(drop=True)
    ):
        raise UserError(
            "ids differ from the sample submission's (set or order)",
            where=where,
            hint="the submission must list exactly the test ids, in the sample's order",
        )
    for column in frame.columns:
        if column == spec.id_column:
            continue
        values, template = frame[column], sample[column]
        if values.isna().any():
            raise UserError(f"{int(values.isna().sum())} missing values in {column!r}", where=where)
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and not np.isfinite(values.to_numpy(dtype=float)).all():
            raise UserError(f"infinite values in {column!r}", where=where)
        label = spec.submission.prediction != "value"
        if (
            label
            and pd.api.types.is_integer_dtype(template)
            and not pd.api.types.is_integer_dtype(values)
        ):
            raise UserError(
                f"{column!r} must be integer like the sample's, got {values.dtype}",
                where=where,
                hint="Kaggle scores a float label column as 0",
            )
        if pd.api.types.is_float_dtype(template) and not pd.api.types.is_numeric_dtype(values):
            raise UserError(f"{column!r} must be numeric, got {values.dtype}", where=where)
        takes_log = spec.task == "regression" and get_metric(spec.metric, spec.task).log_space
        if takes_log and (values.to_numpy(dtype=float) <= 0).any():
            raise UserError(
                f"{column!r} has non-positive values; the metric takes their log", where=where
            )


def write_submission(frame: pd.DataFrame, path: Path) -> Path:
    """Write the (already validated) submission atomically."""
    return io.write_csv(path, frame)
