"""End-to-end runs on small synthetic competitions (always run, no real data needed)."""

import dataclasses
import json
import multiprocessing
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from synthetic import BASE_FEATURES, LOGISTIC_BINARY, write_config

from workbench import engine
from workbench.errors import UserError
from workbench.experiment import run_experiment

FAST = {"report": False}


def run(project, name, body, overrides=None):
    return run_experiment(write_config(project, name, body), overrides)


def test_binary_run_writes_the_contract(project):
    result = run(
        project,
        "bin",
        {
            **LOGISTIC_BINARY,
        },
    )
    run_dir = result.run_dir
    assert run_dir == project / "runs" / "synth_binary" / result.run_id
    for name in (
        "config.yaml",
        "competition.yaml",
        "metrics.json",
        "folds.csv",
        "oof.csv",
        "test_predictions.csv",
        "run.log",
        "environment.json",
        "fingerprint.json",
    ):
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "report.html").exists()  # report: false writes none
    assert not list(run_dir.parent.glob(".*partial"))

    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["cv"]["scheme"] == "stratified_kfold"  # 'auto' resolved
    assert config["metric"] == "accuracy"
    assert config["model"]["params"]["max_iter"] >= 100  # model defaults made explicit

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["metric"] == {"name": "accuracy", "greater_is_better": True}
    assert len(metrics["folds"]) == 5
    valid = [f["valid_score"] for f in metrics["folds"]]
    assert metrics["summary"]["valid_mean"] == pytest.approx(np.mean(valid))
    assert metrics["summary"]["valid_mean"] > 0.75  # the synthetic signal is learnable
    assert {"train_score", "valid_score", "n_train", "n_valid"} <= set(metrics["folds"][0])
    assert "threshold" in metrics

    train = pd.read_csv(project / "competitions/synth_binary/data/train.csv")
    oof = pd.read_csv(run_dir / "oof.csv")
    folds = pd.read_csv(run_dir / "folds.csv")
    assert len(oof) == len(train) and oof["pred"].between(0, 1).all()
    assert sorted(oof["id"]) == sorted(train["Id"])
    assert sorted(folds["fold"].unique()) == [0, 1, 2, 3, 4]
    assert oof["target"].tolist() == train["label"].tolist()

    env = json.loads((run_dir / "environment.json").read_text())
    assert env["packages"]["scikit-learn"]
    assert "commit" in env["git"]
    fingerprint = json.loads((run_dir / "fingerprint.json").read_text())
    assert len(fingerprint["train"]["sha256"]) == 64

    submission = pd.read_csv(result.submission)
    sample = pd.read_csv(project / "competitions/synth_binary/data/sample.csv")
    assert result.submission == project / "submissions" / "synth_binary" / f"{result.run_id}.csv"
    assert submission["Id"].tolist() == sample["Id"].tolist()
    assert set(submission["label"]) <= {0, 1}
    assert pd.api.types.is_integer_dtype(submission["label"])


def test_regression_with_log_target_and_early_stopping(project):
    result = run(
        project,
        "reg",
        {
            "competition": "synth_reg",
            "features": BASE_FEATURES,
            "model": {
                "kind": "lightgbm",
                "params": {"n_estimators": 300, "learning_rate": 0.1},
                "target_transform": "log1p",
                "early_stopping": {"rounds": 10},
            },
            "cv": {"scheme": "stratified_kfold", "folds": 4},
            **FAST,
        },
    )
    record = result.record
    assert record.metric.name == "rmse_log"
    assert record.summary.valid_mean < 0.3
    assert all(f.best_iteration and f.best_iteration <= 300 for f in record.folds)
    submission = pd.read_csv(result.submission)
    assert (submission["label"] > 1000).all()  # predictions back in original units


def test_multiclass_with_repeats_and_refit(project):
    result = run(
        project,
        "multi",
        {
            "competition": "synth_multi",
            "features": BASE_FEATURES,
            "model": {"kind": "logistic"},
            "cv": {"folds": 3, "repeats": 2},
            "predict": {"test": "refit"},
            **FAST,
        },
    )
    assert len(result.record.folds) == 6
    oof = pd.read_csv(result.run_dir / "oof.csv")
    assert {"proba_high", "proba_low", "proba_mid"} <= set(oof.columns)
    assert len(oof) == 2 * 240
    np.testing.assert_allclose(oof[["proba_high", "proba_low", "proba_mid"]].sum(axis=1), 1.0)
    submission = pd.read_csv(result.submission)
    assert set(submission["label"]) <= {"low", "mid", "high"}


