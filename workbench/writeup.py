"""``workbench writeup COMPETITION``: the facts of a write-up, gathered from the run files.

Every number comes from a run directory or the run index: the competition's finished runs
(:func:`workbench.leaderboard.build`), the final run's record, config, data profile and
figures, ``tuning.json`` of tuned runs, ``blend.json`` of a blend, and ``drift.json`` when
``workbench drift`` has written one. :mod:`workbench.writeup_render` turns them into
``competitions/<name>/WRITEUP.md`` and its HTML twin.

The final run is the leaderboard's first: the best CV score in the competition's metric
(ties: the older run). What did not help are the runs of that metric that scored worse, each
compared with the final run by :func:`workbench.compare.compare_runs`. The command that makes
the final run again is its config file in ``configs/`` with the ``--set`` overrides that
resolve to exactly its config (checked), or for a blend, its members' commands and the blend.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench import leaderboard
from workbench.compare import Comparison, compare_runs, load
from workbench.competition import Competition, Project, load_competition
from workbench.config import load_config, to_dict
from workbench.configdiff import diff, show
from workbench.errors import UserError
from workbench.record import RECORD_FILE
from workbench.report.run import Run, load_run
from workbench.report.sections import feature_steps
from workbench.runindex import IndexedRun

COMMAND = ("python", "-m", "workbench")
BLEND_FILE = "blend.json"  # workbench.blend.BLEND_FILE (not imported: it loads the engine)
NOTES_FILE = "notes.md"
WORSE_SHOWN = 12  # runs listed under "what did not help"


@dataclass(frozen=True)
class Step:
    """One feature step of the final config, with its one-line description."""

    name: str
    params: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Features:
    """The feature steps of one config: the final run's, or each member's of a blend."""

    run_id: str
    config: dict[str, Any]  # the run's resolved config
    steps: list[Step]

    @property
    def name(self) -> str:
        return str(self.config.get("name", ""))

    @property
    def description(self) -> str:
        return str(self.config.get("description") or "").strip()

    @property
    def model(self) -> str:
        model = self.config.get("model")
        return str(model.get("kind", "")) if isinstance(model, dict) else ""


@dataclass(frozen=True)
class Facts:
    """Everything a write-up says, read from the run files."""

    project: Project
    competition: Competition
    board: leaderboard.Leaderboard
    final: Run
    final_row: IndexedRun
    features: list[Features]
    tuned: list[tuple[IndexedRun, dict[str, Any]]]
    worse: list[Comparison]
    worse_total: int
    reproduce: list[str]
    blend: dict[str, Any] | None
    drift: list[tuple[str, dict[str, Any]]]
    notes: str | None


def gather(project: Project, name: str) -> Facts:
    """The facts of ``name``'s write-up; :class:`UserError` without a finished run."""
    competition = load_competition(name, project)
    runs_dir = project.runs_dir(name)
    if not any(p.is_file() for p in runs_dir.glob(f"[!.]*/{RECORD_FILE}")):
        raise UserError(  # checked before the run index is opened: nothing is written
            f"no finished runs of {name!r} yet",
            where=project.shown(runs_dir),
            hint="`workbench run CONFIG` makes one; the write-up is made from finished runs",
        )
    board = leaderboard.build(project, name)
    scored = [r for r in board.runs if r.metric == board.metric]
    if not scored:
        raise UserError(
            f"no finished run of {name!r} is scored with its metric {board.metric!r}",
            where=project.shown(runs_dir),
            hint=f"run a config with --set metric={board.metric}",
        )
    final_row = scored[0]
    final = load_run(final_row.path)
    worse = [r for r in scored if _worse(r, final_row)]
    blend = _read_json(final.path / BLEND_FILE)
    return Facts(
        project=project,
        competition=competition,
        board=board,
        final=final,
        final_row=final_row,
        features=features_of(final, blend, competition),
        tuned=[(r, t) for r in board.runs if (t := _read_json(r.path / "tuning.json"))],
        worse=[compare_runs(final.path, r.path) for r in worse[:WORSE_SHOWN]],
        worse_total=len(worse),
        reproduce=reproduce(project, competition, final),
        blend=blend,
        drift=drift_results(project, name, final),
        notes=_read_text(competition.directory / NOTES_FILE),
    )


def _worse(run: IndexedRun, final: IndexedRun) -> bool:
    if run.greater_is_better:
        return run.cv_mean < final.cv_mean
    return run.cv_mean > final.cv_mean


