"""datetime_parts: the format is learned once from the training rows, then applied as is."""

import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.dates import DatetimeParts
from workbench.features.registry import build_step

TRAIN = pd.DataFrame(
    {
        "id_like": [1, 2, 3, 4],
        "when": ["2024-01-05 10:00:00", "2024-02-29 13:30:00", None, "2023-12-31 23:00:00"],
        "day": ["2024-01-05", "2024-03-01", "2024-03-02", None],
        "note": ["hello", "world", "again", "x"],
    },
    index=[10, 11, 12, 13],
)


def test_parts_replace_the_column_in_place_and_hour_only_when_times_vary():
    step = DatetimeParts()
    out = step.fit_transform(TRAIN)
    assert list(out.columns) == [
        "id_like",
        *[f"when_{p}" for p in ("year", "month", "day", "dayofweek", "hour")],
        *[f"day_{p}" for p in ("year", "month", "day", "dayofweek")],  # all midnight: no hour
        "note",
    ]
    assert list(step.get_feature_names_out()) == list(out.columns)
    row = out.loc[11]
    assert (row["when_year"], row["when_month"], row["when_day"]) == (2024, 2, 29)
    assert row["when_dayofweek"] == 3  # a Thursday; Monday is 0
    assert row["when_hour"] == 13
    assert out.loc[12, ["when_year", "when_hour"]].isna().all()
    assert (out.filter(regex="^(when|day)_").dtypes == "float64").all()


def test_the_training_format_decides_day_first_and_unreadable_values_are_nan():
    train = pd.DataFrame({"d": ["01/05/2024", "13/05/2024", "02/06/2024"]})
    step = DatetimeParts(columns=["d"]).fit(train)
    test = pd.DataFrame({"d": ["03/04/2024", "2024-04-03", "tomorrow", None]})
    out = step.transform(test)
    assert out["d_month"].tolist()[0] == 4 and out["d_day"].tolist()[0] == 3
    # another format is not guessed per row: it is unreadable under the training format
    assert out.iloc[1:].isna().all().all()


def test_a_row_alone_gives_what_it_gives_among_others():
    step = DatetimeParts(columns=["when"]).fit(TRAIN)
    together = step.transform(TRAIN)
    for index in TRAIN.index:
        alone = step.transform(TRAIN.loc[[index]])
        pd.testing.assert_frame_equal(alone, together.loc[[index]])


def test_offsets_are_read_as_utc():
    train = pd.DataFrame({"t": ["2024-01-05T10:00:00+02:00", "2024-01-05T23:30:00+00:00"]})
    out = DatetimeParts(columns=["t"]).fit_transform(train)
    assert out["t_hour"].tolist() == [8.0, 23.0]


def test_datetime_columns_and_integer_dates():
    frame = pd.DataFrame(
        {
            "stamp": pd.to_datetime(["2024-01-05 01:00", "2024-06-01 02:00", None]),
            "ymd": [20240105, 20240601, np.nan],
        }
    )
    out = DatetimeParts(columns=["stamp", "ymd"]).fit_transform(frame)
    assert out["stamp_month"].tolist()[:2] == [1.0, 6.0]
    assert out["ymd_month"].tolist()[:2] == [1.0, 6.0]
    assert np.isnan(out["ymd_day"].iloc[2])


def test_a_selector_takes_only_date_columns():
    step = DatetimeParts(columns="categorical").fit(TRAIN)
    assert step.columns_ == ["when", "day"]
    assert DatetimeParts().fit(TRAIN[["note", "id_like"]]).columns_ == []


def test_a_named_column_that_is_not_dates_is_refused():
    with pytest.raises(StepConfigError, match=r"'note' does not hold dates.*'hello'"):
        DatetimeParts(columns=["note"]).fit(TRAIN)


def test_an_output_name_already_in_the_data_is_refused():
    frame = TRAIN.assign(when_year=1)
    with pytest.raises(StepConfigError, match="when_year"):
        DatetimeParts(columns=["when"]).fit(frame)


def test_keep_original_and_build_from_config():
    step = build_step(
        {"step": "datetime_parts", "columns": ["day"], "drop_original": False},
        where="features[0]",
        competition_features={},
        seed=0,
    )
    out = step.fit_transform(TRAIN)
    assert list(out.columns[2:4]) == ["day", "day_year"]
