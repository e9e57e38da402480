"""Titanic feature steps: ``titanic.<name>`` in configs.

Functions are stateless (row-wise, no statistics), so they cannot leak. Classes are
:class:`~workbench.features.base.Step` s whose ``fit`` sees only a fold's training rows:

* ``family_groups`` learns group survival from training labels and uses leave-one-out on the
  training rows themselves, so a row's own label never feeds its own value;
* ``ticket_groups`` counts tickets over the rows it is fitted on (no labels involved);
* ``age_by_title`` learns the median age per title on the training rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.features.base import Step, StepConfigError, feature, require_columns

#: Title as written in Name -> grouped title. Anything not listed becomes "Rare".
TITLE_GROUPS: dict[str, str] = {
    "Mr": "Mr",
    "Mrs": "Mrs",
    "Miss": "Miss",
    "Master": "Master",
    "Mlle": "Miss",
    "Ms": "Miss",
    "Mme": "Mrs",
}

#: Every value ``title`` can give, declared (the ``onehot`` step encodes a Categorical over its
#: declared categories, so a fold without a Rare title still has a Title_Rare column).
TITLES: list[str] = ["Master", "Miss", "Mr", "Mrs", "Rare"]
#: Every value of FamilySizeCat (sorted, the order a learned encoding would give).
FAMILY_SIZE_CATEGORIES: list[str] = ["Alone", "Large", "Small"]

_TITLE_PATTERN = r",\s*(?:the\s+)?([^.]+?)\s*\."


def _titles(names: pd.Series) -> pd.Series:
    raw = names.astype("string").str.extract(_TITLE_PATTERN, expand=False)
    return raw.map(lambda t: TITLE_GROUPS.get(t, "Rare") if isinstance(t, str) else "Rare")


def _surnames(names: pd.Series) -> pd.Series:
    return names.astype("string").str.split(",").str[0].str.strip().fillna("")


@feature
def title(frame: pd.DataFrame) -> pd.DataFrame:
    """Title from Name: Mr, Mrs, Miss, Master (Mlle/Ms→Miss, Mme→Mrs), all others Rare.

    A Categorical with the five titles declared (:data:`TITLES`), whatever rows it is given.
    """
    frame["Title"] = pd.Categorical(_titles(frame["Name"]).astype(str), categories=TITLES)
    return frame


@feature
def family_size(frame: pd.DataFrame, large: int = 5) -> pd.DataFrame:
    """FamilySize = SibSp + Parch + 1, IsAlone, and FamilySizeCat (Alone/Small/Large, a
    Categorical with the three declared)."""
    size = frame["SibSp"].fillna(0) + frame["Parch"].fillna(0) + 1
    frame["FamilySize"] = size.astype(int)
    frame["IsAlone"] = (size == 1).astype(int)
    frame["FamilySizeCat"] = pd.Categorical(
        np.where(size == 1, "Alone", np.where(size >= large, "Large", "Small")),
        categories=FAMILY_SIZE_CATEGORIES,
    )
    return frame


@feature
def deck(frame: pd.DataFrame) -> pd.DataFrame:
    """Deck letter from Cabin (first letter, missing → "U") and HasCabin (0/1)."""
    cabin = frame["Cabin"].astype("string")
    letter = cabin.str.strip().str[0]
    frame["Deck"] = letter.fillna("U").astype(str).to_numpy()
    frame["HasCabin"] = cabin.notna().astype(int).to_numpy()
    return frame


@feature
def fare_per_person(frame: pd.DataFrame) -> pd.DataFrame:
    """FarePerPerson = Fare / (SibSp + Parch + 1): the ticket fare split over the row's own family.

    Uses only the row's own values (Fare is the price of the whole ticket). For the split over
    everyone sharing the ticket, fitted on training rows only, use ``titanic.ticket_groups``.
    """
    size = frame["SibSp"].fillna(0) + frame["Parch"].fillna(0) + 1
    frame["FarePerPerson"] = frame["Fare"] / size
    return frame


@feature("ticket_groups")
class TicketGroups(Step):
    """TicketGroupSize (passengers sharing the ticket, counted on training rows) and TicketFare.

    ``fit`` counts tickets among the rows it is given (no labels). A training row's size is
    that count (it includes the row itself); a row seen only at ``transform`` (validation,
    test) gets the training count plus one, for itself. TicketFare = Fare / TicketGroupSize.
    """

    def __init__(self, ticket_column: str = "Ticket", fare_column: str = "Fare"):
        self.ticket_column = ticket_column
        self.fare_column = fare_column

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> TicketGroups:
        require_columns(X, [self.ticket_column, self.fare_column], "titanic.ticket_groups")
        counts = X[self.ticket_column].astype(str).value_counts()
        self.counts_ = {str(k): int(v) for k, v in counts.items()}
        return self

    def _output(self, X: pd.DataFrame, extra: int) -> pd.DataFrame:
        require_columns(X, [self.ticket_column, self.fare_column], "titanic.ticket_groups")
        tickets = X[self.ticket_column].astype(str)
        size = tickets.map(lambda t: self.counts_.get(t, 0)).astype(int) + extra
        out = X.copy()
        out["TicketGroupSize"] = size.to_numpy()
        out["TicketFare"] = (X[self.fare_column] / size.clip(lower=1)).to_numpy()
        return self._remember_output(out)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return self._output(X, extra=1)

    def fit_transform(self, X: pd.DataFrame, y: pd.Series | None = None, **_: object):
        return self.fit(X, y)._output(X, extra=0)


@feature("family_groups")
class FamilyGroups(Step):
    """FamilySurvival: 1/0 if a known relative or ticket-mate survived/died, 0.5 if unknown.

    Groups are families (surname + fare) and tickets. ``fit`` learns, per group, how many
    training rows it has and how many of them survived. For rows at ``transform`` (validation,
    test): 1 if any known family member survived, else 0 if known members all died; rows
    without a 1 from their family then look at their ticket group the same way (a survivor
    there gives 1, only deaths give 0); with no known member the value is 0.5.
    ``fit_transform`` on training rows is leave-one-out: a row's own label is removed from its
    groups' counts, so it never feeds its own value.
    """

    def __init__(
        self,
        column: str = "FamilySurvival",
        use_ticket: bool = True,
        fare_decimals: int = 2,
    ):
        self.column = column
        self.use_ticket = use_ticket
        self.fare_decimals = fare_decimals

    _needed = ("Name", "Fare", "Ticket")

    def _keys(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        require_columns(X, list(self._needed), "titanic.family_groups")
        fare = pd.to_numeric(X["Fare"], errors="coerce").round(self.fare_decimals)
        family = (_surnames(X["Name"]) + "|" + fare.astype("string").fillna("nan")).astype(str)
        ticket = X["Ticket"].astype(str)
        return family.to_numpy(), ticket.to_numpy()

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> FamilyGroups:
        if y is None:
            raise StepConfigError("titanic.family_groups: needs the target (Survived) to fit")
        labels = np.asarray(y, dtype=float)
        if len(labels) != len(X):
            raise StepConfigError("titanic.family_groups: X and y have different lengths")
        family, ticket = self._keys(X)
        self.family_counts_ = _group_counts(family, labels)
        self.ticket_counts_ = _group_counts(ticket, labels)
        return self

    def _values(self, X: pd.DataFrame, own: np.ndarray | None) -> pd.DataFrame:
        """Group survival for X; ``own`` are X's own labels, left out of their groups."""
        family, ticket = self._keys(X)
        own_n = np.zeros(len(X)) if own is None else np.ones(len(X))
        own_s = np.zeros(len(X)) if own is None else own
        value = np.full(len(X), 0.5)
        groups = [(family, self.family_counts_)]
        if self.use_ticket:
            groups.append((ticket, self.ticket_counts_))
        for keys, counts in groups:
            n = np.array([counts.get(k, (0, 0.0))[0] for k in keys], dtype=float) - own_n
            s = np.array([counts.get(k, (0, 0.0))[1] for k in keys], dtype=float) - own_s
            undecided = value != 1.0
            value = np.where(undecided & (n > 0) & (s > 0), 1.0, value)
            value = np.where(undecided & (n > 0) & (s == 0), 0.0, value)
        out = X.copy()
        out[self.column] = value
        return self._remember_output(out)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return self._values(X, own=None)

    def fit_transform(self, X: pd.DataFrame, y: pd.Series | None = None, **_: object):
        self.fit(X, y)
        return self._values(X, own=np.asarray(y, dtype=float))


