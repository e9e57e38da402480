"""Real quick runs for the tests of commands that read finished runs (leaderboard, compare,
the report's best earlier run): made once per test module, copied into each test's project."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from synthetic import LOGISTIC_BINARY, SPECS, write_competition, write_config

from workbench.cli import main
from workbench.record import SubmissionEntry, record_submission
from workbench.runindex import IndexedRun, IndexedSubmission


def quick_run(root: Path, *overrides: str, body: dict | None = None, name: str = "base") -> str:
    """One ``workbench run`` of a small config (logistic on synth_binary unless ``body`` says
    otherwise) with ``--set`` overrides; the run id."""
    path = write_config(root, name, body or LOGISTIC_BINARY)
    sets = [arg for value in overrides for arg in ("--set", value)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", str(path), "--quiet", *sets])
    assert code == 0, f"run {overrides} failed"
    return out.getvalue().strip()


def submit(root: Path, competition: str, run_id: str, public: float, ref: int) -> None:
    """Record a scored Kaggle submission on a run, as `workbench submit --wait` would."""
    record_submission(
        root / "runs" / competition / run_id,
        SubmissionEntry(
            ref=ref,
            submitted_at=f"2026-11-30T10:{ref % 60:02d}:00+00:00",
            file_sha256="ab" * 32,
            status="complete",
            public_score=public,
        ),
    )


@contextlib.contextmanager
def project_at(root: Path) -> Iterator[None]:
    """Make ``root`` the workbench project (like the ``project`` fixture) for a while."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_ROOT", str(root))
        patch.chdir(root)
        yield


def built_once(
    factory: pytest.TempPathFactory, name: str, make: Callable[[Path], list[str]]
) -> tuple[Path, list[str]]:
    """A synthetic project in which ``make(root)`` made runs (returning their ids)."""
    root = factory.mktemp(name)
    for competition in SPECS:
        write_competition(root, competition)
    with project_at(root):
        ids = make(root)
    return root, ids


def copy_project(source: Path, dest: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a built project, made the current one for the test."""
    shutil.copytree(source, dest, symlinks=True)
    monkeypatch.setenv("WORKBENCH_ROOT", str(dest))
    monkeypatch.chdir(dest)
    return dest


def indexed_row(run_id: str, metric: str, cv: float, public: float | None = None) -> IndexedRun:
    """An index row made up for tests of the order, created at 0<last digit of the id>:00."""
    greater = metric not in ("rmse", "mae", "log_loss")
    created = f"2026-11-30T0{run_id[-1]}:00:00+00:00"
    submissions = (
        ()
        if public is None
        else (IndexedSubmission(run_id, 1, created, "", "ab", "complete", public, None, None),)
    )
    return IndexedRun(
        run_id=run_id,
        competition="c",
        config_name="cfg",
        task="binary",
        model="logistic",
        metric=metric,
        greater_is_better=greater,
        cv_scheme="kfold",
        folds=5,
        repeats=1,
        seed=0,
        cv_mean=cv,
        cv_std=0.01,
        oof_score=cv,
        total_seconds=1.0,
        created_at=created,
        folds_sha256=None,
        path=Path(run_id),
        submissions=submissions,
    )
