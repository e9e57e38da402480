"""The contract every registered feature step honours; the fold cache relies on it.

The fold cache reuses a fold's fitted feature pipeline across tuning trials, so every step the
registry knows (the generic steps of ``STEPS`` and every ``<competition>.<step>`` of
``competitions/*/features.py``) must:

1. fit on the training rows only: transforming leaves the fitted state alone, and the output
   for a validation row depends neither on the other rows transformed with it nor on
   validation targets (``transform`` is never given one);
2. transform unseen rows (categories never seen in fit, missing values in every column,
   numbers beyond the training range) without raising;
3. never mutate its input frames;
4. be deterministic under the seed;
5. name its output columns truthfully (``get_feature_names_out`` is the frame's columns);
6. survive ``sklearn.base.clone`` (unfitted) and a pickle round trip (fitted).

Row filters drop training rows in the pipeline's ``fit_transform`` and are skipped by its
``transform``; their checks are adapted to that contract.

The cases are enumerated from the registry, so a newly registered step without an entry in
``EXAMPLES`` fails here. Steps are built from config entries with ``build_pipeline``, as a
user's config is. Generic steps run on a small synthetic frame; competition steps on the real
``competitions/<name>/data/train.csv`` (skipped when the file is absent).
"""

from __future__ import annotations

import copy
import functools
import inspect
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.base import clone

from workbench.data import read_table
from workbench.features.base import RowFilter, Step, is_numeric
from workbench.features.pipeline import FeaturePipeline
from workbench.features.registry import (
    STEPS,
    build_pipeline,
    load_competition_features,
    step_names,
)

ROOT = Path(__file__).resolve().parents[2]
COMPETITIONS_DIR = ROOT / "competitions"
SEED = 13

# OneHot documents that values unseen in fit become all zeros; scikit-learn warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Found unknown categories:UserWarning")


@dataclass(frozen=True)
class Example:
    """Example parameters of one step (the config entry without its ``step`` key).

    ``target`` is the synthetic frame's target (binary or regression) for generic steps;
    competition steps use their competition's real target. ``drops`` says a row filter is
    expected to drop some training rows with these parameters. ``inapplicable`` maps a
    check's name to why it does not apply to this step (none does at present).
    """

    params: dict[str, Any] = field(default_factory=dict)
    target: str = "binary"
    drops: bool = False
    inapplicable: Mapping[str, str] = field(default_factory=dict)


