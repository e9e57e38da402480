import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.groups import GroupAggregate

TRAIN = pd.DataFrame(
    {
        "Ticket": ["A", "A", "B", None, None, None],
        "Pclass": [1, 1, 2, 3, 3, 2],
        "Fare": [100.0, 80.0, 20.0, 7.0, 9.0, np.nan],
    }
)
TEST = pd.DataFrame(
    {"Ticket": ["A", "C", None], "Pclass": [1, 9, 2], "Fare": [1.0, 2.0, 3.0]}, index=[10, 11, 12]
)


def test_count_learned_on_training_rows_unseen_zero():
    step = GroupAggregate(by=["Ticket"]).fit(TRAIN)
    out = step.transform(TEST)
    assert out["count_by_Ticket"].tolist() == [2, 0, 3]
    assert list(out.index) == [10, 11, 12]


def test_mean_per_group_unseen_missing():
    step = GroupAggregate(by="Pclass", column="Fare", agg="mean", name="fare_mean").fit(TRAIN)
    out = step.transform(TEST)
    assert out["fare_mean"].iloc[0] == 90.0
    assert np.isnan(out["fare_mean"].iloc[1])
    assert out["fare_mean"].iloc[2] == 20.0
    assert out.columns.tolist() == ["Ticket", "Pclass", "Fare", "fare_mean"]


def test_default_name_and_multi_key():
    out = GroupAggregate(by=["Pclass", "Ticket"], column="Fare", agg="max").fit_transform(TRAIN)
    assert "Fare_max_by_Pclass_Ticket" in out
    assert out["Fare_max_by_Pclass_Ticket"].tolist()[:2] == [100.0, 100.0]


def test_errors():
    with pytest.raises(StepConfigError):
        GroupAggregate().fit(TRAIN)
    with pytest.raises(StepConfigError):
        GroupAggregate(by=["Pclass"], column="Fare", agg="mode").fit(TRAIN)
    with pytest.raises(StepConfigError):
        GroupAggregate(by=["Pclass"], agg="mean").fit(TRAIN)
    with pytest.raises(StepConfigError):
        GroupAggregate(by=["Tickt"]).fit(TRAIN)
    with pytest.raises(StepConfigError):
        GroupAggregate(by=["Pclass"], column="Ticket", agg="mean").fit(TRAIN)
