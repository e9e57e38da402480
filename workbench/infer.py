"""What ``workbench init`` reads from a competition's files: the id and target columns, the
task, the submission format, a metric, and what each feature column is.

Pure functions of the three frames (no files, no prompts), so each rule is testable alone.
Every inferred value comes with the reason shown to the user; a value given on the command
line is checked against the data instead, and a contradiction is a :class:`UserError` naming
the flag.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.data import shown_value
from workbench.errors import UserError, did_you_mean
from workbench.tasks import TASKS

#: At most this many levels make a categorical column "low-cardinality" (integer codes).
LOW_CARDINALITY = 20
#: A positive regression target more skewed than this suggests a log metric (rmse_log).
SKEW_FOR_LOG = 1.0
#: An integer target with at most this many values is taken as classes, not a quantity.
MAX_INTEGER_CLASSES = 20

#: Spellings of a yes/no column (those the ``boolean`` step reads).
YES_NO = (("true", "false"), ("yes", "no"), ("t", "f"), ("y", "n"))
_DATE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
)


@dataclass(frozen=True)
class Choice:
    """One inferred (or given) value and why: the reason is shown in the proposal."""

    value: str
    reason: str


@dataclass(frozen=True)
class Overrides:
    """Values given on the command line (``None``: infer it)."""

    id_column: str | None = None
    target: str | None = None
    task: str | None = None
    metric: str | None = None
    prediction: str | None = None


@dataclass(frozen=True)
class Proposal:
    """Everything ``init`` proposes about a competition, for confirmation."""

    id_column: Choice
    target: Choice
    task: Choice
    prediction: Choice
    metric: Choice
    classes: list = field(default_factory=list)


@dataclass(frozen=True)
class ColumnKind:
    """What a feature column is (``numeric``, ``boolean``, ``categorical``,
    ``high_cardinality``, ``datetime``, ``text``, ``id_like`` or ``constant``) and why."""

    name: str
    kind: str
    reason: str


def _names(columns: list) -> str:
    return ", ".join(map(str, columns)) or "none"


def infer_id(
    train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame, given: str | None
) -> Choice:
    """The column in test and sample whose test values are unique and equal the sample's."""
    if given is not None:
        for frame, what in ((test, "test file"), (sample, "sample submission"), (train, "train")):
            if given not in frame.columns:
                raise UserError(
                    f"{given!r} is not a column of the {what}",
                    where="--id",
                    hint=did_you_mean(given, map(str, frame.columns)),
                )
        problem = _id_problem(test[given], sample[given])
        if problem:
            raise UserError(f"{given!r} cannot be the id column: {problem}", where="--id")
        return Choice(given, "given with --id")
    shared = [c for c in sample.columns if c in test.columns]
    if not shared:
        raise UserError(
            "no id column: no column of the sample submission is in the test file",
            where="--id",
            hint=f"sample columns: {_names(list(sample.columns))}; name the id with --id COL",
        )
    fits = [c for c in shared if not _id_problem(test[c], sample[c])]
    if not fits:
        details = "; ".join(f"{c}: {_id_problem(test[c], sample[c])}" for c in shared[:3])
        raise UserError(
            f"the sample submission's ids do not match the test file's ({details})",
            where="--id",
            hint="check that the sample submission and the test file come from the same download",
        )
    in_train = [c for c in fits if c in train.columns]
    if len(in_train) > 1:
        raise UserError(
            f"several columns could be the id: {_names(in_train)} (each unique in test and "
            "equal to the sample's ids)",
            where="--id",
            hint=f"choose one with --id, e.g. --id {in_train[0]}",
        )
    if not in_train:
        raise UserError(
            f"the id column {fits[0]!r} of test and sample is not in the training file",
            where="--id",
            hint="the workbench needs the id column in train, test and sample submission",
        )
    return Choice(in_train[0], "unique in test, the same ids as the sample submission")


