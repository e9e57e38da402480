"""Titanic feature steps: values on hand-made rows, honesty of the fitted ones, real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.features.base import FunctionStep, Step, StepConfigError
from workbench.features.registry import load_competition_features

ROOT = Path(__file__).resolve().parents[2]
COMPETITION_DIR = ROOT / "competitions" / "titanic"
DATA = COMPETITION_DIR / "data"

FUNCTIONS = {
    "titanic.title": ["Title"],
    "titanic.family_size": ["FamilySize", "IsAlone", "FamilySizeCat"],
    "titanic.deck": ["Deck", "HasCabin"],
    "titanic.fare_per_person": ["FarePerPerson"],
}
CLASSES = {
    "titanic.family_groups": ["FamilySurvival"],
    "titanic.ticket_groups": ["TicketGroupSize", "TicketFare"],
    "titanic.age_by_title": ["AgeMissing"],
}


@pytest.fixture(scope="module")
def features() -> dict:
    return load_competition_features("titanic", COMPETITION_DIR)


def run(features: dict, name: str, frame: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return FunctionStep(features[name], kwargs or None).fit_transform(frame)


def passengers() -> pd.DataFrame:
    """Two families (the Smiths: one survivor; the Jones: all died), a loner, ticket-mates."""
    rows = [
        # name, sibsp, parch, ticket, fare, cabin, age
        ("Smith, Mr. John", 1, 1, "A1", 30.0, "C85", 40.0),
        ("Smith, Mrs. John (Mary)", 1, 1, "A1", 30.0, "C85", np.nan),
        ("Smith, Master. Tom", 0, 2, "A1", 30.0, None, 5.0),
        ("Jones, Mr. Bob", 1, 0, "B2", 10.0, None, 30.0),
        ("Jones, Mrs. Bob (Ann)", 1, 0, "B2", 10.0, None, 28.0),
        ("Brown, Miss. Alice", 0, 0, "C3", 8.0, None, np.nan),
        ("Gray, Dr. Carl", 0, 0, "D4", 50.0, "E1", 60.0),
        ("White, Mlle. Eve", 0, 0, "D4", 50.0, "E1", 24.0),
    ]
    frame = pd.DataFrame(rows, columns=["Name", "SibSp", "Parch", "Ticket", "Fare", "Cabin", "Age"])
    frame.insert(0, "PassengerId", range(1, len(frame) + 1))
    return frame


SURVIVED = pd.Series([0, 1, 0, 0, 0, 1, 1, 0], name="Survived")


def test_registered_names(features: dict) -> None:
    assert set(FUNCTIONS) | set(CLASSES) <= set(features)
    for name in CLASSES:
        assert issubclass(features[name], Step)
    for obj in features.values():
        assert (obj.__doc__ or "").strip().splitlines()[0]


def test_title(features: dict) -> None:
    names = pd.DataFrame(
        {
            "Name": [
                "Smith, Mr. John",
                "Smith, Mrs. John",
                "A, Miss. B",
                "A, Master. C",
                "A, Mlle. D",
                "A, Ms. E",
                "A, Mme. F",
                "A, Dr. G",
                "Rothes, the Countess. of (Lucy)",
                "A, Jonkheer. H",
            ]
        }
    )
    out = run(features, "titanic.title", names)
    assert out["Title"].tolist() == [
        "Mr",
        "Mrs",
        "Miss",
        "Master",
        "Miss",
        "Miss",
        "Mrs",
        "Rare",
        "Rare",
        "Rare",
    ]


def test_family_size_deck_fare(features: dict) -> None:
    frame = passengers()
    out = run(features, "titanic.family_size", frame)
    assert out["FamilySize"].tolist() == [3, 3, 3, 2, 2, 1, 1, 1]
    assert out["IsAlone"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    assert out["FamilySizeCat"].tolist()[:6] == ["Small"] * 5 + ["Alone"]
    big = run(features, "titanic.family_size", frame.assign(SibSp=4))
    assert set(big["FamilySizeCat"]) == {"Large"}

    out = run(features, "titanic.deck", frame)
    assert out["Deck"].tolist() == ["C", "C", "U", "U", "U", "U", "E", "E"]
    assert out["HasCabin"].tolist() == [1, 1, 0, 0, 0, 0, 1, 1]

    out = run(features, "titanic.fare_per_person", frame)
    assert out["FarePerPerson"].tolist() == [10.0, 10.0, 10.0, 5.0, 5.0, 8.0, 50.0, 50.0]
    # Functions add columns and keep the input's.
    assert list(out.columns[: frame.shape[1]]) == list(frame.columns)


def test_missing_column_is_a_config_error(features: dict) -> None:
    with pytest.raises(StepConfigError, match="Cabin"):
        run(features, "titanic.deck", passengers().drop(columns="Cabin"))
    with pytest.raises(StepConfigError, match="Ticket"):
        features["titanic.family_groups"]().fit(passengers().drop(columns="Ticket"), SURVIVED)


def test_family_groups_leave_one_out_values(features: dict) -> None:
    frame = passengers()
    out = features["titanic.family_groups"]().fit_transform(frame, SURVIVED)
    # Smiths: Mrs survived -> John and Tom get 1; Mrs herself sees only deaths -> 0.
    # Jones: the other one died -> 0. Alice: alone -> 0.5.
    # Gray and White share ticket D4 (different surnames): each sees the other's label.
    assert out["FamilySurvival"].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 1.0]


def test_family_groups_own_label_never_changes_own_value(features: dict) -> None:
    frame = passengers()
    base = features["titanic.family_groups"]().fit_transform(frame, SURVIVED)["FamilySurvival"]
    for row in range(len(frame)):
        flipped = SURVIVED.copy()
        flipped.iloc[row] = 1 - flipped.iloc[row]
        out = features["titanic.family_groups"]().fit_transform(frame, flipped)
        assert out["FamilySurvival"].iloc[row] == base.iloc[row], row


def test_family_groups_transform_uses_only_fitted_labels(features: dict) -> None:
    frame = passengers()
    train, other = frame.iloc[[0, 3, 5, 6]], frame.iloc[[1, 2, 4, 7]]
    step = features["titanic.family_groups"]().fit(train, SURVIVED.iloc[[0, 3, 5, 6]])
    out = step.transform(other)
    # Mrs/Tom Smith know only John (died) -> 0; Mrs Jones knows Bob (died) -> 0;
    # White knows Gray via ticket D4 (survived) -> 1.
    assert out["FamilySurvival"].tolist() == [0.0, 0.0, 0.0, 1.0]
    # The labels of the transformed rows play no part: same output whatever they are.
    again = step.transform(other.assign(Survived=[1, 1, 1, 0]))
    assert again["FamilySurvival"].tolist() == out["FamilySurvival"].tolist()
    # Unknown rows are 0.5.
    stranger = frame.iloc[[5]].assign(Name="Nobody, Mr. X", Ticket="Z9", Fare=1.0)
    assert step.transform(stranger)["FamilySurvival"].tolist() == [0.5]


def test_family_groups_without_ticket(features: dict) -> None:
    out = features["titanic.family_groups"](use_ticket=False).fit_transform(passengers(), SURVIVED)
    assert out["FamilySurvival"].tolist()[6:] == [0.5, 0.5]


def test_family_groups_needs_target(features: dict) -> None:
    with pytest.raises(StepConfigError, match="target"):
        features["titanic.family_groups"]().fit(passengers())


def test_ticket_groups(features: dict) -> None:
    frame = passengers()
    step = features["titanic.ticket_groups"]()
    out = step.fit_transform(frame.iloc[:5])
    assert out["TicketGroupSize"].tolist() == [3, 3, 3, 2, 2]
    assert out["TicketFare"].tolist() == [10.0, 10.0, 10.0, 5.0, 5.0]
    # A new row: its training ticket-mates plus itself.
    out = step.transform(frame.iloc[[2, 5]])
    assert out["TicketGroupSize"].tolist() == [4, 1]


def test_age_by_title(features: dict) -> None:
    frame = run(features, "titanic.title", passengers())
    step = features["titanic.age_by_title"]()
    out = step.fit_transform(frame.iloc[:5], SURVIVED.iloc[:5])
    assert out["AgeMissing"].tolist() == [0, 1, 0, 0, 0]
    assert out["Age"].iloc[1] == 28.0  # the only other Mrs
    out = step.transform(frame.iloc[[5]])  # Miss unseen at fit -> overall median
    assert out["Age"].tolist() == [float(frame["Age"].iloc[:5].median())]
    # Without a Title column the title comes from Name.
    out = features["titanic.age_by_title"]().fit_transform(passengers().iloc[:5])
    assert out["Age"].iloc[1] == 28.0


# ---- the real Kaggle files -------------------------------------------------------------------

needs_data = pytest.mark.skipif(
    not (DATA / "train.csv").is_file(),
    reason=f"real Titanic files not present in {DATA} (copy the Kaggle CSVs there)",
)


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    train = pd.read_csv(DATA / "train.csv")
    test = pd.read_csv(DATA / "test.csv")
    return train.drop(columns="Survived"), train["Survived"], test


@pytest.mark.real_data
@needs_data
def test_real_files(features: dict, real) -> None:
    train, y, test = real
    for frame in (train, test):
        out = frame
        for name, columns in FUNCTIONS.items():
            out = run(features, name, out)
            assert set(columns) <= set(out.columns), name
        assert len(out) == len(frame)
        assert out["Title"].notna().all() and out["Deck"].notna().all()
        assert set(out["Title"]) <= {"Mr", "Mrs", "Miss", "Master", "Rare"}

    prepared = run(features, "titanic.title", train)
    for name, columns in CLASSES.items():
        step = features[name]()
        fitted = step.fit_transform(prepared, y)
        assert set(columns) <= set(fitted.columns)
        out = step.transform(run(features, "titanic.title", test))
        assert set(columns) <= set(out.columns) and len(out) == len(test)
    survival = features["titanic.family_groups"]().fit_transform(train, y)["FamilySurvival"]
    assert set(survival.unique()) == {0.0, 0.5, 1.0}
    ages = features["titanic.age_by_title"]().fit_transform(prepared, y)
    assert ages["Age"].notna().all()
