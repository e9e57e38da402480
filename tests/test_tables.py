"""Reading with polars gives what pandas' reader gives: values, types, missing values."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd

from workbench.data import read_table
from workbench.tables import INFER_ROWS, read_with_polars

CSV = (
    "id,num,text,flag,flag_missing,empty,mixed_missing,na_word\n"
    "1,1.5,a,True,True,,NA,x\n"
    "2,,b,False,,,n/a,NA\n"
    "3,3.25,,TRUE,False,,7,y\n"
)


def assert_same_as_pandas(path, **pandas_options) -> pd.DataFrame:
    ours = read_table(path)
    theirs = pd.read_csv(path, **pandas_options)
    pd.testing.assert_frame_equal(ours, theirs)
    return ours


def test_types_and_missing_values_match_pandas(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(CSV)
    frame = assert_same_as_pandas(path)
    assert read_with_polars(path, None) is not None  # polars read it, no fallback
    assert frame["flag"].dtype == bool
    assert frame["empty"].isna().all() and frame["empty"].dtype == float
    assert frame["mixed_missing"].tolist()[2] == 7


def test_a_fraction_after_the_inferred_rows_is_read_as_in_pandas(tmp_path):
    path = tmp_path / "train.csv"
    values = ["1"] * (INFER_ROWS + 10) + ["2.5"]
    path.write_text("id,x\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    frame = assert_same_as_pandas(path)
    assert frame["x"].iloc[-1] == 2.5


def test_numbers_after_empty_first_rows_are_numbers(tmp_path):
    path = tmp_path / "train.csv"
    values = [""] * (INFER_ROWS + 10) + ["4", "5.5"]
    path.write_text("id,x\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    frame = assert_same_as_pandas(path)
    assert frame["x"].dtype == float and frame["x"].iloc[-1] == 5.5


def test_compressed_and_parquet_files(tmp_path):
    plain = tmp_path / "train.csv"
    plain.write_text(CSV)
    packed = tmp_path / "train.csv.gz"
    packed.write_bytes(gzip.compress(CSV.encode()))
    pd.testing.assert_frame_equal(read_table(packed), read_table(plain))
    parquet = tmp_path / "train.parquet"
    pd.read_csv(plain).to_parquet(parquet)
    pd.testing.assert_frame_equal(read_table(parquet), read_table(plain))


def test_what_polars_refuses_goes_to_pandas(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("a,a\n1,2\n")  # pandas renames the second a.1; load_frames refuses it
    assert read_with_polars(path, None) is None
    assert_same_as_pandas(path)


def test_text_is_pandas_string_type(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(CSV)
    frame = read_table(path)
    assert frame["text"].dtype == pd.read_csv(path)["text"].dtype
    assert np.isnan(frame["text"].iloc[2])
