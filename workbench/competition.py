"""Competition specs (``competitions/<name>/competition.yaml``) and the project layout."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench.config import FILE_PATTERN, NAME_PATTERN, read_yaml, schema_error
from workbench.errors import UserError, did_you_mean
from workbench.tasks import Task


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FilesSpec(_Strict):
    """File names inside ``competitions/<name>/data/`` (plain names: no folders, no ``..``)."""

    train: str = Field("train.csv", pattern=FILE_PATTERN)
    test: str = Field("test.csv", pattern=FILE_PATTERN)
    sample_submission: str = Field("sample_submission.csv", pattern=FILE_PATTERN)


class SubmissionSpec(_Strict):
    """What the submission's prediction column(s) hold.

    ``label``: class labels, spelled and typed as in the sample submission; ``probability``:
    the positive-class probability (binary) or one column per class (multiclass);
    ``value``: regression values.
    """

    prediction: Literal["label", "probability", "value"]


class CompetitionSpec(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    slug: str
    title: str = ""
    task: Task
    target: str
    id_column: str
    metric: str
    files: FilesSpec = FilesSpec()
    submission: SubmissionSpec


@dataclass(frozen=True)
class Project:
    """The folders of a workbench project: competitions/, runs/, submissions/."""

    root: Path

    @property
    def competitions_dir(self) -> Path:
        return self.root / "competitions"

    def competition_dir(self, name: str) -> Path:
        return self.competitions_dir / name

    def runs_dir(self, competition: str) -> Path:
        return self.root / "runs" / competition

    def submissions_dir(self, competition: str) -> Path:
        return self.root / "submissions" / competition

    def shown(self, path: Path) -> str:
        """``path`` as messages show it: relative to the project root when it is inside it."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def check_writable(self, competition: str) -> None:
        """Create ``runs/<competition>/`` and ``submissions/<competition>/`` if needed and make
        sure files can be written there: a run learns it cannot save itself before its first
        fold, not after the whole CV."""
        self.check_folders(self.runs_dir(competition), self.submissions_dir(competition))

    def check_folders(self, *folders: Path) -> None:
        """Create ``folders`` if needed and make sure files can be written in each (a
        :class:`UserError` otherwise), before any work whose result goes there."""
        import tempfile

        for folder in folders:  # all checked before any is made
            blocker = next(
                (p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None
            )
            if blocker is not None:
                raise UserError(
                    f"cannot write here: {blocker} is a file, not a folder",
                    where=str(folder),
                    hint="move that file away, so the workbench can make the folder there",
                )
        for folder in folders:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
                    pass
            except OSError as exc:
                raise UserError(
                    f"cannot write here: {exc.strerror or exc}",
                    where=str(folder),
                    hint="make the folder writable (or free some disk space) and run again",
                ) from None

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project root: ``$WORKBENCH_ROOT``, else the nearest folder above ``start`` (or
        the working directory) that holds ``competitions/``, else the working directory."""
        env = os.environ.get("WORKBENCH_ROOT")
        if env:
            return cls(Path(env).resolve())
        for base in [p for p in (start, Path.cwd()) if p is not None]:
            base = base.resolve()
            for candidate in (base, *base.parents):
                if (candidate / "competitions").is_dir():
                    return cls(candidate)
        return cls(Path.cwd().resolve())


@dataclass(frozen=True)
class Competition:
    spec: CompetitionSpec
    directory: Path

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def file(self, kind: Literal["train", "test", "sample_submission"]) -> Path:
        return self.data_dir / getattr(self.spec.files, kind)


def load_competition(name: str, project: Project) -> Competition:
    """Load and validate ``competitions/<name>/competition.yaml``.

    ``name`` is a plain folder name and the spec's own ``name`` must be that folder's, so
    nothing a competition reads or writes (data, runs, submissions) is outside the project.
    """
    if not re.fullmatch(NAME_PATTERN, name):
        raise UserError(
            f"competition {name!r} is not a plain name",
            where="competition",
            hint="use the folder name under competitions/ (letters, digits, '_' and '-')",
        )
    directory = project.competition_dir(name)
    path = directory / "competition.yaml"
    if not path.is_file():
        known = (
            [p.parent.name for p in project.competitions_dir.glob("*/competition.yaml")]
            if project.competitions_dir.is_dir()
            else []
        )
        raise UserError(
            f"unknown competition {name!r} (no {path})",
            where="competition",
            hint=did_you_mean(name, known) or "create competitions/<name>/competition.yaml",
        )
    data = read_yaml(path)
    try:
        spec = CompetitionSpec.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, str(path), CompetitionSpec) from None
    if spec.name != name:
        raise UserError(
            f"the spec's name {spec.name!r} differs from its folder {name!r}",
            where=f"{path}: name",
            hint=f"write name: {name}",
        )
    return Competition(spec=spec, directory=directory)
