from pathlib import Path

import pytest
import yaml

from workbench.config import apply_overrides, deep_merge, load_config, to_dict
from workbench.errors import UserError


def write(path: Path, body) -> Path:
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    return path


MINIMAL = {"competition": "titanic", "model": {"kind": "logistic"}}


def test_minimal_config_gets_every_default(tmp_path):
    config = load_config(write(tmp_path / "exp.yaml", MINIMAL))
    data = to_dict(config)
    assert data["name"] == "exp"
    assert data["seed"] == 42
    assert data["cv"] == {
        "scheme": "auto",
        "folds": 5,
        "repeats": 1,
        "shuffle": True,
        "group_column": None,
        "bins": 10,
    }
    assert data["report"]["enabled"] is True
    assert data["predict"] == {"test": "fold_mean", "threshold": 0.5}


def test_unknown_key_gets_did_you_mean(tmp_path):
    path = write(tmp_path / "c.yaml", {**MINIMAL, "cv": {"fold": 3}})
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "cv.fold" in str(info.value)
    assert "did you mean 'folds'" in str(info.value)


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(UserError, match="did you mean 'features'"):
        load_config(write(tmp_path / "c.yaml", {**MINIMAL, "featurs": []}))


def test_wrong_type_names_the_field_path(tmp_path):
    path = write(tmp_path / "c.yaml", {**MINIMAL, "cv": {"folds": "many"}})
    with pytest.raises(UserError) as info:
        load_config(path)
    assert info.value.where.endswith("cv.folds")
    assert "'many'" in str(info.value)


def test_missing_required_key(tmp_path):
    with pytest.raises(UserError, match="required"):
        load_config(write(tmp_path / "c.yaml", {"competition": "titanic"}))


def test_yaml_syntax_error_gives_line(tmp_path):
    path = write(tmp_path / "c.yaml", "competition: titanic\nmodel: {kind: logistic\n")
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "YAML syntax error" in str(info.value)
    assert info.value.where.endswith(":3")


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_extends_merges_parent_and_child_wins(tmp_path):
    write(
        tmp_path / "base.yaml",
        {
            **MINIMAL,
            "seed": 1,
            "model": {"kind": "lightgbm", "params": {"n_estimators": 10, "learning_rate": 0.1}},
        },
    )
    child = write(
        tmp_path / "child.yaml", {"extends": "base.yaml", "model": {"params": {"n_estimators": 50}}}
    )
    config = load_config(child)
    assert config.seed == 1
    assert config.model.kind == "lightgbm"
    assert config.model.params == {"n_estimators": 50, "learning_rate": 0.1}
    assert config.name == "child"


def test_extends_loop_is_reported(tmp_path):
    write(tmp_path / "a.yaml", {"extends": "b.yaml", **MINIMAL})
    write(tmp_path / "b.yaml", {"extends": "a.yaml"})
    with pytest.raises(UserError, match="'extends' loop"):
        load_config(tmp_path / "a.yaml")


def test_extends_missing_parent(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_config(write(tmp_path / "a.yaml", {"extends": "gone.yaml", **MINIMAL}))


def test_overrides_parse_yaml_scalars(tmp_path):
    path = write(tmp_path / "c.yaml", MINIMAL)
    config = load_config(path, ["cv.folds=3", "model.params.C=0.5", "report=false", "seed=7"])
    assert config.cv.folds == 3
    assert config.model.params == {"C": 0.5}
    assert config.report.enabled is False
    assert config.seed == 7


def test_bad_override_syntax():
    with pytest.raises(UserError, match="--set"):
        apply_overrides({}, ["novalue"])


def test_report_false_shorthand(tmp_path):
    config = load_config(write(tmp_path / "c.yaml", {**MINIMAL, "report": False}))
    assert config.report.enabled is False


def test_threshold_accepts_optimize_only(tmp_path):
    config = load_config(
        write(tmp_path / "c.yaml", {**MINIMAL, "predict": {"threshold": "optimize"}})
    )
    assert config.predict.threshold == "optimize"
    with pytest.raises(UserError):
        load_config(write(tmp_path / "d.yaml", {**MINIMAL, "predict": {"threshold": "best"}}))


def test_deep_merge_replaces_lists():
    merged = deep_merge({"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3]}})
    assert merged == {"a": {"b": 1, "c": [3]}}


def test_union_error_lists_what_would_fit(tmp_path):
    path = write(tmp_path / "c.yaml", {**MINIMAL, "predict": {"threshold": "optimise"}})
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "a valid number or 'optimize'" in str(info.value)
    assert info.value.where.endswith("predict.threshold")


def test_list_items_are_located_by_index(tmp_path):
    with pytest.raises(UserError) as info:
        load_config(write(tmp_path / "c.yaml", {**MINIMAL, "features": ["a", 3]}))
    assert info.value.where.endswith("features[1]")


def test_choice_gets_did_you_mean(tmp_path):
    path = write(tmp_path / "c.yaml", {**MINIMAL, "cv": {"scheme": "stratified_kfld"}})
    with pytest.raises(UserError, match="did you mean 'stratified_kfold'"):
        load_config(path)


def test_report_shorthand_combines_with_later_keys(tmp_path):
    write(tmp_path / "base.yaml", {**MINIMAL, "report": False})
    child = write(
        tmp_path / "child.yaml", {"extends": "base.yaml", "report": {"learning_curve": True}}
    )
    config = load_config(child)
    assert config.report.enabled is False and config.report.learning_curve is True
    config = load_config(child, ["report=true", "report.permutation_importance=false"])
    assert config.report.enabled is True
    assert config.report.permutation_importance is False
    assert config.report.learning_curve is True


def test_overrides_can_index_lists(tmp_path):
    body = {**MINIMAL, "features": ["titanic.title", {"step": "impute", "columns": ["Age"]}]}
    path = write(tmp_path / "c.yaml", body)
    config = load_config(path, ["features[1].strategy=mean", "features[0].extra=1"])
    assert config.features[1] == {"step": "impute", "columns": ["Age"], "strategy": "mean"}
    assert config.features[0] == {"step": "titanic.title", "extra": 1}
    config = load_config(path, ["features[1]={step: drop, columns: [Cabin]}"])
    assert config.features[1] == {"step": "drop", "columns": ["Cabin"]}
    with pytest.raises(UserError, match=r"no item \[5\]"):
        load_config(path, ["features[5].strategy=mean"])
    with pytest.raises(UserError, match="not a dict"):
        load_config(path, ["competition.x=1"])
