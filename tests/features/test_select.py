import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.select import Drop, Keep

FRAME = pd.DataFrame({"a": [1], "b": ["x"], "c": [2.0]})


def test_drop():
    assert Drop(columns=["a"]).fit_transform(FRAME).columns.tolist() == ["b", "c"]
    assert Drop(columns="categorical").fit_transform(FRAME).columns.tolist() == ["a", "c"]
    out = Drop(columns=["a", "zz"], errors="ignore").fit_transform(FRAME)
    assert out.columns.tolist() == ["b", "c"]
    assert Drop(columns="zz", errors="ignore").fit_transform(FRAME).columns.tolist() == [
        "a",
        "b",
        "c",
    ]
    with pytest.raises(StepConfigError) as info:
        Drop(columns=["aa"]).fit(FRAME)
    assert info.value.hint
    with pytest.raises(StepConfigError):
        Drop(columns=["a"], errors="skip").fit(FRAME)


def test_keep():
    step = Keep(columns=["c", "a"]).fit(FRAME)
    assert step.transform(FRAME).columns.tolist() == ["c", "a"]
    assert step.get_feature_names_out().tolist() == ["c", "a"]
    assert Keep(columns="numeric").fit_transform(FRAME).columns.tolist() == ["a", "c"]
    with pytest.raises(StepConfigError):
        step.transform(FRAME[["a"]])
