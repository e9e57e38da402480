import numpy as np
import pandas as pd
import pytest

from workbench.competition import CompetitionSpec
from workbench.errors import UserError
from workbench.submission import build_submission, validate_submission


def spec(task="binary", prediction="label", metric="accuracy") -> CompetitionSpec:
    return CompetitionSpec(
        name="c",
        slug="c",
        task=task,
        target="y",
        id_column="Id",
        metric=metric,
        submission={"prediction": prediction},
    )


SAMPLE = pd.DataFrame({"Id": [3, 1, 2], "y": [0, 0, 0]})


def test_binary_labels_are_integers_in_sample_order():
    ids = pd.Series([1, 2, 3])
    frame = build_submission(spec(), ids, np.array([0.9, 0.2, 0.6]), [0, 1], SAMPLE)
    assert list(frame["Id"]) == [3, 1, 2]
    assert list(frame["y"]) == [1, 1, 0]
    assert pd.api.types.is_integer_dtype(frame["y"])
    validate_submission(frame, SAMPLE, spec(), where="s.csv")


def test_threshold_moves_labels():
    ids = pd.Series([3, 1, 2])
    frame = build_submission(spec(), ids, np.array([0.4, 0.4, 0.4]), [0, 1], SAMPLE, threshold=0.3)
    assert list(frame["y"]) == [1, 1, 1]


def test_original_class_labels_are_restored():
    sample = pd.DataFrame({"Id": [1, 2], "y": ["a", "a"]})
    frame = build_submission(
        spec("multiclass"),
        pd.Series([1, 2]),
        np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]]),
        ["a", "b", "c"],
        sample,
    )
    assert list(frame["y"]) == ["c", "a"]


def test_float_label_column_is_refused():
    frame = SAMPLE.assign(y=[1.0, 0.0, 1.0])
    with pytest.raises(UserError, match="integer"):
        validate_submission(frame, SAMPLE, spec(), where="s.csv")


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"Id": [1, 3, 2], "y": [0, 0, 0]}), "ids"),
        (pd.DataFrame({"Id": [3, 1], "y": [0, 0]}), "ids"),
        (pd.DataFrame({"Id": [3, 1, 2], "z": [0, 0, 0]}), "columns"),
    ],
)
def test_wrong_ids_or_columns_are_refused(frame, message):
    with pytest.raises(UserError, match=message):
        validate_submission(frame, SAMPLE, spec(), where="s.csv")


def test_nan_inf_and_non_positive_prices_are_refused():
    sample = pd.DataFrame({"Id": [1, 2], "SalePrice": [1.0, 1.0]})
    reg = spec("regression", "value", "rmse_log")
    for values, message in (
        ([np.nan, 1.0], "missing"),
        ([np.inf, 1.0], "infinite"),
        ([-5.0, 1.0], "non-positive"),
    ):
        frame = pd.DataFrame({"Id": [1, 2], "SalePrice": values})
        with pytest.raises(UserError, match=message):
            validate_submission(frame, sample, reg, where="s.csv")
