"""Date and time columns as numbers: year, month, day, day of the week (and hour)."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from workbench.features.base import (
    SELECTORS,
    Step,
    StepConfigError,
    check_new_names,
    is_numeric,
    put_beside,
    require_columns,
    select_columns,
)

PARTS = ("year", "month", "day", "dayofweek")  # output names
ATTRIBUTES = {"dayofweek": "day_of_week"}  # pandas' name, where it differs
GUESS_FROM = 200  # distinct training values a format is guessed from
CANDIDATES = 8  # the most frequent guesses tried on all training values
SELECTOR_SHARE = 0.9  # a selector takes a text column when this share of its values are dates
NAMED_SHARE = 0.5  # a column named explicitly must have at least this share of dates
DATETIME = "datetime"  # format_ of a column that already holds datetimes


class DatetimeParts(Step):
    """Replace date columns by ``<col>_year``, ``_month``, ``_day``, ``_dayofweek`` (and ``_hour``).

    The format is inferred once, at fit, from the training rows (the guess that reads most of
    them, day-first or month-first; ISO 8601 with mixed precision too) and used as is for
    every later row, so a row's parts never depend on the rows around it. Values that do not
    read as dates give NaN; offsets are converted to UTC. ``_hour`` is added only when the
    training rows' hours vary. ``columns`` takes names (each must read as dates) or a
    selector (``all``, the default, or ``categorical``): then only the datetime columns and
    the text columns whose training values are nearly all dates are taken, others are left
    alone.
    """

    def __init__(self, columns: str | Sequence[str] | None = "all", drop_original: bool = True):
        self.columns = columns
        self.drop_original = drop_original

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> DatetimeParts:
        selector = isinstance(self.columns, str) and self.columns in SELECTORS
        self.formats_: dict[str, str | None] = {}
        self.hours_: dict[str, bool] = {}
        for column in select_columns(X, self.columns, "datetime_parts"):
            values = X[column]
            if selector and is_numeric(values):
                continue
            fmt, share, parsed = _infer(values)
            if selector and (fmt is None or share < SELECTOR_SHARE):
                continue
            if not selector and values.notna().any() and share < NAMED_SHARE:
                example = _first_unparsed(values, parsed)
                raise StepConfigError(
                    f"datetime_parts: column {column!r} does not hold dates: "
                    f"{share:.0%} of its training values read as dates"
                    + (f" (format {fmt})" if fmt else "")
                    + (f", e.g. not {example!r}" if example is not None else ""),
                    hint="leave the column out of 'columns', or fix its values",
                )
            self.formats_[column] = fmt
            self.hours_[column] = bool(parsed.dt.hour.nunique() > 1)
        self.columns_ = list(self.formats_)
        self.part_names_ = {c: self._names(c) for c in self.columns_}
        names = [n for c in self.columns_ for n in self.part_names_[c]]
        check_new_names(X, names, self.columns_ if self.drop_original else [], "datetime_parts")
        return self

    def _names(self, column: str) -> list[str]:
        parts = [*PARTS, "hour"] if self.hours_[column] else list(PARTS)
        return [f"{column}_{part}" for part in parts]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "datetime_parts")
        derived = {}
        for column in self.columns_:
            parsed = _parse(X[column], self.formats_[column])
            parts = [*PARTS, "hour"] if self.hours_[column] else list(PARTS)
            derived[column] = pd.DataFrame(
                {
                    name: _part(parsed, part)
                    for name, part in zip(self.part_names_[column], parts, strict=True)
                },
                index=X.index,
            )
        return self._remember_output(put_beside(X, derived, self.drop_original))


def _part(parsed: pd.Series, part: str) -> np.ndarray:
    """One part (year, ..., hour) of parsed datetimes, as floats (NaN where unreadable)."""
    values = getattr(parsed.dt, ATTRIBUTES.get(part, part))
    return values.to_numpy(dtype=float, na_value=np.nan)


def _text(values: pd.Series) -> pd.Series:
    """The values as text (object dtype, None where missing); whole numbers without ``.0``."""

    def one(value: object) -> str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
            return None
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value)

    return pd.Series([one(v) for v in values.to_numpy(dtype=object)], index=values.index)


def _parse(values: pd.Series, fmt: str | None) -> pd.Series:
    """Datetimes (UTC where offsets are given; NaT where unreadable) in format ``fmt``."""
    if fmt == DATETIME and pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = _text(values)
        if fmt is None or fmt == DATETIME:
            fmt = "ISO8601"
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _infer(values: pd.Series) -> tuple[str | None, float, pd.Series]:
    """The format that reads most training values, the share it reads, and the parsed values."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = _parse(values, DATETIME)
        return DATETIME, 1.0, parsed
    text = _text(values)
    present = text.dropna()
    guesses: Counter[str] = Counter()
    for value in present.drop_duplicates().iloc[:GUESS_FROM]:
        for dayfirst in (False, True):
            with warnings.catch_warnings():  # "parsing in %Y-%m-%d although dayfirst": expected
                warnings.simplefilter("ignore", UserWarning)
                guess = guess_datetime_format(value, dayfirst=dayfirst)
            if guess:
                guesses[guess] += 1
    candidates = [fmt for fmt, _ in guesses.most_common(CANDIDATES)] + ["ISO8601"]
    best: tuple[str | None, float, pd.Series] = (None, 0.0, _parse(values, None))
    if present.empty:
        return best
    for fmt in candidates:
        parsed = _parse(values, fmt)
        share = float(parsed.notna().sum()) / len(present)
        if share > best[1]:
            best = (fmt, share, parsed)
    return best


def _first_unparsed(values: pd.Series, parsed: pd.Series) -> str | None:
    bad = values[values.notna() & parsed.isna()]
    return None if bad.empty else str(bad.iloc[0])