# Columns of the synthetic frame: num (float, missing, negative), count (int, no missing),
# price (positive, right-skewed, missing), color (str, 3 values, missing), ticket (object,
# ~150 values, missing), name (text with a title), flag (bool), when (date and time as text,
# missing, a few unreadable).
EXAMPLES: dict[str, list[Example]] = {
    "impute": [
        Example({"columns": ["num", "price"], "strategy": "median", "add_indicator": True}),
        Example({"columns": ["num"], "strategy": "mean", "by": ["color"]}),
        Example({"columns": ["color", "ticket", "flag"], "strategy": "most_frequent"}),
        Example({"columns": ["num", "price"], "strategy": "most_frequent", "by": "color"}),
        Example({"columns": ["color"], "strategy": "constant", "fill_value": "none"}),
    ],
    "scale": [
        Example({}),
        Example({"columns": ["num", "count"], "method": "robust"}),
        Example({"columns": ["price"], "method": "minmax"}),
    ],
    "log1p": [Example({}), Example({"columns": ["num", "price"]})],
    "power": [
        Example({}),
        Example({"columns": ["price"], "method": "box-cox", "standardize": False}),
    ],
    "quantile_bin": [
        Example({"columns": ["num", "price"], "n_bins": 5}),
        Example({"columns": ["count"], "n_bins": 4, "keep_original": False}),
    ],
    "arithmetic": [
        Example({"name": "per_count", "op": "div", "columns": ["price", "count"]}),
        Example({"name": "total", "op": "add", "columns": ["num", "count", 1]}),
    ],
    "clip": [Example({"lower_quantile": 0.05, "upper_quantile": 0.95})],
    "onehot": [
        Example({"columns": ["color", "flag"]}),
        Example({"columns": ["ticket"], "min_frequency": 3}),
        Example({"columns": ["color", "ticket"], "max_categories": 5, "drop_original": False}),
    ],
    "ordinal": [
        Example({"columns": ["color", "ticket", "flag"]}),
        Example({"mapping": {"color": {"blue": 1, "green": 2, "red": 3, None: 0}}}),
    ],
    "target_encode": [
        Example({"columns": ["color", "ticket"]}),
        Example({"columns": ["color", "ticket"], "drop_original": False}, target="regression"),
    ],
    "frequency_encode": [Example({"columns": ["color", "ticket", "flag"]})],
    "regex_extract": [
        Example({"column": "name", "pattern": r",\s*([A-Za-z]+)\.", "name": "title"}),
        Example(
            {"column": "name", "pattern": r",\s*([A-Za-z]+)\.", "name": "title", "default": "?"}
        ),
    ],
    "text_stats": [
        Example({"columns": ["name"]}),
        Example({"columns": ["name", "color"], "drop_original": False}),
    ],
    "datetime_parts": [
        Example({}),
        Example({"columns": ["when"], "drop_original": False}),
    ],
    "boolean": [Example({}), Example({"columns": ["flag"]})],
    "group_aggregate": [
        Example({"by": ["ticket"]}),
        Example({"by": "color", "column": "price", "agg": "mean"}),
        Example({"by": ["color", "flag"], "column": "num", "agg": "std", "name": "num_std"}),
    ],
    "drop": [
        Example({"columns": ["ticket", "name"]}),
        Example({"columns": ["name", "absent"], "errors": "ignore"}),
    ],
    "keep": [Example({"columns": ["price", "num", "color"]}), Example({"columns": "numeric"})],
    "pca": [
        Example({"columns": ["num", "count", "price"]}),
        Example({"columns": "numeric", "n_components": 0.9, "keep_original": False}),
    ],
    "kmeans": [
        Example({"columns": ["num", "count", "price"], "n_clusters": 4, "add_distances": True}),
    ],
    "outliers": [
        Example({"column": "price", "max": 40, "target_min": 20_000}, "regression", drops=True),
        Example({"method": "zscore", "columns": ["num", "price"], "threshold": 2.5}, drops=True),
        Example(
            {"method": "isolation_forest", "columns": ["num", "count"], "contamination": 0.05},
            drops=True,
        ),
    ],
    "titanic.title": [Example()],
    "titanic.family_size": [Example(), Example({"large": 4})],
    "titanic.deck": [Example()],
    "titanic.fare_per_person": [Example()],
    "titanic.ticket_groups": [Example()],
    "titanic.family_groups": [Example(), Example({"use_ticket": False})],
    "titanic.age_by_title": [Example()],
    "house_prices.na_means_none": [Example()],
    "house_prices.total_area": [Example()],
    "house_prices.ages": [Example()],
    "house_prices.quality_interactions": [Example()],
    "house_prices.categorical_codes": [
        Example(),
        Example({"columns": ["MSSubClass", "MoSold", "YrSold"]}),
    ],
    "house_prices.living_area_outliers": [Example(drops=True), Example({"max_area": 4000})],
}


def _competitions() -> list[str]:
    return sorted(path.parent.name for path in COMPETITIONS_DIR.glob("*/features.py"))


def _registered() -> list[str]:
    """Every step name a config can use: the generic steps and all competitions' steps."""
    features: dict[str, Any] = {}
    for competition in _competitions():
        features |= load_competition_features(competition, COMPETITIONS_DIR / competition)
    return step_names(features)


REGISTERED = _registered()
CASES = [
    pytest.param(name, index, id=f"{name}-{index}")
    for name in REGISTERED
    for index in range(max(len(EXAMPLES.get(name, [])), 1))
]


def test_registry_is_enumerated():
    assert set(STEPS) <= set(REGISTERED)
    for competition in ("titanic", "house_prices"):
        assert any(n.startswith(f"{competition}.") for n in REGISTERED), competition


