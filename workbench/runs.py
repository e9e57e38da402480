"""Existing runs: finding one by id or path, and the leftovers of killed ones.

A run being written lives in ``runs/<competition>/.<run_id>.partial/`` and holds an exclusive
lock on it (:class:`workbench.rundir.RunDirectory`). A ``.partial`` directory whose lock anyone
can take belongs to a process that died without cleaning up (``kill -9``, a crash, a power
cut): :func:`tidy` removes those, and only those, while holding the competition directory's
lock exclusively (a run takes it shared while it creates and locks its directory, so it is
never judged in between). A complete run whose published submission is missing (its process
was killed between the rename and the publication) gets it published again.
"""

from __future__ import annotations

import fcntl
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workbench.competition import Project
from workbench.errors import UserError, did_you_mean
from workbench.record import RECORD_FILE
from workbench.rundir import SUBMISSION_FILE, locked, owner_is_alive, publish_submission

PARTIAL_SUFFIX = ".partial"


def is_partial(path: Path) -> bool:
    """Whether ``path`` names an unfinished run directory (``.<run_id>.partial``)."""
    return path.name.startswith(".") and path.name.endswith(PARTIAL_SUFFIX)


def find_run(ref: str, project: Project) -> Path:
    """A complete run directory from a path or a run id (searched under ``runs/*/``); an
    incomplete one (``.<run_id>.partial``) is refused."""
    path = Path(ref)
    if is_partial(path) and path.is_dir():
        raise incomplete_run(path)
    if (path / RECORD_FILE).is_file():
        return path
    matches: list[Path] = []
    partials: list[Path] = []
    if "/" not in ref:
        found = sorted(project.root.glob(f"runs/*/{ref}"))
        matches = [m for m in found if not is_partial(m) and (m / RECORD_FILE).is_file()]
        found += sorted(project.root.glob(f"runs/*/.{ref}{PARTIAL_SUFFIX}"))
        partials = [p for p in found if is_partial(p) and p.is_dir()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        if partials:
            raise incomplete_run(partials[0])
        raise UserError(
            f"no run {ref!r}", hint=f"run ids are the folder names under {project.root / 'runs'}/*/"
        )
    raise UserError(f"run id {ref!r} is ambiguous: {[str(m) for m in matches]}")


def incomplete_run(path: Path) -> UserError:
    if owner_is_alive(path):
        return UserError(
            f"{path} is an incomplete run: it is still being written",
            hint="wait until its `workbench run` has finished",
        )
    return UserError(
        f"{path} is an incomplete run: its process was killed before it finished",
        hint=f"`workbench clean {path.parent.name}` removes what killed runs left behind",
    )


@dataclass
class Tidied:
    """What :func:`tidy` found (and, with ``remove=True``, removed)."""

    dead: list[Path] = field(default_factory=list)  # .partial of killed runs
    live: list[Path] = field(default_factory=list)  # .partial of runs in progress, left alone
    restored: list[Path] = field(default_factory=list)  # submissions published again
    failed: list[tuple[Path, str]] = field(default_factory=list)  # could not remove / restore


def competitions_with_runs(project: Project) -> list[str]:
    runs = project.root / "runs"
    if not runs.is_dir():
        return []
    return sorted(p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith("."))


def tidy(project: Project, competitions: list[str], *, remove: bool) -> Tidied:
    """Find the ``.partial`` directories of killed runs (remove them if ``remove``) and publish
    again the missing submissions of complete runs, for each competition's ``runs/`` folder."""
    found = Tidied()
    for competition in competitions:
        runs_dir = project.runs_dir(competition)
        if not runs_dir.is_dir():
            continue
        try:
            with locked(runs_dir, fcntl.LOCK_EX):  # no run is between mkdir and its own lock
                for entry in sorted(runs_dir.iterdir()):
                    if not entry.is_dir() or entry.is_symlink():
                        continue
                    if is_partial(entry):
                        _tidy_partial(entry, found, remove=remove)
                    elif not entry.name.startswith("."):
                        published = project.submissions_dir(competition) / f"{entry.name}.csv"
                        _restore_submission(entry, published, found)
        except OSError as exc:  # e.g. a runs/ folder this user may not read
            found.failed.append((runs_dir, str(exc)))
    return found


def _tidy_partial(path: Path, found: Tidied, *, remove: bool) -> None:
    try:
        with locked(path, fcntl.LOCK_EX | fcntl.LOCK_NB):  # held while removing
            found.dead.append(path)
            if remove:
                shutil.rmtree(path)
    except BlockingIOError:
        found.live.append(path)
    except FileNotFoundError:
        pass  # gone meanwhile (its run failed or was interrupted and removed it)
    except OSError as exc:
        found.failed.append((path, str(exc)))


def _restore_submission(run_dir: Path, published: Path, found: Tidied) -> None:
    if published.exists() or not (run_dir / SUBMISSION_FILE).is_file():
        return
    try:
        with locked(run_dir, fcntl.LOCK_EX | fcntl.LOCK_NB):  # not while it is being committed
            if not published.exists():
                publish_submission(run_dir, published)
                found.restored.append(published)
    except BlockingIOError:
        pass  # its run is committing (or being submitted) right now
    except OSError as exc:
        found.failed.append((published, str(exc)))


def check_competition(project: Project, competition: str) -> None:
    """A competition ``workbench clean`` can be about: one with a runs/ or competitions/ folder."""
    if (
        project.runs_dir(competition).is_dir()
        or (project.root / "competitions" / competition).is_dir()
    ):
        return
    known = set(competitions_with_runs(project))
    competitions = project.root / "competitions"
    if competitions.is_dir():
        known |= {p.name for p in competitions.iterdir() if p.is_dir()}
    raise UserError(f"unknown competition {competition!r}", hint=did_you_mean(competition, known))
