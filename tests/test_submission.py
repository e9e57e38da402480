import numpy as np
import pandas as pd
import pytest

from workbench.competition import CompetitionSpec
from workbench.errors import UserError
from workbench.submission import (
    build_submission,
    check_submission_format,
    validate_submission,
    write_submission,
)


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


# --- the sample's format: probability columns by name, dtypes, spelling -----------------

FIVE = ["Class A", "Class B", "Class C", "Class D", "Class E"]  # sorted, as encode_target sorts
PROBS = np.array(
    [
        [0.50, 0.20, 0.15, 0.10, 0.05],
        [0.05, 0.10, 0.15, 0.20, 0.50],
        [0.10, 0.60, 0.10, 0.10, 0.10],
    ]
)


def multi_sample(columns, fill=0.2):
    return pd.DataFrame({"Id": [3, 1, 2], **{c: [fill] * 3 for c in columns}})


def test_five_classes_with_spaces_in_another_column_order_are_matched_by_name():
    order = ["Class E", "Class B", "Class A", "Class D", "Class C"]
    sample = multi_sample(order)
    ids = pd.Series([1, 2, 3])
    s = spec("multiclass", "probability", "log_loss")
    frame = build_submission(s, ids, PROBS, FIVE, sample)
    assert list(frame.columns) == ["Id", *order]
    by_id = frame.set_index("Id")
    for row, test_id in enumerate(ids):
        for k, name in enumerate(FIVE):
            assert by_id.loc[test_id, name] == PROBS[row, k], (test_id, name)
    assert frame["Id"].tolist() == [3, 1, 2] and pd.api.types.is_integer_dtype(frame["Id"])
    validate_submission(frame, sample, s, where="s.csv")


@pytest.mark.parametrize(
    "columns, classes",
    [
        (["y_D", "y_C", "y_CL"], ["C", "CL", "D"]),  # <target>_<class> (Kaggle's "Status_C")
        (["proba_2", "proba_0", "proba_1"], [0, 1, 2]),
        (["2", "0", "1"], [0, 1, 2]),  # integer classes as the header spells them
        (["2", "0", "1"], [0.0, 1.0, 2.0]),
    ],
)
def test_prefixed_and_numeric_class_columns_are_matched_by_name(columns, classes):
    probs = PROBS[:, :3] / PROBS[:, :3].sum(axis=1, keepdims=True)
    s = spec("multiclass", "probability", "log_loss")
    frame = build_submission(s, pd.Series([1, 2, 3]), probs, classes, multi_sample(columns))
    by_id = frame.set_index("Id")
    for column in columns:
        k = sorted(columns).index(column)  # the columns sort as their classes do
        assert by_id.loc[1, column] == probs[0, k], column


@pytest.mark.parametrize(
    "columns, reason",
    [
        (["Class A", "Class B", "Class C", "Class D", "Klass E"], "no class is named 'Klass E'"),
        (["Class A", "Class B", "Class C", "Class D"], "no column for class 'Class E'"),
        (["p1", "p2", "p3", "p4", "p5"], "no class is named 'p1'"),
        ([*FIVE, "Class F"], "6 columns for 5 classes"),
    ],
)
def test_probability_columns_that_name_no_class_are_refused_naming_both(columns, reason):
    s = spec("multiclass", "probability", "log_loss")
    with pytest.raises(UserError) as info:
        build_submission(s, pd.Series([1, 2, 3]), PROBS, FIVE, multi_sample(columns))
    message = str(info.value.message)
    assert reason in message
    assert str(columns) in message and str(FIVE) in message
    assert "position" in str(info.value.hint)
    # the same check runs without predictions, so a run can make it before its first fold
    with pytest.raises(UserError, match="cannot be matched by name"):
        check_submission_format(s, multi_sample(columns), FIVE, where="sample.csv")


def test_binary_probability_per_class_columns_get_the_complement():
    sample = multi_sample(["Yes", "No"], fill=0.5)
    s = spec("binary", "probability", "roc_auc")
    frame = build_submission(
        s, pd.Series([3, 1, 2]), np.array([0.9, 0.2, 0.6]), ["No", "Yes"], sample
    )
    assert frame["Yes"].tolist() == [0.9, 0.2, 0.6]
    assert frame["No"].tolist() == pytest.approx([0.1, 0.8, 0.4])


def test_probabilities_stay_decimals_where_the_sample_has_integer_placeholders(caplog):
    sample = multi_sample(["Class A", "Class B", "Class C", "Class D", "Class E"], fill=0)
    s = spec("multiclass", "probability", "log_loss")
    frame = build_submission(s, pd.Series([3, 1, 2]), PROBS, FIVE, sample)
    assert frame["Class A"].tolist() == [0.50, 0.05, 0.10]  # not truncated to 0
    assert "holds integers" in caplog.text
    validate_submission(frame, sample, s, where="s.csv")
    binary = pd.DataFrame({"Id": [3, 1, 2], "y": [0, 0, 0]})
    frame = build_submission(
        spec(prediction="probability", metric="roc_auc"),
        pd.Series([3, 1, 2]),
        np.array([0.9, 0.2, 0.6]),
        [0, 1],
        binary,
    )
    assert frame["y"].tolist() == [0.9, 0.2, 0.6]


