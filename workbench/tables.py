"""Reading a data file with polars and handing it over as pandas, as pandas would have read it.

polars parses CSV and Parquet in parallel, several times faster than pandas' reader, and
the result is converted column by column (numbers without missing values are not copied),
so the feature steps keep their one frame type, pandas. The values and types are the ones
``pandas.read_csv`` gives: the same strings count as missing, text is pandas' string type,
``True``/``False`` columns are booleans, an empty column is numbers. A file polars refuses
returns ``None``, and the caller's pandas reader names the problem.
"""

from __future__ import annotations

import bz2
import gzip
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# pandas.read_csv's default missing-value strings (its ``na_values``)
MISSING_STRINGS = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]
BOOLEANS = {
    **dict.fromkeys(("True", "TRUE", "true"), True),
    **dict.fromkeys(("False", "FALSE", "false"), False),
}
PANDAS_INDEX = re.compile(r"__index_level_\d+__")
DUPLICATED = re.compile(r".+_duplicated_\d+")
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
INFER_ROWS = 10_000


def read_with_polars(path: Path, compression: str | None) -> pd.DataFrame | None:
    """The file as pandas, read by polars; ``None`` if polars cannot read it."""
    import polars as pl

    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.drop([c for c in frame.columns if PANDAS_INDEX.fullmatch(c)])
        else:
            source = _decompressed(path, compression) if compression else path
            frame = _read_csv(pl, source)
    except Exception:  # pandas' reader reads it, or says what is wrong with it
        return None
    if any(DUPLICATED.fullmatch(c) for c in frame.columns):  # polars renamed a repeated name
        return None
    columns = frame.get_columns()
    del frame  # each polars column goes as soon as it is converted
    return to_pandas(columns)


def _read_csv(pl: Any, source: Path | io.BytesIO) -> Any:
    """Types inferred from the first rows, as polars does, then checked against every row:
    a column whose later rows do not fit (a fraction in an integer column) is read again
    with every row deciding; text that is all numbers (missing in the first rows) is cast."""
    options = {"null_values": MISSING_STRINGS, "raise_if_empty": True}
    try:
        frame = pl.read_csv(source, infer_schema_length=INFER_ROWS, **options)
    except pl.exceptions.ComputeError:
        if isinstance(source, io.BytesIO):
            source.seek(0)
        frame = pl.read_csv(source, infer_schema_length=None, **options)
    numbers = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            cast = frame[name].cast(pl.Float64, strict=False)
            if cast.null_count() == frame[name].null_count():
                numbers[name] = cast
    return frame.with_columns(**numbers) if numbers else frame


def _decompressed(path: Path, compression: str) -> io.BytesIO:
    """The bytes of a gzip, bz2 or single-file zip CSV."""
    if compression == "gzip":
        return io.BytesIO(gzip.decompress(path.read_bytes()))
    if compression == "bz2":
        return io.BytesIO(bz2.decompress(path.read_bytes()))
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()  # several files: pandas' reader says so
        return io.BytesIO(archive.read(name))


def to_pandas(columns: list[Any]) -> pd.DataFrame:
    """polars columns as one pandas frame, converted one at a time and taken off ``columns``
    as they are (so a copied column's polars original is freed at once), without
    consolidating them into one block (a copy of the whole frame)."""
    converted = {}
    for position in range(len(columns)):
        series = columns[position]
        columns[position] = None
        name = series.name or f"Unnamed: {position}"  # pandas' name for a blank header
        converted[name] = _column(series)
        del series
    return pd.DataFrame(converted, copy=False)


def _column(series: Any) -> Any:
    """One polars column as the array pandas' reader would give."""
    import polars as pl

    dtype = series.dtype
    if series.null_count() == len(series):
        return np.full(len(series), np.nan)  # pandas reads an empty column as numbers
    if dtype.is_integer() or dtype.is_float():
        if series.null_count():
            return series.cast(pl.Float64).fill_null(np.nan).to_numpy()
        return series.to_numpy()
    if dtype == pl.Boolean:
        return _booleans(series)
    if dtype in (pl.String, pl.Categorical, pl.Enum):
        text = series.cast(pl.String)
        few = text.n_unique() <= len(BOOLEANS) + 1
        if few and set(text.drop_nulls().unique()) <= BOOLEANS.keys():
            return _booleans(text.replace_strict(BOOLEANS, return_dtype=pl.Boolean))
        import pyarrow as pa

        return pd.array(text.to_arrow().cast(pa.large_string()), dtype=TEXT)
    return series.to_pandas().to_numpy()


def _booleans(series: Any) -> np.ndarray:
    """``bool``, or, with missing values, objects ``True``/``False``/NaN (as pandas reads them)."""
    if not series.null_count():
        return series.to_numpy()
    values = np.asarray(series.to_list(), dtype=object)
    values[series.is_null().to_numpy()] = np.nan
    return values
