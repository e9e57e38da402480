import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.text import RegexExtract

NAMES = pd.DataFrame({"Name": ["Braund, Mr. Owen", "Heikkinen, Miss. Laina", "Nobody", None]})


def test_extract_title_with_default():
    step = RegexExtract(column="Name", pattern=r" ([A-Za-z]+)\.", name="Title", default="None")
    out = step.fit_transform(NAMES)
    assert out["Title"].tolist() == ["Mr", "Miss", "None", "None"]
    assert step.get_feature_names_out().tolist() == ["Name", "Title"]


def test_extract_without_default_gives_missing():
    out = RegexExtract(column="Name", pattern=r"(Mr|Miss)\.", name="T").fit_transform(NAMES)
    assert out["T"].iloc[0] == "Mr" and out["T"].iloc[2:].isna().all()


@pytest.mark.parametrize(
    "params",
    [
        {"column": "Name", "pattern": r"(a)(b)", "name": "x"},
        {"column": "Name", "pattern": r"no group", "name": "x"},
        {"column": "Name", "pattern": r"(unclosed", "name": "x"},
        {"column": "Nmae", "pattern": r"(a)", "name": "x"},
        {"column": "Name", "pattern": r"(a)"},
    ],
)
def test_errors(params):
    with pytest.raises(StepConfigError):
        RegexExtract(**params).fit(NAMES)
