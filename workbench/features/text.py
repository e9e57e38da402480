"""Text features: pull a piece out of a string column with a regular expression; length and
word counts of free text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.features.base import (
    Step,
    StepConfigError,
    check_new_names,
    put_beside,
    require_columns,
    select_columns,
)


class RegexExtract(Step):
    """Add column ``name`` with the first capture group of ``pattern`` found in ``column``.

    Rows without a match (or with a missing value) get ``default``. The pattern is a
    Python regular expression with exactly one capture group, e.g. ``' ([A-Za-z]+)\\.'`` for
    the title in a Titanic name. Nothing is learned, so it is leakage-free.
    """

    def __init__(
        self,
        column: str | None = None,
        pattern: str | None = None,
        name: str | None = None,
        default: Any = None,
    ):
        self.column = column
        self.pattern = pattern
        self.name = name
        self.default = default

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> RegexExtract:
        if not isinstance(self.column, str):
            raise StepConfigError("regex_extract: needs 'column', the text column to search")
        if not isinstance(self.name, str) or not self.name:
            raise StepConfigError("regex_extract: needs 'name', the name of the new column")
        if not isinstance(self.pattern, str):
            raise StepConfigError("regex_extract: needs 'pattern', a regular expression")
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise StepConfigError(
                f"regex_extract: invalid pattern {self.pattern!r}: {exc}"
            ) from exc
        if compiled.groups != 1:
            raise StepConfigError(
                f"regex_extract: pattern {self.pattern!r} has {compiled.groups} capture "
                "groups, it needs exactly one",
                hint="put (...) around the part to keep; use (?:...) for other groups",
            )
        require_columns(X, [self.column], "regex_extract")
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, [self.column], "regex_extract")  # type: ignore[list-item]
        text = X[self.column].astype("str")
        found = text.str.extract(self.pattern, expand=False)  # type: ignore[arg-type]
        if self.default is not None:
            found = found if isinstance(self.default, str) else found.astype(object)
            found = found.fillna(self.default)
        out = X.copy(deep=False)
        out[self.name] = found
        return self._remember_output(out)


class TextStats(Step):
    """Replace free-text columns by ``<col>_len`` (characters) and ``<col>_words`` (words).

    Words are runs of non-space characters. A missing value counts as empty text (0 and 0): a
    CSV file writes an empty text as an empty field, which reads back as missing, so the two
    cannot be told apart. Non-text values are counted as they print. Nothing is learned
    but the column list (names, or a selector such as ``categorical``: every such column).
    """

    def __init__(self, columns: str | Sequence[str] | None = None, drop_original: bool = True):
        self.columns = columns
        self.drop_original = drop_original

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> TextStats:
        self.columns_ = select_columns(X, self.columns, "text_stats")
        names = [f"{c}_{part}" for c in self.columns_ for part in ("len", "words")]
        check_new_names(X, names, self.columns_ if self.drop_original else [], "text_stats")
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "text_stats")
        derived = {}
        for column in self.columns_:
            text = _as_text(X[column])
            derived[column] = pd.DataFrame(
                {
                    f"{column}_len": text.str.len().to_numpy(dtype=np.int64),
                    f"{column}_words": text.str.count(r"\S+").to_numpy(dtype=np.int64),
                },
                index=X.index,
            )
        return self._remember_output(put_beside(X, derived, self.drop_original))


def _as_text(values: pd.Series) -> pd.Series:
    """Each value as a Python string, missing ones as ``""``."""
    objects = values.to_numpy(dtype=object)
    missing = pd.isna(values).to_numpy()
    text = ["" if gone else str(v) for v, gone in zip(objects, missing, strict=True)]
    return pd.Series(text, index=values.index, dtype=object)
