"""Building blocks of feature steps: pandas in, pandas out, scikit-learn compatible.

Every step is a scikit-learn transformer (``fit``/``transform``/``get_feature_names_out``)
that takes a pandas DataFrame and returns one, so steps compose with sklearn pipelines and
work outside the workbench. Steps that remove training rows (outlier filters) are
:class:`RowFilter`s: the pipeline applies them to a fold's training rows only, never to the
rows that are scored or predicted.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


class StepConfigError(ValueError):
    """A step was given parameters or data it cannot work with (e.g. a missing column).

    The pipeline turns it into a :class:`workbench.errors.UserError` naming the step.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def require_columns(frame: pd.DataFrame, columns: Sequence[str], step: str) -> None:
    """Raise :class:`StepConfigError` (with a did-you-mean hint) if a column is absent."""
    from workbench.errors import did_you_mean

    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StepConfigError(
            f"{step}: column {missing[0]!r} not found in the data",
            hint=did_you_mean(missing[0], map(str, frame.columns)),
        )


SELECTORS = ("numeric", "categorical", "all")


def is_categorical(series: pd.Series) -> bool:
    """True for object, string, category and bool columns (pandas 3 strings included)."""
    dtype = series.dtype
    return bool(
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def is_numeric(series: pd.Series) -> bool:
    """True for numeric columns that are not bool."""
    dtype = series.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def select_columns(
    frame: pd.DataFrame, columns: str | Sequence[str] | None, step: str
) -> list[str]:
    """Resolve a step's ``columns`` parameter against ``frame`` (the training rows).

    ``columns`` is a list of names, one name, or a selector: ``"numeric"`` (numbers, not
    bool), ``"categorical"`` (object/string/category/bool) or ``"all"``. Absent names raise
    :class:`StepConfigError` with a did-you-mean hint.
    """
    if columns is None:
        raise StepConfigError(
            f"{step}: needs 'columns'",
            hint="give a list of column names, or one of: " + ", ".join(SELECTORS),
        )
    if isinstance(columns, str):
        if columns == "numeric":
            return [c for c in frame.columns if is_numeric(frame[c])]
        if columns == "categorical":
            return [c for c in frame.columns if is_categorical(frame[c])]
        if columns == "all":
            return list(frame.columns)
        if columns not in frame.columns:
            from workbench.errors import did_you_mean

            raise StepConfigError(
                f"{step}: column {columns!r} not found in the data "
                f"(and it is not one of the selectors {', '.join(SELECTORS)})",
                hint=did_you_mean(columns, [*map(str, frame.columns), *SELECTORS]),
            )
        return [columns]
    if not isinstance(columns, Sequence) or not all(isinstance(c, str) for c in columns):
        raise StepConfigError(
            f"{step}: 'columns' must be a list of column names, got {columns!r}",
            hint="write e.g. columns: [Age, Fare], or columns: numeric",
        )
    names = list(dict.fromkeys(columns))
    require_columns(frame, names, step)
    return names


def as_list(value: str | Sequence[str] | None, step: str = "step", key: str = "by") -> list[str]:
    """A config value that may be one name or a list of names, as a list (each name once)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise StepConfigError(
            f"{step}: {key!r} must be a column name or a list of column names, got {value!r}",
            hint=f"write e.g. {key}: [Pclass, Sex]",
        )
    return list(dict.fromkeys(value))


def as_float(frame: pd.DataFrame) -> np.ndarray:
    """The frame as a new (writable) float array, missing values (NaN, pd.NA) as NaN."""
    return frame.to_numpy(dtype=float, na_value=np.nan, copy=True)


def as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as object columns with every missing value as ``np.nan``.

    scikit-learn's encoders treat ``np.nan`` in object arrays as a category of its own;
    pandas 3 string and category columns are converted so they all look alike.
    """
    return frame.astype(object).where(frame.notna(), np.nan)


def positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Where each of ``values`` is in ``index`` (unique), as int64; -1 for values absent from
    it and for missing values. Text is looked up by Arrow's hash table, without a Python
    object per row; values whose type differs from the index's (numbers in one file, text
    in the other) compare as objects."""
    if _is_arrow_text(values.dtype) and index.inferred_type == "string":
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(
            pa.array(values.array),
            value_set=pa.array(index.to_numpy(dtype=object), from_pandas=True),
        )
        return found.fill_null(-1).to_numpy().astype(np.int64)
    try:
        return index.get_indexer(values).astype(np.int64)
    except TypeError:
        return index.astype(object).get_indexer(values.astype(object)).astype(np.int64)


def _is_arrow_text(dtype: Any) -> bool:
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def lookup(table: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Look rows of ``keys`` up in ``table`` (key columns + value columns), keeping the index.

    Missing keys match missing keys; keys absent from ``table`` give NaN values.
    """
    by = list(keys.columns)
    index = keys.index
    keys = keys.reset_index(drop=True)
    differ = [c for c in by if keys[c].dtype != table[c].dtype]
    if differ:  # e.g. an all-missing text key is float in a groupby's table: compare as objects
        keys = keys.assign(**{c: as_object(keys[[c]])[c] for c in differ})
        table = table.assign(**{c: as_object(table[[c]])[c] for c in differ})
    merged = keys.merge(table, on=by, how="left", sort=False)
    merged.index = index
    return merged.drop(columns=by)