def test_examples_name_registered_steps():
    stale = sorted(set(EXAMPLES) - set(REGISTERED))
    assert not stale, f"EXAMPLES has entries for steps the registry does not know: {stale}"


# --------------------------------------------------------------------------------- data


@dataclass
class Data:
    X_train: pd.DataFrame
    y_train: pd.Series
    X_valid: pd.DataFrame
    y_valid: pd.Series

    def copy(self) -> Data:
        return Data(*(copy.deepcopy(part) for part in vars(self).values()))


@functools.cache
def _synthetic(target: str) -> Data:
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    titles = rng.choice(["Mr", "Mrs", "Miss", "Dr"], n, p=[0.5, 0.25, 0.2, 0.05])
    color = rng.choice(["red", "green", "blue"], n).astype(object)
    color[rng.random(n) < 0.1] = None
    ticket = np.array([f"T{k}" for k in rng.integers(0, 150, n)], dtype=object)
    ticket[rng.random(n) < 0.05] = None
    frame = pd.DataFrame(
        {
            "num": np.where(rng.random(n) < 0.15, np.nan, x),
            "count": rng.poisson(2, n),
            "price": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(3, 1, n)),
            "color": pd.Series(color, dtype="str"),
            "ticket": pd.Series(ticket, dtype=object),
            "name": [f"Smith{k % 40}, {t}. John" for k, t in enumerate(titles)],
            "flag": rng.random(n) < 0.3,
            "when": _dates(n),
        }
    )
    # Rows are indexed by a shuffled id, as the pipeline's rows are: label/position mix-ups show.
    frame.index = pd.Index(rng.permutation(np.arange(1000, 1000 + n)), name="Id")
    signal = x + np.where(color == "red", 1.0, 0.0) + rng.normal(scale=0.5, size=n)
    if target == "binary":
        y = pd.Series((signal > 0).astype(int), index=frame.index, name="label")
    else:
        y = pd.Series(np.exp(10 + 0.3 * signal), index=frame.index, name="value")
    return _split(frame, y)


def _dates(n: int) -> pd.Series:
    """Timestamps as a CSV holds them ("2021-03-04 17:00:00"); 8% missing, 1% unreadable.

    Drawn from a generator of their own, so the other columns and the target stay as they were.
    """
    rng = np.random.default_rng(1)
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n), "h")
    text = stamps.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    text[rng.random(n) < 0.08] = None
    text[rng.random(n) < 0.01] = "unknown"
    return pd.Series(text, dtype="str")


@functools.cache
def _real(competition: str) -> Data:
    spec = yaml.safe_load((COMPETITIONS_DIR / competition / "competition.yaml").read_text())
    train = read_table(COMPETITIONS_DIR / competition / "data" / spec["files"]["train"])
    X = train.drop(columns=[spec["target"]]).set_index(spec["id_column"], drop=True)
    return _split(X, train[spec["target"]].set_axis(X.index))


def _split(X: pd.DataFrame, y: pd.Series) -> Data:
    """Two thirds of the rows to fit on, every third row to validate on."""
    valid = np.arange(len(X)) % 3 == 0
    return Data(X.loc[~valid], y.loc[~valid], X.loc[valid], y.loc[valid])


@dataclass
class Case:
    name: str
    example: Example
    data: Data

    @property
    def spec(self) -> dict[str, Any]:
        return {"step": self.name, **self.example.params}

    def check(self, check: str) -> None:
        """Skip a check the example table marks as inapplicable to this step, saying why."""
        if check in self.example.inapplicable:
            pytest.skip(f"{self.name}: {check} does not apply: {self.example.inapplicable[check]}")

    def pipeline(self, seed: int = SEED) -> FeaturePipeline:
        """The one-step pipeline a config ``features: [<spec>]`` builds."""
        competition, dot, _ = self.name.partition(".")
        competition = competition if dot else "no_competition"
        return build_pipeline(
            [self.spec],
            competition=competition,
            competition_dir=COMPETITIONS_DIR / competition,
            seed=seed,
        )

    def step(self, seed: int = SEED) -> Any:
        step = self.pipeline(seed).steps[0][1]
        assert isinstance(step, Step | RowFilter), f"{self.name} built {type(step).__name__}"
        return step


