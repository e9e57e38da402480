"""profile_data: the data_profile.json contract; mutual information on a bounded sample."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from report_synth import titanic_like

from workbench.report import profile
from workbench.report.profile import profile_data


def test_binary_profile_matches_contract():
    train, test = titanic_like()
    prof = profile_data(
        train, test, target="Survived", id_column="PassengerId", task="binary", seed=42
    )
    json.dumps(prof)  # plain JSON
    assert set(prof) == {
        "n_train",
        "n_test",
        "target",
        "task",
        "target_distribution",
        "missing",
        "related",
    }
    assert prof["n_train"] == 891 and prof["n_test"] == len(test)
    assert prof["target"] == "Survived" and prof["task"] == "binary"
    dist = prof["target_distribution"]
    assert dist["kind"] == "classes" and set(dist["counts"]) == {"0", "1"}
    assert sum(dist["counts"].values()) == 891
    missing = {m["column"]: m for m in prof["missing"]}
    assert set(missing) == {"Age", "Cabin", "Embarked"}
    assert abs(missing["Age"]["train"] - train["Age"].isna().mean()) < 1e-3
    assert abs(missing["Age"]["test"] - test["Age"].isna().mean()) < 1e-3
    related = prof["related"]
    assert 1 <= len(related) <= 10
    assert all(r["method"] == "mutual_information" for r in related)
    names = [r["feature"] for r in related]
    assert "PassengerId" not in names and "Survived" not in names
    assert names[0] == "Sex"  # the synthetic target depends mostly on Sex
    assert [r["score"] for r in related] == sorted((r["score"] for r in related), reverse=True)


def test_regression_profile_and_missing_only_in_test():
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {"Id": range(200), "x": rng.normal(size=200), "c": rng.choice(list("ab"), 200)}
    )
    train["SalePrice"] = train["x"] * 3 + rng.normal(size=200)
    test = train.drop(columns="SalePrice").copy()
    test.loc[:9, "c"] = None
    prof = profile_data(train, test, target="SalePrice", id_column="Id", task="regression", seed=1)
    assert prof["target_distribution"]["kind"] == "values"
    assert len(prof["target_distribution"]["values"]) == 200
    assert prof["missing"] == [{"column": "c", "train": 0.0, "test": 0.05}]
    assert prof["related"][0]["feature"] == "x"


def test_mutual_information_runs_on_a_bounded_sample(monkeypatch):
    rows_scored = []
    real = profile.mutual_info_classif

    def recording(X, y, **kwargs):
        rows_scored.append(len(X))
        return real(X, y, **kwargs)

    monkeypatch.setattr(profile, "mutual_info_classif", recording)
    train, test = titanic_like()
    profile_data(train, test, target="Survived", id_column="PassengerId", task="binary", seed=0)
    assert rows_scored == [891]  # small data: every row
    big, big_test = titanic_like(60_000, seed=1)
    prof = profile_data(
        big, big_test, target="Survived", id_column="PassengerId", task="binary", seed=0
    )
    assert rows_scored[1:] == [profile.MI_SAMPLE] and profile.MI_SAMPLE < 60_000
    assert prof["n_train"] == 60_000 and prof["related"]
    assert sum(prof["target_distribution"]["counts"].values()) == 60_000  # the rest: every row