def put_beside(
    frame: pd.DataFrame, derived: dict[str, pd.DataFrame], drop_original: bool
) -> pd.DataFrame:
    """``frame`` with each ``derived[column]`` block placed where ``column`` is (replacing it
    when ``drop_original``, else right after it), so derived columns sit beside their source."""
    blocks: list[pd.DataFrame | pd.Series] = []
    for column in frame.columns:
        if column in derived:
            if not drop_original:
                blocks.append(frame[column])
            blocks.append(derived[column])
        else:
            blocks.append(frame[column])
    if not blocks:
        return frame.copy(deep=False)
    out = pd.concat(blocks, axis=1)
    out.index = frame.index
    return out


def check_new_names(
    frame: pd.DataFrame, names: Sequence[str], dropped: Sequence[str], step: str
) -> None:
    """Refuse output names that would overwrite a column of the input (other than one the
    step drops): a silent overwrite would lose data."""
    clash = [n for n in names if n in frame.columns and n not in dropped]
    if clash:
        raise StepConfigError(
            f"{step}: would write column {clash[0]!r}, which the data already has",
            hint="drop or rename that column first",
        )


class Step(TransformerMixin, BaseEstimator):
    """Base class of feature steps: DataFrame in, DataFrame out.

    Subclasses implement ``fit(X, y=None)`` and ``transform(X)``; ``feature_names_out_`` is set
    by :meth:`_remember_output` or computed by subclasses. ``fit_transform`` may be overridden
    when training rows need different treatment (cross-fitting, leave-one-out).
    """

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)

    def _remember_output(self, out: pd.DataFrame) -> pd.DataFrame:
        self.feature_names_out_ = list(map(str, out.columns))
        return out

    def __sklearn_tags__(self):  # pandas in/out, may hold NaN and strings
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


class RowFilter(BaseEstimator):
    """A step that drops rows from a fold's training part (e.g. outliers), never elsewhere.

    ``fit(X, y)`` learns what to drop; ``keep_mask(X, y)`` returns a boolean array, True for
    rows to keep. It does not change columns.
    """

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> RowFilter:
        return self

    def keep_mask(self, X: pd.DataFrame, y: pd.Series | None = None) -> np.ndarray:
        raise NotImplementedError


class FunctionStep(Step):
    """A stateless step from a function ``func(frame, **kwargs) -> frame``.

    Competition feature functions (``titanic.title``) are wrapped in this. Stateless means
    nothing is learned, so it is leakage-free by construction.
    """

    def __init__(self, func: Callable[..., pd.DataFrame], kwargs: dict[str, Any] | None = None):
        self.func = func
        self.kwargs = kwargs

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> FunctionStep:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        try:
            out = self.func(X.copy(deep=False), **(self.kwargs or {}))
        except KeyError as exc:
            name = getattr(self.func, "__workbench_feature__", self.func.__name__)
            raise StepConfigError(
                f"{name}: needs column {exc.args[0]!r}, which is not in the data"
            ) from exc
        if not isinstance(out, pd.DataFrame):
            raise TypeError(f"feature function {self.func.__name__} must return a DataFrame")
        return self._remember_output(out)


def feature(name: str | Callable | type | None = None) -> Any:
    """Mark a function or Step class in ``competitions/<name>/features.py`` as a feature step.

    Used bare (``@feature``) the step is named after the function; ``@feature("other")``
    names it explicitly. Configs refer to it as ``<competition>.<name>``. The first line of
    the docstring is the step's description (used in write-ups).
    """

    def mark(obj: Any, step_name: str | None) -> Any:
        obj.__workbench_feature__ = step_name or obj.__name__
        return obj

    if callable(name) and not isinstance(name, str):
        return mark(name, None)
    return lambda obj: mark(obj, name)


def describe(obj: Any) -> str:
    """First paragraph of an object's docstring, on one line: the description of a step."""
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())