def _case(name: str, index: int) -> Case:
    examples = EXAMPLES.get(name)
    if not examples:
        pytest.fail(
            f"feature step {name!r} is registered but has no example in EXAMPLES of "
            f"{Path(__file__).name}: add one (its parameters on the synthetic frame, or on "
            "the competition's train.csv) so the step contract is checked for it",
            pytrace=False,
        )
    competition, dot, _ = name.partition(".")
    if dot:
        train_csv = COMPETITIONS_DIR / competition / "data" / "train.csv"
        if not train_csv.is_file():
            pytest.skip(f"real {competition} files absent: {train_csv} is needed for {name}")
        data = _real(competition)
    else:
        data = _synthetic(examples[index].target)
    return Case(name, examples[index], data.copy())


def _unseen(frame: pd.DataFrame) -> pd.DataFrame:
    """Validation rows with what fit never saw; rows from the seventh on are left alone.

    Row 0: a new category in every categorical column; row 1: every column missing; row 2: a
    new category or a missing value, alternating by column; rows 3/4: numbers far above/below
    the training range; row 5: numeric columns missing, new categories elsewhere.
    """
    out = frame.copy()
    for position, column in enumerate(out.columns):
        values = out[column]
        if is_numeric(values):
            values = values.astype(float)
            high = np.nanmax(np.abs(values.to_numpy())) if values.notna().any() else 1.0
            values.iloc[[1, 5]] = np.nan
            values.iloc[2] = np.nan if position % 2 else values.iloc[2]
            values.iloc[3] = 1000 * high + 1e6
            values.iloc[4] = -1000 * high - 1e6
        else:
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                values = values.astype(object)  # bool, category: room for new values
            new = f"never seen in {column}"
            values.iloc[[0, 5]] = new
            values.iloc[1] = np.nan
            values.iloc[2] = np.nan if position % 2 else new
        out[column] = values
    return out


UNTOUCHED = slice(6, None)  # rows of _unseen() left as they were


def _fit(step: Any, data: Data) -> pd.DataFrame:
    """Fit a step on the training rows as the pipeline does; its training output."""
    return step.fit_transform(data.X_train, data.y_train)


def _mask(step: RowFilter, data: Data) -> np.ndarray:
    step.fit(data.X_train, data.y_train)
    mask = np.asarray(step.keep_mask(data.X_train, data.y_train))
    assert mask.dtype == bool and mask.shape == (len(data.X_train),)
    return mask


# ------------------------------------------------------------------------ fitted state


