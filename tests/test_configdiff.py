"""Config differences as dotted keys, the way --set spells them."""

from workbench.configdiff import MISSING, diff, flatten, show


def test_flatten_spells_keys_like_set():
    config = {
        "seed": 42,
        "cv": {"folds": 5, "group_column": None},
        "features": ["titanic.title", {"step": "impute", "columns": ["Age", "Fare"]}],
        "model": {"params": {}},
    }
    assert flatten(config) == {
        "seed": 42,
        "cv.folds": 5,
        "cv.group_column": None,
        "features[0]": "titanic.title",
        "features[1].step": "impute",
        "features[1].columns": ["Age", "Fare"],  # a list of plain values is one value
        "model.params": {},
    }


def test_diff_lists_only_the_keys_that_differ():
    before = {"seed": 42, "model": {"kind": "lightgbm", "params": {"num_leaves": 15, "a": 1}}}
    after = {"seed": 7, "model": {"kind": "lightgbm", "params": {"num_leaves": 15, "b": 2}}}
    changes = diff(before, after)
    assert [(c.key, c.kind) for c in changes] == [
        ("seed", "changed"),
        ("model.params.b", "added"),
        ("model.params.a", "removed"),
    ]
    assert [c.text() for c in changes] == [
        "seed: 42 → 7",
        "model.params.b: 2 (added)",
        "model.params.a: 1 (removed)",
    ]
    assert changes[1].before is MISSING and changes[2].after is MISSING
    assert diff(before, before) == []


def test_a_change_of_type_is_a_change():
    assert [c.text() for c in diff({"x": 1}, {"x": True})] == ["x: 1 → true"]
    assert [c.text() for c in diff({"x": 1}, {"x": 1.0})] == ["x: 1 → 1.0"]


def test_values_are_shown_as_one_line_of_yaml():
    assert show(None) == "null"
    assert show("median") == "median"
    assert show(["Age", "Fare"]) == "[Age, Fare]"
    assert show({"step": "drop", "columns": ["Cabin"]}) == "{step: drop, columns: [Cabin]}"
    assert show(0.05) == "0.05"