def test_same_config_twice_gives_identical_oof(project):
    body = {
        "competition": "synth_binary",
        "features": BASE_FEATURES,
        "model": {"kind": "lightgbm", "params": {"n_estimators": 40}},
        **FAST,
    }
    first = run(project, "det", body)
    second = run(project, "det", body)
    assert first.run_id != second.run_id
    a = pd.read_csv(first.run_dir / "oof.csv")
    b = pd.read_csv(second.run_dir / "oof.csv")
    pd.testing.assert_frame_equal(a, b)
    third = run(project, "det", body, ["seed=5"])
    c = pd.read_csv(third.run_dir / "oof.csv")
    assert not np.allclose(a["pred"], c["pred"])


SPY_FEATURES = '''
import pandas as pd
from workbench.features import Step, feature

SEEN = []


@feature("spy")
class Spy(Step):
    """Records which rows it was fitted on."""

    def fit(self, X, y=None):
        SEEN.append(("fit", set(X.index)))
        return self

    def transform(self, X):
        return self._remember_output(X)


@feature("memorise")
class Memorise(Step):
    """Looks up each row's own label by id: a perfect score if it ever sees scored rows."""

    def fit(self, X, y=None):
        self.table_ = dict(zip(X.index, y))
        return self

    def transform(self, X):
        out = X.copy()
        out["memo"] = X.index.map(self.table_).fillna(0.5).astype(float)
        return self._remember_output(out)
'''


@pytest.fixture
def spy_project(project):
    (project / "competitions/synth_binary/features.py").write_text(SPY_FEATURES)
    yield project
    sys.modules.pop("workbench_competitions.synth_binary.features", None)


def leakage_body():
    # Rows are indexed by id, so the step can tell them apart.
    return {
        "competition": "synth_binary",
        "features": [
            "synth_binary.memorise",
            *BASE_FEATURES,
            {"step": "keep", "columns": ["memo"]},
        ],
        "model": {"kind": "decision_tree", "params": {"max_depth": 2}},
        **FAST,
    }


def check_no_leakage(project):
    """The memorising feature can only score well if scored rows reached a fit."""
    result = run(project, "leak", leakage_body())
    assert result.record.summary.valid_mean < 0.75, "validation labels leaked into fit"


def test_feature_steps_never_fit_on_validation_or_test_rows(spy_project):
    result = run(
        spy_project,
        "spy",
        {
            "competition": "synth_binary",
            "features": ["synth_binary.spy", *BASE_FEATURES],
            "model": {"kind": "logistic"},
            **FAST,
        },
    )
    seen = sys.modules["workbench_competitions.synth_binary.features"].SEEN
    folds = pd.read_csv(result.run_dir / "folds.csv")
    test_ids = set(pd.read_csv(spy_project / "competitions/synth_binary/data/test.csv")["Id"])
    fits = [ids for kind, ids in seen if kind == "fit"]
    assert len(fits) == 5
    for fold, fit_ids in zip(range(5), fits, strict=True):
        valid_ids = set(folds.loc[folds["fold"] == fold, "id"])
        assert not fit_ids & valid_ids
        assert not fit_ids & test_ids
        assert len(fit_ids) + len(valid_ids) == 240


def test_memorising_feature_cannot_leak(spy_project):
    check_no_leakage(spy_project)


def test_leakage_check_catches_a_leaky_engine(spy_project, monkeypatch):
    """Sanity check of the check: fitting features on train+valid rows must be caught."""
    honest = engine.prepare_fold

    def leaky(features, problem, fold):
        both = dataclasses.replace(fold, train=np.concatenate([fold.train, fold.valid]))
        data = honest(features, problem, both)
        n = len(fold.train)
        return dataclasses.replace(data, X_train=data.X_train.iloc[:n], y_train=data.y_train[:n])

    monkeypatch.setattr(engine, "prepare_fold", leaky)
    with pytest.raises(AssertionError, match="leaked"):
        check_no_leakage(spy_project)


def test_failed_run_leaves_nothing_behind(project):
    body = {
        "competition": "synth_binary",
        "features": [{"step": "impute", "columns": ["x9"]}],
        "model": {"kind": "logistic"},
        **FAST,
    }
    with pytest.raises(UserError, match="x9"):
        run(project, "bad", body)
    runs = project / "runs" / "synth_binary"
    assert not runs.exists() or not any(runs.iterdir())
    assert not any((project / "submissions").glob("**/*.csv"))