def _assert_same_state(a: Any, b: Any, where: str = "step") -> None:
    """Recursively equal fitted state (frames, arrays, estimators, dicts, NaN == NaN)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b, exact=True, obj=where)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype, where
        if a.dtype == object:
            for i, (left, right) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
                _assert_same_state(left, right, f"{where}[{i}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, Mapping):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            _assert_same_state(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (left, right) in enumerate(zip(a, b, strict=True)):
            _assert_same_state(left, right, f"{where}[{i}]")
    elif isinstance(a, float | np.floating) and np.isnan(a):
        assert np.isnan(b), f"{where}: nan != {b!r}"
    elif inspect.isroutine(a) or inspect.isclass(a):
        assert a is b, where
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        _assert_same_state(vars(a), vars(b), f"{where}.")
    elif isinstance(a, str | bytes | int | float | complex | bool | np.generic | type(None)):
        assert a == b, f"{where}: {a!r} != {b!r}"
    else:  # extension objects without __dict__ (e.g. a fitted tree): their pickled state
        _assert_same_state(a.__reduce_ex__(4)[1:3], b.__reduce_ex__(4)[1:3], f"{where}.")


def _assert_same_output(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, obj=what)


# ------------------------------------------------------------------------------ checks


@pytest.mark.parametrize(("name", "index"), CASES)
def test_fits_on_training_rows_only(name, index):
    """Check 1: state untouched by transform; a row's output is its own, target-free."""
    case = _case(name, index)
    case.check("fits_on_training_rows_only")
    data = case.data
    step = case.step()
    pipeline = case.pipeline()
    if isinstance(step, RowFilter):
        mask = _mask(step, data)
        fitted = copy.deepcopy(step)
        assert len(inspect.signature(step.keep_mask).parameters) == 2  # X and y: training only
        X, y = pipeline.fit_transform(data.X_train, data.y_train)
        _assert_same_output(X, data.X_train.loc[mask], "filtered training rows")
        pd.testing.assert_series_equal(y, data.y_train.loc[mask])
        if case.example.drops:
            assert 0 < (~mask).sum() < len(mask), f"{name}: the example should drop some rows"
        # Validation rows are never transformed away, nor changed.
        _assert_same_output(pipeline.transform(data.X_valid), data.X_valid, "validation rows")
        step.keep_mask(data.X_valid, data.y_valid)
        _assert_same_state(step, fitted)
        return

    train_out = _fit(step, data)
    assert train_out.index.equals(data.X_train.index), f"{name}: training rows changed"
    fitted = copy.deepcopy(step)
    # transform() takes no target: validation targets cannot reach it.
    assert list(inspect.signature(step.transform).parameters) == ["X"], name
    out = step.transform(data.X_valid)
    assert out.index.equals(data.X_valid.index), f"{name}: validation rows changed"
    _assert_same_state(step, fitted)
    _assert_same_output(step.transform(data.X_valid), out, "transform repeated")
    # A subset in another order, and each of a few single rows, give the same rows' output.
    subset = data.X_valid.iloc[::-3]
    _assert_same_output(step.transform(subset), out.loc[subset.index], "validation subset")
    for position in (0, 7, len(data.X_valid) - 1):
        row = data.X_valid.iloc[[position]]
        _assert_same_output(step.transform(row), out.loc[row.index], f"row {position}")
    _assert_same_state(step, fitted)
    # The pipeline built from the same config does just this.
    X, y = pipeline.fit_transform(data.X_train, data.y_train)
    _assert_same_output(X, train_out, "pipeline training output")
    pd.testing.assert_series_equal(y, data.y_train)
    _assert_same_output(pipeline.transform(data.X_valid), out, "pipeline validation output")


@pytest.mark.parametrize(("name", "index"), CASES)
def test_transforms_unseen_rows(name, index):
    """Check 2: new categories, missing values and out-of-range numbers do not raise."""
    case = _case(name, index)
    case.check("transforms_unseen_rows")
    data = case.data
    unseen = _unseen(data.X_valid)
    step = case.step()
    if isinstance(step, RowFilter):
        _mask(step, data)
        mask = np.asarray(step.keep_mask(unseen, data.y_valid))
        assert mask.dtype == bool and mask.shape == (len(unseen),)
        pipeline = case.pipeline()
        pipeline.fit_transform(data.X_train, data.y_train)
        _assert_same_output(pipeline.transform(unseen), unseen, "unseen validation rows")
        return
    train_out = _fit(step, data)
    out = step.transform(unseen)
    assert out.index.equals(unseen.index)
    assert list(out.columns) == list(train_out.columns), f"{name}: columns differ from training"
    # The rows left alone come out as they do without the odd rows around them (values: the
    # odd rows may turn an int column into float, a bool one into object).
    plain = step.transform(data.X_valid)
    pd.testing.assert_frame_equal(
        out.iloc[UNTOUCHED], plain.iloc[UNTOUCHED], check_dtype=False, obj="untouched rows"
    )


@pytest.mark.parametrize(("name", "index"), CASES)
def test_never_mutates_inputs(name, index):
    """Check 3: fit, transform (and keep_mask) leave their input frames as they were."""
    case = _case(name, index)
    case.check("never_mutates_inputs")
    data = case.data
    unseen = _unseen(data.X_valid)
    before = data.copy()
    unseen_before = unseen.copy(deep=True)
    step = case.step()
    if isinstance(step, RowFilter):
        _mask(step, data)
        step.keep_mask(unseen, data.y_valid)
        pipeline = case.pipeline()
        pipeline.fit_transform(data.X_train, data.y_train)
        pipeline.transform(data.X_valid)
    else:
        _fit(step, data)
        step.transform(data.X_valid)
        step.transform(unseen)
        clone(step).fit(data.X_train, data.y_train)
    for part in ("X_train", "X_valid"):
        _assert_same_output(getattr(data, part), getattr(before, part), part)
    for part in ("y_train", "y_valid"):
        pd.testing.assert_series_equal(getattr(data, part), getattr(before, part), obj=part)
    _assert_same_output(unseen, unseen_before, "unseen rows")


