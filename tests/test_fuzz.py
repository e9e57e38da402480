"""Fuzzing the command line: random competitions and configs, never a traceback.

Each example writes a small random competition (10–200 training rows: missing values, a single
class, constant and all-missing columns, unicode column names and categories, integers stored
as text, booleans; CSV or Parquet) and a random config (valid and broken keys, types and
values; feature steps with random parameters; models with random parameters, booster and
voting ones included), then runs ``workbench run CONFIG --quiet``. The outcome must be exit 0
with a complete run (its directory and a submission in the sample's format), or exit 2 with one
``error:`` message and nothing written. Any other exception fails, with the config shown.

Bounded for CI (``WORKBENCH_FUZZ_EXAMPLES``, default 100, derandomized: the same examples every
time). To hunt locally, run more and vary them::

    WORKBENCH_FUZZ_EXAMPLES=1000 WORKBENCH_FUZZ_SEED=7 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, note, seed, settings
from hypothesis import strategies as st

from workbench.cli import main

EXAMPLES = int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "100"))
SEED = os.environ.get("WORKBENCH_FUZZ_SEED")

NAMES = ["x", "größe", "列1", "a b", "x[0]", "<y>", "col,1", "Ω", "1", "Age", "n_2", "é"]
CATEGORIES = ["a", "é", "日本", "naïve", "Ω", "b", "long value with spaces"]
TASKS = ("binary", "multiclass", "regression")
METRICS = {
    "binary": ["accuracy", "roc_auc", "log_loss", "f1", "f1_macro"],
    "multiclass": ["accuracy", "log_loss", "f1_macro", "roc_auc"],
    "regression": ["rmse", "rmse_log", "mae", "r2", "rmsle"],
}
ALL_METRICS = [*sorted({m for ms in METRICS.values() for m in ms}), "acuracy", "auc"]
KINDS = [
    "logistic",
    "linear",
    "ridge",
    "lasso",
    "elastic_net",
    "decision_tree",
    "random_forest",
    "extra_trees",
    "svm",
    "knn",
    "hist_gb",
    "xgboost",
    "lightgbm",
    "mlp",
    "voting",
    "lightgbn",
]
# Small models by default (a random parameter may still override them): fast examples.
SMALL = {
    "random_forest": {"n_estimators": 8},
    "extra_trees": {"n_estimators": 8},
    "hist_gb": {"max_iter": 10},
    "xgboost": {"n_estimators": 10},
    "lightgbm": {"n_estimators": 10},
    "mlp": {"hidden_layer_sizes": [4], "max_iter": 50},
    "lasso": {"max_iter": 500},
    "elastic_net": {"max_iter": 500},
}
BAD = [-1, 0, "abc", None, 1e9, [1], {"a": 1}, True, -0.5, 2.5]
# Per kind: parameter -> (values the library accepts, values it should refuse). A bad value
# is drawn one time in eight, so most examples get far enough to fit.
PARAMS: dict[str, dict[str, tuple[list[Any], list[Any]]]] = {
    "logistic": {
        "C": ([1.0, 0.1], [-1, 0]),
        "max_iter": ([100, 1], [0, -5]),
        "solver": (["lbfgs", "saga", "liblinear", "newton-cg"], ["nope"]),
        "class_weight@classification": ([None, "balanced"], ["x", {"0": 2}]),
        "l1_ratio": ([0.0], [0.5, 2]),  # 0.5 needs solver saga
        "fit_intercept": ([True, False], ["yes"]),
    },
    "linear": {"fit_intercept": ([True, False], ["yes"]), "positive": ([True, False], [3])},
    "ridge": {"alpha": ([1.0, 0, 100], [-1, "x"]), "solver": (["auto", "svd", "lsqr"], ["nope"])},
    "lasso": {"alpha": ([0.001, 1], [-1]), "selection": (["cyclic", "random"], ["x"])},
    "elastic_net": {"alpha": ([0.001, 1], [-1]), "l1_ratio": ([0.5, 0, 1], [2])},
    "decision_tree": {
        "max_depth": ([None, 1, 3], [0, -1, 2.5]),
        "min_samples_leaf": ([1, 5, 0.5, 1000], [0, 2.0]),
        "criterion@classification": (["gini", "entropy"], ["squared_error", "nope"]),
        "criterion@regression": (["squared_error", "absolute_error"], ["gini", "nope"]),
        "max_features": ([None, "sqrt", 0.5, 1], [0, 1.5, 100]),
        "ccp_alpha": ([0.0, 0.01], [-1]),
    },
    "random_forest": {
        "n_estimators": ([5, 3], [0, -1, "abc", 2.5]),
        "max_depth": ([None, 2], [0]),
        "max_features": (["sqrt", "log2", 0.5, None], [1.5, 0, 1000]),
        "bootstrap": ([True, False], ["x"]),
        "max_samples": ([None, 0.5], [2.0, 0, 5]),
        "oob_score": ([False, True], ["x"]),
        "class_weight@classification": ([None, "balanced", "balanced_subsample"], ["x"]),
    },
    "extra_trees": {
        "n_estimators": ([5], [0]),
        "min_samples_split": ([2, 0.5, 1000], [1]),
        "bootstrap": ([False, True], ["x"]),
        "max_samples": ([None], [0.5, 3.0]),  # needs bootstrap: true
    },
    "svm": {
        "C": ([1.0, 0.1], [-1, 0]),
        "kernel": (["rbf", "linear", "poly", "sigmoid"], ["precomputed", "nope"]),
        "gamma": (["scale", "auto", 0.1], [-1]),
        "degree": ([2, 3], [-1]),
        "epsilon@regression": ([0.1], [-1]),
        "shrinking": ([True, False], ["x"]),
    },
    "knn": {
        "n_neighbors": ([1, 3, 15, 500], [0]),
        "weights": (["uniform", "distance"], ["x"]),
        "p": ([1, 2], [0]),
        "metric": (["minkowski", "cosine", "manhattan"], ["haversine", "nope"]),
    },
    "hist_gb": {
        "max_iter": ([5], [0, -1]),
        "learning_rate": ([0.1, 10], [0, -1]),
        "max_leaf_nodes": ([2, 31, None], [1]),
        "max_depth": ([None, 1], [0]),
        "l2_regularization": ([0.0, 1.0], [-1]),
        "early_stopping": ([False, True, "auto"], ["x"]),
        "categorical_features": ([None, "from_dtype"], [[0], "x"]),
        "loss@classification": (["log_loss"], ["squared_error", "nope"]),
        "loss@regression": (["squared_error", "poisson", "gamma", "absolute_error"], ["nope"]),
        "class_weight@classification": ([None, "balanced"], ["x"]),
    },
    "xgboost": {
        "n_estimators": ([5, 1], [0, -1, "abc"]),
        "learning_rate": ([0.1, 10, 0], [-1]),
        "max_depth": ([0, 3], [-1]),
        "subsample": ([0.5, 1], [5, 0]),
        "colsample_bytree": ([0.5, 1], [0, 2]),
        "booster": (["gbtree", "gblinear", "dart"], ["nope"]),
        "objective@binary": (["binary:logistic", "binary:hinge"], ["multi:softprob", "nope"]),
        "objective@multiclass": (["multi:softprob", "multi:softmax"], ["binary:logistic"]),
        "objective@regression": (
            ["reg:squarederror", "count:poisson", "reg:gamma", "reg:absoluteerror"],
            ["rank:pairwise", "binary:logistic", "nope"],
        ),
        "reg_lambda": ([1.0, 0], [-1]),
        "min_child_weight": ([1, 1000], [-1]),
        "max_bin": ([2, 256], [1]),
        "eta": ([0.3], [-1]),
        "gamma": ([0, 1], [-1]),
        "grow_policy": (["lossguide", "depthwise"], ["x"]),
        "tree_method": (["hist", "exact", "approx"], ["gpu_hist", "x"]),
        "scale_pos_weight": ([1, 3], [-1]),
        "max_leaves": ([0, 2], [-1]),
        "num_parallel_tree": ([1, 2], [0]),
        "eval_metric": (["rmse", "mae"], ["nope"]),
        "base_score": ([0.5, None], [-1, 2]),
        "missing": ([float("nan"), 0], ["x"]),
        "device": (["cpu"], ["cuda", "x"]),
        "importance_type": (["gain", "weight", "cover"], ["x"]),
    },
    "lightgbm": {
        "n_estimators": ([5, 1], [0, -1]),
        "num_leaves": ([2, 7, 31], [1]),
        "learning_rate": ([0.1, 1], [-1, 0]),
        "min_child_samples": ([0, 1, 20, 1000], [-1]),
        "subsample": ([0.5, 1.0], [5, 0]),
        "subsample_freq": ([0, 1], [-1]),
        "colsample_bytree": ([0.5, 1.0], [0, 2]),
        "reg_alpha": ([0.0, 1.0], [-1]),
        "objective@binary": (["binary", "cross_entropy"], ["multiclass", "nope"]),
        "objective@multiclass": (["multiclass", "multiclassova"], ["binary", "regression"]),
        "objective@regression": (
            ["regression", "huber", "poisson", "quantile", "gamma", "tweedie", "mae"],
            ["lambdarank", "binary", "nope"],
        ),
        "boosting_type": (["gbdt", "dart", "rf", "goss"], ["x"]),
        "max_depth": ([-1, 3, 0], [-5]),
        "min_data_in_leaf": ([1, 0, 50], [-1]),
        "linear_tree": ([True, False], ["x"]),
        "extra_trees": ([True, False], ["x"]),
        "max_bin": ([2, 255], [1]),
        "alpha": ([0.9, 0.5], [-1]),
        "is_unbalance": ([True, False], ["x"]),
        "metric": (["auc", "l2", "binary_logloss"], ["x"]),
        "bagging_fraction": ([0.5], [2]),
        "bagging_freq": ([1], [-1]),
        "class_weight@classification": ([None, "balanced"], [{"0": 1}]),
        "importance_type": (["split", "gain"], ["x"]),
    },
    "mlp": {
        "hidden_layer_sizes": ([[5], [3, 3], 5], [[], [0], "x"]),
        "max_iter": ([20, 1], [0]),
        "alpha": ([0.0001, 1.0], [-1]),
        "activation": (["relu", "tanh", "identity", "logistic"], ["nope"]),
        "learning_rate_init": ([0.001, 1.0], [-1, 0]),
        "solver": (["adam", "lbfgs", "sgd"], ["nope"]),
        "early_stopping": ([False, True], ["x"]),
        "batch_size": ([1, "auto", 1000], [0]),
        "validation_fraction": ([0.1, 0.5], [0.0, 1.0]),
    },
    "voting": {},
}
OWNED = ["random_state", "n_jobs", "seed", "num_threads", "nthread"]


# --- the competition --------------------------------------------------------------------------


@st.composite
def columns(draw, n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Feature columns of ``n`` rows (each kind that users' data has)."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    out: dict[str, Any] = {}
    for name in names:
        kind = draw(
            pick(
                ["float", "float", "int", "intstr", "bool", "cat", "cat", "const", "allnan", "text"]
            )
        )
        missing = draw(st.sampled_from([0.1, 0.5])) if chance(draw, 0.4) else 0.0
        if kind == "float":
            scale = draw(st.sampled_from([1e-8, 1e8])) if chance(draw, 0.1) else 1.0
            values = pd.Series(rng.normal(size=n) * scale)
        elif kind == "int":
            values = pd.Series(rng.integers(0, 6, size=n))
        elif kind == "intstr":
            values = pd.Series(rng.integers(0, 20, size=n).astype(str), dtype=object)
        elif kind == "bool":
            values = pd.Series(rng.random(n) < 0.5)
        elif kind == "cat":
            pool = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=5, unique=True))
            values = pd.Series(rng.choice(pool, size=n), dtype=object)
        elif kind == "const":
            values = pd.Series(np.ones(n))
        elif kind == "allnan":
            values = pd.Series(np.full(n, np.nan))
        else:
            values = pd.Series([f"t{i}-{rng.integers(1e6)}" for i in range(n)], dtype=object)
        if missing and kind not in ("const", "allnan"):
            values = values.astype(object) if kind in ("int", "bool") else values
            values = values.mask(rng.random(n) < missing)
        out[name] = values
    return out


@st.composite
def quirky_test_rows(draw, test: pd.DataFrame, features: dict[str, Any]) -> pd.DataFrame:
    """The test rows with one quirk: text in a numeric column, a category the training rows
    never had, or a column with no value at all."""
    column = draw(pick(sorted(features)))
    quirk = draw(pick(["text", "unseen", "empty"]))
    test = test.copy()
    if quirk == "text":
        values = test[column].astype(object).where(test[column].notna(), None)
        test[column] = values.map(lambda v: None if v is None else str(v))
        test.loc[0, column] = "abc"
    elif quirk == "unseen":
        test[column] = pd.Series(["zzz"] * len(test), dtype=object)
    else:
        test[column] = np.nan
    return test


@st.composite
def competitions(draw) -> dict[str, Any]:
    """A competition: spec, train, test and sample submission frames, file format."""
    task = draw(pick(TASKS))
    n = draw(st.integers(10, 200))
    n_test = draw(st.integers(3, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    features = draw(columns(n + n_test, rng))
    frame = pd.DataFrame(features)
    string_ids = draw(st.booleans())
    ids = [f"r{i}" if string_ids else i for i in range(1, n + n_test + 1)]
    frame.insert(0, "Id", ids)
    train, test = frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].reset_index(drop=True)
    if chance(draw, 0.15):  # the test file differs from the training file in one way
        test = draw(quirky_test_rows(test, features))
    shape = "normal"
    if chance(draw, 0.2):  # data a run must refuse or handle: one class, a missing target...
        shape = draw(st.sampled_from(["single", "missing", "rare", "odd"]))
    if task == "binary":
        labels = draw(st.sampled_from([[0, 1], ["no", "yes"], [False, True]]))
        y = pd.Series(np.asarray(labels, dtype=object)[(rng.random(n) < 0.4).astype(int)])
        if shape == "odd":  # a third class, of the same type (Parquet stores one type)
            y = y.map(str) if labels[0] is False else y
            y.iloc[0] = 2 if labels[0] == 0 and labels[0] is not False else "maybe"
    elif task == "multiclass":
        labels = draw(st.sampled_from([["a", "b", "c"], [1, 2, 3, 4], ["日", "月", "火"]]))
        y = pd.Series(rng.choice(np.asarray(labels, dtype=object), size=n))
        if shape == "rare":  # a class of two rows, of the labels' type
            y.iloc[:2] = 99 if isinstance(labels[0], int) else "rare-class"
    else:
        y = pd.Series(np.exp(rng.normal(3, 1, size=n)))
        if shape == "odd":
            y.iloc[: max(1, n // 10)] = draw(st.sampled_from([0.0, -3.0]))
        elif shape == "rare":
            y = y.round().astype(int)
    if shape == "single":
        y[:] = y.iloc[0]
    if shape == "missing":
        y = y.astype(object)
        y.iloc[-1] = None
    train["label"] = y
    metric = draw(st.sampled_from([*METRICS[task], *METRICS[task][:1] * 3]))
    prediction = "value"
    if task != "regression":
        prediction = draw(st.sampled_from(["label", "label", "probability"]))
    sample = pd.DataFrame({"Id": test["Id"]})
    if chance(draw, 0.2):  # the sample lists the test ids in another order
        sample = sample.sample(frac=1.0, random_state=0).reset_index(drop=True)
    if prediction == "probability" and task == "multiclass":
        for label in sorted({str(v) for v in y.dropna()}):
            sample[label] = 0.5
    else:
        fill = y.dropna().iloc[0] if prediction == "label" else 0.5
        sample["label"] = [fill] * len(sample)
    spec = {
        "name": "fuzz",
        "slug": "fuzz",
        "task": task,
        "target": "label",
        "id_column": "Id",
        "metric": metric,
        "submission": {"prediction": prediction},
    }
    return {
        "spec": spec,
        "train": train,
        "test": test,
        "sample": sample,
        "parquet": chance(draw, 0.25),
    }


def write_competition(root: Path, competition: dict[str, Any]) -> None:
    directory = root / "competitions" / "fuzz"
    (directory / "data").mkdir(parents=True)
    ext = "parquet" if competition["parquet"] else "csv"
    files = {"train": f"train.{ext}", "test": f"test.{ext}", "sample_submission": f"sample.{ext}"}
    (directory / "competition.yaml").write_text(
        yaml.safe_dump({**competition["spec"], "files": files}, allow_unicode=True),
        encoding="utf-8",
    )
    for kind, name in (("train", "train"), ("test", "test"), ("sample_submission", "sample")):
        frame = competition[name]
        path = directory / "data" / files[kind]
        if ext == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)


# --- the config -------------------------------------------------------------------------------


# Hypothesis favours small numbers (and the first items of sampled_from); probabilities and
# picks go through a hashed integer instead, close to uniform. Shrinking moves it to 0.0.
UNIFORM = st.integers(0, 2**32 - 1).map(lambda v: (v * 2654435761 % 2**32) / 2**32)


def chance(draw, p: float) -> bool:
    """True with probability about ``p`` (False once shrunk: fewer mistakes)."""
    return 0.1 <= draw(UNIFORM) < 0.1 + p


def pick(options: list[Any]) -> st.SearchStrategy:
    """One of ``options``, each about equally likely (the first once shrunk)."""
    options = list(options)
    return UNIFORM.map(lambda u: options[min(int(u * len(options)), len(options) - 1)])


def choice_of(good: list[Any], bad: list[Any] = (), broken: bool = False) -> st.SearchStrategy:
    """One of ``good``; in a broken example, one of ``bad`` a quarter of the time."""
    if not bad or not broken:
        return pick(good)
    return UNIFORM.flatmap(lambda u: pick(list(bad) if 0.1 <= u < 0.35 else good))


def column_choices(names: list[str], broken: bool) -> st.SearchStrategy:
    good = st.one_of(
        st.sampled_from(["numeric", "categorical", "all"]),
        st.lists(st.sampled_from(names), min_size=1, max_size=3),
        st.sampled_from(names),
    )
    if not broken:
        return good
    bad = st.one_of(
        st.lists(st.sampled_from([*names, "nope"]), min_size=1, max_size=3),
        st.sampled_from(["nope", *BAD]),
    )
    return st.one_of(good, good, good, bad)


def step_params(names: list[str], broken: bool) -> dict[str, dict[str, st.SearchStrategy]]:
    def choice(good: list[Any], bad: list[Any] = ()) -> st.SearchStrategy:
        return choice_of(good, bad, broken)

    cols = column_choices(names, broken)
    one = choice(names, ["nope", None, 3])
    group_by = st.one_of(one, st.lists(st.sampled_from(names), min_size=1, max_size=2))
    flag = choice([True, False], ["yes"])
    return {
        "impute": {
            "columns": cols,
            "strategy": choice(["median", "mean", "most_frequent", "constant"], ["x"]),
            "fill_value": choice([None, 0, "x", -1.5]),
            "by": group_by,
            "add_indicator": flag,
        },
        "scale": {"columns": cols, "method": choice(["standard", "robust", "minmax"], ["x"])},
        "log1p": {
            "columns": st.one_of(cols, st.just("skewed")),
            "skew_threshold": choice([0.75, 0, -1, 5], ["x"]),
        },
        "power": {
            "columns": cols,
            "method": choice(["yeo-johnson", "box-cox"], ["x"]),
            "standardize": flag,
            "skew_threshold": choice([0.75, 0], ["x"]),
        },
        "quantile_bin": {"columns": cols, "n_bins": choice([2, 5, 10, 1000], [1, 0, "x"])},
        "arithmetic": {
            "name": choice(["new", "x", "Id"], [None]),
            "op": choice(["add", "sub", "mul", "div"], ["pow", None]),
            "columns": st.lists(st.sampled_from([*names, 2, 0, "nope"]), max_size=3),
        },
        "clip": {
            "columns": cols,
            "lower_quantile": choice([0.0, 0.01, 0.5], [1.5, -1]),
            "upper_quantile": choice([1.0, 0.99, 0.2], [2]),
        },
        "onehot": {
            "columns": cols,
            "min_frequency": choice([None, 1, 5, 0.1], [0, -1, 2.5]),
            "max_categories": choice([None, 2, 10], [1, 0]),
            "drop_original": flag,
            "categories": st.one_of(
                st.none(),
                st.dictionaries(
                    st.sampled_from([*names, "nope"]),
                    st.lists(st.sampled_from([*CATEGORIES, 1, None]), max_size=3),
                    max_size=2,
                ),
                st.just(["a"]),
            ),
        },
        "ordinal": {
            "columns": cols,
            "mapping": st.one_of(
                st.none(),
                st.dictionaries(
                    st.sampled_from(CATEGORIES), st.sampled_from([1, 2, 3.5, "x"]), max_size=3
                ),
                st.dictionaries(
                    st.sampled_from(names),
                    st.dictionaries(st.sampled_from(CATEGORIES), st.integers(0, 3), max_size=2),
                    max_size=2,
                ),
                st.just("x"),
            ),
        },
        "target_encode": {
            "columns": cols,
            "smooth": choice(["auto", 1.0, 0], [-1, "x"]),
            "cv": choice([2, 5, 300], [1, 0]),
            "target_type": choice(["auto", "binary", "continuous", "multiclass"], ["x"]),
            "drop_original": flag,
        },
        "frequency_encode": {"columns": cols},
        "regex_extract": {
            "column": one,
            "pattern": choice([r"(\d)", "abc", r"^(.)", "(a)(b)"], ["(", None]),
            "name": choice(["ex", "Id"], [None]),
            "default": choice([None, "none", 0]),
        },
        "group_aggregate": {
            "by": group_by,
            "column": one,
            "agg": choice(["count", "mean", "median", "std", "min", "max", "sum"], ["x"]),
            "name": choice(["g", None]),
        },
        "drop": {"columns": cols, "errors": choice(["raise", "ignore"], ["x"])},
        "keep": {"columns": cols},
        "pca": {
            "columns": cols,
            "n_components": choice([1, 2, 5, 50, 0.9], [0, -1]),
            "prefix": choice(["pca_", "", "Id"]),
            "keep_original": flag,
        },
        "kmeans": {
            "columns": cols,
            "n_clusters": choice([1, 2, 3, 300], [0]),
            "add_distances": flag,
            "name": choice(["cluster", "Id", ""]),
        },
        "outliers": {
            "method": choice(["threshold", "zscore", "isolation_forest"], ["x"]),
            "column": one,
            "min": choice([None, 0, -1]),
            "max": choice([None, 1, 100]),
            "target_min": choice([None, 0, 1]),
            "target_max": choice([None, 1, 100]),
            "columns": cols,
            "threshold": choice([3.0, 0.1, 0], [-1]),
            "contamination": choice(["auto", 0.1], [0.6, 0, "x"]),
        },
    }


@st.composite
def steps(draw, names: list[str], broken: bool) -> list[Any]:
    catalogue = step_params(names, broken)
    out: list[Any] = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(pick(sorted(catalogue)))
        if broken and chance(draw, 0.1):
            name = draw(st.sampled_from(["imptue", "fuzz.nothing", "onehot "]))
        if name not in catalogue or chance(draw, 0.1):
            out.append(name)
            continue
        pool = catalogue[name]
        chosen = draw(st.lists(st.sampled_from(sorted(pool)), max_size=len(pool), unique=True))
        if not broken:  # a valid step has its required parameters
            chosen = [*dict.fromkeys([*REQUIRED.get(name, ()), *chosen])]
        step: dict[str, Any] = {"step": name}
        for key in chosen:
            step[key] = draw(pool[key])
        if broken and chance(draw, 0.1):
            step["colums" if "columns" in pool else "bogus"] = "x"
        out.append(step)
    if not chance(draw, 0.25):  # usually make the data numeric and complete at the end
        out.append({"step": "onehot", "columns": "categorical", "max_categories": 5})
        out.append({"step": "drop", "columns": "categorical"})
        if not chance(draw, 0.3):
            out.append({"step": "impute", "columns": "numeric"})
    return out


# Parameters a step cannot do without (left out only in broken examples).
REQUIRED = {
    "arithmetic": ("name", "op", "columns"),
    "regex_extract": ("column", "pattern", "name"),
    "group_aggregate": ("by", "column"),
    "drop": ("columns",),
    "keep": ("columns",),
    "ordinal": ("columns",),
    "outliers": ("method", "column", "min", "max"),
}


def kinds_for(task: str) -> list[str]:
    """The model kinds that support ``task`` (voting included)."""
    from workbench.models.kinds import KINDS as TABLE

    attribute = "regressor" if task == "regression" else "classifier"
    return [kind for kind, spec in TABLE.items() if getattr(spec, attribute)]


@st.composite
def model_params(draw, kind: str, task: str, broken: bool, depth: int = 0) -> dict[str, Any]:
    params = dict(SMALL.get(kind, {}))
    family = "regression" if task == "regression" else "classification"
    pool = {  # "<name>@<task or family>": for that kind of task only
        key.partition("@")[0]: values
        for key, values in PARAMS.get(kind, {}).items()
        if key.partition("@")[2] in ("", task, family)
    }
    for key in draw(st.lists(st.sampled_from(sorted(pool) or ["x"]), max_size=3, unique=True)):
        if key in pool:
            params[key] = draw(choice_of(*pool[key], broken=broken))
    if broken and chance(draw, 0.15):
        roll = draw(st.sampled_from(["owned", "unknown", "bad"]))
        if roll == "owned":
            params[draw(st.sampled_from(OWNED))] = 1
        elif roll == "unknown":
            params["bogus_param"] = 1
        elif pool:
            params[draw(st.sampled_from(sorted(pool)))] = draw(st.sampled_from(BAD))
    if kind == "voting" and depth == 0:
        n = draw(st.integers(1, 3))
        members = []
        for _ in range(n):
            member_kind = draw(pick([k for k in kinds_for(task) if k != "voting"]))
            if broken and chance(draw, 0.1):
                member_kind = draw(st.sampled_from([k for k in KINDS if k != "voting"]))
            member: dict[str, Any] = {"kind": member_kind}
            if chance(draw, 0.6):
                member["params"] = draw(model_params(member_kind, task, broken, depth=1))
            if broken and chance(draw, 0.05):
                member["weight"] = 1
            members.append(member)
        params["estimators"] = members
        if chance(draw, 0.3):
            params["weights"] = draw(
                st.sampled_from([[1.0] * n, [0.2 * (i + 1) for i in range(n)]])
            )
        if broken and chance(draw, 0.2):
            mistake = draw(
                st.sampled_from(
                    [[1.0] * (n + 1), [-1.0] * n, [0] * n, ["a"] * n, "none", "mapping", "empty"]
                )
            )
            if mistake == "none":
                del params["estimators"]
            elif mistake == "mapping":
                params["estimators"] = {"kind": "ridge"}
            elif mistake == "empty":
                params["estimators"] = []
            else:
                params["weights"] = mistake
    return params


@st.composite
def configs(draw, competition: dict[str, Any]) -> dict[str, Any]:
    """A config for the competition: valid, or (a third of them) with mistakes in it."""
    task = competition["spec"]["task"]
    names = [c for c in competition["train"].columns if c not in ("Id", "label")]
    broken = chance(draw, 0.35)
    kind = draw(pick(kinds_for(task)))
    if broken and chance(draw, 0.15):
        kind = draw(pick(KINDS))
    model: dict[str, Any] = {"kind": kind, "params": draw(model_params(kind, task, broken))}
    if kind in ("xgboost", "lightgbm") and chance(draw, 0.3):
        model["early_stopping"] = {
            "rounds": draw(choice_of([1, 5], [0], broken)),
            "validation": draw(choice_of(["inner", "fold"], ["x"], broken)),
            "inner_fraction": draw(choice_of([0.15, 0.3], [0.6, 0], broken)),
        }
    if chance(draw, 0.15):
        transforms = ["none", "log1p"] if task == "regression" else ["none"]
        model["target_transform"] = draw(choice_of(transforms, ["x", "log1p"], broken))
    cv: dict[str, Any] = {"folds": draw(choice_of([2, 3, 4, 5], [1, 300, "x"], broken))}
    if chance(draw, 0.25):
        cv["scheme"] = draw(
            choice_of(
                ["auto", "kfold", "stratified_kfold", "group_kfold", "stratified_group_kfold"],
                ["x"],
                broken,
            )
        )
        if chance(draw, 0.6):
            cv["group_column"] = draw(choice_of(names, ["nope"], broken))
    if chance(draw, 0.15):
        cv["repeats"] = draw(choice_of([1, 2], [0], broken))
        shuffles = [True, False] if cv["repeats"] == 1 else [True]
        cv["shuffle"] = draw(choice_of(shuffles, ["yes", False], broken))
    if chance(draw, 0.1):
        cv["bins"] = draw(choice_of([2, 5], [1], broken))
    config: dict[str, Any] = {
        "competition": "fuzz",
        "features": draw(steps(names, broken)),
        "model": model,
        "cv": cv,
    }
    if chance(draw, 0.2):
        config["seed"] = draw(choice_of([0, 42, 2**32 - 1], [-1, 2**32, 2**70, 1.5, "x"], broken))
    if chance(draw, 0.2):
        config["metric"] = draw(choice_of(METRICS[task], ALL_METRICS, broken))
    if chance(draw, 0.15):
        config["predict"] = {
            "test": draw(choice_of(["fold_mean", "refit"], ["x"], broken)),
            "threshold": draw(choice_of([0.5, "optimize", 0, 1, 0.3], [5, -1], broken)),
        }
    if chance(draw, 0.1):
        config["threads"] = draw(choice_of([None, 1, 2], [0], broken))
    # the report costs seconds: on for a small fraction of the examples
    report = chance(draw, 0.05)
    config["report"] = (
        {"enabled": True, "permutation_repeats": 1, "learning_curve": draw(st.booleans())}
        if report
        else False
    )
    if broken and chance(draw, 0.15):
        mistake = draw(st.sampled_from(["key", "cv", "features", "model"]))
        if mistake == "key":
            config["modle"] = {"kind": "ridge"}
        elif mistake == "cv":
            config["cv"] = "five"
        elif mistake == "features":
            config["features"] = {"step": "impute"}
        else:
            del config["model"]
    return config


# --- running and checking ---------------------------------------------------------------------


@contextlib.contextmanager
def project_at(root: Path) -> Iterator[None]:
    """The workbench project is ``root`` for the block (WORKBENCH_ROOT and the working dir)."""
    saved_env, saved_cwd = os.environ.get("WORKBENCH_ROOT"), os.getcwd()
    os.environ["WORKBENCH_ROOT"] = str(root)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        if saved_env is None:
            os.environ.pop("WORKBENCH_ROOT", None)
        else:
            os.environ["WORKBENCH_ROOT"] = saved_env


def written(root: Path) -> list[Path]:
    """What runs left in runs/ and submissions/ (empty folders aside)."""
    return sorted(
        p
        for folder in ("runs", "submissions")
        if (root / folder).is_dir()
        for p in (root / folder).rglob("*")
        if p.is_file() or p.name.endswith(".partial")
    )


def check_complete_run(root: Path, run_id: str, competition: dict[str, Any]) -> None:
    run_dir = root / "runs" / "fuzz" / run_id
    assert (run_dir / "metrics.json").is_file(), f"no complete run at {run_dir}"
    submission = root / "submissions" / "fuzz" / f"{run_id}.csv"
    assert submission.is_file(), "no submission"
    assert not list((root / "runs" / "fuzz").glob(".*.partial"))
    frame = pd.read_csv(submission)
    sample = competition["sample"]
    assert list(frame.columns) == [str(c) for c in sample.columns]
    assert len(frame) == len(sample)
    assert frame["Id"].astype(str).tolist() == sample["Id"].astype(str).tolist()
    assert not frame.isna().any().any(), "the submission holds missing values"


# Known, and reported to the report's owners: the report's figures let matplotlib warnings
# reach stderr (a glyph missing from the font for CJK column names, identical y limits for a
# constant series), from workbench/report/. Only warnings raised there are let through;
# anything else on stderr of a --quiet run fails.
KNOWN_NOISE = re.compile(r"^\S*/workbench/report/\S+: \w*Warning: .*\n(?:  .*\n)?", re.M)


def check_user_error(root: Path, err: str) -> None:
    """One message: ``error: <where>: <what>``, then only its indented hint lines (no
    library warning or native log line before it, no traceback)."""
    lines = err.splitlines()
    assert lines and lines[0].startswith("error: "), f"expected one 'error:' message:\n{err}"
    assert all(line.startswith(" ") for line in lines[1:]), err
    assert "Traceback" not in err, err
    assert not written(root), f"a failed run left {written(root)}"


def run_example(
    competition: dict[str, Any], config: dict[str, Any], read_output
) -> tuple[int, str]:
    """Write the competition and config in a fresh project, run the CLI on it and check the
    outcome; ``read_output()`` returns ``(stdout, stderr)`` since the last call. Returns the
    exit code (0 or 2) and stderr; a defect raises AssertionError."""
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp, project_at(Path(tmp)):
        root = Path(tmp)
        write_competition(root, competition)
        path = root / "configs" / "fuzz.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        read_output()
        try:
            code = main(["run", str(path), "--quiet"])
        except BaseException as exc:  # anything but exit 0 / 2 is a defect
            raise AssertionError(f"unhandled {type(exc).__name__}: {exc}") from exc
        out, err = read_output()
        note(f"exit {code}\nstdout: {out}\nstderr: {err}")
        err = KNOWN_NOISE.sub("", err)
        assert code in (0, 2), f"exit code {code}:\n{err}"
        if code == 0:
            assert err == "", f"--quiet printed on stderr:\n{err}"
            check_complete_run(root, out.strip(), competition)
        else:
            assert out == ""
            check_user_error(root, err)
    return code, err


def describe(competition: dict[str, Any], config: dict[str, Any]) -> str:
    train = competition["train"]
    return (
        f"config:\n{yaml.safe_dump(config, sort_keys=False, allow_unicode=True)}"
        f"competition: {competition['spec']} parquet={competition['parquet']}\n"
        f"train ({len(train)} rows):\n{train.head(6)}\ndtypes: {dict(train.dtypes)}"
    )


def settings_for_ci(test):
    phases = list(Phase)
    if os.environ.get("WORKBENCH_FUZZ_SHRINK") == "0":  # hunting: report, do not minimise
        phases.remove(Phase.shrink)
    test = settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        phases=phases,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )(test)
    return seed(int(SEED))(test) if SEED is not None else test


@pytest.mark.timeout(1800 + 60 * EXAMPLES)
@settings_for_ci
@given(data=st.data())
def test_run_is_complete_or_one_clear_error(data, capfd):
    competition = data.draw(competitions(), label="competition")
    config = data.draw(configs(competition), label="config")
    note(describe(competition, config))

    def read_output() -> tuple[str, str]:
        captured = capfd.readouterr()
        return captured.out, captured.err

    code, _ = run_example(competition, config, read_output)
    event(f"exit {code}")