def _id_problem(test_ids: pd.Series, sample_ids: pd.Series) -> str:
    """Why these test values cannot be the ids the sample lists ('' when they can)."""
    if test_ids.isna().any():
        return f"empty in {int(test_ids.isna().sum())} test row(s)"
    if test_ids.duplicated().any():
        return f"test value {shown_value(test_ids[test_ids.duplicated()].iloc[0])} repeats"
    test_set, sample_set = set(test_ids.tolist()), set(sample_ids.tolist())
    if len(test_ids) == len(sample_ids) and test_set == sample_set:
        return ""
    missing = sorted(test_set - sample_set, key=str)[:3]
    extra = sorted(sample_set - test_set, key=str)[:3]
    parts = [
        f"test ids missing from the sample: {', '.join(map(shown_value, missing))}"
        if missing
        else "",
        f"sample ids not in test: {', '.join(map(shown_value, extra))}" if extra else "",
        "" if missing or extra else f"{len(sample_ids)} sample rows for {len(test_ids)} test ids",
    ]
    return ", ".join(p for p in parts if p)


def infer_target(
    train: pd.DataFrame,
    test: pd.DataFrame,
    sample: pd.DataFrame,
    id_column: str,
    given: str | None,
) -> Choice:
    """The training column the test file lacks: the one the sample names, else (a sample with
    one column per class) the only training column not in test."""
    only_train = [c for c in train.columns if c not in test.columns and c != id_column]
    if given is not None:
        if given not in train.columns:
            raise UserError(
                f"{given!r} is not a column of the training file",
                where="--target",
                hint=did_you_mean(given, map(str, only_train or train.columns)),
            )
        if given == id_column:
            raise UserError(f"{given!r} is the id column", where="--target")
        if given in test.columns:
            raise UserError(
                f"{given!r} is also in the test file, so it is a feature, not the target",
                where="--target",
                hint=f"training columns the test file lacks: {_names(only_train)}",
            )
        return _no_extra_columns(Choice(given, "given with --target"), only_train)
    if not only_train:
        raise UserError(
            "no target column: every training column is also in the test file",
            where="--target",
            hint="the target is the training column the test file lacks; check the files",
        )
    named = [c for c in sample.columns if c in only_train]
    if len(named) == 1:
        reason = "in train and the sample submission, not in test"
        return _no_extra_columns(Choice(named[0], reason), only_train)
    candidates = named or only_train
    if len(candidates) > 1:
        raise UserError(
            f"several columns could be the target: {_names(candidates)} (in train, not in test)",
            where="--target",
            hint=f"choose one with --target, e.g. --target {candidates[0]}",
        )
    return Choice(candidates[0], "the only training column the test file lacks")


def _no_extra_columns(choice: Choice, only_train: list) -> Choice:
    """Train and test must share their feature columns (the workbench reads them so)."""
    extra = [c for c in only_train if c != choice.value]
    if extra:
        raise UserError(
            f"the training file has column(s) {_names(extra)} that the test file lacks, "
            f"besides the target {choice.value!r}",
            where="train",
            hint="the workbench needs train and test to share their feature columns: remove "
            "those columns from a copy of the training file and pass its folder with --data",
        )
    return choice


def infer_task(y: pd.Series, target: str, given: str | None) -> tuple[Choice, list]:
    """binary (2 classes), multiclass (3+ classes: text, or few integer values) or regression
    (decimals, or many numbers); with the sorted classes of a classification task."""
    if y.isna().any():
        raise UserError(
            f"the target {target!r} is missing in {int(y.isna().sum())} training row(s)",
            where="--target",
            hint="every training row needs a target: drop those rows in a copy of the file "
            "and pass its folder with --data",
        )
    values = y
    n = int(values.nunique())
    if n < 2:
        shown = shown_value(values.iloc[0]) if len(values) else "nothing"
        raise UserError(
            f"the target {target!r} has a single value ({shown}) in every training row: "
            "there is nothing to learn",
            where="--target",
            hint="check the training file, or name another column with --target",
        )
    boolean = pd.api.types.is_bool_dtype(values) or (
        values.dtype == object and all(isinstance(v, bool | np.bool_) for v in values.unique())
    )
    numeric = pd.api.types.is_numeric_dtype(values) and not boolean
    integral = numeric and bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
    classes = _classes(values)
    if given is not None:
        if given not in TASKS:
            raise UserError(
                f"unknown task {given!r}", where="--task", hint=did_you_mean(given, TASKS)
            )
        if given == "regression" and not numeric:
            raise UserError(f"the target {target!r} is not numeric", where="--task")
        if given == "binary" and n != 2:
            raise UserError(f"the target {target!r} has {n} classes, not 2", where="--task")
        if given == "multiclass" and n < 3:
            raise UserError(
                f"the target {target!r} has {n} classes; multiclass needs 3 or more",
                where="--task",
                hint="use --task binary",
            )
        return Choice(given, "given with --task"), ([] if given == "regression" else classes)
    if n == 2:
        return Choice("binary", f"2 classes: {_names(classes)}"), classes
    if not numeric:
        return Choice("multiclass", f"{n} classes: {_short(classes)}"), classes
    if integral and n <= MAX_INTEGER_CLASSES:
        return Choice("multiclass", f"{n} integer values: {_short(classes)}"), classes
    kind = "decimal numbers" if not integral else f"{n} distinct integers"
    return Choice("regression", kind), []