def test_text_left_for_the_model_is_a_user_error(project):
    body = {"competition": "synth_binary", "features": [], "model": {"kind": "logistic"}, **FAST}
    with pytest.raises(UserError, match="not numeric") as info:
        run(project, "text", body)
    assert "color" in str(info.value)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"model": {"kind": "lightgbn"}}, "lightgbm"),
        ({"model": {"kind": "logistic", "params": {"CC": 1}}}, "C"),
        ({"competition": "synth_binari"}, "synth_binary"),
        ({"features": [{"step": "imptue", "columns": ["x1"]}]}, "impute"),
        ({"features": [{"step": "impute", "colums": ["x1"]}]}, "columns"),
        ({"metric": "rmse"}, "rmse"),
        ({"model": {"kind": "lasso"}}, "lasso"),
    ],
)
@pytest.mark.parametrize("report", [False, True])  # no report worker may outlive the error
def test_user_errors_before_any_work(project, change, message, report):
    body = {
        **LOGISTIC_BINARY,
        **change,
        "report": report,
    }
    with pytest.raises(UserError) as info:
        run(project, "err", body)
    assert message in str(info.value)
    assert not (project / "runs").exists()
    assert not multiprocessing.active_children()


def test_missing_data_file_says_how_to_get_it(project):
    (project / "competitions/synth_binary/data/train.csv").unlink()
    body = {"competition": "synth_binary", "model": {"kind": "logistic"}, **FAST}
    with pytest.raises(UserError, match="data file missing") as info:
        run(project, "nodata", body)
    assert "kaggle competitions download" in str(info.value)


def test_report_run_writes_importance_learning_curve_and_profile(project):
    result = run(
        project,
        "lc",
        {
            "competition": "synth_binary",
            "features": BASE_FEATURES,
            "model": {"kind": "random_forest", "params": {"n_estimators": 30}},
            "cv": {"folds": 3},
            "report": {"learning_curve": True, "permutation_repeats": 2},
        },
    )
    run_dir = result.run_dir
    curve = pd.read_csv(run_dir / "learning_curve.csv")
    assert sorted(curve["fraction"].unique()) == [0.1, 0.25, 0.5, 0.75, 1.0]
    assert len(curve) == 3 * 5
    full = curve[curve["fraction"] == 1.0]
    assert (full["n_train"] == 160).all()  # 2/3 of 240 rows: the fold's own training rows
    assert curve.groupby("fraction")["n_train"].mean().is_monotonic_increasing
    importance = pd.read_csv(run_dir / "importance.csv")
    assert set(importance["kind"]) == {"model", "permutation"}
    assert set(importance["fold"]) == {0, 1, 2}
    permutation = importance[importance["kind"] == "permutation"]
    top = permutation.groupby("feature")["importance"].mean().idxmax()
    assert top == "x1"  # the strongest signal in the synthetic data
    profile = json.loads((run_dir / "data_profile.json").read_text())
    assert profile["n_train"] == 240 and profile["n_test"] == 60
    assert any(m["column"] == "x1" for m in profile["missing"])
    assert (run_dir / "report.html").is_file()
    assert result.report == run_dir / "report.html"
    assert ".partial" not in (run_dir / "report.html").read_text()


def test_a_failing_report_is_logged_and_the_run_kept(project, monkeypatch):
    import workbench.report.build as report_build

    def broken(run_dir):
        raise RuntimeError("figure exploded")

    monkeypatch.setattr(report_build, "build_report", broken)
    result = run(project, "badreport", {**LOGISTIC_BINARY, "report": True})
    assert result.report is None
    assert (result.run_dir / "metrics.json").is_file() and result.submission.is_file()
    log_text = (result.run_dir / "run.log").read_text()
    assert "figure exploded" in log_text and "workbench report" in log_text


def test_interrupted_run_leaves_no_run_and_keeps_earlier_submissions(project, monkeypatch):
    body = {**LOGISTIC_BINARY, "report": True}
    first = run(project, "int", body)
    before = sorted((project / "submissions").rglob("*.csv"))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "fit_fold", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(project, "int", body)
    runs = sorted(p.name for p in (project / "runs" / "synth_binary").iterdir())
    assert runs == [first.run_id]  # no partial directory left behind
    assert sorted((project / "submissions").rglob("*.csv")) == before
    assert pd.read_csv(first.submission).shape[0] == 60


def test_group_kfold_keeps_groups_together(project):
    result = run(
        project,
        "grp",
        {
            "competition": "synth_binary",
            "features": BASE_FEATURES,
            "model": {"kind": "logistic"},
            "cv": {"scheme": "group_kfold", "group_column": "color", "folds": 3},
            **FAST,
        },
    )
    folds = pd.read_csv(result.run_dir / "folds.csv")
    train = pd.read_csv(project / "competitions/synth_binary/data/train.csv")
    merged = folds.merge(train[["Id", "color"]], left_on="id", right_on="Id")
    assert merged.groupby("color")["fold"].nunique().max() == 1  # a group never spans folds
    assert merged["fold"].nunique() == 3


