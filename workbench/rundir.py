"""Run directories: built hidden, renamed into place only when complete."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench import interrupts, io
from workbench.errors import UserError

PACKAGES = (
    "workbench",
    "numpy",
    "pandas",
    "polars",
    "scikit-learn",
    "scipy",
    "xgboost",
    "lightgbm",
    "optuna",
    "matplotlib",
    "seaborn",
    "pydantic",
    "pyyaml",
)


def new_run_id(name: str, now: datetime | None = None) -> str:
    """``YYYYmmdd-HHMMSS-<name>-<4 hex>``: sortable by time, unique across processes."""
    now = now or datetime.now(UTC)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:40] or "run"
    return f"{now:%Y%m%d-%H%M%S}-{slug}-{os.urandom(2).hex()}"


SUBMISSION_FILE = "submission.csv"


class RunDirectory:
    """``runs/<competition>/<run_id>/``, written in ``.<run_id>.partial/`` until committed.

    The live run holds an exclusive ``flock`` on its directory from :meth:`create` until its
    commit is done (the kernel drops it when the process dies, even on ``kill -9``), so a
    cleaner that can take that lock knows the directory's owner is dead (:mod:`workbench.runs`).
    Creation, :meth:`commit` and :meth:`abandon` run with SIGINT/SIGTERM/SIGHUP deferred
    (:class:`workbench.interrupts.deferred`): each happens whole or not at all.

    The run's submission is written inside it (``submission.csv``) and published
    (``submissions/<competition>/<run_id>.csv``) by :meth:`commit` once the run is in place:
    a published submission always has its complete run.
    """

    def __init__(self, runs_dir: Path, run_id: str):
        self.runs_dir = runs_dir
        self.run_id = run_id
        self.final_path = runs_dir / run_id
        self.path = runs_dir / f".{run_id}.partial"
        self.committed = False
        self._created = False
        self._fd: int | None = None

    def create(self) -> RunDirectory:
        """Make the hidden directory and lock it, under a shared lock on ``runs_dir``, so a
        cleaner (which holds that lock exclusively) never sees it unlocked."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        with interrupts.deferred(), locked(self.runs_dir, fcntl.LOCK_SH):
            self.path.mkdir(exist_ok=False)
            self._created = True
            self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def file(self, name: str) -> Path:
        return self.path / name

    def commit(self, submission: Path | None = None) -> Path:
        """Rename the finished run into place (it appears complete or not at all), then
        publish its ``submission.csv`` as ``submission``; no signal stops between the two."""
        with interrupts.deferred():
            os.rename(self.path, self.final_path)
            self.path = self.final_path
            self.committed = True
            _committed.append(self)
            try:
                if submission is not None:
                    publish_submission(self.final_path, submission)
            except OSError as exc:
                raise UserError(
                    f"the run is complete ({self.final_path}), but its submission could not be "
                    f"published to {submission}: {exc}",
                    hint="fix that, then `workbench clean` publishes it",
                ) from None
            finally:
                self._unlock()
                interrupts.committed()
        return self.final_path

    def abandon(self) -> None:
        """Remove the unfinished run (nothing once it is committed); if that fails, the
        directory stays, dead, for ``workbench clean``."""
        if self.committed or not self._created:
            return
        with interrupts.deferred():
            shutil.rmtree(self.path, ignore_errors=True)
            if self.path.exists():
                _leftovers.append(self.path)
            self._unlock()

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    @contextlib.contextmanager
    def logging(self, earlier: list[str]) -> Iterator[logging.Logger]:
        """Write ``earlier`` log lines to ``run.log``, then send the ``workbench`` logger there
        for the duration of the block."""
        path = self.file("run.log")
        path.write_text("".join(line + "\n" for line in earlier), encoding="utf-8")
        handler = logging.FileHandler(path, mode="a", encoding="utf-8")
        with _logging_to(handler) as logger:
            yield logger


# What this process did with its runs, for the command line's last word after an interrupt.
_committed: list[RunDirectory] = []
_leftovers: list[Path] = []


def committed_runs() -> list[RunDirectory]:
    """The runs this process committed, oldest first."""
    return list(_committed)


def leftover_runs() -> list[Path]:
    """Unfinished run directories this process failed to remove."""
    return list(_leftovers)


@contextlib.contextmanager
def locked(directory: Path, operation: int) -> Iterator[int]:
    """``flock(operation)`` on ``directory`` itself for the block; yields the descriptor."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, operation)
        yield fd
    finally:
        os.close(fd)


def owner_is_alive(directory: Path) -> bool:
    """Whether a live process holds ``directory``'s lock (a run being written, or committing).

    Probes with a non-blocking exclusive lock, released at once. A directory that vanished
    meanwhile counts as alive (it is not ours to judge)."""
    try:
        with locked(directory, fcntl.LOCK_EX | fcntl.LOCK_NB):
            return False
    except BlockingIOError:
        return True
    except FileNotFoundError:
        return True


def publish_submission(run_path: Path, destination: Path) -> Path | None:
    """Publish the complete run's ``submission.csv`` as ``destination`` (a hard link, else an
    atomic copy): the file appears whole or not at all. None if the run has no submission."""
    source = run_path / SUBMISSION_FILE
    if not source.is_file():
        return None
    return io.link_or_copy(source, destination)


_LOG_FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(message)s")


@contextlib.contextmanager
def _logging_to(handler: logging.Handler) -> Iterator[logging.Logger]:
    """The ``workbench`` logger at INFO, also sent to ``handler``, for the block's duration."""
    logger = logging.getLogger("workbench")
    handler.setFormatter(_LOG_FORMAT)
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(previous)


class LogCapture(logging.Handler):
    """Collects the run's log lines before its directory exists (prepare and CV)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def __enter__(self) -> LogCapture:
        self._context = _logging_to(self)
        self._context.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)


def environment(root: Path) -> dict[str, Any]:
    """Python, platform, package versions, git commit and command line of this run."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    import platform

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "git": git_state(root),
        "command": sys.argv,
    }


def git_state(root: Path) -> dict[str, Any]:
    """The commit checked out at ``root`` and whether the tree has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def write_environment(run: RunDirectory, root: Path) -> None:
    io.write_json(run.file("environment.json"), environment(root))
