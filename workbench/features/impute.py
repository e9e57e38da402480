"""Missing-value imputation, optionally within groups (e.g. median Age per Title)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer

from workbench.features.base import (
    Step,
    StepConfigError,
    as_float,
    as_list,
    as_object,
    is_numeric,
    lookup,
    require_columns,
    select_columns,
)

STRATEGIES = ("median", "mean", "most_frequent", "constant")


class Impute(Step):
    """Fill missing values with a statistic learned on the training rows, optionally per group.

    ``strategy`` is median, mean, most_frequent or constant (``fill_value``). With ``by`` the
    statistic is learned within each group of the training rows (median Age per Title);
    groups that are unseen, missing, or have no values fall back to the global statistic.
    ``add_indicator`` adds a 0/1 ``<col>_missing`` column per imputed column, so a model can
    still tell which values were filled. ``columns`` defaults to the numeric columns for
    median/mean and to all columns otherwise.
    """

    def __init__(
        self,
        columns: str | Sequence[str] | None = None,
        strategy: str = "median",
        fill_value: Any = None,
        by: str | Sequence[str] | None = None,
        add_indicator: bool = False,
    ):
        self.columns = columns
        self.strategy = strategy
        self.fill_value = fill_value
        self.by = by
        self.add_indicator = add_indicator

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Impute:
        if self.strategy not in STRATEGIES:
            raise StepConfigError(
                f"impute: unknown strategy {self.strategy!r}",
                hint="use one of: " + ", ".join(STRATEGIES),
            )
        default = "numeric" if self.strategy in ("median", "mean") else "all"
        columns = select_columns(X, default if self.columns is None else self.columns, "impute")
        self.by_ = as_list(self.by, "impute", "by")
        require_columns(X, self.by_, "impute")
        if self.by_ and self.strategy == "constant":
            raise StepConfigError(
                "impute: 'by' makes no sense with strategy 'constant'",
                hint="drop 'by', or use median, mean or most_frequent",
            )
        self.columns_ = [c for c in columns if c not in self.by_]
        if self.strategy in ("median", "mean"):
            for column in self.columns_:
                if not is_numeric(X[column]):
                    raise StepConfigError(
                        f"impute: column {column!r} is not numeric, so it has no {self.strategy}",
                        hint="use strategy most_frequent or constant for text columns",
                    )
        # SimpleImputer learns the global statistics (its own rules for ties and defaults).
        self.statistics_: dict[str, Any] = {}
        if self.columns_:
            numeric = all(is_numeric(X[c]) for c in self.columns_)
            if self.strategy == "constant" and numeric and isinstance(self.fill_value, str):
                raise StepConfigError(
                    f"impute: fill_value {self.fill_value!r} is text, but the column(s) "
                    f"{self.columns_[:5]} are numeric",
                    hint="use a number, or impute text columns in a step of their own",
                )
            # one column at a time: never a float copy of every imputed column at once
            for column in self.columns_:
                if self.strategy == "median":
                    self.statistics_[column] = _median(X[column])
                    continue
                data = as_float(X[[column]]) if numeric else as_object(X[[column]])
                imputer = SimpleImputer(
                    strategy=self.strategy, fill_value=self.fill_value, keep_empty_features=True
                )
                self.statistics_[column] = imputer.fit(data).statistics_[0]
        self.group_statistics_: dict[str, pd.DataFrame] = {}
        if self.by_:
            for column in self.columns_:
                grouped = X.groupby(self.by_, dropna=True, observed=True)[column]
                if self.strategy == "most_frequent":
                    stat = grouped.agg(_mode)
                else:
                    stat = grouped.agg(self.strategy)
                self.group_statistics_[column] = stat.rename("__value__").reset_index()
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, [*self.columns_, *self.by_], "impute")
        out = X.copy(deep=False)
        for column in self.columns_:
            values = X[column]
            missing = values.isna()
            fill: Any = self.statistics_[column]
            if self.by_ and missing.any():
                group_fill = lookup(self.group_statistics_[column], X[self.by_])["__value__"]
                fill = group_fill.where(group_fill.notna(), fill)
            out[column] = values.where(~missing, fill) if missing.any() else values
            if self.add_indicator:
                out[f"{column}_missing"] = missing.astype(np.int8)
        return self._remember_output(out)


def _median(values: pd.Series) -> float:
    """The median of a column's values, 0 for a column without any (scikit-learn's
    ``SimpleImputer(keep_empty_features=True)`` rule); by partition, not a full sort."""
    data = values.to_numpy(dtype=float, na_value=np.nan)
    return 0.0 if np.isnan(data).all() else float(np.nanmedian(data))


def _mode(values: pd.Series) -> Any:
    modes = values.dropna().mode()
    return modes.iloc[0] if len(modes) else np.nan
