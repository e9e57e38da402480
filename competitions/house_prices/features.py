"""House Prices feature steps: ``house_prices.<name>`` in configs.

All functions are row-wise (no statistics over rows), so they are leakage-free by
construction. ``living_area_outliers`` is a row filter: the pipeline applies it to a fold's
training rows only, so every validation and test row is still scored. Skewness fixes are the
generic ``log1p`` step, not here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.features.base import RowFilter, feature, require_columns

#: Categorical columns whose NA is a documented category in data_description.txt ("NA  No
#: Basement", "NA  No Garage", ...). MasVnrType documents "None" (which pandas reads as NA).
NA_MEANS_NONE_CATEGORICAL: tuple[str, ...] = (
    "Alley",
    "BsmtQual",
    "BsmtCond",
    "BsmtExposure",
    "BsmtFinType1",
    "BsmtFinType2",
    "FireplaceQu",
    "GarageType",
    "GarageFinish",
    "GarageQual",
    "GarageCond",
    "PoolQC",
    "Fence",
    "MiscFeature",
    "MasVnrType",
)

#: Numeric companions of those categories: missing only when the thing is absent, so 0.
NA_MEANS_ZERO_NUMERIC: tuple[str, ...] = (
    "MasVnrArea",
    "BsmtFinSF1",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "BsmtFullBath",
    "BsmtHalfBath",
    "GarageCars",
    "GarageArea",
)

#: Quality/condition grades (Ex/Gd/TA/Fa/Po); absent ("None"/NA) is 0.
QUALITY_SCALE: dict[str, int] = {"Ex": 5, "Gd": 4, "TA": 3, "Fa": 2, "Po": 1, "None": 0}
QUALITY_COLUMNS: tuple[str, ...] = (
    "ExterQual",
    "ExterCond",
    "BsmtQual",
    "BsmtCond",
    "HeatingQC",
    "KitchenQual",
    "FireplaceQu",
    "GarageQual",
    "GarageCond",
    "PoolQC",
)
#: Other ordered categories of data_description.txt, on their own scales (absent is 0).
ORDINAL_SCALES: dict[str, dict[str, int]] = {
    "BsmtExposure": {"Gd": 4, "Av": 3, "Mn": 2, "No": 1, "None": 0},
    "BsmtFinType1": {"GLQ": 6, "ALQ": 5, "BLQ": 4, "Rec": 3, "LwQ": 2, "Unf": 1, "None": 0},
    "BsmtFinType2": {"GLQ": 6, "ALQ": 5, "BLQ": 4, "Rec": 3, "LwQ": 2, "Unf": 1, "None": 0},
    "GarageFinish": {"Fin": 3, "RFn": 2, "Unf": 1, "None": 0},
    "Functional": {
        "Typ": 7,
        "Min1": 6,
        "Min2": 5,
        "Mod": 4,
        "Maj1": 3,
        "Maj2": 2,
        "Sev": 1,
        "Sal": 0,
    },
}


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as float, missing treated as 0 (used for areas and counts)."""
    return pd.to_numeric(frame[column], errors="coerce").fillna(0.0).astype(float)


