"""Column selection: drop columns, or keep only some."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from workbench.features.base import (
    SELECTORS,
    Step,
    StepConfigError,
    require_columns,
    select_columns,
)


class Drop(Step):
    """Drop columns (names or a selector such as ``categorical``).

    An absent column is an error unless ``errors: ignore``.
    """

    def __init__(self, columns: str | Sequence[str] | None = None, errors: str = "raise"):
        self.columns = columns
        self.errors = errors

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Drop:
        if self.errors not in ("raise", "ignore"):
            raise StepConfigError(f"drop: errors must be 'raise' or 'ignore', got {self.errors!r}")
        columns = self.columns
        if self.errors == "ignore" and columns is not None:
            if isinstance(columns, str) and columns not in SELECTORS:
                columns = [columns]
            if not isinstance(columns, str):
                columns = [c for c in columns if c in X.columns]
        self.columns_ = select_columns(X, columns, "drop")
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if self.errors == "raise":
            require_columns(X, self.columns_, "drop")
        return self._remember_output(X.drop(columns=[c for c in self.columns_ if c in X]))


class Keep(Step):
    """Keep only the given columns (names or a selector), in the order given."""

    def __init__(self, columns: str | Sequence[str] | None = None):
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Keep:
        self.columns_ = select_columns(X, self.columns, "keep")
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "keep")
        return self._remember_output(X[self.columns_])
