"""House Prices feature steps: values on hand-made rows, NA list vs the docs, real files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.features.base import FunctionStep, RowFilter
from workbench.features.registry import load_competition_features

ROOT = Path(__file__).resolve().parents[2]
COMPETITION_DIR = ROOT / "competitions" / "house_prices"
DATA = COMPETITION_DIR / "data"
DESCRIPTION_PATHS = [
    DATA / "data_description.txt",
    Path("/work/shared/data/house_prices/data_description.txt"),
]

FUNCTIONS = {
    "house_prices.na_means_none": [],
    "house_prices.total_area": [
        "TotalSF",
        "TotalBathrooms",
        "TotalPorchSF",
        "HasPool",
        "Has2ndFloor",
        "HasGarage",
        "HasBasement",
        "HasFireplace",
    ],
    "house_prices.ages": ["HouseAge", "RemodAge", "GarageAge", "IsRemodeled", "IsNew"],
    "house_prices.quality_interactions": [
        "ExterQualScore",
        "KitchenQualScore",
        "BsmtExposureScore",
        "OverallGrade",
        "QualGrLivArea",
        "QualTotalSF",
    ],
    "house_prices.categorical_codes": [],
}


@pytest.fixture(scope="module")
def features() -> dict:
    return load_competition_features("house_prices", COMPETITION_DIR)


@pytest.fixture(scope="module")
def module(features: dict):
    import sys

    return sys.modules[features["house_prices.total_area"].__module__]


def run(features: dict, name: str, frame: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return FunctionStep(features[name], kwargs or None).fit_transform(frame)


def houses() -> pd.DataFrame:
    """Two houses: one with basement, garage, pool and porches; one with none of them."""
    return pd.DataFrame(
        {
            "MSSubClass": [60, 20],
            "OverallQual": [7, 5],
            "OverallCond": [5, 6],
            "YearBuilt": [2000, 1950],
            "YearRemodAdd": [2000, 1990],
            "YrSold": [2008, 2008],
            "MoSold": [6, 12],
            "GarageYrBlt": [2001.0, np.nan],
            "TotalBsmtSF": [800.0, np.nan],
            "BsmtFinSF1": [500.0, np.nan],
            "BsmtFullBath": [1.0, np.nan],
            "BsmtHalfBath": [0.0, np.nan],
            "1stFlrSF": [900, 1000],
            "2ndFlrSF": [700, 0],
            "GrLivArea": [1600, 1000],
            "FullBath": [2, 1],
            "HalfBath": [1, 0],
            "OpenPorchSF": [40, 0],
            "EnclosedPorch": [0, 0],
            "3SsnPorch": [0, 0],
            "ScreenPorch": [20, 0],
            "WoodDeckSF": [100, 0],
            "PoolArea": [500, 0],
            "PoolQC": ["Gd", np.nan],
            "Fireplaces": [1, 0],
            "FireplaceQu": ["TA", np.nan],
            "GarageArea": [400.0, np.nan],
            "GarageCars": [2.0, np.nan],
            "GarageType": ["Attchd", np.nan],
            "GarageFinish": ["RFn", np.nan],
            "GarageQual": ["TA", np.nan],
            "GarageCond": ["TA", np.nan],
            "BsmtQual": ["Ex", np.nan],
            "BsmtExposure": ["No", np.nan],
            "Alley": [np.nan, "Grvl"],
            "MasVnrType": ["BrkFace", np.nan],
            "MasVnrArea": [120.0, np.nan],
            "ExterQual": ["Gd", "TA"],
            "KitchenQual": ["Ex", "Fa"],
            "LotFrontage": [np.nan, 60.0],
        }
    )


def test_registered_names(features: dict) -> None:
    assert set(FUNCTIONS) | {"house_prices.living_area_outliers"} <= set(features)
    assert issubclass(features["house_prices.living_area_outliers"], RowFilter)
    for obj in features.values():
        assert (obj.__doc__ or "").strip().splitlines()[0]


def test_na_means_none(features: dict, module) -> None:
    out = run(features, "house_prices.na_means_none", houses())
    assert out.loc[1, "GarageType"] == "None" and out.loc[0, "GarageType"] == "Attchd"
    assert out.loc[0, "Alley"] == "None" and out.loc[1, "Alley"] == "Grvl"
    assert out.loc[1, "MasVnrType"] == "None"
    assert out.loc[1, "GarageArea"] == 0.0 and out.loc[1, "TotalBsmtSF"] == 0.0
    present = [c for c in (*module.NA_MEANS_NONE_CATEGORICAL, *module.NA_MEANS_ZERO_NUMERIC)]
    present = [c for c in present if c in out.columns]
    assert not out[present].isna().any().any()
    # Columns outside the documented list keep their NA, GarageYrBlt included.
    assert np.isnan(out.loc[0, "LotFrontage"]) and np.isnan(out.loc[1, "GarageYrBlt"])


def test_total_area(features: dict) -> None:
    out = run(features, "house_prices.total_area", houses())
    assert out["TotalSF"].tolist() == [2400.0, 1000.0]
    assert out["TotalBathrooms"].tolist() == [3.5, 1.0]
    assert out["TotalPorchSF"].tolist() == [160.0, 0.0]
    assert out["HasPool"].tolist() == [1, 0]
    assert out["Has2ndFloor"].tolist() == [1, 0]
    assert out["HasGarage"].tolist() == [1, 0]
    assert out["HasBasement"].tolist() == [1, 0]
    assert out["HasFireplace"].tolist() == [1, 0]


def test_ages(features: dict) -> None:
    frame = houses()
    frame.loc[1, "YearRemodAdd"] = 2009  # remodelled after the sale: clipped to 0
    out = run(features, "house_prices.ages", frame)
    assert out["HouseAge"].tolist() == [8, 58]
    assert out["RemodAge"].tolist() == [8, 0]
    assert out["GarageAge"].tolist() == [7.0, 58.0]  # no garage -> the house's age
    assert out["IsRemodeled"].tolist() == [0, 1]
    assert out["IsNew"].tolist() == [0, 0]


def test_quality_interactions(features: dict) -> None:
    out = run(features, "house_prices.quality_interactions", houses())
    assert out["ExterQualScore"].tolist() == [4.0, 3.0]
    assert out["KitchenQualScore"].tolist() == [5.0, 2.0]
    assert out["BsmtQualScore"].tolist() == [5.0, 0.0]
    assert out["PoolQCScore"].tolist() == [4.0, 0.0]
    assert out["BsmtExposureScore"].tolist() == [1.0, 0.0]
    assert out["GarageFinishScore"].tolist() == [2.0, 0.0]
    assert out["OverallGrade"].tolist() == [35.0, 30.0]
    assert out["QualGrLivArea"].tolist() == [7 * 1600.0, 5 * 1000.0]
    assert out["QualTotalSF"].tolist() == [7 * 2400.0, 5 * 1000.0]
    assert out["ExterQual"].tolist() == ["Gd", "TA"]  # originals kept
    # The same after na_means_none ("None" strings instead of NA).
    filled = run(features, "house_prices.na_means_none", houses())
    again = run(features, "house_prices.quality_interactions", filled)
    assert again["BsmtQualScore"].tolist() == [5.0, 0.0]


def test_categorical_codes(features: dict) -> None:
    out = run(features, "house_prices.categorical_codes", houses())
    assert out["MSSubClass"].tolist() == ["60", "20"]
    assert out["MoSold"].tolist() == [6, 12]  # not listed: unchanged
    out = run(
        features, "house_prices.categorical_codes", houses(), columns=["MSSubClass", "MoSold"]
    )
    assert out["MoSold"].tolist() == ["6", "12"]
    # Idempotent: running it twice keeps the codes.
    twice = run(features, "house_prices.categorical_codes", out)
    assert twice["MSSubClass"].tolist() == ["60", "20"]


def test_living_area_outliers(features: dict) -> None:
    frame = pd.DataFrame({"GrLivArea": [1000, 4600, 4400]})
    step = features["house_prices.living_area_outliers"]().fit(frame)
    assert step.keep_mask(frame).tolist() == [True, False, True]
    step = features["house_prices.living_area_outliers"](max_area=4000).fit(frame)
    assert step.keep_mask(frame).tolist() == [True, False, False]


# ---- data_description.txt -----------------------------------------------------------------


def parse_description(text: str) -> dict[str, list[str]]:
    """Column -> the codes listed under it in data_description.txt."""
    codes: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        header = re.match(r"^(\w+):\s", line)
        if header:
            current = header.group(1)
            codes[current] = []
        elif current and line.startswith((" ", "\t")) and line.strip():
            codes[current].append(line.strip().split()[0])
    return codes


def description_text() -> str | None:
    for path in DESCRIPTION_PATHS:
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    return None


@pytest.mark.skipif(description_text() is None, reason="data_description.txt not available")
def test_na_list_matches_data_description(module) -> None:
    codes = parse_description(description_text() or "")
    documented_na = {col for col, values in codes.items() if "NA" in values}
    for column in module.NA_MEANS_NONE_CATEGORICAL:
        assert column in codes, column
        # NA documented as a category, or "None" (MasVnrType; pandas reads "None" as NA).
        assert "NA" in codes[column] or "None" in codes[column], column
    # Every column documenting NA as a category is covered.
    assert documented_na <= set(module.NA_MEANS_NONE_CATEGORICAL)
    for column in module.NA_MEANS_ZERO_NUMERIC:
        assert column in codes and not codes[column], column  # numeric: no code list
    for column, scale in module.ORDINAL_SCALES.items():
        assert set(scale) - {"None"} <= set(codes[column]), column
    for column in module.QUALITY_COLUMNS:
        grades = set(codes[column]) - {"NA"}  # PoolQC has no "Po"
        assert {"Ex", "Gd", "TA", "Fa"} <= grades <= set(module.QUALITY_SCALE), column


# ---- the real Kaggle files -------------------------------------------------------------------

needs_data = pytest.mark.skipif(
    not (DATA / "train.csv").is_file(),
    reason=f"real House Prices files not present in {DATA} (copy the Kaggle CSVs there)",
)


@pytest.mark.real_data
@needs_data
@pytest.mark.parametrize("file", ["train.csv", "test.csv"])
def test_real_files(features: dict, module, file: str) -> None:
    frame = pd.read_csv(DATA / file)
    out = frame
    for name, columns in FUNCTIONS.items():
        out = run(features, name, out)
        assert set(columns) <= set(out.columns), name
        assert len(out) == len(frame)
    covered = [*module.NA_MEANS_NONE_CATEGORICAL, *module.NA_MEANS_ZERO_NUMERIC]
    assert not out[covered].isna().any().any()
    added = [c for cols in FUNCTIONS.values() for c in cols]
    assert not out[added].isna().any().any()
    assert (out["HouseAge"] >= 0).all() and (out["GarageAge"] >= 0).all()
    assert out["MSSubClass"].map(type).eq(str).all()
    if "SalePrice" in frame.columns:
        mask = features["house_prices.living_area_outliers"]().fit(frame).keep_mask(frame)
        assert (~mask).sum() == 2  # the two huge partial sales
