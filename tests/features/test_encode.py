import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from synthetic import REPO_ROOT, require_real_data

from workbench.competition import Project
from workbench.experiment import run_experiment
from workbench.features.base import StepConfigError
from workbench.features.encode import FrequencyEncode, OneHot, Ordinal, TargetEncode


def test_onehot_learns_categories_from_training_rows():
    train = pd.DataFrame({"Sex": ["m", "f", None, "m"], "Age": [1, 2, 3, 4]})
    test = pd.DataFrame({"Sex": ["f", "x", None], "Age": [5, 6, 7]}, index=[9, 8, 7])
    step = OneHot().fit(train)
    out = step.transform(test)
    assert out.columns.tolist() == ["Age", "Sex_f", "Sex_m", "Sex_nan"]
    assert list(out.index) == [9, 8, 7]
    assert out.loc[9].tolist() == [5, 1, 0, 0]
    assert out.loc[8].tolist() == [6, 0, 0, 0]  # unseen value: all zeros
    assert out.loc[7].tolist() == [7, 0, 0, 1]
    assert step.get_feature_names_out().tolist() == out.columns.tolist()


def test_onehot_min_frequency_and_keep_original():
    train = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5 + ["r1", "r2"]})
    step = OneHot(columns=["c"], min_frequency=2, drop_original=False).fit(train)
    out = step.transform(pd.DataFrame({"c": ["a", "r1", "new"]}))
    assert out.columns.tolist() == ["c", "c_a", "c_b", "c_infrequent_sklearn"]
    assert out["c_infrequent_sklearn"].tolist() == [0, 1, 1]


def test_ordinal_learned_and_unknown():
    train = pd.DataFrame({"c": ["b", "a", "b"], "n": [1, 2, 3]})
    out = Ordinal().fit(train).transform(pd.DataFrame({"c": ["a", "b", "z", None], "n": [0] * 4}))
    assert out["c"].tolist() == [0, 1, -1, -1]
    assert out["n"].tolist() == [0, 0, 0, 0]


def test_ordinal_mappings():
    grades = {"Po": 1, "Fa": 2, "TA": 3, "Gd": 4, "Ex": 5}
    frame = pd.DataFrame({"Q1": ["Ex", "TA", None], "Q2": ["Po", "XX", "Gd"], "Other": list("abc")})
    out = Ordinal(columns=["Q1", "Q2"], mapping=grades).fit_transform(frame)
    assert out["Q1"].tolist() == [5, 3, -1]
    assert out["Q2"].tolist() == [1, -1, 4]
    assert out["Other"].tolist() == list("abc")
    out = Ordinal(mapping={"Q1": {**grades, None: 0}}).fit_transform(frame)
    assert out["Q1"].tolist() == [5, 3, 0]
    assert out["Q2"].tolist() == ["Po", "XX", "Gd"]
    with pytest.raises(StepConfigError):
        Ordinal(mapping={"Q1": grades, "x": 1}).fit(frame)
    with pytest.raises(StepConfigError):
        Ordinal(mapping={"Q9": grades}).fit(frame)


def _binary_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    cat = rng.choice(list("abcde"), n)
    y = pd.Series((rng.random(n) < np.where(cat == "a", 0.9, 0.2)).astype(int))
    return pd.DataFrame({"cat": cat, "num": rng.normal(size=n)}), y


def test_target_encode_cross_fits_training_rows():
    X, y = _binary_data()
    step = TargetEncode(columns=["cat"], random_state=0)
    crossed = step.fit_transform(X, y)
    full = step.transform(X)
    assert crossed.columns.tolist() == ["num", "cat_te"]
    assert full.columns.tolist() == ["num", "cat_te"]
    assert not np.allclose(crossed["cat_te"], full["cat_te"])
    # The full fit gives one value per category; cross-fitting varies within a category.
    assert full.groupby(X["cat"])["cat_te"].nunique().max() == 1
    assert crossed.groupby(X["cat"])["cat_te"].nunique().max() > 1
    # Reproducible with the same random_state
    again = TargetEncode(columns=["cat"], random_state=0).fit_transform(X, y)
    assert np.allclose(crossed["cat_te"], again["cat_te"])


