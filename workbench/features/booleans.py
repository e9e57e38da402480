"""Yes/no columns as numbers: True/False (bool, or text in any common spelling) as 1.0/0.0."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.features.base import (
    SELECTORS,
    Step,
    StepConfigError,
    is_numeric,
    require_columns,
    select_columns,
)

# Each pair's spellings (compared lower-cased, stripped): a column is boolean when all its
# values are of one pair. 1/0 columns are numbers already.
PAIRS: tuple[tuple[str, str], ...] = (("true", "false"), ("yes", "no"), ("t", "f"), ("y", "n"))


class Boolean(Step):
    """Turn yes/no columns into 1.0 / 0.0, missing and unknown values into NaN.

    A yes/no column is a bool one, or a text column whose values are all one pair of
    spellings, in any case: True/False, yes/no, t/f, y/n. A bool column with missing values
    reads from a CSV as text (and a bool training column may meet missing test values), so
    models would otherwise refuse it. ``columns`` takes names (each must be yes/no on the
    training rows) or a selector (``all``, the default, or ``categorical``): then only the
    yes/no columns among them are taken. The pair is fixed at fit; nothing else is learned.
    """

    def __init__(self, columns: str | Sequence[str] | None = "all"):
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> Boolean:
        selector = isinstance(self.columns, str) and self.columns in SELECTORS
        self.pairs_: dict[str, tuple[str, str]] = {}
        for column in select_columns(X, self.columns, "boolean"):
            values = X[column]
            if selector and (is_numeric(values) or values.isna().all()):
                continue
            pair = _pair(values)
            if pair is None and not selector:
                shown = ", ".join(map(repr, _distinct(values)[:5]))
                raise StepConfigError(
                    f"boolean: column {column!r} is not a yes/no column (values: {shown})",
                    hint="name only True/False, yes/no, t/f or y/n columns (1/0 ones are "
                    "numbers already), or encode it with onehot / ordinal",
                )
            if pair is not None:
                self.pairs_[column] = pair
        self.columns_ = list(self.pairs_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "boolean")
        out = X.copy(deep=False)
        for column in self.columns_:
            yes, no = self.pairs_[column]
            spelled = _spelled(X[column])
            codes = np.where(spelled == yes, 1.0, np.where(spelled == no, 0.0, np.nan))
            out[column] = pd.Series(codes, index=X.index, dtype=float)
        return self._remember_output(out)


def _spelled(values: pd.Series) -> np.ndarray:
    """Values lower-cased and stripped as text ('' where missing); numbers 1/0 as 'true'/'false'."""
    out = []
    for value in values.to_numpy(dtype=object):
        if isinstance(value, bool | np.bool_):
            out.append("true" if value else "false")
        elif isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
            out.append("true" if value == 1 else "false")
        elif value is None or (not isinstance(value, str) and pd.isna(value)):
            out.append("")
        else:
            out.append(str(value).strip().lower())
    return np.asarray(out, dtype=object)


def _distinct(values: pd.Series) -> list[str]:
    return [str(v) for v in pd.unique(values.dropna().to_numpy(dtype=object))]


def _pair(values: pd.Series) -> tuple[str, str] | None:
    """The pair of spellings all the values are written in, or None."""
    seen = set(_spelled(values)) - {""}
    return next((pair for pair in PAIRS if seen <= set(pair)), None)
