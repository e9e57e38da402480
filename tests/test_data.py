"""Reading and checking a competition's files: each bad input is one clear UserError."""

import pandas as pd
import pytest
import yaml

from workbench.competition import Project, load_competition
from workbench.data import encode_target, fingerprint, load_frames
from workbench.errors import UserError


def competition(project, name="synth_binary"):
    return load_competition(name, Project(project))


def data_file(project, name, file="train.csv"):
    return project / "competitions" / name / "data" / file


def test_frames_load_and_test_columns_follow_train(project):
    frames = load_frames(competition(project))
    assert len(frames.train) == 240 and len(frames.test) == 60
    assert list(frames.test.columns) == [c for c in frames.train.columns if c != "label"]
    assert set(fingerprint(frames.files)) == {"train", "test", "sample_submission"}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: f.drop(columns=["label"]), "column 'label' not found"),
        (lambda f: f.drop(columns=["Id"]), "column 'Id' not found"),
        (lambda f: f.assign(Id=1), "duplicate id"),
        (lambda f: f.assign(label=f["label"].where(f.index > 3)), "missing in 4 row"),
        (lambda f: f.assign(label=1), "single class"),
    ],
)
def test_bad_training_file(project, mutate, message):
    path = data_file(project, "synth_binary")
    mutate(pd.read_csv(path)).to_csv(path, index=False)
    with pytest.raises(UserError, match=message) as info:
        load_frames(competition(project))
    assert "train.csv" in str(info.value)


def test_test_file_missing_a_column(project):
    path = data_file(project, "synth_binary", "test.csv")
    pd.read_csv(path).drop(columns=["x2"]).to_csv(path, index=False)
    with pytest.raises(UserError, match=r"lacks training column\(s\) \['x2'\]"):
        load_frames(competition(project))


def test_empty_file(project):
    data_file(project, "synth_binary", "test.csv").write_text("")
    with pytest.raises(UserError, match="empty"):
        load_frames(competition(project))


def test_non_numeric_regression_target(project):
    path = data_file(project, "synth_reg")
    pd.read_csv(path).assign(label="cheap").to_csv(path, index=False)
    with pytest.raises(UserError, match="not numeric"):
        load_frames(competition(project, "synth_reg"))


def test_bad_competition_spec_names_file_and_field(project):
    path = project / "competitions/synth_binary/competition.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["task"] = "ranking"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(UserError) as info:
        competition(project)
    assert "competition.yaml: task" in str(info.value)


def test_unknown_competition_gets_did_you_mean(project):
    with pytest.raises(UserError, match="did you mean 'synth_reg'"):
        competition(project, "synth_regg")


def test_encode_target_sorts_classes():
    y, classes = encode_target(pd.Series(["b", "a", "c", "a"]), "multiclass")
    assert classes == ["a", "b", "c"]
    assert y.tolist() == [1, 0, 2, 0]
