"""``workbench init``: synthetic competitions of each task and submission format go through
``init --yes`` and then ``run`` with no edits, and the submission has exactly the sample's
format; every refusal is one message and exit code 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench import infer
from workbench.cli import main
from workbench.competition import CompetitionSpec

N_TRAIN, N_TEST = 300, 100
FAST = ["--set", "model.params.n_estimators=150", "--set", "report.enabled=false"]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workbench project (competitions/, configs/) as the working directory."""
    project = tmp_path / "project"
    (project / "competitions").mkdir(parents=True)
    (project / "configs").mkdir()
    monkeypatch.setenv("WORKBENCH_ROOT", str(project))
    monkeypatch.chdir(project)
    monkeypatch.setattr("workbench.init._kaggle_download", lambda: None)
    return project


def _features(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric (with NaN), a 4-level category and a signal the target can be learned from."""
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    deck = rng.choice(["A", "B", "C", "D"], size=n)
    frame = pd.DataFrame(
        {
            "x1": np.where(rng.random(n) < 0.1, np.nan, x1),
            "x2": x2,
            "deck": deck,
            "noise": rng.normal(size=n),
        }
    )
    return frame, 1.5 * x1 - x2 + np.where(deck == "A", 1.0, 0.0)


def _write(
    folder: Path,
    train: pd.DataFrame,
    test: pd.DataFrame,
    sample: pd.DataFrame,
    names: tuple[str, str, str] = ("train.csv", "test.csv", "sample_submission.csv"),
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for frame, name in zip((train, test, sample), names, strict=True):
        frame.to_csv(folder / name, index=False)
    return folder


def make_competition(folder: Path, kind: str, seed: int = 0) -> Path:
    """Kaggle-like train/test/sample CSVs of one task and submission format."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_TEST
    frame, signal = _features(rng, n)
    noisy = signal + rng.normal(scale=0.5, size=n)
    ids: pd.Series = pd.Series(np.arange(1, n + 1) + 1000)
    id_name = "Id"
    if kind == "binary_bool":  # True/False labels, string ids
        id_name, ids = "PassengerId", pd.Series([f"{i:04d}_01" for i in range(n)])
        frame["vip"] = np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.3)
        target, values = "Transported", noisy > 0
        sample_values: object = False
    elif kind == "binary_01":
        target, values, sample_values = "Survived", (noisy > 0).astype(int), 0
    elif kind == "binary_proba":
        target, values, sample_values = "target", (noisy > 0).astype(int), 0.5
    elif kind == "multi5_proba":  # one probability column per class, one name with a space
        classes = np.array(["cat", "dog", "snow leopard", "wolf", "fox"])
        target, values = "species", classes[np.digitize(noisy, [-1.5, -0.5, 0.5, 1.5])]
        sample_values = None
    elif kind == "multi3_label":  # class names, missing values in several columns
        frame.loc[rng.random(n) < 0.15, "deck"] = None
        frame.loc[rng.random(n) < 0.15, "x2"] = np.nan
        labels = np.array(["high", "low", "mid"])
        target, values, sample_values = "grade", labels[np.digitize(noisy, [-1, 1])], "mid"
    elif kind == "regression_log":  # positive, right-skewed: rmse_log
        target = "price"
        values = np.round(np.exp(11 + 0.5 * signal + rng.normal(scale=0.2, size=n)), 2)
        sample_values = 180000.5
    elif kind == "mixed":  # dates, free text, a many-level category, an id-like column
        days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
        frame["signup"] = (days + pd.to_timedelta(rng.integers(0, 24, n), "h")).astype(str)
        words = np.array(["good", "bad", "slow", "fast", "cheap", "nice", "room", "view"])
        frame["review"] = [" ".join(rng.choice(words, rng.integers(3, 12))) for _ in range(n)]
        frame["city"] = rng.choice([f"city_{i:02d}" for i in range(60)], size=n)
        frame["ticket"] = [f"T{rng.integers(10**8)}-{i}" for i in range(n)]
        target, values, sample_values = "y", (noisy > 0).astype(int), 0
    else:
        raise ValueError(kind)
    frame.insert(0, id_name, ids)
    frame[target] = values
    train, test = frame.iloc[:N_TRAIN], frame.iloc[N_TRAIN:].drop(columns=[target])
    order = test[id_name].sample(frac=1, random_state=seed).to_numpy()  # not test's order
    if kind == "multi5_proba":
        columns = ["wolf", "cat", "snow leopard", "fox", "dog"]  # not the sorted order
        sample = pd.DataFrame({id_name: order, **dict.fromkeys(columns, 0.2)})
    else:
        sample = pd.DataFrame({id_name: order, target: sample_values})
    return _write(folder, train, test, sample)


