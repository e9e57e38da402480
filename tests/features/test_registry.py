"""Every generic step builds from a config entry, clones, and reports a description."""

import pytest
from sklearn.base import clone

from workbench.errors import UserError
from workbench.features.base import RowFilter, Step, describe
from workbench.features.registry import STEPS, build_step, load_step_class


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_step_builds_and_clones(name):
    step = build_step({"step": name}, where="features[0]", competition_features={}, seed=7)
    cls = load_step_class(name)
    assert isinstance(step, cls)
    assert isinstance(step, Step | RowFilter)
    copy = clone(step)
    assert copy.get_params() == step.get_params()
    if "random_state" in step.get_params():
        assert step.random_state == 7
    assert describe(cls), f"{name} needs a docstring"


def test_config_parameters_are_passed():
    step = build_step(
        {"step": "impute", "columns": ["Age"], "strategy": "median", "by": ["Title"]},
        where="features[0]",
        competition_features={},
        seed=0,
    )
    assert step.get_params() == {
        "columns": ["Age"],
        "strategy": "median",
        "fill_value": None,
        "by": ["Title"],
        "add_indicator": False,
    }


def test_unknown_parameter_has_hint():
    with pytest.raises(UserError) as info:
        build_step(
            {"step": "impute", "stratgy": "median"},
            where="features[0]",
            competition_features={},
            seed=0,
        )
    assert "strategy" in str(info.value.hint)
