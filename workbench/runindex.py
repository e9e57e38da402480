"""The run index: ``runs/index.sqlite``, one row per finished run and one per Kaggle submission.

A cache of the run directories for the commands that list and compare runs (``leaderboard``,
``compare``, the report's "best earlier run"), never the authority on what exists: every read
first makes the index agree with ``runs/<competition>/<run_id>/`` (:func:`refresh`), so a run
finished by a killed command, a deleted run or a deleted index file are all put right, and
``workbench index --rebuild`` makes it afresh. Commands that finish or change a run call
:func:`update_run`; each change is one SQLite transaction (WAL journal, a busy timeout), so
two runs finishing at the same moment both appear.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.competition import Project
from workbench.errors import UserError
from workbench.io import file_sha256
from workbench.record import RECORD_FILE, SUBMISSIONS_FILE, read_record, read_submissions

INDEX_FILE = "index.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    competition TEXT NOT NULL,
    config_name TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    metric TEXT NOT NULL,
    greater_is_better INTEGER NOT NULL,
    cv_scheme TEXT NOT NULL,
    folds INTEGER NOT NULL,
    repeats INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    cv_mean REAL NOT NULL,
    cv_std REAL NOT NULL,
    oof_score REAL NOT NULL,
    total_seconds REAL NOT NULL,
    created_at TEXT NOT NULL,
    folds_sha256 TEXT,
    path TEXT NOT NULL,
    record_mtime_ns INTEGER NOT NULL,
    submissions_mtime_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_competition ON runs (competition);
CREATE TABLE IF NOT EXISTS submissions (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    ref INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    message TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    public_score REAL,
    private_score REAL,
    error TEXT,
    PRIMARY KEY (run_id, ref)
);
PRAGMA user_version = {SCHEMA_VERSION};
"""


@dataclass(frozen=True)
class IndexedSubmission:
    """One Kaggle submission of a run's file."""

    run_id: str
    ref: int
    submitted_at: str
    message: str
    file_sha256: str
    status: str
    public_score: float | None
    private_score: float | None
    error: str | None


@dataclass(frozen=True)
class IndexedRun:
    """One finished run, as listed by ``leaderboard`` and compared by ``compare``."""

    run_id: str
    competition: str
    config_name: str
    task: str
    model: str
    metric: str
    greater_is_better: bool
    cv_scheme: str
    folds: int
    repeats: int
    seed: int
    cv_mean: float
    cv_std: float
    oof_score: float
    total_seconds: float
    created_at: str
    folds_sha256: str | None
    path: Path
    submissions: tuple[IndexedSubmission, ...] = ()

    @property
    def public_score(self) -> float | None:
        """The public score of the run's latest scored submission."""
        scored = [s for s in self.submissions if s.public_score is not None]
        return max(scored, key=lambda s: s.submitted_at).public_score if scored else None

    @property
    def private_score(self) -> float | None:
        scored = [s for s in self.submissions if s.private_score is not None]
        return max(scored, key=lambda s: s.submitted_at).private_score if scored else None

    @property
    def submitted_at(self) -> str | None:
        return max((s.submitted_at for s in self.submissions), default=None)


def index_path(project: Project) -> Path:
    return project.root / "runs" / INDEX_FILE


def folds_digest(run_dir: Path) -> str | None:
    """sha256 of the run's ``folds.csv``: runs with equal digests were scored on the same folds."""
    path = run_dir / "folds.csv"
    return file_sha256(path) if path.is_file() else None


def update_run(project: Project, run_dir: Path) -> None:
    """Write (or rewrite) the index row of one finished run and its submissions."""
    with _connect(project) as db, _transaction(db):
        _write_run(db, project, Path(run_dir))


def remove_run(project: Project, run_id: str) -> None:
    with _connect(project) as db, _transaction(db):
        db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))


def refresh(project: Project, competition: str | None = None) -> None:
    """Make the index agree with the run directories (of one competition, or all of them):
    add runs it lacks, drop runs whose directory is gone, re-read changed files."""
    found = {run_dir.name: run_dir for run_dir in _finished_runs(project, competition)}
    with _connect(project) as db, _transaction(db):
        query = "SELECT run_id, path, record_mtime_ns, submissions_mtime_ns FROM runs"
        rows = (
            db.execute(query + " WHERE competition = ?", (competition,))
            if competition
            else db.execute(query)
        ).fetchall()
        known = {row[0]: row[1:] for row in rows}
        for run_id in known.keys() - found.keys():
            db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        for run_id, run_dir in found.items():
            seen = known.get(run_id)
            current = (_relative(project, run_dir), *_mtimes(run_dir))
            if seen is None or tuple(seen) != current:
                _write_run(db, project, run_dir)


