"""Loading a competition's files, checking them, and fingerprinting them."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.competition import Competition
from workbench.errors import UserError
from workbench.io import file_sha256
from workbench.tables import read_with_polars


@dataclass
class Frames:
    """Training rows (features + target), test rows and the sample submission."""

    train: pd.DataFrame
    test: pd.DataFrame
    sample_submission: pd.DataFrame
    files: dict[str, Path]

    @property
    def n_train(self) -> int:
        return len(self.train)


# A compressed file's first bytes, its kind, and the file name suffix that says so.
COMPRESSED = {b"\x1f\x8b": ("gzip", ".gz"), b"PK\x03\x04": ("zip", ".zip"), b"BZh": ("bz2", ".bz2")}
CSV_SUFFIXES = (".csv", ".txt")
COMPRESSED_SUFFIXES = (".gz", ".gzip", ".zip", ".bz2")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (plain, or compressed and named so: ``train.csv.gz``) or Parquet file with
    polars (:mod:`workbench.tables`), with one clear error for unreadable input."""
    if path.is_dir():
        raise UserError("is a directory, not a data file", where=str(path))
    suffix = path.suffix.lower()
    if suffix not in (*CSV_SUFFIXES, *COMPRESSED_SUFFIXES, ".parquet"):
        raise UserError(
            f"cannot read a {suffix or 'suffix-less'} file",
            where=str(path),
            hint="the workbench reads CSV (.csv, or compressed .csv.gz / .csv.zip / .csv.bz2) "
            "and Parquet (.parquet); convert it, and name it in competition.yaml's files",
        )
    with open(path, "rb") as handle:
        magic = handle.read(4)
    kind, kind_suffix = next(
        (found for sig, found in COMPRESSED.items() if magic.startswith(sig)), (None, None)
    )
    if kind and suffix in CSV_SUFFIXES:
        raise UserError(
            f"the file is {kind}-compressed, not plain CSV",
            where=str(path),
            hint=f"decompress it (Kaggle's downloads are zipped), or name it "
            f"{path.name}{kind_suffix}",
        )
    if suffix in COMPRESSED_SUFFIXES and not kind:
        raise UserError(
            f"the name says {suffix} but the file is not compressed",
            where=str(path),
            hint=f"name it {path.stem}",
        )
    frame = read_with_polars(path, kind)
    if frame is not None:
        return frame
    try:  # what polars refuses, pandas reads or names the problem of
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, compression=kind)
    except pd.errors.EmptyDataError:
        raise UserError("the file is empty", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start})",
            where=str(path),
            hint="save it as UTF-8",
        ) from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UserError(f"cannot read the file: {reason}", where=str(path)) from None


def _check_header(frame: pd.DataFrame, path: Path) -> None:
    """Column names must be unique (pandas quietly renames a repeated ``x`` to ``x.1``)."""
    if path.suffix.lower() not in CSV_SUFFIXES:
        return
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise UserError(
            f"the header repeats column name(s) {repeated[:5]}",
            where=str(path),
            hint="give each column its own name",
        )


def load_frames(competition: Competition) -> Frames:
    """Read train, test and sample submission, and check the columns the spec names."""
    spec = competition.spec
    files = {}
    for kind in ("train", "test", "sample_submission"):
        path = competition.file(kind)
        if not path.exists():
            raise UserError(
                f"data file missing (the {kind} file of competition {spec.name!r})",
                where=str(path),
                hint=(
                    f"`workbench download {spec.name}` fetches the competition files into "
                    f"{competition.data_dir}/ (or by hand: kaggle competitions download "
                    f"-c {spec.slug}, then unzip them there)"
                ),
            )
        files[kind] = path
    train = read_table(files["train"])
    test = read_table(files["test"])
    sample = read_table(files["sample_submission"])
    for frame, kind in ((train, "train"), (test, "test"), (sample, "sample_submission")):
        _check_header(frame, files[kind])

    for column, frame, kind in (
        (spec.id_column, train, "train"),
        (spec.target, train, "train"),
        (spec.id_column, test, "test"),
        (spec.id_column, sample, "sample_submission"),
    ):
        if column not in frame.columns:
            raise UserError(
                f"column {column!r} not found",
                where=str(files[kind]),
                hint=f"the competition spec names it; columns are {list(frame.columns)[:12]}",
            )
    for frame, kind in ((train, "train"), (test, "test"), (sample, "sample_submission")):
        if frame.empty:
            raise UserError(
                "the file has a header but no rows",
                where=str(files[kind]),
                hint="download the competition's files again",
            )
    for frame, kind in ((train, "train"), (test, "test"), (sample, "sample_submission")):
        if frame[spec.id_column].isna().any():
            n = int(frame[spec.id_column].isna().sum())
            row = int(np.flatnonzero(frame[spec.id_column].isna().to_numpy())[0]) + 1
            raise UserError(
                f"the id column {spec.id_column!r} is empty in {n} row(s) (first: data row {row})",
                where=str(files[kind]),
                hint="every row needs its id",
            )
    for frame, kind in ((train, "train"), (test, "test")):
        if frame[spec.id_column].duplicated().any():
            dup = frame.loc[frame[spec.id_column].duplicated(), spec.id_column].iloc[0]
            raise UserError(
                f"duplicate id {shown_value(dup)} in column {spec.id_column!r}",
                where=str(files[kind]),
            )
    _check_sample_ids(sample[spec.id_column], test[spec.id_column], files["sample_submission"])
    if train[spec.target].isna().any():
        n = int(train[spec.target].isna().sum())
        first = shown_value(train.loc[train[spec.target].isna(), spec.id_column].iloc[0])
        raise UserError(
            f"the target {spec.target!r} is missing in {n} row(s) (first: id {first})",
            where=str(files["train"]),
            hint="every training row needs a target: drop those rows or fill them in",
        )
    missing = [c for c in train.columns if c not in test.columns and c != spec.target]
    if missing:
        raise UserError(
            f"test file lacks training column(s) {missing[:5]}",
            where=str(files["test"]),
            hint="train and test must share their feature columns",
        )
    _check_column_kinds(train, test, spec.target, files["test"])
    if spec.task == "regression" and not pd.api.types.is_numeric_dtype(train[spec.target]):
        raise UserError(
            f"regression target {spec.target!r} is not numeric", where=str(files["train"])
        )
    if spec.task != "regression" and train[spec.target].nunique() < 2:
        raise UserError(f"target {spec.target!r} has a single class", where=str(files["train"]))
    test = test[[c for c in train.columns if c != spec.target]]
    return Frames(train=train, test=test, sample_submission=sample, files=files)