def init(name: str, data: Path | None, *flags: str) -> int:
    args = ["init", name, *(["--data", str(data)] if data else []), *flags]
    return main(args)


def submission_of(root: Path, name: str) -> Path:
    (path,) = (root / "submissions" / name).glob("*.csv")
    return path


CASES = {
    # kind: (task, prediction, metric)
    "binary_bool": ("binary", "label", "accuracy"),
    "binary_01": ("binary", "label", "accuracy"),
    "binary_proba": ("binary", "probability", "roc_auc"),
    "multi5_proba": ("multiclass", "probability", "log_loss"),
    "multi3_label": ("multiclass", "label", "accuracy"),
    "regression_log": ("regression", "value", "rmse_log"),
    "mixed": ("binary", "label", "accuracy"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_init_then_run_gives_a_submission_in_the_samples_format(
    root: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_competition(tmp_path / "downloads" / kind, kind)
    assert init(kind, data, "--yes") == 0
    out = capsys.readouterr().out
    assert f"next: workbench run configs/{kind}.yaml" in out

    spec = CompetitionSpec.model_validate(
        yaml.safe_load((root / "competitions" / kind / "competition.yaml").read_text())
    )
    task, prediction, metric = CASES[kind]
    assert (spec.task, spec.submission.prediction, spec.metric) == (task, prediction, metric)
    assert spec.slug == kind
    assert (root / "competitions" / kind / "data" / "train.csv").is_file()
    assert (root / "competitions" / kind / "features.py").is_file()

    assert main(["run", f"configs/{kind}.yaml", "--quiet"]) == 0  # as written: report and all
    sample = pd.read_csv(data / "sample_submission.csv")
    written = pd.read_csv(submission_of(root, kind))
    assert list(written.columns) == list(sample.columns)
    assert written.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()
    assert dict(written.dtypes) == dict(sample.dtypes)
    train = pd.read_csv(data / "train.csv")
    if prediction == "label":
        column = written.columns[1]
        assert set(written[column]) <= set(train[column])
    if kind == "multi5_proba":
        np.testing.assert_allclose(written.iloc[:, 1:].sum(axis=1), 1.0, atol=1e-6)
    if kind == "regression_log":
        assert (written["price"] > 0).all()
    assert "Traceback" not in capsys.readouterr().err


def test_true_false_labels_are_spelled_as_in_the_sample(root: Path, tmp_path: Path) -> None:
    data = make_competition(tmp_path / "d", "binary_bool")
    assert init("spaceship", data, "--yes") == 0
    assert main(["run", "configs/spaceship.yaml", "--quiet", *FAST]) == 0
    lines = submission_of(root, "spaceship").read_text().splitlines()
    assert lines[0] == "PassengerId,Transported"
    assert {line.split(",")[1] for line in lines[1:]} <= {"True", "False"}


def test_the_baseline_treats_each_column_by_its_type(root: Path, tmp_path: Path) -> None:
    from workbench.features.registry import STEPS

    data = make_competition(tmp_path / "d", "mixed")
    assert init("mixed", data, "--yes") == 0
    text = (root / "configs" / "mixed.yaml").read_text()
    config = yaml.safe_load(text)
    by_step = [(e["step"], e["columns"]) for e in config["features"]]
    assert ("drop", ["ticket"]) in by_step  # id-like, with the reason as a comment
    assert "id-like" in text
    assert ("ordinal", ["deck"]) in by_step
    assert ("frequency_encode", ["city"]) in by_step
    assert ("target_encode", ["city"]) in by_step
    for column, step in (("signup", "datetime_parts"), ("review", "text_stats")):
        expected = step if step in STEPS else "drop"
        assert any(s == expected and column in cols for s, cols in by_step), (column, by_step)
    assert not any("x1" in columns for _, columns in by_step)  # numbers go in as they are
    assert config["cv"] == {"scheme": "stratified_kfold", "folds": 5}
    assert config["model"]["kind"] == "lightgbm"
    assert config["model"]["early_stopping"]["validation"] == "inner"
    assert config["seed"] == 42


def test_regression_gets_kfold_and_a_log_target(root: Path, tmp_path: Path) -> None:
    data = make_competition(tmp_path / "d", "regression_log")
    assert init("prices", data, "--yes") == 0
    config = yaml.safe_load((root / "configs" / "prices.yaml").read_text())
    assert config["cv"]["scheme"] == "kfold"
    assert config["model"]["target_transform"] == "log1p"


def test_flags_override_the_inference(root: Path, tmp_path: Path) -> None:
    data = make_competition(tmp_path / "d", "binary_01")
    flags = ["--yes", "--metric", "roc_auc", "--slug", "titanic-2", "--id", "Id"]
    assert init("t2", data, *flags, "--target", "Survived", "--prediction", "label") == 0
    spec = yaml.safe_load((root / "competitions" / "t2" / "competition.yaml").read_text())
    assert (spec["metric"], spec["slug"], spec["id_column"]) == ("roc_auc", "titanic-2", "Id")


def test_data_already_in_the_competition_folder_is_used(root: Path) -> None:
    make_competition(root / "competitions" / "here" / "data", "binary_01")
    assert init("here", None, "--yes") == 0
    assert (root / "configs" / "here.yaml").is_file()


def test_without_a_terminal_the_proposal_is_shown_and_nothing_written(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_competition(tmp_path / "d", "multi3_label")
    assert init("grades", data) == 2
    captured = capsys.readouterr()
    assert "target      grade" in captured.out and "[--target]" in captured.out
    assert "--yes" in captured.err and "Traceback" not in captured.err
    assert not (root / "competitions" / "grades").exists()
    assert not (root / "configs" / "grades.yaml").exists()


@pytest.mark.parametrize(("answer", "code"), [("y", 0), ("n", 1)])
def test_on_a_terminal_it_asks(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, code: int
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    data = make_competition(tmp_path / "d", "binary_01")
    assert init("asked", data) == code
    assert (root / "configs" / "asked.yaml").exists() == (code == 0)


def test_existing_files_are_kept_without_force(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_competition(tmp_path / "d", "binary_01")
    assert init("again", data, "--yes") == 0
    features = root / "competitions" / "again" / "features.py"
    features.write_text("# mine\n")
    capsys.readouterr()
    assert init("again", data, "--yes") == 2
    assert "already there" in capsys.readouterr().err
    other = make_competition(tmp_path / "other", "binary_01", seed=1)
    assert init("again", other, "--yes") == 2
    assert "data/train.csv" in capsys.readouterr().err
    assert init("again", other, "--yes", "--force") == 0
    assert features.read_text() == "# mine\n"  # a competition's own code is never replaced
    copied = root / "competitions" / "again" / "data" / "train.csv"
    assert copied.read_bytes() == (other / "train.csv").read_bytes()


def _break(folder: Path, how: str) -> None:
    """Make one of the error cases out of a good binary competition."""
    train = pd.read_csv(folder / "train.csv")
    test = pd.read_csv(folder / "test.csv")
    sample = pd.read_csv(folder / "sample_submission.csv")
    if how == "no-sample":
        (folder / "sample_submission.csv").unlink()
    elif how == "two-tests":
        (folder / "test.csv").rename(folder / "test_a.csv")
        test.to_csv(folder / "test_b.csv", index=False)
    elif how == "no-id":
        sample.rename(columns={"Id": "key"}).to_csv(folder / "sample_submission.csv", index=False)
    elif how == "two-ids":
        for frame in (train, test, sample):
            frame.insert(1, "Id2", frame["Id"] + 5)
        _write(folder, train, test, sample)
    elif how == "ids-differ":
        sample.assign(Id=sample["Id"] + 1).to_csv(folder / "sample_submission.csv", index=False)
    elif how == "two-targets":
        sample = sample[["Id"]].assign(**{"0": 0.5, "1": 0.5})
        _write(folder, train.assign(other=1.0), test, sample)
    elif how == "no-target":
        test.assign(Survived=0).to_csv(folder / "test.csv", index=False)
    elif how == "one-class":
        train.assign(Survived=1).to_csv(folder / "train.csv", index=False)
    elif how == "extra-train-column":
        train.assign(leak=1.0).to_csv(folder / "train.csv", index=False)


ERRORS = {
    # case: (break, flags, text in the message)
    "bad-name": (None, ["--yes"], "plain name"),
    "no-sample": ("no-sample", ["--yes"], "no sample submission file"),
    "two-tests": ("two-tests", ["--yes"], "test_a.csv, test_b.csv"),
    "no-id": ("no-id", ["--yes"], "no id column"),
    "two-ids": ("two-ids", ["--yes"], "several columns could be the id: Id, Id2"),
    "ids-differ": ("ids-differ", ["--yes"], "ids do not match"),
    "two-targets": ("two-targets", ["--yes"], "several columns could be the target"),
    "no-target": ("no-target", ["--yes"], "no target column"),
    "one-class": ("one-class", ["--yes"], "single value"),
    "extra-train-column": ("extra-train-column", ["--yes"], "column(s) leak"),
    "id-flag": (None, ["--yes", "--id", "x1"], "--id: 'x1' is not a column of the sample"),
    "target-flag": (None, ["--yes", "--target", "nope"], "--target: 'nope' is not a column"),
    "target-in-test": (None, ["--yes", "--target", "x1"], "also in the test file"),
    "task-flag": (None, ["--yes", "--task", "multiclass"], "--task: the target 'Survived' has 2"),
    "metric-flag": (None, ["--yes", "--metric", "rmse"], "--metric: metric 'rmse'"),
    "metric-unknown": (None, ["--yes", "--metric", "aucc"], "unknown metric 'aucc'"),
    "prediction-flag": (None, ["--yes", "--prediction", "value"], "--prediction"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_user_errors_exit_2_with_one_message(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    how, flags, text = ERRORS[case]
    data = make_competition(tmp_path / "d", "binary_01")
    if how:
        _break(data, how)
    name = "my comp" if case == "bad-name" else "broken"
    assert init(name, data, *flags) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and text in err, err
    assert "Traceback" not in err
    assert not (root / "configs" / f"{name}.yaml").exists()
    assert not (root / "competitions" / name).exists()


def test_no_data_names_data_and_download(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init("nothing", None, "--yes") == 2
    err = capsys.readouterr().err
    assert "--data DIR" in err and "workbench download nothing" in err


def test_a_missing_data_folder_is_one_message(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init("x", tmp_path / "absent", "--yes") == 2
    assert "--data: not a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([f"2024-01-0{i % 9 + 1} 10:00" for i in range(40)], "datetime"),
        ([f"a few words here {i}" for i in range(40)], "text"),
        ([f"k{i}" for i in range(40)], "id_like"),
        ([f"c{i % 30}" for i in range(40)], "high_cardinality"),
        (["a", "b"] * 20, "categorical"),
        ([True, False, None] * 13 + [True], "boolean"),
        (list(range(40)), "id_like"),
        ([1.5] * 40, "constant"),
        (list(np.linspace(0, 1, 40) ** 2), "numeric"),
    ],
)
def test_column_kinds(values: list, kind: str) -> None:
    assert infer.classify(pd.Series(values, name="c")).kind == kind


def test_metric_suggestion_follows_task_format_and_skew() -> None:
    skewed = pd.Series(np.exp(np.random.default_rng(0).normal(size=200)))
    assert infer.suggest_metric("regression", "value", skewed, None).value == "rmse_log"
    assert infer.suggest_metric("regression", "value", np.log(skewed), None).value == "rmse"
    assert infer.suggest_metric("binary", "probability", skewed, None).value == "roc_auc"
    assert infer.suggest_metric("multiclass", "probability", skewed, None).value == "log_loss"
    assert infer.suggest_metric("multiclass", "label", skewed, None).value == "accuracy"


def test_the_features_py_example_runs(root: Path, tmp_path: Path) -> None:
    """The docstring of the written features.py shows a step that works as shown."""
    data = make_competition(tmp_path / "d", "regression_log")
    assert init("demo", data, "--yes") == 0
    features = root / "competitions" / "demo" / "features.py"
    doc = features.read_text().split("For example::\n", 1)[1].split("\nthen add", 1)[0]
    example = "\n".join(line.removeprefix("    ") for line in doc.splitlines())
    features.write_text(features.read_text() + example)
    config = yaml.safe_load((root / "configs" / "demo.yaml").read_text())
    step = {"step": "demo.ratio", "numerator": "x1", "denominator": "x2"}
    config["features"].insert(0, step)
    (root / "configs" / "demo2.yaml").write_text(yaml.safe_dump(config))
    assert main(["run", "configs/demo2.yaml", "--quiet", *FAST]) == 0


def test_without_data_it_downloads_from_kaggle(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --data and no data/ folder: the files come from Kaggle (the client faked here)."""
    import zipfile

    from workbench import init as init_module
    from workbench import kaggle_api

    files = make_competition(tmp_path / "kaggle", "binary_01")
    slugs = []

    def download(slug: str, dest_dir: Path, force: bool = False) -> Path:
        slugs.append(slug)
        dest_dir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dest_dir / f"{slug}.zip", "w") as archive:
            for path in files.iterdir():
                archive.write(path, path.name)
        return dest_dir / f"{slug}.zip"

    monkeypatch.setattr("workbench.init._kaggle_download", lambda: init_module._download_into)
    monkeypatch.setattr(kaggle_api, "require_credentials", lambda: kaggle_api.Credentials("t", "t"))
    monkeypatch.setattr(kaggle_api, "download", download)
    assert init("fetched", None, "--yes", "--slug", "fetched-comp") == 0
    assert slugs == ["fetched-comp"]
    data = root / "competitions" / "fetched" / "data"
    assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in files.iterdir())
    assert not list((root / "competitions" / "fetched").glob(".download-*"))


def test_a_failed_download_names_data(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench import init as init_module
    from workbench import kaggle_api
    from workbench.errors import UserError

    def no_credentials() -> kaggle_api.Credentials:
        raise UserError("no Kaggle credentials found", where="Kaggle API")

    monkeypatch.setattr("workbench.init._kaggle_download", lambda: init_module._download_into)
    monkeypatch.setattr(kaggle_api, "require_credentials", no_credentials)
    assert init("offline", None, "--yes") == 2
    err = capsys.readouterr().err
    assert "no Kaggle credentials found" in err and "--data DIR" in err
    assert "Traceback" not in err


def test_column_names_yaml_would_misread_round_trip(root: Path, tmp_path: Path) -> None:
    """Names such as ``no``, ``1``, ``a: b`` and a long list come back from the config as
    they were (quoted, wrapped)."""
    data = make_competition(tmp_path / "d", "binary_01")
    train, test = pd.read_csv(data / "train.csv"), pd.read_csv(data / "test.csv")
    odd = ["no", "1", "a: b", "x y", "null", *[f"level_column_{i}" for i in range(12)]]
    for frame in (train, test):
        for i, name in enumerate(odd):
            frame[name] = np.where(np.arange(len(frame)) % 3 == 0, "p", f"q{i}")
    train.to_csv(data / "train.csv", index=False)
    test.to_csv(data / "test.csv", index=False)
    assert init("odd", data, "--yes") == 0
    config = yaml.safe_load((root / "configs" / "odd.yaml").read_text())
    (ordinal,) = [e for e in config["features"] if e["step"] == "ordinal"]
    assert ordinal["columns"] == ["deck", *odd]
    assert main(["run", "configs/odd.yaml", "--quiet", *FAST]) == 0
