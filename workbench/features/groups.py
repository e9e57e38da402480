"""Group statistics: a column's statistic within groups of key columns (learned in fit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.features.base import (
    Step,
    StepConfigError,
    as_list,
    is_numeric,
    lookup,
    require_columns,
)

AGGREGATES = ("count", "mean", "median", "std", "min", "max", "sum")


class GroupAggregate(Step):
    """Add a statistic of the training rows per group, e.g. passengers per Ticket.

    ``by`` names the key columns; ``agg`` is count, mean, median, std, min, max or sum of
    ``column`` (count without ``column`` counts rows). The statistics come from the training
    rows only; a key unseen there gives missing (0 for count). Missing keys form a group of
    their own. The new column is ``name``, by default ``<column>_<agg>_by_<by>``.
    """

    def __init__(
        self,
        by: str | Sequence[str] | None = None,
        column: str | None = None,
        agg: str = "count",
        name: str | None = None,
    ):
        self.by = by
        self.column = column
        self.agg = agg
        self.name = name

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> GroupAggregate:
        self.by_ = as_list(self.by, "group_aggregate", "by")
        if not self.by_:
            raise StepConfigError(
                "group_aggregate: needs 'by', the key column(s) to group on",
                hint="write e.g. {step: group_aggregate, by: [Pclass], column: Fare, agg: mean}",
            )
        if self.agg not in AGGREGATES:
            raise StepConfigError(
                f"group_aggregate: unknown agg {self.agg!r}",
                hint="use one of: " + ", ".join(AGGREGATES),
            )
        if self.column is None and self.agg != "count":
            raise StepConfigError(
                f"group_aggregate: agg {self.agg!r} needs 'column', the values to aggregate"
            )
        require_columns(X, [*self.by_, *([self.column] if self.column else [])], "group_aggregate")
        if self.column is not None and self.agg != "count" and not is_numeric(X[self.column]):
            raise StepConfigError(
                f"group_aggregate: column {self.column!r} is not numeric, so it has no {self.agg}"
            )
        joined = "_".join(self.by_)
        default = f"{self.column}_{self.agg}_by_{joined}" if self.column else f"count_by_{joined}"
        self.name_ = self.name or default
        grouped = X.groupby(self.by_, dropna=False, observed=True)
        stats = grouped.size() if self.column is None else grouped[self.column].agg(self.agg)
        self.table_ = stats.rename("__value__").reset_index()
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.by_, "group_aggregate")
        values = lookup(self.table_, X[self.by_])["__value__"]
        if self.agg == "count":
            values = values.fillna(0).astype(np.int64)
        out = X.copy(deep=False)
        out[self.name_] = values.astype(np.int64) if self.agg == "count" else values.astype(float)
        return self._remember_output(out)