def _read_json(path: Path) -> dict[str, Any] | None:
    """An optional JSON file; ``None`` when absent or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _read_text(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def drift_results(project: Project, name: str, final: Run) -> list[tuple[str, dict[str, Any]]]:
    """``drift.json`` of the final run (``report.drift``) and of ``workbench drift`` runs
    (``runs/<name>/drift/*/``), each with its path as shown."""
    paths = [final.path / "drift.json", *sorted(project.runs_dir(name).glob("drift/*/drift.json"))]
    return [(project.shown(p), data) for p in paths if (data := _read_json(p)) is not None]


def features_of(
    final: Run, blend: dict[str, Any] | None, competition: Competition
) -> list[Features]:
    """The final config's feature steps, or for a blend each member's."""
    configs = [(final.record.run_id, final.config)]
    if blend is not None:
        runs_dir = final.path.parent
        configs = [
            (run_id, load(runs_dir / run_id).config or {})
            for m in blend.get("members") or []
            if ((runs_dir / (run_id := str(m.get("run_id")))) / RECORD_FILE).is_file()
        ]
    return [Features(run_id, config, steps_of(config, competition)) for run_id, config in configs]


def steps_of(config: dict[str, Any], competition: Competition) -> list[Step]:
    """The config's feature steps, each with the first line of its docstring."""
    from workbench.features.base import describe
    from workbench.features.registry import STEPS, load_competition_features, load_step_class

    steps = feature_steps(config)
    own: dict[str, Any] = {}
    if any(name not in STEPS for name, _ in steps):
        own = load_competition_features(competition.spec.name, competition.directory)
    described = []
    for name, params in steps:
        target = load_step_class(name) if name in STEPS else own.get(name)
        described.append(Step(name, params, describe(target) if target is not None else ""))
    return described


def reproduce(project: Project, competition: Competition, run: Run) -> list[str]:
    """The shell lines that make ``run`` again: ``workbench run`` of its config, or for a
    blend each member's run (its id kept in a shell variable) and then the blend."""
    blend = _read_json(run.path / BLEND_FILE)
    if blend is None:
        return [shlex.join(run_command(project, competition, run.path, run.config))]
    lines, refs = [], []
    for i, member in enumerate(blend.get("members") or [], 1):
        run_id = str(member.get("run_id"))
        path = run.path.parent / run_id
        config = load(path).config if (path / RECORD_FILE).is_file() else None
        if config is None or (path / BLEND_FILE).is_file():
            refs.append(shlex.quote(run_id))  # gone, or a blend itself: named as it is
            continue
        command = shlex.join([*run_command(project, competition, path, config), "--quiet"])
        lines.append(f"RUN_{i}=$({command})")
        refs.append(f'"$RUN_{i}"')
    options = ["--method", str(blend.get("method"))]
    if blend.get("meta"):
        options += ["--meta", str(blend["meta"])]
    if run.config.get("name") != f"blend-{blend.get('method')}":
        options += ["--name", str(run.config.get("name"))]
    return [*lines, " ".join([*COMMAND, "blend", *refs, shlex.join(options)])]


def run_command(
    project: Project, competition: Competition, run_dir: Path, config: dict[str, Any]
) -> list[str]:
    """``python -m workbench run`` of the config file that gives ``config`` (with ``--set``
    overrides), else of the run's own ``config.yaml``."""
    path, overrides = config_source(project, competition, config)
    if path is None:
        path = run_dir / "config.yaml"
    sets = [arg for item in overrides for arg in ("--set", item)]
    return [*COMMAND, "run", project.shown(path), *sets]


def config_source(
    project: Project, competition: Competition, config: dict[str, Any]
) -> tuple[Path | None, list[str]]:
    """The config file of ``configs/`` that ``config`` was resolved from, and the overrides
    from it to ``config``; ``(None, [])`` when no file gives it."""
    for path in sorted((project.root / "configs").glob("*.yaml")):
        base = resolved(path, [], competition)
        if base is None or base.get("name") != config.get("name"):
            continue
        for whole in (False, True):
            sets = overrides(base, config, whole=whole)
            if resolved(path, sets, competition) == config:
                return path, sets
    return None, []


def resolved(path: Path, overrides: list[str], competition: Competition) -> dict[str, Any] | None:
    """The resolved config of ``path`` with ``overrides`` as plain data, or ``None`` when it
    is not a valid config of ``competition``."""
    from workbench.prepare import resolve

    try:
        config = load_config(path, overrides)
        if config.competition != competition.spec.name:
            return None
        return to_dict(resolve(config, competition))
    except UserError:
        return None


def overrides(base: dict[str, Any], config: dict[str, Any], *, whole: bool) -> list[str]:
    """``--set`` values that turn ``base`` into ``config``: one per changed key, or the whole
    section where ``--set`` cannot reach a key (removed, or a new list item), or with
    ``whole`` always the whole changed top-level sections."""
    out = []
    for key, value in config.items():
        if base.get(key) == value:
            continue
        changes = diff({key: base.get(key)}, {key: value})
        if whole or any(
            c.kind == "removed" or (c.kind == "added" and "[" in c.key) for c in changes
        ):
            out.append(f"{key}={show(value)}")
        else:
            out += [f"{c.key}={show(c.after)}" for c in changes]
    return out
