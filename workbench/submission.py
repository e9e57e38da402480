"""Submission files: built from test predictions in exactly the sample submission's format.

Kaggle scores a malformed file as 0 or rejects it: ids out of order, a float ``Survived``
column, NaN, probability columns under the wrong classes. The file follows the sample: its
columns in its order, its ids in its order, its dtypes (an integer column stays integer), its
spelling of booleans (``True``/``true``/``TRUE``) and of class names. Probability columns are
matched to the classes by name, never by position. Every submission is checked before it is
written (atomically).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import io
from workbench.competition import CompetitionSpec
from workbench.errors import UserError
from workbench.metrics import get_metric

log = logging.getLogger("workbench")

# How a probability column may name its class besides the class itself: ``<prefix><class>``
# (``{target}`` is the target column's name); used only when exactly one reading matches.
CLASS_PREFIXES = ("{target}_", "proba_", "prob_", "p_")


def build_submission(
    spec: CompetitionSpec,
    test_ids: pd.Series,
    predictions: np.ndarray,
    classes: list,
    sample: pd.DataFrame,
    threshold: float = 0.5,
    *,
    sample_file: Path | None = None,
) -> pd.DataFrame:
    """A frame in the sample submission's format (columns, id order, dtypes, spelling).

    ``sample_file`` (the sample's path) lets booleans be spelled as the file spells them
    (``true``/``false``); without it they are written as pandas writes them (``True``).
    """
    where = str(sample_file or spec.files.sample_submission)
    check_submission_format(spec, sample, classes, where=where)
    value_columns = _value_columns(spec, sample)
    kind = spec.submission.prediction
    if kind == "label":
        frame = pd.DataFrame({value_columns[0]: _labels(spec, predictions, classes, threshold)})
    elif kind == "probability" and _per_class(spec, value_columns):
        order = match_class_columns(value_columns, classes, spec.target, where=where)
        probabilities = _class_probabilities(predictions)
        frame = pd.DataFrame(probabilities[:, order], columns=value_columns)
    else:
        frame = pd.DataFrame({value_columns[0]: np.asarray(predictions, dtype=float)})
    frame.insert(0, spec.id_column, test_ids.to_numpy())
    frame = frame.set_index(spec.id_column).reindex(sample[spec.id_column]).reset_index()
    spellings = read_bool_spellings(sample_file, sample) if sample_file is not None else {}
    for column in value_columns:
        if kind == "label":
            cast = _label_caster(sample[column], classes, column, where, spellings.get(column))
            frame[column] = cast(frame[column])
        else:
            frame[column] = _decimals(frame[column], sample[column], column)
    return frame[list(sample.columns)]


def check_submission_format(
    spec: CompetitionSpec, sample: pd.DataFrame, classes: list, *, where: str
) -> None:
    """Raise :class:`UserError` if predictions cannot be written in the sample's format.

    Cheap (no predictions needed), so it can run before the first fold: the sample's
    prediction columns fit the task and the submission kind, probability columns match the
    classes by name, and the class labels fit the sample's label column (integers, booleans).
    """
    value_columns = _value_columns(spec, sample)
    kind = spec.submission.prediction
    if kind == "probability" and _per_class(spec, value_columns):
        match_class_columns(value_columns, classes, spec.target, where=where)
        return
    if len(value_columns) != 1:
        raise UserError(
            f"the sample submission has {len(value_columns)} prediction columns "
            f"{value_columns}, but a {kind!r} submission of a {spec.task} task writes one",
            where=where,
            hint="check submission.prediction in competition.yaml (probability: one column "
            "per class)",
        )
    if kind == "label":
        column = value_columns[0]
        _label_caster(sample[column], classes, column, where, None)(pd.Series(classes))


def _value_columns(spec: CompetitionSpec, sample: pd.DataFrame) -> list[str]:
    return [c for c in sample.columns if c != spec.id_column]


def _per_class(spec: CompetitionSpec, value_columns: list[str]) -> bool:
    """One probability column per class: multiclass, or binary with two columns."""
    return spec.task == "multiclass" or (spec.task == "binary" and len(value_columns) > 1)


def _labels(
    spec: CompetitionSpec, predictions: np.ndarray, classes: list, threshold: float
) -> np.ndarray:
    if spec.task == "binary":
        index = (np.asarray(predictions) >= threshold).astype(int)
    elif spec.task == "multiclass":
        index = np.asarray(predictions).argmax(axis=1)
    else:
        raise UserError("prediction 'label' needs a classification task", where="competition.yaml")
    return np.asarray(classes, dtype=object)[index]


def _class_probabilities(predictions: np.ndarray) -> np.ndarray:
    """(rows, classes): a binary task's positive-class probabilities get their complement."""
    values = np.asarray(predictions, dtype=float)
    return np.column_stack([1.0 - values, values]) if values.ndim == 1 else values


# ------------------------------------------------------------ probability columns by name


def match_class_columns(
    columns: Sequence[str], classes: Sequence[object], target: str, *, where: str
) -> list[int]:
    """For each probability column of the sample, the index of its class in ``classes``.

    A column is named after its class as the target column spells it (``Class 1``, ``7``,
    ``True``), or, all columns alike, as ``<target>_<class>`` / ``proba_<class>`` /
    ``prob_<class>`` / ``p_<class>``. Each reading must match every column to a class of its
    own and every class to a column; two readings cannot both do so (one prefix would extend
    the other, and each class name would be another's with the extension in front). Anything
    else (a missing or extra class, names that match no class) is refused: a probability
    under the wrong class scores as a wrong prediction, so a column is never matched by its
    position.
    """
    for pattern in ("", *CLASS_PREFIXES):
        prefix = pattern.format(target=target)
        order = _match(columns, classes, prefix)
        if order is not None:
            if prefix:
                log.info("probability columns matched to the classes as '%s<class>'", prefix)
            return order
    shown = [_spellings(c)[0] for c in classes]
    raise UserError(
        f"the sample submission's probability columns {list(columns)} cannot be matched by "
        f"name to the classes of {target!r} {shown}: {_mismatch(columns, classes)}",
        where=where,
        hint=f"name one column per class, after the class as the target spells it "
        f"({', '.join(shown[:3])}) or as {target}_<class>; a column is never matched by its "
        "position",
    )


def _spellings(label: object) -> list[str]:
    """The ways a column name may spell a class label (the first is how it prints)."""
    if isinstance(label, bool | np.bool_):
        return [str(bool(label)), str(bool(label)).lower(), str(int(label))]
    if isinstance(label, float | np.floating) and float(label).is_integer():
        return [str(int(label)), str(label)]
    return [str(label)]


def _match(columns: Sequence[str], classes: Sequence[object], prefix: str) -> list[int] | None:
    """The class index of each column read as ``<prefix><class>``, if every column names a
    class of its own and every class has a column; else None."""
    table: dict[str, int] = {}
    shared: set[str] = set()
    for index, label in enumerate(classes):
        for spelling in dict.fromkeys(_spellings(label)):
            if spelling in table:
                shared.add(spelling)
            table[spelling] = index
    order = []
    for column in map(str, columns):
        if not column.lower().startswith(prefix.lower()):
            return None
        rest = column[len(prefix) :]
        if rest in shared or rest not in table:
            return None
        order.append(table[rest])
    return order if sorted(order) == list(range(len(classes))) else None


def _mismatch(columns: Sequence[str], classes: Sequence[object]) -> str:
    """What keeps ``columns`` from naming ``classes`` one to one, in a few words."""
    names = {s: i for i, label in enumerate(classes) for s in _spellings(label)}
    unmatched = [c for c in map(str, columns) if c not in names]
    covered = {names[c] for c in map(str, columns) if c in names}
    without = [_spellings(label)[0] for i, label in enumerate(classes) if i not in covered]
    parts = []
    if len(columns) != len(classes):
        parts.append(f"{len(columns)} columns for {len(classes)} classes")
    if unmatched:
        parts.append("no class is named " + ", ".join(map(repr, unmatched[:5])))
    if without:
        parts.append("no column for class " + ", ".join(map(repr, without[:5])))
    return "; ".join(parts) or "a class is named by two columns"


# --------------------------------------------------------------------- dtypes and spelling


def _label_caster(
    template: pd.Series,
    classes: list,
    column: str,
    where: str,
    bool_spelling: tuple[str, str] | None,
) -> Callable[[pd.Series], pd.Series]:
    """A function writing class labels as the sample's label column holds them: integers,
    booleans (spelled like the sample when ``bool_spelling`` is known) or text, with the
    sample's spelling of a class name where it differs only in case."""

    def refuse(kind: str) -> UserError:
        shown = [_spellings(c)[0] for c in classes[:8]]
        return UserError(
            f"the sample submission's {column!r} holds {kind}, but the classes of the target "
            f"are {shown}",
            where=where,
            hint="check that the sample submission belongs to this competition and that "
            "competition.yaml names the right target",
        )

    if template.isna().all():  # an empty placeholder column says nothing: labels as they are

        def as_they_are(values: pd.Series) -> pd.Series:
            text = [_spellings(v)[0] for v in values.to_numpy(dtype=object)]
            return pd.Series(text, index=values.index, dtype=object)

        return as_they_are
    if pd.api.types.is_bool_dtype(template):

        def to_bool(values: pd.Series) -> pd.Series:
            flags = [_as_bool(v) for v in values.to_numpy(dtype=object)]
            if any(flag is None for flag in flags):
                raise refuse("True/False")
            out = pd.Series(flags, index=values.index, dtype=bool)
            if bool_spelling is None:
                return out
            yes, no = bool_spelling
            return pd.Series(np.where(out, yes, no), index=values.index, dtype=object)

        return to_bool
    if pd.api.types.is_integer_dtype(template) or pd.api.types.is_float_dtype(template):
        integer = pd.api.types.is_integer_dtype(template)

        def to_number(values: pd.Series) -> pd.Series:
            numbers = [_as_number(v, integer) for v in values.to_numpy(dtype=object)]
            if any(n is None for n in numbers):
                raise refuse("integers" if integer else "numbers")
            return pd.Series(numbers, index=values.index).astype(template.dtype)

        return to_number
    spelled = _sample_spelling(template, classes)

    def to_text(values: pd.Series) -> pd.Series:
        text = [spelled.get(str(v), _spellings(v)[0]) for v in values.to_numpy(dtype=object)]
        return pd.Series(text, index=values.index, dtype=object).astype(template.dtype)

    return to_text


def _sample_spelling(template: pd.Series, classes: list) -> dict[str, str]:
    """Class name -> the sample's spelling, for classes the sample writes in another case."""
    written = {str(v).strip().lower(): str(v) for v in template.dropna().unique()}
    out = {}
    for label in classes:
        if isinstance(label, str) and label.strip().lower() in written:
            out[str(label)] = written[label.strip().lower()]
    return out


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value == 1)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _as_number(value: object, integer: bool) -> int | float | None:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float | np.integer | np.floating) and np.isfinite(value):
        if integer:
            return int(value) if float(value).is_integer() else None
        return float(value)
    return None