def test_target_encode_unseen_and_regression():
    X, y = _binary_data()
    step = TargetEncode(columns=["cat"], random_state=0).fit(X, y)
    out = step.transform(pd.DataFrame({"cat": ["zzz", None], "num": [0.0, 0.0]}))
    assert np.allclose(out["cat_te"], y.mean())
    yr = pd.Series(
        np.where(X["cat"] == "a", 100.0, 0.0) + np.random.default_rng(2).normal(size=200)
    )
    out = TargetEncode(columns=["cat"], smooth=1.0, random_state=0).fit(X, yr).transform(X)
    assert out.loc[X["cat"] == "a", "cat_te"].min() > 80


def test_target_encode_multiclass_and_errors():
    X, _ = _binary_data()
    y = pd.Series(np.random.default_rng(3).integers(0, 3, 200))
    out = TargetEncode(columns=["cat"], random_state=0).fit_transform(X, y)
    assert out.columns.tolist() == ["num", "cat_te_0", "cat_te_1", "cat_te_2"]
    with pytest.raises(StepConfigError, match="target"):
        TargetEncode(columns=["cat"]).fit(X)
    with pytest.raises(StepConfigError):
        TargetEncode(columns=["cat"], smooth="high").fit(X, y)


def test_frequency_encode():
    train = pd.DataFrame({"t": ["a", "a", "b", None]})
    test = pd.DataFrame({"t": ["a", "b", "new", None]}, index=[5, 6, 7, 8])
    out = FrequencyEncode().fit(train).transform(test)
    assert out["t_freq"].tolist() == [0.5, 0.25, 0.0, 0.25]
    assert out.columns.tolist() == ["t", "t_freq"]
    assert list(out.index) == [5, 6, 7, 8]


@pytest.mark.parametrize("dtype", ["str", object, "category"])
def test_frequency_encode_drop_original_puts_the_share_where_the_column_was(dtype):
    train = pd.DataFrame({"x": [1, 2, 3, 4], "t": pd.Series(["a", "a", "b", None], dtype=dtype)})
    test = pd.DataFrame({"x": [0, 0, 0], "t": pd.Series(["b", "zz", None], dtype=dtype)})
    out = FrequencyEncode(columns=["t"], drop_original=True).fit(train).transform(test)
    assert out.columns.tolist() == ["x", "t_freq"]
    assert out["t_freq"].tolist() == [0.25, 0.0, 0.25]
    assert test["t"].notna().sum() == 2  # the input frame is unchanged


def test_target_encode_integer_regression_target_hint():
    X = pd.DataFrame({"c": list("ab") * 50})
    y = pd.Series(np.arange(100))
    with pytest.raises(StepConfigError) as info:
        TargetEncode(columns=["c"], random_state=0).fit_transform(X, y)
    assert "continuous" in info.value.hint
    out = TargetEncode(columns=["c"], target_type="continuous", random_state=0).fit_transform(X, y)
    assert out.columns.tolist() == ["c_te"]


def test_onehot_encodes_a_categorical_over_its_declared_categories():
    # a fold's training rows without the rare value still give its column (all zeros), so a
    # later step naming it (keep: [..., Title_Rare]) works on any subset of the rows
    titles = ["Master", "Miss", "Mr", "Mrs", "Rare"]
    train = pd.DataFrame({"Title": pd.Categorical(["Mr", "Miss", "Mr"], categories=titles)})
    step = OneHot(columns=["Title"]).fit(train)
    out = step.transform(
        pd.DataFrame({"Title": pd.Categorical(["Rare", None, "Mr"], categories=titles)})
    )
    assert out.columns.tolist() == [f"Title_{t}" for t in titles]
    assert out.to_numpy().tolist() == [[0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0]]
    assert step.get_feature_names_out().tolist() == out.columns.tolist()
    # the output depends on the declared vocabulary, never on which rows were seen
    other = OneHot(columns=["Title"]).fit(train.iloc[:1])
    assert other.transform(train).equals(step.transform(train))