def _check_column_kinds(train: pd.DataFrame, test: pd.DataFrame, target: str, path: Path) -> None:
    """A column of numbers in the training file (or an empty one, which reads as numbers) must
    not hold text in the test file: a stray value there ("abc", "-") would otherwise surface
    as a step or model failure on the test rows."""
    for column in train.columns:
        if column == target or column not in test.columns:
            continue
        values = test[column]
        if not pd.api.types.is_numeric_dtype(train[column]) or values.isna().all():
            continue
        if pd.api.types.is_numeric_dtype(values):
            continue
        text = values[values.notna() & pd.to_numeric(values, errors="coerce").isna()]
        if text.empty:
            continue
        row = int(np.flatnonzero(values.index == text.index[0])[0]) + 1
        empty = train[column].isna().all()
        raise UserError(
            f"column {column!r} "
            + ("is empty in the training file" if empty else "holds numbers in the training file")
            + f" but text in the test file ({shown_value(text.iloc[0])} in data row {row})",
            where=str(path),
            hint="drop the column (it tells the training rows nothing)"
            if empty
            else "fix those values, or leave them empty (missing), so both files agree",
        )


def shown_value(value: object) -> str:
    """A data value as a user wrote it: ``1`` or ``'abc'``, never ``np.int64(1)``."""
    value = value.item() if hasattr(value, "item") else value
    return repr(value) if isinstance(value, str) else str(value)


def _check_sample_ids(sample_ids: pd.Series, test_ids: pd.Series, path: Path) -> None:
    """The sample submission must list exactly the test ids (any order): checked before any
    fold, since the submission is built in the sample's order."""
    sample_set, test_set = set(sample_ids.tolist()), set(test_ids.tolist())
    if len(sample_ids) == len(test_ids) and sample_set == test_set:
        return
    missing = sorted(test_set - sample_set, key=str)[:3]
    extra = sorted(sample_set - test_set, key=str)[:3]
    detail = "; ".join(
        part
        for part in (
            f"test ids missing from it: {', '.join(map(shown_value, missing))}" if missing else "",
            f"ids not in the test file: {', '.join(map(shown_value, extra))}" if extra else "",
            "duplicate ids" if sample_ids.duplicated().any() else "",
        )
        if part
    )
    raise UserError(
        f"the sample submission's ids differ from the test file's ({detail})",
        where=str(path),
        hint="check that the sample submission and the test file come from the same download",
    )


def fingerprint(files: dict[str, Path]) -> dict[str, dict[str, object]]:
    """sha256 and size of each input file: which data a run saw."""
    out = {}
    for kind, path in files.items():
        out[kind] = {"path": path.name, "sha256": file_sha256(path), "bytes": path.stat().st_size}
    return out


def data_digest(prints: dict[str, dict[str, object]]) -> str:
    """One sha256 over the input files' fingerprints: which data a run saw."""
    return hashlib.sha256(json.dumps(prints, sort_keys=True).encode()).hexdigest()


def encode_target(y: pd.Series, task: str) -> tuple[np.ndarray, list]:
    """Class indices 0..K-1 (sorted labels) for classification; float values for regression."""
    if task == "regression":
        return y.to_numpy(dtype=float), []
    classes = sorted(pd.unique(y).tolist())
    index = {label: i for i, label in enumerate(classes)}
    return y.map(index).to_numpy(dtype=np.int64), classes
