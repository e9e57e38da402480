"""Finding existing runs by id or path."""

from __future__ import annotations

from pathlib import Path

from workbench.competition import Project
from workbench.errors import UserError


def find_run(ref: str, project: Project) -> Path:
    """A run directory from a path or a run id (searched under ``runs/*/``)."""
    path = Path(ref)
    if (path / "metrics.json").is_file():
        return path
    matches = sorted(project.root.glob(f"runs/*/{ref}")) if "/" not in ref else []
    matches = [m for m in matches if (m / "metrics.json").is_file()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(
            f"no run {ref!r}", hint=f"run ids are the folder names under {project.root / 'runs'}/*/"
        )
    raise UserError(f"run id {ref!r} is ambiguous: {[str(m) for m in matches]}")
