"""boolean: yes/no columns (bool, or text in one pair of spellings) become 1.0 / 0.0 / NaN."""

import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.booleans import Boolean

TRAIN = pd.DataFrame(
    {
        "flag": [True, False, True, False],
        "cryo": pd.Series([True, np.nan, False, True], dtype=object),  # a CSV's bool with NaN
        "vip": ["yes", "No", None, "YES"],
        "sex": ["f", "m", "f", "m"],
        "count": [0, 1, 1, 0],
    }
)


def test_selector_converts_the_yes_no_columns_and_leaves_others():
    step = Boolean()
    out = step.fit_transform(TRAIN)
    assert step.columns_ == ["flag", "cryo", "vip"]
    assert out["flag"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert out["cryo"].tolist()[:1] + out["cryo"].tolist()[2:] == [1.0, 0.0, 1.0]
    assert np.isnan(out["cryo"].iloc[1])
    assert out["vip"].tolist()[:2] == [1.0, 0.0] and out["vip"].iloc[3] == 1.0
    assert out["sex"].tolist() == TRAIN["sex"].tolist()
    assert out["count"].tolist() == [0, 1, 1, 0]  # numbers already: left alone
    assert list(step.get_feature_names_out()) == list(TRAIN.columns)
    assert (out[step.columns_].dtypes == "float64").all()


def test_a_bool_training_column_meets_missing_and_unknown_test_values():
    step = Boolean(columns=["flag"]).fit(TRAIN)
    test = pd.DataFrame({"flag": pd.Series([np.nan, True, "maybe"], dtype=object)})
    out = step.transform(test)
    assert out["flag"].dtype == float
    assert np.isnan(out["flag"].iloc[0]) and out["flag"].iloc[1] == 1.0
    assert np.isnan(out["flag"].iloc[2])


def test_a_named_column_that_is_not_yes_no_is_refused():
    with pytest.raises(StepConfigError, match=r"'sex' is not a yes/no column.*'f'"):
        Boolean(columns=["sex"]).fit(TRAIN)


def test_named_zero_one_numbers_are_accepted():
    out = Boolean(columns=["count"]).fit_transform(TRAIN)
    assert out["count"].tolist() == [0.0, 1.0, 1.0, 0.0]
