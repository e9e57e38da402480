"""profile_data: the data_profile.json contract; mutual information on a bounded sample."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from report_synth import titanic_like

from workbench.report import plots_data, profile
from workbench.report.profile import profile_data
from workbench.report.style import to_png


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
    dist = prof["target_distribution"]
    assert dist["kind"] == "histogram" and dist["n"] == 200
    assert len(dist["edges"]) == profile.TARGET_BINS + 1 and sum(dist["counts"]) == 200
    assert dist["edges"][0] == train["SalePrice"].min()
    assert dist["edges"][-1] == train["SalePrice"].max()
    assert np.isclose(dist["mean"], train["SalePrice"].mean())
    assert np.isclose(dist["median"], train["SalePrice"].median())
    assert "log" not in dist  # not positive, not skewed
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


def _regression_frames(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    train = pd.DataFrame(
        {
            "Id": np.arange(n),
            "x": np.where(rng.random(n) < 0.1, np.nan, x),
            "c": rng.choice(list("abc"), n),
            "Price": np.exp(11 + 0.4 * x + rng.normal(0, 0.3, n)),  # positive, right-skewed
        }
    )
    return train, train.drop(columns="Price").head(max(1, n // 2))


def test_profile_size_does_not_grow_with_the_rows():
    sizes, entries = [], []
    for n in (1_000, 100_000):
        train, test = _regression_frames(n)
        prof = profile_data(train, test, target="Price", id_column="Id", task="regression", seed=0)
        dist = prof["target_distribution"]
        assert dist["n"] == n and sum(dist["counts"]) == n  # counted on every row
        assert sum(dist["log"]["counts"]) == n
        entries.append((len(dist["edges"]), len(dist["counts"]), len(dist["log"]["counts"])))
        sizes.append(len(json.dumps(prof)))
    assert entries[0] == entries[1] == (41, 40, 40)
    assert sizes[1] < 1.2 * sizes[0]  # only the digits of the counts differ


def test_skewed_positive_target_gets_log_space_bins():
    train, test = _regression_frames(5_000)
    prof = profile_data(train, test, target="Price", id_column="Id", task="regression", seed=0)
    log = prof["target_distribution"]["log"]
    assert log["skew"] > profile.LOG_SKEW
    edges = np.asarray(log["edges"])
    assert np.isclose(edges[0], train["Price"].min())
    assert np.isclose(edges[-1], train["Price"].max())
    assert np.allclose(np.diff(np.log(edges)), np.diff(np.log(edges))[0])  # equal in log space


def test_histogram_draws_the_figure_the_values_drew():
    """The report's target figure is the same from the histogram as from every value (the
    format of older runs, which the report still reads)."""
    train, test = _regression_frames(3_000)
    prof = profile_data(train, test, target="Price", id_column="Id", task="regression", seed=0)
    from_histogram = plots_data.target_distribution_figure(prof["target_distribution"], "Price")
    from_values = plots_data.target_distribution_figure(
        {"kind": "values", "values": train["Price"].tolist()}, "Price"
    )
    assert to_png(from_histogram) == to_png(from_values)
