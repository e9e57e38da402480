import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.text import RegexExtract, TextStats

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


TEXT = pd.DataFrame(
    {"a": [1, 2, 3, 4], "desc": ["Nice  flat,\tnear park", None, "", "x"], "b": list("wxyz")},
    index=[7, 5, 9, 8],
)


def test_text_stats_counts_characters_and_words_in_place():
    step = TextStats(columns=["desc"])
    out = step.fit_transform(TEXT)
    assert list(out.columns) == ["a", "desc_len", "desc_words", "b"]
    assert out["desc_len"].tolist() == [21, 0, 0, 1]  # missing counts as empty text
    assert out["desc_words"].tolist() == [4, 0, 0, 1]
    assert (out[["desc_len", "desc_words"]].dtypes == "int64").all()
    assert list(step.get_feature_names_out()) == list(out.columns)
    pd.testing.assert_frame_equal(step.transform(TEXT.loc[[5]]), out.loc[[5]])


def test_text_stats_keeps_the_original_on_request_and_needs_columns():
    out = TextStats(columns="categorical", drop_original=False).fit_transform(TEXT)
    assert list(out.columns) == ["a", "desc", "desc_len", "desc_words", "b", "b_len", "b_words"]
    with pytest.raises(StepConfigError, match="needs 'columns'"):
        TextStats().fit(TEXT)
    with pytest.raises(StepConfigError, match="'desc_len'"):
        TextStats(columns=["desc"]).fit(TEXT.assign(desc_len=0))