def test_probabilities_outside_zero_one_are_refused():
    sample = pd.DataFrame({"Id": [1, 2], "y": [0.5, 0.5]})
    frame = sample.assign(y=[0.5, 1.5])
    with pytest.raises(UserError, match="outside"):
        validate_submission(frame, sample, spec(prediction="probability"), where="s.csv")


BOOL_SAMPLE = pd.DataFrame({"Id": [3, 1, 2], "Transported": [False, False, False]})


def test_boolean_labels_are_written_as_the_sample_writes_them(tmp_path):
    s = spec().model_copy(update={"target": "Transported"})
    preds = np.array([0.9, 0.2, 0.6])
    frame = build_submission(s, pd.Series([3, 1, 2]), preds, [False, True], BOOL_SAMPLE)
    assert frame["Transported"].dtype == bool
    assert frame["Transported"].tolist() == [True, False, True]
    validate_submission(frame, BOOL_SAMPLE, s, where="s.csv")
    for written, expected in (("false", "true"), ("FALSE", "TRUE"), ("False", "True")):
        path = tmp_path / f"sample_{written}.csv"
        path.write_text("Id,Transported\n" + "".join(f"{i},{written}\n" for i in (3, 1, 2)))
        sample = pd.read_csv(path)
        assert sample["Transported"].dtype == bool  # pandas reads all three spellings as bool
        frame = build_submission(
            s, pd.Series([3, 1, 2]), preds, [False, True], sample, sample_file=path
        )
        validate_submission(frame, sample, s, where="s.csv")
        out = tmp_path / "out.csv"
        write_submission(frame, out)
        assert out.read_text().splitlines()[1:] == [
            f"3,{expected}",
            f"1,{written}",
            f"2,{expected}",
        ]


def test_boolean_classes_become_zero_one_integers_where_the_sample_has_integers():
    frame = build_submission(
        spec(), pd.Series([3, 1, 2]), np.array([0.9, 0.2, 0.6]), [False, True], SAMPLE
    )
    assert frame["y"].tolist() == [1, 0, 1] and pd.api.types.is_integer_dtype(frame["y"])
    bools = pd.DataFrame({"Id": [3, 1, 2], "y": [True, True, True]})
    frame = build_submission(spec(), pd.Series([3, 1, 2]), np.array([0.9, 0.2, 0.6]), [0, 1], bools)
    assert frame["y"].dtype == bool and frame["y"].tolist() == [True, False, True]


def test_labels_take_the_samples_spelling_and_dtype():
    sample = pd.DataFrame({"Id": [1, 2], "y": ["Dog", "Dog"]})
    frame = build_submission(
        spec("multiclass"),
        pd.Series([1, 2]),
        np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]),
        ["cat", "dog", "fish"],
        sample,
    )
    assert frame["y"].tolist() == ["Dog", "cat"]
    floats = pd.DataFrame({"Id": [1, 2], "y": [1.0, 1.0]})
    frame = build_submission(
        spec("multiclass"),
        pd.Series([1, 2]),
        np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]),
        [1, 2, 3],
        floats,
    )
    assert frame["y"].tolist() == [2.0, 1.0] and frame["y"].dtype == float


@pytest.mark.parametrize(
    "sample, classes, words",
    [
        (SAMPLE, ["a", "b"], "holds integers"),
        (BOOL_SAMPLE.rename(columns={"Transported": "y"}), ["a", "b"], "holds True/False"),
        (pd.DataFrame({"Id": [3, 1, 2], "y": [0, 0, 0], "z": [0, 0, 0]}), [0, 1], "2 prediction"),
    ],
)
def test_labels_that_cannot_take_the_samples_format_are_refused(sample, classes, words):
    with pytest.raises(UserError, match=words) as info:
        build_submission(spec(), pd.Series([3, 1, 2]), np.array([0.9, 0.2, 0.6]), classes, sample)
    assert info.value.where == "sample_submission.csv"


def test_an_empty_placeholder_label_column_takes_the_labels_as_they_are(tmp_path):
    path = tmp_path / "sample.csv"
    path.write_text("Id,y\n3,\n1,\n2,\n")
    sample = pd.read_csv(path)  # an empty column reads as float NaN
    s = spec("multiclass")
    probs = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    frame = build_submission(s, pd.Series([1, 2, 3]), probs, ["cat", "dog", "fish"], sample)
    assert frame["y"].tolist() == ["fish", "dog", "cat"]
    validate_submission(frame, sample, s, where="s.csv")


def test_bool_spelling_is_read_from_a_compressed_sample(tmp_path):
    import gzip

    path = tmp_path / "sample_submission.csv.gz"
    path.write_bytes(gzip.compress(b"Id,Transported\n3,true\n1,true\n2,true\n"))
    sample = pd.read_csv(path)
    s = spec().model_copy(update={"target": "Transported"})
    frame = build_submission(
        s, pd.Series([3, 1, 2]), np.array([0.9, 0.2, 0.6]), [False, True], sample, sample_file=path
    )
    assert frame["Transported"].tolist() == ["true", "false", "true"]
