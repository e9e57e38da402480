"""Outlier filters: drop unusual rows from a fold's training part, never from scored rows."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

from workbench.features.base import RowFilter, StepConfigError, as_float, require_columns
from workbench.features.numeric import numeric_columns

METHODS = ("threshold", "zscore", "isolation_forest")


class OutlierFilter(RowFilter):
    """Drop outlier rows from the training rows only (validation and test rows are all kept).

    Three methods:

    - ``threshold`` (default): rows whose ``column`` is above ``max`` or below ``min``. With
      ``target_min``/``target_max`` a row must *also* have its target outside
      [target_min, target_max]. The classic House Prices rule "GrLivArea > 4000 and
      SalePrice < 300000" is ``{column: GrLivArea, max: 4000, target_min: 300000}``.
    - ``zscore``: rows where any of ``columns`` is more than ``threshold`` standard
      deviations from its training mean.
    - ``isolation_forest``: rows an IsolationForest on ``columns`` (missing values filled
      with training medians) flags, about ``contamination`` of them.

    The feature pipeline applies it to each fold's training part; it is skipped when rows
    are scored or predicted, so no validation or test row is ever dropped. Missing values
    are never outliers.
    """

    def __init__(
        self,
        method: str = "threshold",
        column: str | None = None,
        min: float | None = None,
        max: float | None = None,
        target_min: float | None = None,
        target_max: float | None = None,
        columns: str | Sequence[str] | None = "numeric",
        threshold: float = 3.0,
        contamination: str | float = "auto",
        random_state: int | None = None,
    ):
        self.method = method
        self.column = column
        self.min = min
        self.max = max
        self.target_min = target_min
        self.target_max = target_max
        self.columns = columns
        self.threshold = threshold
        self.contamination = contamination
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> OutlierFilter:
        if self.method not in METHODS:
            raise StepConfigError(
                f"outliers: unknown method {self.method!r}",
                hint="use one of: " + ", ".join(METHODS),
            )
        for key in ("min", "max", "target_min", "target_max", "threshold"):
            value = getattr(self, key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, numbers.Real)
            ):
                raise StepConfigError(f"outliers: {key} must be a number, got {value!r}")
        if self.method == "threshold":
            if self.column is None or (self.min is None and self.max is None):
                raise StepConfigError(
                    "outliers: the threshold method needs 'column' and 'min' and/or 'max'",
                    hint="write e.g. {step: outliers, column: GrLivArea, max: 4000, "
                    "target_min: 300000}, or use method: zscore / isolation_forest",
                )
            numeric_columns(X, [self.column], "outliers")
            if (self.target_min is not None or self.target_max is not None) and y is None:
                raise StepConfigError("outliers: target_min/target_max need the target")
            return self
        if self.column is not None:
            raise StepConfigError(
                f"outliers: 'column' belongs to the threshold method, not {self.method}",
                hint="use 'columns' to choose the columns checked",
            )
        self.columns_ = numeric_columns(X, self.columns, "outliers")
        data = as_float(X[self.columns_])
        if self.method == "zscore":
            self.mean_ = np.nanmean(data, axis=0) if len(data) else np.zeros(data.shape[1])
            std = np.nanstd(data, axis=0) if len(data) else np.ones(data.shape[1])
            self.std_ = np.where(np.isfinite(std) & (std > 0), std, np.inf)
        else:
            self.model_ = make_pipeline(
                SimpleImputer(strategy="median", keep_empty_features=True),
                IsolationForest(contamination=self.contamination, random_state=self.random_state),
            )
            try:
                self.model_.fit(data)
            except ValueError as exc:
                raise StepConfigError(f"outliers: {exc}") from exc
        return self

    def keep_mask(self, X: pd.DataFrame, y: pd.Series | None = None) -> np.ndarray:
        if self.method == "threshold":
            require_columns(X, [self.column], "outliers")  # type: ignore[list-item]
            values = as_float(X[[self.column]])[:, 0]
            outlier = _outside(values, self.min, self.max)
            if self.target_min is not None or self.target_max is not None:
                if y is None:
                    raise StepConfigError("outliers: target_min/target_max need the target")
                target = np.asarray(y, dtype=float)
                outlier &= _outside(target, self.target_min, self.target_max)
            return ~outlier
        require_columns(X, self.columns_, "outliers")
        data = as_float(X[self.columns_])
        if self.method == "zscore":
            with np.errstate(invalid="ignore"):
                z = np.abs((data - self.mean_) / self.std_)
            return ~np.any(np.nan_to_num(z, nan=0.0) > self.threshold, axis=1)
        return self.model_.predict(data) != -1


def _outside(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """True where a value is below ``low`` or above ``high``; missing values never are."""
    outside = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
    return outside
