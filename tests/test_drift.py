"""Adversarial validation (``workbench drift``, ``report: {drift: true}``) on synthetic
competitions whose test rows come from the training distribution, or have one column shifted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from quick_runs import quick_run
from synthetic import LOGISTIC_BINARY, write_competition, write_config

from workbench import drift
from workbench.cli import main
from workbench.competition import Project, load_competition
from workbench.prepare import prepare

N_TRAIN, N_TEST = 1500, 700


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose synth_binary has enough rows for a stable AUC."""
    write_competition(tmp_path, "synth_binary", n_train=N_TRAIN, n_test=N_TEST)
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit_test(root: Path, **columns) -> None:
    """Change columns of the test file: each value is a function of the test frame."""
    path = root / "competitions/synth_binary/data/test.csv"
    frame = pd.read_csv(path)
    pd.read_csv(path).assign(**{k: f(frame) for k, f in columns.items()}).to_csv(path, index=False)


def raw(root: Path, **kwargs) -> drift.DriftResult:
    sides = drift.raw_sides(load_competition("synth_binary", Project(root)))
    return drift.adversarial(sides, **kwargs)


def by_name(result: drift.DriftResult) -> dict[str, drift.FeatureShift]:
    return {f.feature: f for f in result.features}


def test_alike_when_test_rows_come_from_the_training_distribution(root):
    result = raw(root)
    assert 0.4 < result.auc < 0.6, result.auc
    assert result.level in ("alike", "mild")
    assert sorted(by_name(result)) == ["color", "noise", "x1", "x2"]  # no id, no target
    assert len(result.fold_aucs) == drift.FOLDS
    assert all(f.alone_auc is None or f.alone_auc < 0.6 for f in result.features)


def test_a_shifted_column_is_found_and_ranked_first(root):
    edit_test(root, x2=lambda f: f["x2"] + 1.5)
    result = raw(root)
    assert result.auc > drift.STRONG_FROM
    assert result.level == "strong"
    assert result.features[0].feature == "x2"
    assert result.features[0].alone_auc > drift.STRONG_FROM
    assert result.features[0].share > 0.5
    assert "x2" in result.verdict and "strong shift" in result.verdict


def test_the_same_seed_gives_the_same_numbers(root):
    edit_test(root, x1=lambda f: f["x1"] * 1.3)
    first, second, other = raw(root, seed=7), raw(root, seed=7), raw(root, seed=8)
    assert first.fold_aucs == second.fold_aucs
    assert [f.shap for f in first.features] == [f.shap for f in second.features]
    assert other.fold_aucs != first.fold_aucs  # the seed reaches the folds and the classifier


def test_judge_states_its_thresholds():
    assert drift.judge(0.5, ["a"])[0] == "alike"
    assert drift.judge(drift.ALIKE_BELOW, ["a"])[0] == "mild"
    assert drift.judge(drift.STRONG_FROM, ["a"])[0] == "strong"
    level, words = drift.judge(0.62, ["a", "b"])
    assert level == "mild"
    assert "0.55" in words and "0.7" in words and "a, b" in words


def test_sampling_engages_above_the_bound_and_says_so(root):
    result = raw(root, max_rows=300)
    assert result.rows == {
        "train": N_TRAIN,
        "test": N_TEST,
        "train_used": 300,
        "test_used": 300,
        "max_per_side": 300,
    }
    assert any("a seeded sample of 300 and 300" in line for line in drift.summary_lines(result))
    unsampled = raw(root, max_rows=N_TRAIN)
    assert unsampled.rows["train_used"] == N_TRAIN and unsampled.rows["test_used"] == N_TEST
    assert any("all of them" in line for line in drift.summary_lines(unsampled))


def test_sample_rows_is_seeded_bounded_and_in_file_order():
    rows = drift.sample_rows(1000, 50, seed=3)
    assert len(rows) == 50 == len(set(rows)) and list(rows) == sorted(rows)
    assert list(drift.sample_rows(1000, 50, seed=3)) == list(rows)
    assert list(drift.sample_rows(1000, 50, seed=4)) != list(rows)
    assert list(drift.sample_rows(40, 50, seed=3)) == list(range(40))


def test_a_row_index_column_is_named_as_such(root):
    for kind, start in (("train", 0), ("test", N_TRAIN)):
        path = root / f"competitions/synth_binary/data/{kind}.csv"
        frame = pd.read_csv(path)
        frame.assign(row=np.arange(start, start + len(frame))).to_csv(path, index=False)
    result = raw(root)
    assert result.index_like == ["row"]
    assert result.features[0].feature == "row" and result.level == "strong"
    assert any("row rises (or falls) with the row number" in x for x in drift.summary_lines(result))


