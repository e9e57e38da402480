"""Text features: pull a piece out of a string column with a regular expression."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from workbench.features.base import Step, StepConfigError, require_columns


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
        out = X.copy()
        out[self.name] = found
        return self._remember_output(out)
