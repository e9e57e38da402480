import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.numeric import (
    Arithmetic,
    Clip,
    Log1p,
    PowerTransform,
    QuantileBin,
    Scale,
)


def test_scale_uses_training_statistics():
    train = pd.DataFrame({"x": [0.0, 10.0], "s": ["a", "b"]})
    test = pd.DataFrame({"x": [5.0, 20.0, np.nan], "s": ["c", "d", "e"]}, index=[3, 4, 5])
    out = Scale().fit(train).transform(test)
    assert out["x"].tolist()[:2] == [0.0, 3.0]
    assert np.isnan(out.loc[5, "x"])
    assert out["s"].tolist() == ["c", "d", "e"]
    out = Scale(method="minmax").fit(train).transform(test)
    assert out["x"].tolist()[:2] == [0.5, 2.0]
    out = Scale(columns=["x"], method="robust").fit(train).transform(test)
    assert out["x"].tolist()[:2] == [0.0, 3.0]


def test_scale_errors():
    train = pd.DataFrame({"x": [0.0, 1.0], "s": ["a", "b"]})
    with pytest.raises(StepConfigError, match="method"):
        Scale(method="zscore").fit(train)
    with pytest.raises(StepConfigError, match="not numeric"):
        Scale(columns=["s"]).fit(train)


def test_log1p_skewed_selects_skewed_columns_and_shifts_negatives():
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "skewed": rng.lognormal(0, 1.5, 500),
            "normal": rng.normal(0, 1, 500),
            "neg": np.r_[-5.0, rng.lognormal(0, 1.5, 499)],
        }
    )
    step = Log1p(columns="skewed").fit(train)
    assert step.columns_ == ["skewed", "neg"]
    assert step.shift_["neg"] == 5.0
    test = pd.DataFrame({"skewed": [0.0, np.e - 1], "normal": [3.0, 4.0], "neg": [-5.0, -9.0]})
    out = step.transform(test)
    assert np.allclose(out["skewed"], [0.0, 1.0])
    assert out["normal"].tolist() == [3.0, 4.0]
    assert out["neg"].tolist() == [0.0, 0.0]  # the training minimum, and below it: clipped


def test_power_transform():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"x": rng.lognormal(0, 1, 300)})
    out = PowerTransform(columns=["x"]).fit_transform(train)
    assert abs(out["x"].mean()) < 1e-6 and abs(out["x"].skew()) < 0.2
    step = PowerTransform(columns=["x"], method="box-cox").fit(train)
    out = step.transform(pd.DataFrame({"x": [1.0, -2.0, np.nan]}))
    assert np.isfinite(out["x"].iloc[0]) and out["x"].iloc[1:].isna().all()
    with pytest.raises(StepConfigError, match="positive"):
        PowerTransform(columns=["x"], method="box-cox").fit(train - 5)


def test_quantile_bin_edges_from_training_rows():
    train = pd.DataFrame({"x": np.arange(100.0)})
    step = QuantileBin(columns=["x"], n_bins=4).fit(train)
    test = pd.DataFrame({"x": [-10.0, 30.0, 60.0, 1000.0, np.nan]})
    out = step.transform(test)
    assert out["x_bin"].tolist() == [0, 1, 2, 3, -1]
    assert out.columns.tolist() == ["x", "x_bin"]
    out = QuantileBin(columns=["x"], n_bins=4, keep_original=False).fit(train).transform(test)
    assert out.columns.tolist() == ["x_bin"]
    with pytest.raises(StepConfigError):
        QuantileBin(columns=["x"], n_bins=1).fit(train)


def test_arithmetic():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 0.0, 2.0], "c": [1, 1, 1]})
    out = Arithmetic(name="total", op="add", columns=["a", "b", "c"]).fit_transform(frame)
    assert out["total"].tolist() == [3.0, 3.0, 6.0]
    out = Arithmetic(name="ratio", op="div", columns=["a", "b"]).fit_transform(frame)
    assert out["ratio"].iloc[0] == 1.0 and np.isnan(out["ratio"].iloc[1])
    out = Arithmetic(name="size", op="add", columns=["a", "b", 1]).fit_transform(frame)
    assert out["size"].tolist() == [3.0, 3.0, 6.0]
    out = Arithmetic(name="d", op="sub", columns=["a", "b"]).fit_transform(frame)
    assert out["d"].tolist() == [0.0, 2.0, 1.0]
    assert out.columns.tolist() == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "params",
    [
        {"op": "add", "columns": ["a", "b"]},
        {"name": "n", "op": "pow", "columns": ["a", "b"]},
        {"name": "n", "op": "add", "columns": ["a"]},
        {"name": "n", "op": "add", "columns": "a"},
        {"name": "n", "op": "add", "columns": ["a", "bb"]},
        {"name": "n", "op": "add", "columns": ["a", "s"]},
        {"name": "n", "op": "add", "columns": ["a", True]},
    ],
)
def test_arithmetic_errors(params):
    frame = pd.DataFrame({"a": [1.0], "b": [2.0], "s": ["x"]})
    with pytest.raises(StepConfigError):
        Arithmetic(**params).fit(frame)


def test_clip_bounds_come_from_training_rows_only():
    train = pd.DataFrame({"x": [0.0, 5.0, 10.0, np.nan], "s": ["a", "b", "c", "d"]})
    test = pd.DataFrame({"x": [-3.0, 7.0, 50.0, np.nan], "s": list("wxyz")}, index=[7, 8, 9, 10])
    step = Clip().fit(train)
    assert step.columns_ == ["x"]
    assert (step.lower_["x"], step.upper_["x"]) == (0.0, 10.0)  # not the test rows' -3 / 50
    out = step.transform(test)
    assert out["x"].tolist()[:3] == [0.0, 7.0, 10.0]  # beyond the training range: clipped
    assert np.isnan(out.loc[10, "x"])  # missing stays missing
    assert out["s"].tolist() == list("wxyz") and out.index.tolist() == [7, 8, 9, 10]


def test_clip_quantiles_winsorise():
    train = pd.DataFrame({"x": np.arange(101.0), "y": np.arange(101.0) * 2})
    step = Clip(columns=["x"], lower_quantile=0.1, upper_quantile=0.9).fit(train)
    out = step.transform(pd.DataFrame({"x": [0.0, 50.0, 100.0], "y": [0.0, 500.0, -1.0]}))
    assert out["x"].tolist() == [10.0, 50.0, 90.0]
    assert out["y"].tolist() == [0.0, 500.0, -1.0]  # not listed: untouched


@pytest.mark.parametrize(
    "params",
    [
        {"lower_quantile": -0.1},
        {"upper_quantile": 1.5},
        {"upper_quantile": "high"},
        {"lower_quantile": 0.8, "upper_quantile": 0.2},
        {"columns": ["s"]},
    ],
)
def test_clip_errors(params):
    frame = pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]})
    with pytest.raises(StepConfigError):
        Clip(**params).fit(frame)