def test_encode_turns_text_dates_and_categories_into_what_lightgbm_takes():
    n = 120
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "words": [f"some words here number {i}" for i in range(n)],
            "many": [f"v{i % 80}" for i in range(n)],
            "flag": ["yes", "no"] * (n // 2),
            "same": 1.0,
            "code": [f"id{i}" for i in range(n)],
            "x": rng.normal(size=n),
        }
    )
    test = train.assign(when="2021-06-01", code=[f"id{n + i}" for i in range(n)])
    X, notes, index_like = drift.encode(train, test)
    assert sorted(X.columns) == ["flag", "many", "when", "words", "x"]  # same, code left out
    assert X["when"].iloc[n] - X["when"].iloc[0] == 517  # days from 2020-01-01 to 2021-06-01
    assert X["words"].iloc[0] == len("some words here number 0")
    assert isinstance(X["many"].dtype, pd.CategoricalDtype)
    assert len(X["many"].cat.categories) == drift.MAX_CATEGORIES
    assert X["many"].isna().sum() > 0  # the rare values count as one
    assert any(note.startswith("many: 80 distinct values") for note in notes)
    assert any(note.startswith("same: left out") for note in notes)
    assert any(note.startswith("code: left out") for note in notes)
    assert index_like == []


def test_config_mode_compares_the_features_the_steps_make(root):
    edit_test(root, x2=lambda f: f["x2"] + 1.5)
    body = {
        **LOGISTIC_BINARY,
        "features": [
            {"step": "impute", "columns": ["x1"], "strategy": "median"},
            {"step": "onehot", "columns": ["color"]},
            {"step": "drop", "columns": ["x2"]},
        ],
    }
    prepared = prepare(write_config(root, "no_x2", body), project=Project(root))
    result = drift.adversarial(drift.config_sides(prepared))
    names = set(by_name(result))
    assert "x2" not in names and "color" not in names  # dropped / one-hot encoded by the steps
    assert {"x1", "noise"} <= names and any(n.startswith("color_") for n in names)
    assert result.auc < 0.6  # the shifted column is gone
    assert result.rows["train"] == N_TRAIN and result.rows["test"] == N_TEST
    assert result.compared.endswith("no_x2.yaml")


def test_a_target_encoder_does_not_fake_a_shift(root):
    """Cross-fitted encodings of the rows an encoder was fitted on differ from what other rows
    get; the training rows are therefore compared as validation rows, like the test rows."""
    rng = np.random.default_rng(5)
    for kind in ("train", "test"):
        path = root / f"competitions/synth_binary/data/{kind}.csv"
        frame = pd.read_csv(path)
        frame.assign(g=rng.integers(0, 300, len(frame)).astype(str)).to_csv(path, index=False)
    body = {
        **LOGISTIC_BINARY,
        "features": [
            {"step": "impute", "columns": ["x1"]},
            {"step": "onehot", "columns": ["color"]},
            {"step": "target_encode", "columns": ["g"]},
        ],
    }
    prepared = prepare(write_config(root, "te", body), project=Project(root))
    result = drift.adversarial(drift.config_sides(prepared))
    assert result.auc < 0.6, result.auc
    encoded = [f for f in result.features if f.feature.startswith("g")]
    assert encoded and all(f.alone_auc is None or f.alone_auc < 0.6 for f in encoded)


def test_the_command_prints_the_verdict_and_writes_json_and_png(root, capsys):
    edit_test(root, x2=lambda f: f["x2"] + 1.5)
    assert main(["drift", "synth_binary", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    folder = root / "runs/synth_binary/drift/raw"
    assert "strong shift" in out and "x2" in out.splitlines()[7]  # first row of the table
    assert f"wrote {Path('runs/synth_binary/drift/raw/drift.json')}" in out
    saved = json.loads((folder / "drift.json").read_text())
    assert saved["seed"] == 3 and saved["level"] == "strong"
    assert saved["features"][0]["feature"] == "x2"
    assert (folder / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in folder.iterdir()) == ["drift.json", "drift.png"]  # no temp


def test_the_command_with_a_config_writes_beside_the_raw_result(root, capsys):
    path = write_config(root, "base", LOGISTIC_BINARY)
    assert main(["drift", "synth_binary", str(path)]) == 0
    saved = json.loads((root / "runs/synth_binary/drift/config-base/drift.json").read_text())
    assert saved["seed"] == 42  # the config's
    assert any(f["feature"].startswith("color_") for f in saved["features"])
    assert "the features of" in capsys.readouterr().out


def test_a_run_with_report_drift_has_the_section(root):
    run_id = quick_run(root, body={**LOGISTIC_BINARY, "report": {"drift": True}})
    run_dir = root / "runs/synth_binary" / run_id
    saved = json.loads((run_dir / "drift.json").read_text())
    assert 0.4 < saved["auc"] < 0.6
    report = (run_dir / "report.html").read_text()
    assert '<section id="drift">' in report and "adversarial validation" in report
    assert (run_dir / "figures/drift.png").is_file()


def test_a_run_without_report_drift_has_no_section(root):
    run_id = quick_run(root, body={**LOGISTIC_BINARY, "report": {"enabled": True}})
    run_dir = root / "runs/synth_binary" / run_id
    assert not (run_dir / "drift.json").exists()
    assert '<section id="drift">' not in (run_dir / "report.html").read_text()


def test_a_failing_drift_section_loses_neither_the_run_nor_its_report(root, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(drift, "adversarial", broken)
    run_id = quick_run(root, body={**LOGISTIC_BINARY, "report": {"drift": True}})
    run_dir = root / "runs/synth_binary" / run_id
    assert (run_dir / "report.html").is_file() and not (run_dir / "drift.json").exists()
    log = (run_dir / "run.log").read_text()
    assert "the drift section could not be computed: RuntimeError: boom" in log
    assert (root / "submissions/synth_binary" / f"{run_id}.csv").is_file()