def _decimals(values: pd.Series, template: pd.Series, column: str) -> pd.Series:
    """Predicted values and probabilities as floats, even where the sample holds integers
    (its placeholders): truncating them would change them (0.501 -> 0)."""
    if pd.api.types.is_integer_dtype(template):
        log.warning(
            "the sample submission's %r holds integers; the predicted values are written as "
            "decimals (Kaggle reads both)",
            column,
        )
    return pd.to_numeric(values, errors="coerce").astype(float)


def read_bool_spellings(path: Path, sample: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """How the sample file spells True/False in its boolean columns, where not as pandas
    writes them (``true``/``false``, ``TRUE``/``FALSE``); pandas reads all three as bool."""
    columns = [c for c in sample.columns if pd.api.types.is_bool_dtype(sample[c])]
    if not columns or Path(path).suffix.lower() == ".parquet":
        return {}
    from workbench.data import COMPRESSED

    with open(path, "rb") as handle:
        magic = handle.read(4)
    compression = next(
        (kind for sig, (kind, _) in COMPRESSED.items() if magic.startswith(sig)), None
    )
    raw = pd.read_csv(
        path, usecols=columns, dtype=str, nrows=1000, compression=compression, keep_default_na=False
    )
    out = {}
    for column in columns:
        token = next((t.strip() for t in raw[column] if t.strip()), "True")
        style = str.lower if token.islower() else str.upper if token.isupper() else None
        if style is not None:
            out[column] = (style("True"), style("False"))
    return out


# ------------------------------------------------------------------------------ checks


def validate_submission(
    frame: pd.DataFrame, sample: pd.DataFrame, spec: CompetitionSpec, *, where: str
) -> None:
    """Raise :class:`UserError` unless ``frame`` would be accepted and scored by Kaggle."""
    if list(frame.columns) != list(sample.columns):
        raise UserError(
            f"columns {list(frame.columns)} differ from the sample's {list(sample.columns)}",
            where=where,
        )
    if len(frame) != len(sample) or not frame[spec.id_column].reset_index(drop=True).equals(
        sample[spec.id_column].reset_index(drop=True)
    ):
        raise UserError(
            "ids differ from the sample submission's (set or order)",
            where=where,
            hint="the submission must list exactly the test ids, in the sample's order",
        )
    kind = spec.submission.prediction
    for column in frame.columns:
        if column == spec.id_column:
            continue
        values, template = frame[column], sample[column]
        if values.isna().any():
            raise UserError(f"{int(values.isna().sum())} missing values in {column!r}", where=where)
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and not np.isfinite(values.to_numpy(dtype=float)).all():
            raise UserError(f"infinite values in {column!r}", where=where)
        if (
            kind == "label"
            and pd.api.types.is_integer_dtype(template)
            and not pd.api.types.is_integer_dtype(values)
        ):
            raise UserError(
                f"{column!r} must be integer like the sample's, got {values.dtype}",
                where=where,
                hint="Kaggle scores a float label column as 0",
            )
        if (
            pd.api.types.is_float_dtype(template)
            and template.notna().any()
            and not pd.api.types.is_numeric_dtype(values)
        ):
            raise UserError(f"{column!r} must be numeric, got {values.dtype}", where=where)
        if kind == "probability" and numeric:
            outside = (values < 0) | (values > 1)
            if outside.any():
                raise UserError(
                    f"{int(outside.sum())} probabilities outside [0, 1] in {column!r}",
                    where=where,
                )
        takes_log = spec.task == "regression" and get_metric(spec.metric, spec.task).log_space
        if takes_log and (values.to_numpy(dtype=float) <= 0).any():
            raise UserError(
                f"{column!r} has non-positive values; the metric takes their log", where=where
            )


def write_submission(frame: pd.DataFrame, path: Path) -> Path:
    """Write the (already validated) submission atomically."""
    return io.write_csv(path, frame)
