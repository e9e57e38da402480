import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.outliers import OutlierFilter
from workbench.features.pipeline import FeaturePipeline

HOUSES = pd.DataFrame({"GrLivArea": [1000.0, 4500.0, 5000.0, 2000.0, np.nan]}, index=list("abcde"))
PRICES = pd.Series([100_000.0, 200_000.0, 700_000.0, 150_000.0, 1.0], index=list("abcde"))


def test_classic_house_prices_rule():
    step = OutlierFilter(column="GrLivArea", max=4000, target_min=300_000).fit(HOUSES, PRICES)
    assert step.keep_mask(HOUSES, PRICES).tolist() == [True, False, True, True, True]
    step = OutlierFilter(column="GrLivArea", max=4000).fit(HOUSES, PRICES)
    assert step.keep_mask(HOUSES, PRICES).tolist() == [True, False, False, True, True]
    step = OutlierFilter(column="GrLivArea", min=1500).fit(HOUSES, PRICES)
    assert step.keep_mask(HOUSES, PRICES).tolist() == [False, True, True, True, True]


def test_pipeline_filters_training_rows_only():
    pipeline = FeaturePipeline(
        [("outliers", OutlierFilter(column="GrLivArea", max=4000, target_min=300_000))]
    )
    X, y = pipeline.fit_transform(HOUSES, PRICES)
    assert list(X.index) == ["a", "c", "d", "e"] and list(y.index) == ["a", "c", "d", "e"]
    assert list(pipeline.transform(HOUSES).index) == list("abcde")


def test_zscore_and_isolation_forest():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "y": rng.normal(size=200)})
    frame.loc[5, "x"] = 50.0
    keep = OutlierFilter(method="zscore", threshold=4).fit(frame).keep_mask(frame)
    assert keep.sum() == 199 and not keep[5]
    step = OutlierFilter(method="isolation_forest", contamination=0.01, random_state=0)
    keep = step.fit(frame).keep_mask(frame)
    assert not keep[5] and keep.sum() >= 195


@pytest.mark.parametrize(
    "params",
    [
        {"method": "lof"},
        {"column": "GrLivArea"},
        {"max": 4000},
        {"column": "GrLivAre", "max": 4000},
        {"column": "GrLivArea", "max": "big"},
        {"method": "zscore", "column": "GrLivArea"},
    ],
)
def test_errors(params):
    with pytest.raises(StepConfigError):
        OutlierFilter(**params).fit(HOUSES, PRICES)


def test_target_condition_needs_target():
    with pytest.raises(StepConfigError):
        OutlierFilter(column="GrLivArea", max=4000, target_min=3).fit(HOUSES)
