"""A FeaturePipeline of several generic steps, end to end."""

import numpy as np
import pandas as pd
import pytest

from workbench.errors import UserError
from workbench.features.pipeline import FeaturePipeline
from workbench.features.registry import build_step

CONFIG = [
    {
        "step": "regex_extract",
        "column": "Name",
        "pattern": r" ([A-Za-z]+)\.",
        "name": "Title",
        "default": "Other",
    },
    {
        "step": "impute",
        "columns": ["Age"],
        "strategy": "median",
        "by": ["Title"],
        "add_indicator": True,
    },
    {"step": "impute", "columns": ["Embarked"], "strategy": "most_frequent"},
    {"step": "arithmetic", "name": "FamilySize", "op": "add", "columns": ["SibSp", "Parch", 1]},
    {"step": "group_aggregate", "by": ["Ticket"], "name": "TicketCount"},
    {"step": "frequency_encode", "columns": ["Title"]},
    {"step": "target_encode", "columns": ["Title"], "drop_original": False},
    {"step": "onehot", "columns": ["Sex", "Embarked", "Title"]},
    {"step": "outliers", "column": "Fare", "max": 500},
    {"step": "log1p", "columns": ["Fare"]},
    {"step": "drop", "columns": ["Name", "Ticket"]},
    {"step": "scale", "columns": ["Age", "Fare"]},
]


def _titanic(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    titles = rng.choice(["Mr", "Mrs", "Miss", "Master"], n)
    frame = pd.DataFrame(
        {
            "Name": [f"Smith, {t}. John" for t in titles],
            "Sex": np.where(np.isin(titles, ["Mr", "Master"]), "male", "female"),
            "Age": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(1, 70, n)),
            "SibSp": rng.integers(0, 3, n),
            "Parch": rng.integers(0, 3, n),
            "Ticket": rng.choice(["T1", "T2", "T3", "T4", "T5"], n),
            "Fare": rng.lognormal(3, 1, n),
            "Embarked": rng.choice(["S", "C", "Q", None], n),
        },
        index=pd.RangeIndex(seed * 1000, seed * 1000 + n),
    )
    frame.loc[frame.index[0], "Fare"] = 600.0
    y = pd.Series((frame["Sex"] == "female").astype(int), index=frame.index)
    return frame, y


def _pipeline(config=CONFIG) -> FeaturePipeline:
    steps = [
        (
            f"{i}:{spec['step']}",
            build_step(spec, where=f"features[{i}]", competition_features={}, seed=0),
        )
        for i, spec in enumerate(config)
    ]
    return FeaturePipeline(steps)


def test_end_to_end():
    train, y = _titanic(200, seed=0)
    test, _ = _titanic(50, seed=1)
    test.loc[test.index[0], "Name"] = "Doe, Rev. Jim"  # a title unseen in training
    test.loc[test.index[1], "Ticket"] = "NEW"
    pipeline = _pipeline()
    X, y_out = pipeline.fit_transform(train, y)
    assert len(X) == 199 and train.index[0] not in X.index  # the Fare outlier
    assert X.index.equals(y_out.index)
    out = pipeline.transform(test)
    assert out.index.equals(test.index)
    assert out.columns.tolist() == X.columns.tolist() == pipeline.feature_names_out_
    assert "Name" not in out and "Title_te" in out and "Title_Rev" not in out
    assert out.select_dtypes("number").shape[1] == out.shape[1]
    assert not out.drop(columns=["Age"]).isna().any().any()
    title_columns = [
        c for c in out if c.startswith("Title_") and c not in ("Title_te", "Title_freq")
    ]
    assert title_columns == ["Title_Master", "Title_Miss", "Title_Mr", "Title_Mrs"]
    assert (out.loc[test.index[0], title_columns] == 0).all()  # unseen title: all zeros
    assert out.loc[test.index[0], "Title_freq"] == 0.0
    # TicketCount comes from the training rows (it runs before the outlier filter).
    counts = train["Ticket"].value_counts()
    assert out.loc[test.index[1], "TicketCount"] == 0
    assert out.loc[test.index[2], "TicketCount"] == counts[test["Ticket"].iloc[2]]
    # Age and Fare are scaled with the training rows' statistics: mean 0 there only.
    assert abs(X["Fare"].mean()) < 1e-9 and abs(out["Fare"].mean()) > 1e-3


def test_step_error_becomes_user_error():
    train, y = _titanic(50, seed=0)
    pipeline = _pipeline([{"step": "impute", "columns": ["Agee"]}])
    with pytest.raises(UserError) as info:
        pipeline.fit_transform(train, y)
    assert info.value.where == "features[0]"
    assert "Age" in info.value.hint
