import pandas as pd
import pytest

from workbench.features.base import StepConfigError, as_object, lookup, select_columns


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Age": [22.0, None, 30.0],
            "Pclass": [1, 2, 3],
            "Name": ["a", "b", None],
            "Sex": pd.Categorical(["m", "f", "m"]),
            "Alone": [True, False, True],
        }
    )


def test_selectors(frame):
    assert select_columns(frame, "numeric", "s") == ["Age", "Pclass"]
    assert select_columns(frame, "categorical", "s") == ["Name", "Sex", "Alone"]
    assert select_columns(frame, "all", "s") == list(frame.columns)
    assert select_columns(frame, ["Sex", "Age", "Sex"], "s") == ["Sex", "Age"]
    assert select_columns(frame, "Age", "s") == ["Age"]


def test_missing_column_has_did_you_mean_hint(frame):
    with pytest.raises(StepConfigError) as info:
        select_columns(frame, ["Agee"], "impute")
    assert "Agee" in info.value.message
    assert "Age" in info.value.hint


def test_unknown_selector_string(frame):
    with pytest.raises(StepConfigError) as info:
        select_columns(frame, "numerc", "scale")
    assert "numeric" in info.value.hint


def test_bad_columns_type(frame):
    with pytest.raises(StepConfigError):
        select_columns(frame, 3, "scale")
    with pytest.raises(StepConfigError):
        select_columns(frame, None, "scale")


def test_as_object_and_lookup(frame):
    objects = as_object(frame[["Name", "Sex"]])
    assert objects["Name"].dtype == object
    assert pd.isna(objects.loc[2, "Name"])
    table = pd.DataFrame({"k": ["x", None], "__value__": [1.0, 2.0]})
    keys = pd.DataFrame({"k": [None, "y", "x"]}, index=[10, 11, 12])
    found = lookup(table, keys)["__value__"]
    assert list(found.index) == [10, 11, 12]
    assert found.loc[10] == 2.0 and pd.isna(found.loc[11]) and found.loc[12] == 1.0