def rebuild(project: Project) -> int:
    """Delete the index and make it again from the run directories; the number of runs."""
    _delete(index_path(project))
    refresh(project)
    return len(runs(project, refreshed=True))


def runs(
    project: Project, competition: str | None = None, *, refreshed: bool = False
) -> list[IndexedRun]:
    """Finished runs (of one competition), oldest first, each with its submissions."""
    if not refreshed:
        refresh(project, competition)
    columns = [f.name for f in dataclasses.fields(IndexedRun) if f.name != "submissions"]
    with _connect(project) as db:
        where, args = ("WHERE competition = ?", (competition,)) if competition else ("", ())
        found = db.execute(
            f"SELECT {', '.join(columns)} FROM runs {where} ORDER BY created_at, run_id", args
        ).fetchall()
        submitted: dict[str, list[IndexedSubmission]] = {}
        for row in db.execute("SELECT * FROM submissions ORDER BY submitted_at, ref"):
            entry = IndexedSubmission(*row)
            submitted.setdefault(entry.run_id, []).append(entry)
    listed = []
    for row in found:
        values = dict(zip(columns, row, strict=True))
        values["greater_is_better"] = bool(values["greater_is_better"])
        values["path"] = project.root / values["path"]
        listed.append(IndexedRun(**values, submissions=tuple(submitted.get(values["run_id"], ()))))
    return listed


def _finished_runs(project: Project, competition: str | None) -> list[Path]:
    base = project.root / "runs"
    pattern = f"{competition}/*/{RECORD_FILE}" if competition else f"*/*/{RECORD_FILE}"
    return sorted(
        path.parent for path in base.glob(pattern) if not path.parent.name.startswith(".")
    )


def _relative(project: Project, run_dir: Path) -> str:
    run_dir = run_dir.resolve()
    root = project.root.resolve()
    return str(run_dir.relative_to(root)) if run_dir.is_relative_to(root) else str(run_dir)


def _mtimes(run_dir: Path) -> tuple[int, int]:
    record = (run_dir / RECORD_FILE).stat().st_mtime_ns
    submissions = run_dir / SUBMISSIONS_FILE
    return record, submissions.stat().st_mtime_ns if submissions.is_file() else 0


def _write_run(db: sqlite3.Connection, project: Project, run_dir: Path) -> None:
    record = read_record(run_dir)
    entries = read_submissions(run_dir).submissions
    record_mtime, submissions_mtime = _mtimes(run_dir)
    db.execute("DELETE FROM runs WHERE run_id = ?", (record.run_id,))
    db.execute(
        "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            record.run_id,
            record.competition,
            record.config_name,
            record.task,
            record.model,
            record.metric.name,
            int(record.metric.greater_is_better),
            record.cv.scheme,
            record.cv.folds,
            record.cv.repeats,
            record.seed,
            record.summary.valid_mean,
            record.summary.valid_std,
            record.summary.oof_score,
            record.timings.total_seconds,
            record.created_at,
            folds_digest(run_dir),
            _relative(project, run_dir),
            record_mtime,
            submissions_mtime,
        ),
    )
    db.executemany(
        "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                record.run_id,
                e.ref,
                e.submitted_at,
                e.message,
                e.file_sha256,
                e.status,
                e.public_score,
                e.private_score,
                e.error,
            )
            for e in entries
        ],
    )


@contextlib.contextmanager
def _connect(project: Project) -> Iterator[sqlite3.Connection]:
    """A connection to the index, made (or made again, if unreadable) as needed."""
    path = index_path(project)
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = _open(path)
        except sqlite3.DatabaseError:  # not a database (truncated, foreign): it is a cache
            _delete(path)
            db = _open(path)
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UserError(
            f"cannot open the run index: {reason}",
            where=str(path),
            hint="make runs/ writable (and move away anything else named index.sqlite); "
            "`workbench index --rebuild` makes the index again",
        ) from None
    try:
        yield db
    finally:
        db.close()


def _delete(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):  # written by another version: start afresh
            db.executescript("DROP TABLE IF EXISTS submissions; DROP TABLE IF EXISTS runs;")
        db.executescript(_SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``) so writers queue, not fail."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
