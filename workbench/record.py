"""The typed run record (``metrics.json``) and the one file a finished run may gain.

``metrics.json`` is written once by the run, in its ``.partial`` directory, and read by the
report, the terminal summary and every later command through :func:`read_record`: one schema,
no guessing in readers. A finished run is never modified, with one exception:
``submissions.json``, the run's Kaggle submissions (reference, message, scores), added and
updated atomically by :func:`record_submission` (see docs/run-directory.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench import io
from workbench.errors import UserError
from workbench.tasks import Task

RECORD_FILE = "metrics.json"
SUBMISSIONS_FILE = "submissions.json"
SCHEMA_VERSION = 1

Label = bool | int | float | str


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricInfo(_Record):
    name: str
    greater_is_better: bool


class CVInfo(_Record):
    scheme: str
    folds: int
    repeats: int


class FoldRecord(_Record):
    """One fold: its size, its training and validation score, and what it cost."""

    repeat: int
    fold: int
    n_train: int
    n_valid: int
    train_score: float
    valid_score: float
    train_rows_scored: int  # the training score's rows: all of them, or a bounded sample
    best_iteration: int | None = None
    fit_seconds: float
    features_seconds: float


class ScoreSummary(_Record):
    """``valid_*`` over folds' validation rows; ``gap`` > 0 means better on training rows."""

    valid_mean: float
    valid_std: float
    train_mean: float
    train_std: float
    gap: float
    oof_score: float


class ThresholdInfo(_Record):
    """Binary tasks: the threshold the submission used, and the OOF-optimal one (optimistic)."""

    used: float
    optimized: float
    optimized_metric: str
    oof_score_at_optimized: float


class Timings(_Record):
    """Seconds spent; ``total_seconds`` is the run up to its results (the report not included)."""

    total_seconds: float
    cv_seconds: float
    features_seconds: float
    fit_seconds: float


class RunRecord(_Record):
    """What ``metrics.json`` holds (docs/run-directory.md)."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    competition: str
    config_name: str
    task: Task
    classes: list[Label]
    metric: MetricInfo
    cv: CVInfo
    model: str
    seed: int
    folds: list[FoldRecord]
    summary: ScoreSummary
    threshold: ThresholdInfo | None = None
    submission: str | None = None
    timings: Timings
    created_at: str


def not_a_run(run_dir: Path, message: str) -> UserError:
    """The error for a path that is not a (finished) run directory."""
    return UserError(
        message,
        where=str(run_dir),
        hint="pass a finished run directory, e.g. runs/<competition>/<run_id>",
    )


def write_record(run_dir: Path, record: RunRecord) -> Path:
    return io.write_json(run_dir / RECORD_FILE, record.model_dump(mode="json"))


def read_record(run_dir: Path) -> RunRecord:
    """``metrics.json`` of a run directory; :class:`UserError` if it is missing or invalid."""
    path = run_dir / RECORD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise not_a_run(run_dir, f"not a run directory (no {RECORD_FILE})") from None
    except (OSError, ValueError) as exc:
        raise not_a_run(run_dir, f"cannot read {RECORD_FILE}: {exc}") from None
    try:
        return RunRecord.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(map(str, err["loc"]))
        raise not_a_run(run_dir, f"{RECORD_FILE}: {field}: {err['msg']}") from None


class SubmissionEntry(_Record):
    """One submission of the run's file to Kaggle, and its scores once known."""

    ref: int
    submitted_at: str
    message: str = ""
    file_sha256: str
    status: str = "pending"
    public_score: float | None = None
    private_score: float | None = None
    error: str | None = None


class Submissions(_Record):
    submissions: list[SubmissionEntry] = Field(default_factory=list)


def read_submissions(run_dir: Path) -> Submissions:
    """The run's ``submissions.json`` (empty when it has never been submitted)."""
    path = run_dir / SUBMISSIONS_FILE
    if not path.is_file():
        return Submissions()
    try:
        return Submissions.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise not_a_run(run_dir, f"cannot read {SUBMISSIONS_FILE}: {exc}") from None


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """An exclusive lock on the run directory itself, so concurrent updates never interleave."""
    fd = os.open(run_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def record_submission(run_dir: str | Path, entry: SubmissionEntry) -> Submissions:
    """Add ``entry`` to a finished run's ``submissions.json``, or update the entry with its ref.

    The only change a finished run may receive: written atomically under a lock, so a reader
    sees the old or the new file and two writers never lose each other's entries.
    """
    run_dir = Path(run_dir)
    if run_dir.name.startswith(".") or not (run_dir / RECORD_FILE).is_file():
        raise not_a_run(run_dir, "not a finished run directory")
    with _locked(run_dir):
        current = read_submissions(run_dir)
        kept = [e for e in current.submissions if e.ref != entry.ref]
        updated = Submissions(submissions=sorted([*kept, entry], key=lambda e: e.submitted_at))
        io.write_json(run_dir / SUBMISSIONS_FILE, updated.model_dump(mode="json"))
    return updated