def test_probability_submission(project):
    spec_path = project / "competitions/synth_binary/competition.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["submission"] = {"prediction": "probability"}
    spec_path.write_text(yaml.safe_dump(spec))
    sample_path = project / "competitions/synth_binary/data/sample.csv"
    sample = pd.read_csv(sample_path)
    sample["label"] = 0.5
    sample.to_csv(sample_path, index=False)
    result = run(
        project,
        "proba",
        {
            "competition": "synth_binary",
            "features": BASE_FEATURES,
            "model": {"kind": "logistic"},
            "metric": "roc_auc",
            **FAST,
        },
    )
    submission = pd.read_csv(result.submission)
    test_pred = pd.read_csv(result.run_dir / "test_predictions.csv")
    assert submission["label"].between(0, 1).all()
    assert submission["label"].nunique() > 2
    np.testing.assert_allclose(submission["label"], test_pred["pred"])
    assert result.record.metric.name == "roc_auc"


def _rare_class(project, n_rows):
    """synth_multi with ``n_rows`` rows of a class 'zz', whose encoded index is the highest."""
    path = project / "competitions/synth_multi/data/train.csv"
    train = pd.read_csv(path)
    train.loc[: n_rows - 1, "label"] = "zz"
    train.to_csv(path, index=False)


@pytest.mark.parametrize("kind", ["logistic", "lightgbm"])
def test_multiclass_kfold_with_a_class_missing_from_a_fold(project, kind):
    """The fold that validates the single 'zz' row trains without it: still K columns."""
    _rare_class(project, 1)
    body = {
        "competition": "synth_multi",
        "features": BASE_FEATURES,
        "model": {"kind": kind, "params": {"n_estimators": 20}}
        if kind == "lightgbm"
        else {"kind": kind},
        "cv": {"scheme": "kfold", "folds": 4},
        **FAST,
    }
    result = run(project, f"rare-{kind}", body)
    oof = pd.read_csv(result.run_dir / "oof.csv")
    columns = ["proba_high", "proba_low", "proba_mid", "proba_zz"]
    assert columns == [c for c in oof.columns if c.startswith("proba_")]
    assert oof.loc[oof["target"] == 3, "proba_zz"].iloc[0] == 0.0  # index 3: never trained on
    assert len(pd.read_csv(result.submission)) == 60


def test_multiclass_early_stopping_with_a_single_training_row_of_a_class(project):
    _rare_class(project, 2)  # two stratified folds: each trains on exactly one 'zz' row
    body = {
        "competition": "synth_multi",
        "features": BASE_FEATURES,
        "model": {
            "kind": "lightgbm",
            "params": {"n_estimators": 50},
            "early_stopping": {"rounds": 5},
        },
        "cv": {"scheme": "stratified_kfold", "folds": 2},
        **FAST,
    }
    result = run(project, "rare-es", body)
    assert all(f.best_iteration for f in result.record.folds)
    assert "without stratification" in (result.run_dir / "run.log").read_text()


def test_warnings_while_the_report_is_built_go_to_the_run_log(project, monkeypatch, capfd):
    import warnings

    import workbench.report.build as report_build

    real = report_build.build_report

    def warns(run_dir):
        warnings.warn("Glyph 8722 missing from font(s)", UserWarning, stacklevel=1)
        return real(run_dir)

    monkeypatch.setattr(report_build, "build_report", warns)
    result = run(project, "glyph", {**LOGISTIC_BINARY, "report": True})
    assert "Glyph" not in capfd.readouterr().err
    assert "Glyph 8722" in (result.run_dir / "run.log").read_text()


@pytest.mark.parametrize(
    ("model", "float32"),
    [
        ({"kind": "lightgbm", "params": {"n_estimators": 5}}, True),
        ({"kind": "xgboost", "params": {"n_estimators": 5}}, True),
        ({"kind": "logistic"}, False),
    ],
)
def test_boosters_get_each_fold_as_one_float32_block(project, model, float32):
    from workbench.prepare import prepare

    body = {**LOGISTIC_BINARY, "model": model}
    prepared = prepare(write_config(project, "f32", body))
    fold = engine.make_folds(prepared)[0]
    data = engine.prepare_fold(prepared.features, prepared.problem, fold)
    plain = engine.prepare_fold(
        dataclasses.replace(prepared.features, float32=False), prepared.problem, fold
    )
    for frame, reference in (
        (data.X_train, plain.X_train),
        (data.X_valid, plain.X_valid),
        (data.X_test, plain.X_test),
    ):
        assert list(frame.columns) == list(reference.columns)
        assert frame.index.equals(reference.index)
        if float32:
            assert set(frame.dtypes) == {np.dtype(np.float32)}
            # one block: the array a booster reads is the frame's own memory, not a copy
            assert np.shares_memory(frame.to_numpy(), frame.to_numpy())
            np.testing.assert_array_equal(
                frame.to_numpy(), reference.to_numpy(dtype=np.float32, na_value=np.nan)
            )
        else:
            assert frame.dtypes.equals(reference.dtypes)
