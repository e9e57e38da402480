"""Numeric transforms: scaling, log/power transforms, quantile bins and arithmetic."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, PowerTransformer, RobustScaler, StandardScaler

from workbench.features.base import (
    Step,
    StepConfigError,
    as_float,
    is_numeric,
    require_columns,
    select_columns,
)

SCALERS = {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}


def numeric_columns(
    frame: pd.DataFrame,
    columns: str | Sequence[str] | None,
    step: str,
    skew_threshold: float | None = None,
) -> list[str]:
    """Resolve ``columns`` to numeric columns; ``"skewed"`` picks |skew| > ``skew_threshold``."""
    if columns == "skewed":
        if skew_threshold is None:
            raise StepConfigError(f"{step}: the 'skewed' selector is not available here")
        candidates = select_columns(frame, "numeric", step)
        skew = frame[candidates].astype(float).skew()
        return [c for c in candidates if abs(skew[c]) > skew_threshold]
    names = select_columns(frame, columns, step)
    for name in names:
        if not is_numeric(frame[name]):
            raise StepConfigError(
                f"{step}: column {name!r} is not numeric",
                hint="encode it first (onehot, ordinal, ...) or leave it out of 'columns'",
            )
    return names


class Scale(Step):
    """Scale numeric columns with statistics of the training rows (standard, robust, minmax).

    Missing values are ignored when fitting and stay missing.
    """

    def __init__(self, columns: str | Sequence[str] | None = "numeric", method: str = "standard"):
        self.columns = columns
        self.method = method

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Scale:
        if self.method not in SCALERS:
            raise StepConfigError(
                f"scale: unknown method {self.method!r}", hint="use one of: " + ", ".join(SCALERS)
            )
        self.columns_ = numeric_columns(X, self.columns, "scale")
        self.scaler_ = SCALERS[self.method]()
        if self.columns_:
            self.scaler_.fit(as_float(X[self.columns_]))
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "scale")
        out = X.copy(deep=False)
        if self.columns_:
            out[self.columns_] = self.scaler_.transform(as_float(X[self.columns_]))
        return self._remember_output(out)


class Log1p(Step):
    """Replace numeric columns by log(1 + x), to tame right-skewed values such as prices.

    ``columns`` may be ``"skewed"``: the numeric columns whose |skew| on the training rows
    exceeds ``skew_threshold``. A column with negative training values is first shifted by
    its training minimum so the log is defined; values below that minimum later are clipped
    to it (log1p of 0).
    """

    def __init__(
        self, columns: str | Sequence[str] | None = "skewed", skew_threshold: float = 0.75
    ):
        self.columns = columns
        self.skew_threshold = skew_threshold

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Log1p:
        self.columns_ = numeric_columns(X, self.columns, "log1p", self.skew_threshold)
        self.shift_: dict[str, float] = {}
        for column in self.columns_:
            low = X[column].min()
            self.shift_[column] = float(-low) if pd.notna(low) and low < 0 else 0.0
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "log1p")
        out = X.copy(deep=False)
        for column in self.columns_:
            values = as_float(X[[column]])[:, 0] + self.shift_[column]
            out[column] = np.log1p(np.clip(values, 0.0, None))
        return self._remember_output(out)


class PowerTransform(Step):
    """Make numeric columns more Gaussian with a Yeo-Johnson or Box-Cox power transform.

    The lambdas (and, with ``standardize``, mean and scale) are learned on the training
    rows. Box-Cox needs positive values: training columns must be positive, and
    non-positive values met later become missing. ``columns`` accepts ``"skewed"`` like
    log1p.
    """

    def __init__(
        self,
        columns: str | Sequence[str] | None = "numeric",
        method: str = "yeo-johnson",
        standardize: bool = True,
        skew_threshold: float = 0.75,
    ):
        self.columns = columns
        self.method = method
        self.standardize = standardize
        self.skew_threshold = skew_threshold

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> PowerTransform:
        if self.method not in ("yeo-johnson", "box-cox"):
            raise StepConfigError(
                f"power: unknown method {self.method!r}", hint="use yeo-johnson or box-cox"
            )
        self.columns_ = numeric_columns(X, self.columns, "power", self.skew_threshold)
        # a column with fewer than two distinct values in the training rows (all missing, or
        # constant) has no lambda to learn: it is left as it is
        self.fitted_ = [c for c in self.columns_ if X[c].nunique(dropna=True) > 1]
        data = as_float(X[self.fitted_])
        if self.method == "box-cox" and np.nanmin(data, initial=np.inf) <= 0:
            raise StepConfigError(
                "power: box-cox needs strictly positive values",
                hint="use method yeo-johnson, which handles zero and negative values",
            )
        self.transformer_ = PowerTransformer(method=self.method, standardize=self.standardize)
        if self.fitted_:
            self.transformer_.fit(data)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "power")
        out = X.copy(deep=False)
        if self.fitted_:
            data = as_float(X[self.fitted_])
            if self.method == "box-cox":
                data[data <= 0] = np.nan
            out[self.fitted_] = self.transformer_.transform(data)
        return self._remember_output(out)


class QuantileBin(Step):
    """Add ``<col>_bin``: integer bin codes from quantiles of the training rows.

    Bins hold about equal numbers of training rows (ties merge bins); values outside the
    training range fall into the first or last bin; missing values get code -1. With
    ``keep_original: false`` the original column is dropped.
    """

    def __init__(
        self,
        columns: str | Sequence[str] | None = "numeric",
        n_bins: int = 10,
        keep_original: bool = True,
    ):
        self.columns = columns
        self.n_bins = n_bins
        self.keep_original = keep_original

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> QuantileBin:
        if not isinstance(self.n_bins, numbers.Integral) or self.n_bins < 2:
            raise StepConfigError(
                f"quantile_bin: n_bins must be an integer >= 2, got {self.n_bins!r}"
            )
        self.columns_ = numeric_columns(X, self.columns, "quantile_bin")
        quantiles = np.linspace(0, 1, int(self.n_bins) + 1)[1:-1]
        self.edges_: dict[str, np.ndarray] = {}
        for column in self.columns_:
            values = as_float(X[[column]])[:, 0]
            values = values[~np.isnan(values)]
            edges = np.quantile(values, quantiles) if len(values) else np.array([])
            self.edges_[column] = np.unique(edges)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "quantile_bin")
        out = X.copy(deep=False)
        for column in self.columns_:
            values = as_float(X[[column]])[:, 0]
            codes = np.searchsorted(self.edges_[column], values, side="right")
            out[f"{column}_bin"] = np.where(np.isnan(values), -1, codes).astype(np.int64)
        if not self.keep_original:
            out = out.drop(columns=self.columns_)
        return self._remember_output(out)


OPS = ("add", "sub", "mul", "div")


class Arithmetic(Step):
    """Add a column ``name`` = ``columns`` combined left to right with ``op``.

    ``op`` is add, sub, mul or div; ``columns`` lists two or more column names, and may
    include numbers as constants (``[SibSp, Parch, 1]``). Division by zero gives missing.
    Nothing is learned, so it is leakage-free.
    """

    def __init__(
        self,
        name: str | None = None,
        op: str | None = None,
        columns: Sequence[str | float] | None = None,
    ):
        self.name = name
        self.op = op
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Arithmetic:
        if not isinstance(self.name, str) or not self.name:
            raise StepConfigError(
                "arithmetic: needs a 'name' for the new column",
                hint="write e.g. {step: arithmetic, name: TotalSF, op: add, columns: [A, B]}",
            )
        if self.op not in OPS:
            raise StepConfigError(
                f"arithmetic: unknown op {self.op!r}", hint="use one of: " + ", ".join(OPS)
            )
        if (
            isinstance(self.columns, str)
            or not isinstance(self.columns, Sequence)
            or len(self.columns) < 2
        ):
            raise StepConfigError(
                "arithmetic: 'columns' must list at least two columns (or numbers)",
                hint="write e.g. columns: [TotalBsmtSF, 1stFlrSF, 2ndFlrSF]",
            )
        names = [c for c in self.columns if isinstance(c, str)]
        for item in self.columns:
            if not isinstance(item, str) and (
                isinstance(item, bool) or not isinstance(item, numbers.Real)
            ):
                raise StepConfigError(f"arithmetic: {item!r} is neither a column nor a number")
        if not names:
            raise StepConfigError("arithmetic: 'columns' must name at least one column")
        numeric_columns(X, names, "arithmetic")
        self.columns_ = names
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "arithmetic")
        operands = [_operand(X, item) for item in self.columns]  # type: ignore[union-attr]
        result = operands[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            for operand in operands[1:]:
                result = _apply(self.op, result, operand)  # type: ignore[arg-type]
        if np.ndim(result) == 0:
            result = np.full(len(X), float(result))
        result = np.where(np.isfinite(result), result, np.nan)
        out = X.copy(deep=False)
        out[self.name] = result
        return self._remember_output(out)


def _operand(frame: pd.DataFrame, item: Any) -> Any:
    if isinstance(item, str):
        return as_float(frame[[item]])[:, 0]
    return float(item)


def _apply(op: str, left: Any, right: Any) -> Any:
    if op == "add":
        return left + right
    if op == "sub":
        return left - right
    if op == "mul":
        return left * right
    return np.divide(left, right)


class Clip(Step):
    """Clip (winsorise) numeric columns to quantiles of the training rows.

    ``lower_quantile`` and ``upper_quantile`` (0 and 1 by default: the training minimum and
    maximum) are learned in ``fit`` from the fold's training rows; values met later outside
    those bounds are set to them, so models do not extrapolate beyond what they were trained
    on. Missing values are ignored when fitting and stay missing.
    """

    def __init__(
        self,
        columns: str | Sequence[str] | None = "numeric",
        lower_quantile: float = 0.0,
        upper_quantile: float = 1.0,
    ):
        self.columns = columns
        self.lower_quantile = lower_quantile
        self.upper_quantile = upper_quantile

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Clip:
        for name in ("lower_quantile", "upper_quantile"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not 0 <= value <= 1
            ):
                raise StepConfigError(f"clip: {name} must be a number in [0, 1], got {value!r}")
        if self.lower_quantile > self.upper_quantile:
            raise StepConfigError(
                f"clip: lower_quantile ({self.lower_quantile}) is above upper_quantile "
                f"({self.upper_quantile})"
            )
        self.columns_ = numeric_columns(X, self.columns, "clip")
        self.lower_: dict[str, float] = {}
        self.upper_: dict[str, float] = {}
        for column in self.columns_:
            values = as_float(X[[column]])[:, 0]
            values = values[~np.isnan(values)]
            if len(values):
                low, high = np.quantile(values, [self.lower_quantile, self.upper_quantile])
            else:
                low, high = -np.inf, np.inf
            self.lower_[column], self.upper_[column] = float(low), float(high)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "clip")
        out = X.copy(deep=False)
        for column in self.columns_:
            values = as_float(X[[column]])[:, 0]
            out[column] = np.clip(values, self.lower_[column], self.upper_[column])
        return self._remember_output(out)
