"""Finished quick runs for the blend tests: made once per test session in a synthetic project
of their own, then copied into the project a test works in."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from quick_runs import project_at, quick_run
from synthetic import LOGISTIC_BINARY, RIDGE_REGRESSION, SPECS, write_competition

BINARY = {**LOGISTIC_BINARY, "cv": {"folds": 3}}
MULTI = {**BINARY, "competition": "synth_multi"}

# name -> (config body, --set overrides): runs of one competition share their folds unless the
# overrides change the seed or the cv settings
RUNS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "logistic": (BINARY, ()),
    "forest": (BINARY, ("model={kind: random_forest, params: {n_estimators: 40}}",)),
    "knn": (BINARY, ("model={kind: knn, params: {n_neighbors: 25}}",)),
    "logistic-seed-7": (BINARY, ("seed=7",)),
    "logistic-roc-auc": (BINARY, ("metric=roc_auc",)),
    "ridge": (RIDGE_REGRESSION, ()),
    "ridge-strong": (RIDGE_REGRESSION, ("model.params.alpha=300",)),
    "lightgbm": (
        RIDGE_REGRESSION,
        ("model={kind: lightgbm, target_transform: log1p, params: {n_estimators: 40}}",),
    ),
    "multi-logistic": (MULTI, ()),
    "multi-forest": (MULTI, ("model={kind: random_forest, params: {n_estimators: 40}}",)),
}

_made: dict[str, Path] = {}


def made(name: str) -> Path:
    """The run directory of run ``name`` (made on first use, in a shared temporary project)."""
    if name not in _made:
        root = _root()
        body, overrides = RUNS[name]
        with project_at(root):
            run_id = quick_run(root, *overrides, body=body, name=name)
        _made[name] = next(root.glob(f"runs/*/{run_id}"))
    return _made[name]


def _root() -> Path:
    if "" not in _made:
        root = Path(tempfile.mkdtemp(prefix="blend-runs-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        for competition in SPECS:
            write_competition(root, competition)
        _made[""] = root
    return _made[""]


def copy_run(project: Path, name: str, *, indexed: bool = True) -> Path:
    """A copy of run ``name`` in ``project``: under ``runs/<competition>/`` with its published
    submission (``indexed``), else in ``project/elsewhere/`` (a run given by its path)."""
    source = made(name)
    if indexed:
        dest = project / "runs" / source.parent.name / source.name
        submission = project / "submissions" / source.parent.name / f"{source.name}.csv"
        submission.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / "submission.csv", submission)
    else:
        dest = project / "elsewhere" / name
    shutil.copytree(source, dest)
    return dest