def test_onehot_categories_parameter_for_plain_string_columns():
    train = pd.DataFrame(
        {"Sex": ["m", "f", "m"], "Port": ["S", "S", None], "Deck": ["A", "B", "A"]},
        index=[10, 11, 12],
    )
    step = OneHot(categories={"Port": ["S", "C", "Q"]}).fit(train)
    out = step.transform(train)
    # declared and learned columns keep the order of the encoded columns
    assert out.columns.tolist() == [
        "Sex_f",
        "Sex_m",
        "Port_S",
        "Port_C",
        "Port_Q",
        "Deck_A",
        "Deck_B",
    ]
    assert list(out.index) == [10, 11, 12]
    assert out["Port_S"].tolist() == [1, 1, 0] and out["Port_Q"].tolist() == [0, 0, 0]
    unseen = step.transform(pd.DataFrame({"Sex": ["x"], "Port": ["Z"], "Deck": ["A"]}))
    assert unseen.iloc[0].tolist() == [0, 0, 0, 0, 0, 1, 0]
    # the parameter wins over a Categorical's own categories, and the step clones and pickles
    categorical = train.assign(Port=pd.Categorical(train["Port"], categories=["S"]))
    assert OneHot(categories={"Port": ["S", "C", "Q"]}).fit(categorical).encoded_names_[2:5] == [
        "Port_S",
        "Port_C",
        "Port_Q",
    ]
    again = pickle.loads(pickle.dumps(clone(step).fit(train)))
    assert again.transform(train).equals(out)


def test_onehot_declared_categories_with_min_frequency_on_the_learned_columns():
    train = pd.DataFrame({"c": ["a"] * 5 + ["r"], "d": ["x"] * 6})
    step = OneHot(min_frequency=2, categories={"d": ["x", "y"]}).fit(train)
    assert step.transform(train).columns.tolist() == ["c_a", "c_infrequent_sklearn", "d_x", "d_y"]


@pytest.mark.parametrize(
    ("categories", "match"),
    [
        ({"Nope": ["a"]}, "not one of the encoded columns"),
        ({"c": []}, "non-empty list"),
        ({"c": "abc"}, "non-empty list"),
        ({"c": ["a", "a"]}, "repeat"),
        (["a", "b"], "must map column names"),
    ],
)
def test_onehot_categories_errors(categories, match):
    with pytest.raises(StepConfigError, match=match):
        OneHot(columns=["c"], categories=categories).fit(pd.DataFrame({"c": ["a", "b"]}))


@pytest.mark.real_data
@pytest.mark.slow
def test_titanic_learning_curve_at_a_tenth_of_the_rows(tmp_path):
    """configs/titanic.yaml one-hot encodes Title, then keeps Title_Rare: at a 10% subset no row
    has the rare title, and the curve still has that point (the title is a declared vocabulary)."""
    require_real_data("titanic")
    for name in ("competitions", "configs"):
        shutil.copytree(
            REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    project = Project(tmp_path)
    result = run_experiment(
        tmp_path / "configs/titanic.yaml", ["report.learning_curve=true"], project=project
    )
    curve = pd.read_csv(result.run_dir / "learning_curve.csv")
    assert 0.1 in set(curve["fraction"])
    assert set(curve.loc[curve["fraction"] == 0.1, "fold"]) == set(range(5))
    assert np.isclose(result.record.summary.valid_mean, 0.85297, atol=5e-6)


def test_target_encode_whole_number_float_target_is_continuous():
    # the workbench hands regression targets as floats: whole-number prices are not 700 classes
    X = pd.DataFrame({"c": list("ab") * 50})
    y = pd.Series(np.where(X["c"] == "a", 200_000.0, 100_000.0) + np.arange(100) * 1000.0)
    out = TargetEncode(columns=["c"], random_state=0).fit_transform(X, y)
    assert out.columns.tolist() == ["c_te"]
    assert out.loc[X["c"] == "a", "c_te"].mean() > out.loc[X["c"] == "b", "c_te"].mean() + 50_000
