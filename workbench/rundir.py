"""Run directories: built hidden, renamed into place only when complete."""

from __future__ import annotations

import contextlib
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

from workbench import io

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


class RunDirectory:
    """``runs/<competition>/<run_id>/``, written in ``.<run_id>.partial/`` until finalised."""

    def __init__(self, runs_dir: Path, run_id: str):
        self.runs_dir = runs_dir
        self.run_id = run_id
        self.final_path = runs_dir / run_id
        self.path = runs_dir / f".{run_id}.partial"

    def create(self) -> RunDirectory:
        self.path.mkdir(parents=True, exist_ok=False)
        return self

    def file(self, name: str) -> Path:
        return self.path / name

    def finalize(self) -> Path:
        """Rename the finished run into place: it appears complete or not at all."""
        os.replace(self.path, self.final_path)
        self.path = self.final_path
        return self.final_path

    def abandon(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    @contextlib.contextmanager
    def logging(self, earlier: list[str]) -> Iterator[logging.Logger]:
        """Write ``earlier`` log lines to ``run.log``, then send the ``workbench`` logger there
        for the duration of the block."""
        path = self.file("run.log")
        path.write_text("".join(line + "\n" for line in earlier), encoding="utf-8")
        handler = logging.FileHandler(path, mode="a", encoding="utf-8")
        with _logging_to(handler) as logger:
            yield logger


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
