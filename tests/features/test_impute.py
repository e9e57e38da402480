import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.impute import Impute


def test_median_learned_on_training_rows_only():
    train = pd.DataFrame({"Age": [1.0, 2.0, 3.0, None], "Name": list("abcd")})
    test = pd.DataFrame(
        {"Age": [None, 100.0, 200.0, 300.0], "Name": list("wxyz")}, index=[7, 8, 9, 10]
    )
    step = Impute(columns=["Age"], strategy="median").fit(train)
    out = step.transform(test)
    assert out.loc[7, "Age"] == 2.0
    assert list(out.index) == [7, 8, 9, 10]
    assert list(out["Name"]) == list("wxyz")
    assert step.get_feature_names_out().tolist() == ["Age", "Name"]


def test_group_median_with_fallback_and_indicator():
    train = pd.DataFrame(
        {
            "Title": ["Mr", "Mr", "Miss", "Miss", "Master", None],
            "Age": [30.0, 40.0, 20.0, 22.0, None, 50.0],
        }
    )
    test = pd.DataFrame({"Title": ["Mr", "Miss", "Dr", None, "Master"], "Age": [np.nan] * 5})
    step = Impute(columns=["Age"], strategy="median", by=["Title"], add_indicator=True)
    out = step.fit(train).transform(test)
    global_median = train["Age"].median()
    assert out["Age"].tolist() == [35.0, 21.0, global_median, global_median, global_median]
    assert out["Age_missing"].tolist() == [1, 1, 1, 1, 1]
    assert step.transform(train)["Age_missing"].tolist() == [0, 0, 0, 0, 1, 0]


def test_most_frequent_on_strings_and_constant():
    train = pd.DataFrame({"Embarked": ["S", "S", "C", None], "Deck": ["A", None, "B", "B"]})
    out = Impute(columns=["Embarked"], strategy="most_frequent").fit_transform(train)
    assert out["Embarked"].tolist() == ["S", "S", "C", "S"]
    out = Impute(columns=["Deck"], strategy="constant", fill_value="U").fit_transform(train)
    assert out["Deck"].tolist() == ["A", "U", "B", "B"]


def test_group_most_frequent():
    train = pd.DataFrame({"g": [1, 1, 1, 2, 2], "v": ["a", "a", "b", "c", None]})
    out = Impute(columns=["v"], strategy="most_frequent", by="g").fit_transform(train)
    assert out["v"].tolist() == ["a", "a", "b", "c", "c"]


def test_default_columns_are_numeric_for_median():
    train = pd.DataFrame({"x": [1.0, None, 3.0], "s": ["a", None, "b"]})
    out = Impute().fit_transform(train)
    assert out["x"].tolist() == [1.0, 2.0, 3.0]
    assert pd.isna(out.loc[1, "s"])


def test_errors():
    train = pd.DataFrame({"Age": [1.0, None], "Name": ["a", "b"]})
    with pytest.raises(StepConfigError, match="not numeric"):
        Impute(columns=["Name"], strategy="mean").fit(train)
    with pytest.raises(StepConfigError, match="strategy"):
        Impute(columns=["Age"], strategy="avg").fit(train)
    with pytest.raises(StepConfigError) as info:
        Impute(columns=["Age"], by=["Titel"]).fit(train)
    assert info.value.hint is not None
    step = Impute(columns=["Age"]).fit(train)
    with pytest.raises(StepConfigError):
        step.transform(train.drop(columns="Age"))