def _classes(values: pd.Series) -> list:
    """The classes in the order the workbench encodes them (sorted, as in ``encode_target``)."""
    unique = pd.unique(values).tolist()
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=str)


def _short(values: list, n: int = 6) -> str:
    return _names(values[:n]) + (", ..." if len(values) > n else "")


def infer_prediction(
    sample: pd.DataFrame,
    id_column: str,
    target: str,
    task: str,
    classes: list,
    given: str | None,
) -> Choice:
    """label, probability or value, from the sample's columns (one per class, named by the
    class: probability) and values (True/False, class names, 0/1: label; binary decimals in
    [0, 1]: probability)."""
    columns = [c for c in sample.columns if c != id_column]
    per_class = len(columns) > 1 and task != "regression"
    if per_class:
        _check_class_columns(columns, classes, target)
    elif len(columns) > 1:
        raise UserError(
            f"the sample submission has {len(columns)} columns besides the id "
            f"({_short(columns)}), but a regression submission has one",
            where="sample_submission",
            hint="the workbench predicts one target",
        )
    inferred = _prediction_from_sample(sample, columns, per_class, task)
    if given is None:
        return inferred
    allowed = {"probability"} if per_class else {"label", "probability"}
    allowed = {"value"} if task == "regression" else allowed
    allowed = {"label"} if task == "multiclass" and not per_class else allowed
    if given not in allowed:
        raise UserError(
            f"a {task} submission like this sample cannot hold {given}s "
            f"(it can hold: {_names(sorted(allowed))}); the sample: {inferred.reason}",
            where="--prediction",
        )
    return Choice(given, "given with --prediction")


def _check_class_columns(columns: list, classes: list, target: str) -> None:
    """Each prediction column must name a class (as the submission writer matches them:
    by name, never by position)."""
    try:
        from workbench.submission import match_class_columns
    except ImportError:  # an older writer: exact names only
        if sorted(map(str, columns)) != sorted(map(str, classes)):
            raise UserError(
                f"the sample submission's columns {_short(columns)} are not the classes "
                f"{_short(classes)} of {target!r}",
                where="sample_submission",
            ) from None
        return
    match_class_columns(columns, classes, target, where="sample_submission")


def _prediction_from_sample(
    sample: pd.DataFrame, columns: list, per_class: bool, task: str
) -> Choice:
    if task == "regression":
        return Choice("value", f"the sample's {columns[0]} holds the predicted value")
    if per_class:
        return Choice("probability", "one probability column per class, named by the class")
    column = sample[columns[0]]
    values = column.dropna()
    if task == "multiclass":
        return Choice("label", f"the sample's {columns[0]} holds one class per row")
    if pd.api.types.is_bool_dtype(column) or (
        len(values) and set(values.unique()) <= {True, False} and column.dtype == object
    ):
        return Choice("label", f"the sample's {columns[0]} holds True/False")
    if not pd.api.types.is_numeric_dtype(column):
        return Choice("label", f"the sample's {columns[0]} holds class names")
    if pd.api.types.is_float_dtype(column) and values.between(0, 1).all():
        return Choice("probability", f"the sample's {columns[0]} holds decimals in [0, 1]")
    return Choice("label", f"the sample's {columns[0]} holds integers ({_short(_classes(values))})")