@pytest.mark.parametrize(("name", "index"), CASES)
def test_deterministic_under_seed(name, index):
    """Check 4: two steps built and fitted from scratch with the same seed agree exactly."""
    case = _case(name, index)
    case.check("deterministic_under_seed")
    data = case.data
    first, second = case.step(), case.step()
    if isinstance(first, RowFilter):
        np.testing.assert_array_equal(_mask(first, data), _mask(second, data))
        return
    _assert_same_output(_fit(first, data), _fit(second, data), "training output")
    _assert_same_output(first.transform(data.X_valid), second.transform(data.X_valid), "valid")
    _assert_same_state(first, second)


@pytest.mark.parametrize(("name", "index"), CASES)
def test_feature_names_are_truthful(name, index):
    """Check 5: get_feature_names_out is the output's columns, in order, for every frame."""
    case = _case(name, index)
    case.check("feature_names_are_truthful")
    data = case.data
    step = case.step()
    pipeline = case.pipeline()
    X, _ = pipeline.fit_transform(data.X_train, data.y_train)
    if isinstance(step, RowFilter):  # a filter keeps the columns as they are
        assert list(X.columns) == list(data.X_train.columns)
        assert list(pipeline.get_feature_names_out()) == list(X.columns)
        return
    train_out = _fit(step, data)
    names = list(step.get_feature_names_out())
    assert names == list(map(str, train_out.columns)), f"{name}: names after fit_transform"
    assert train_out.columns.is_unique, f"{name}: duplicate output columns"
    for label, frame in (("validation", data.X_valid), ("unseen", _unseen(data.X_valid))):
        out = step.transform(frame)
        assert list(map(str, out.columns)) == names, f"{name}: {label} columns != training"
        assert list(step.get_feature_names_out()) == names, f"{name}: names after {label}"
    assert list(pipeline.get_feature_names_out()) == names == list(X.columns)


@pytest.mark.parametrize(("name", "index"), CASES)
def test_clone_and_pickle(name, index):
    """Check 6: an unfitted clone fits to the same; a pickled fitted step transforms the same."""
    case = _case(name, index)
    case.check("clone_and_pickle")
    data = case.data
    step = case.step()
    twin = clone(step)
    assert type(twin) is type(step)
    _assert_same_state(twin.get_params(), step.get_params(), "params")
    if isinstance(step, RowFilter):
        mask = _mask(step, data)
        np.testing.assert_array_equal(_mask(twin, data), mask)
        restored = pickle.loads(pickle.dumps(step))
        restored_mask = restored.keep_mask(data.X_train, data.y_train)
        np.testing.assert_array_equal(restored_mask, mask)
    else:
        train_out = _fit(step, data)
        _assert_same_output(_fit(twin, data), train_out, "clone training output")
        out = step.transform(data.X_valid)
        restored = pickle.loads(pickle.dumps(step))
        _assert_same_output(restored.transform(data.X_valid), out, "unpickled step output")
        assert list(restored.get_feature_names_out()) == list(step.get_feature_names_out())
        _assert_same_output(
            clone(restored).fit_transform(data.X_train, data.y_train),
            train_out,
            "clone of the unpickled step",
        )
    # The fitted pipeline as a whole (what a fold cache keeps) survives pickling too.
    pipeline = case.pipeline()
    pipeline.fit_transform(data.X_train, data.y_train)
    restored_pipeline = pickle.loads(pickle.dumps(pipeline))
    _assert_same_output(
        restored_pipeline.transform(data.X_valid),
        pipeline.transform(data.X_valid),
        "unpickled pipeline output",
    )