@feature
def na_means_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill NA with "None" where data_description.txt documents NA as absence, 0 for its areas.

    Columns listed in ``NA_MEANS_NONE_CATEGORICAL`` get "None", their numeric companions in
    ``NA_MEANS_ZERO_NUMERIC`` (basement/garage/veneer areas and counts) get 0. Columns absent
    from the frame are skipped. GarageYrBlt is left alone (no garage has no year; see ``ages``).
    """
    for column in NA_MEANS_NONE_CATEGORICAL:
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "None")
            frame[column] = frame[column].astype(str)
    for column in NA_MEANS_ZERO_NUMERIC:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
    return frame


@feature
def total_area(frame: pd.DataFrame) -> pd.DataFrame:
    """TotalSF, TotalBathrooms, TotalPorchSF and Has* flags (pool, 2nd floor, garage, ...).

    TotalSF = TotalBsmtSF + 1stFlrSF + 2ndFlrSF; TotalBathrooms = FullBath + BsmtFullBath +
    0.5 × (HalfBath + BsmtHalfBath); TotalPorchSF = open + enclosed + 3-season + screen porch +
    wood deck. Missing areas count as 0.
    """
    frame["TotalSF"] = (
        _num(frame, "TotalBsmtSF") + _num(frame, "1stFlrSF") + _num(frame, "2ndFlrSF")
    )
    frame["TotalBathrooms"] = (
        _num(frame, "FullBath")
        + _num(frame, "BsmtFullBath")
        + 0.5 * (_num(frame, "HalfBath") + _num(frame, "BsmtHalfBath"))
    )
    porches = ["OpenPorchSF", "EnclosedPorch", "3SsnPorch", "ScreenPorch", "WoodDeckSF"]
    frame["TotalPorchSF"] = sum(_num(frame, c) for c in porches)
    frame["HasPool"] = (_num(frame, "PoolArea") > 0).astype(int)
    frame["Has2ndFloor"] = (_num(frame, "2ndFlrSF") > 0).astype(int)
    frame["HasGarage"] = (_num(frame, "GarageArea") > 0).astype(int)
    frame["HasBasement"] = (_num(frame, "TotalBsmtSF") > 0).astype(int)
    frame["HasFireplace"] = (_num(frame, "Fireplaces") > 0).astype(int)
    return frame


@feature
def ages(frame: pd.DataFrame) -> pd.DataFrame:
    """HouseAge, RemodAge, GarageAge (years before the sale, ≥ 0), IsRemodeled, IsNew.

    GarageAge is HouseAge where there is no garage year (no garage), so it has no NaN.
    """
    sold = pd.to_numeric(frame["YrSold"], errors="coerce")
    built = pd.to_numeric(frame["YearBuilt"], errors="coerce")
    remod = pd.to_numeric(frame["YearRemodAdd"], errors="coerce")
    garage = pd.to_numeric(frame["GarageYrBlt"], errors="coerce")
    house_age = (sold - built).clip(lower=0)
    frame["HouseAge"] = house_age
    frame["RemodAge"] = (sold - remod).clip(lower=0)
    frame["GarageAge"] = (sold - garage).clip(lower=0).fillna(house_age)
    frame["IsRemodeled"] = (remod != built).astype(int)
    frame["IsNew"] = (sold <= built).astype(int)
    return frame


@feature
def quality_interactions(frame: pd.DataFrame) -> pd.DataFrame:
    """Quality grades as numbers (<column>Score) and OverallQual × area interactions.

    Ex/Gd/TA/Fa/Po → 5..1 (absent 0) for the *Qual/*Cond columns, BsmtExposure, BsmtFinType1/2,
    GarageFinish and Functional on their documented scales; the original text columns are kept.
    Adds OverallGrade = OverallQual × OverallCond, QualGrLivArea = OverallQual × GrLivArea and
    QualTotalSF = OverallQual × TotalSF (TotalSF computed here if ``total_area`` did not run).
    """
    scales = {column: QUALITY_SCALE for column in QUALITY_COLUMNS} | ORDINAL_SCALES
    for column, scale in scales.items():
        if column in frame.columns:
            values = frame[column].astype(object).where(frame[column].notna(), "None")
            frame[f"{column}Score"] = values.map(scale).fillna(0).astype(float)
    qual = _num(frame, "OverallQual")
    if "TotalSF" in frame.columns:
        total_sf = _num(frame, "TotalSF")
    else:
        total_sf = _num(frame, "TotalBsmtSF") + _num(frame, "1stFlrSF") + _num(frame, "2ndFlrSF")
    frame["OverallGrade"] = qual * _num(frame, "OverallCond")
    frame["QualGrLivArea"] = qual * _num(frame, "GrLivArea")
    frame["QualTotalSF"] = qual * total_sf
    return frame


@feature
def categorical_codes(
    frame: pd.DataFrame, columns: list[str] | tuple[str, ...] = ("MSSubClass",)
) -> pd.DataFrame:
    """Numeric codes that are really categories (MSSubClass, optionally MoSold/YrSold) as text.

    Run it after ``ages`` if YrSold is among the columns. Missing stays missing.
    """
    for column in columns:
        frame[column] = frame[column].map(_code).astype(object)
    return frame


def _code(value: object) -> str | None:
    """60 / 60.0 / "60" -> "60"; missing stays None."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else str(value)


@feature("living_area_outliers")
class LivingAreaOutliers(RowFilter):
    """Drop training rows with GrLivArea above ``max_area`` (4500: two huge, cheap partial sales).

    The rule looks at GrLivArea only, not at the price, so it works whatever the target's
    scale; as a row filter it removes training rows of a fold only, never scored rows.
    """

    def __init__(self, max_area: float = 4500.0):
        self.max_area = max_area

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> LivingAreaOutliers:
        require_columns(X, ["GrLivArea"], "house_prices.living_area_outliers")
        return self

    def keep_mask(self, X: pd.DataFrame, y: pd.Series | None = None) -> np.ndarray:
        require_columns(X, ["GrLivArea"], "house_prices.living_area_outliers")
        area = pd.to_numeric(X["GrLivArea"], errors="coerce")
        return ~(area > self.max_area).to_numpy()