def _group_counts(keys: np.ndarray, labels: np.ndarray) -> dict[str, tuple[int, float]]:
    frame = pd.DataFrame({"key": keys, "y": labels})
    grouped = frame.groupby("key", sort=False)["y"].agg(["count", "sum"])
    return {str(k): (int(c), float(s)) for k, c, s in grouped.itertuples()}


@feature("age_by_title")
class AgeByTitle(Step):
    """Age with missing values filled by the median age of the row's Title (training rows).

    Adds AgeMissing (0/1). Titles are taken from a Title column when present (``titanic.title``
    ran before), else derived from Name. Unknown titles fall back to the overall median.
    """

    def __init__(self, title_column: str = "Title"):
        self.title_column = title_column

    def _title(self, X: pd.DataFrame) -> pd.Series:
        if self.title_column in X.columns:
            return X[self.title_column].astype(str)
        require_columns(X, ["Name"], "titanic.age_by_title")
        return _titles(X["Name"]).astype(str)

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> AgeByTitle:
        require_columns(X, ["Age"], "titanic.age_by_title")
        age = pd.to_numeric(X["Age"], errors="coerce")
        self.overall_ = float(age.median()) if age.notna().any() else 0.0
        medians = age.groupby(self._title(X).to_numpy()).median().dropna()
        self.medians_ = {str(k): float(v) for k, v in medians.items()}
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, ["Age"], "titanic.age_by_title")
        age = pd.to_numeric(X["Age"], errors="coerce")
        fill = self._title(X).map(lambda t: self.medians_.get(t, self.overall_)).astype(float)
        out = X.copy()
        out["AgeMissing"] = age.isna().astype(int).to_numpy()
        out["Age"] = age.fillna(fill).to_numpy()
        return self._remember_output(out)