def suggest_metric(task: str, prediction: str, y: pd.Series, given: str | None) -> Choice:
    """A metric for the task and format; rmse_log for a positive, right-skewed target."""
    from workbench.metrics import get_metric

    if given is not None:
        try:
            metric = get_metric(given, task)
        except UserError as exc:
            raise UserError(exc.message, where="--metric", hint=exc.hint) from None
        if metric.log_space and (y.to_numpy(dtype=float) <= 0).any():
            raise UserError(
                f"metric {given!r} takes the log of the target, which has values <= 0",
                where="--metric",
                hint="use rmse or mae",
            )
        return Choice(given, "given with --metric")
    if task == "regression":
        values = y.dropna().to_numpy(dtype=float)
        skew = float(pd.Series(values).skew())
        if (values > 0).all() and skew > SKEW_FOR_LOG:
            return Choice("rmse_log", f"positive, right-skewed target (skew {skew:.1f})")
        return Choice("rmse", f"target skew {skew:.1f}" + ("" if (values > 0).all() else ", <= 0"))
    if prediction == "probability":
        metric = "roc_auc" if task == "binary" else "log_loss"
        return Choice(metric, f"{task} probabilities")
    return Choice("accuracy", f"{task} labels")


def propose(
    train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame, given: Overrides
) -> Proposal:
    """Infer (or check) id, target, task, submission format and metric, in that order."""
    id_column = infer_id(train, test, sample, given.id_column)
    target = infer_target(train, test, sample, id_column.value, given.target)
    y = train[target.value]
    task, classes = infer_task(y, target.value, given.task)
    prediction = infer_prediction(
        sample, id_column.value, target.value, task.value, classes, given.prediction
    )
    metric = suggest_metric(task.value, prediction.value, y, given.metric)
    return Proposal(id_column, target, task, prediction, metric, classes)


def classify_columns(frame: pd.DataFrame) -> list[ColumnKind]:
    """What each feature column of the training rows is (id and target already removed)."""
    return [classify(frame[c]) for c in frame.columns]


def classify(column: pd.Series) -> ColumnKind:
    """One column's kind, from its dtype and values (the rules of ``init``'s baseline)."""
    name = str(column.name)
    values = column.dropna()
    n_unique = int(values.nunique())
    if column.nunique(dropna=False) <= 1:
        return ColumnKind(name, "constant", "one value in every training row")
    if _yes_no(values):
        return ColumnKind(name, "boolean", "yes/no values")
    unique_per_row = n_unique == len(column)
    if pd.api.types.is_numeric_dtype(column):
        if unique_per_row and _consecutive(values):
            return ColumnKind(name, "id_like", "consecutive integers, a different one per row")
        return ColumnKind(name, "numeric", "numbers")
    text = values.astype(str)
    if _looks_like_dates(text):
        return ColumnKind(name, "datetime", "dates")
    if n_unique <= LOW_CARDINALITY:
        return ColumnKind(name, "categorical", f"{n_unique} levels")
    if _looks_like_text(text, n_unique):
        return ColumnKind(name, "text", "free text")
    if unique_per_row:
        return ColumnKind(name, "id_like", "a different value in every row")
    return ColumnKind(name, "high_cardinality", f"{n_unique} levels")


def _yes_no(values: pd.Series) -> bool:
    """True/False (bool, or text spelled True/False, yes/no, t/f, y/n in any case)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return False
    spelled = {str(v).strip().lower() for v in values.unique()}
    return any(spelled <= set(pair) for pair in YES_NO)


def _consecutive(values: pd.Series) -> bool:
    """Integers forming a range with a constant step (row numbers, generated ids)."""
    numbers = values.to_numpy(dtype=float)
    if len(numbers) < 3 or not np.all(np.mod(numbers, 1) == 0):
        return False
    steps = np.diff(np.sort(numbers))
    return bool(np.all(steps == steps[0]))


def _looks_like_dates(text: pd.Series) -> bool:
    """Most values are dates (``2024-01-31``, ``31/01/2024``, with an optional time)."""
    head = text.head(500)
    if head.empty or head.str.match(_DATE).mean() < 0.95:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(head, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


def _looks_like_text(text: pd.Series, n_unique: int) -> bool:
    """Free text: mostly distinct values of several words, or long strings with spaces."""
    words = text.str.split().str.len()
    mean_length = float(text.str.len().mean())
    wordy = float(words.median()) >= 3 or (mean_length >= 30 and (words > 1).mean() >= 0.5)
    return wordy and n_unique >= 0.5 * len(text)
