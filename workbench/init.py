"""``workbench init COMPETITION``: from a competition's three files to
``competitions/<name>/competition.yaml``, an empty ``features.py`` and a baseline config
``configs/<name>.yaml`` that ``workbench run`` takes as it is.

What is inferred from the data lives in :mod:`workbench.infer`; this module finds the files,
plans the baseline's feature steps, shows the proposal, and writes everything atomically
once it is confirmed. Nothing is written before every check has passed, and nothing that
exists is replaced without ``--force`` (a competition's own ``features.py`` never is).
"""

from __future__ import annotations

import datetime
import filecmp
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from workbench import io
from workbench.competition import CompetitionSpec, Project
from workbench.config import NAME_PATTERN, PATTERN_MEANINGS
from workbench.data import encode_target, read_table
from workbench.errors import UserError
from workbench.infer import (
    LOW_CARDINALITY,
    ColumnKind,
    Overrides,
    Proposal,
    classify_columns,
    propose,
)

KINDS = ("train", "test", "sample_submission")
#: The names Kaggle uses; a file named so wins over other matches of its pattern.
CANONICAL = {"train": "train.csv", "test": "test.csv", "sample_submission": "sample_submission.csv"}
PATTERNS = {
    "train": ("train*",),
    "test": ("test*",),
    "sample_submission": ("sample_submission*", "*submission*"),
}
DATA_SUFFIXES = (".csv", ".csv.gz", ".csv.zip", ".csv.bz2")
#: Below this many rows in its smallest class, a classification baseline skips target encoding.
MIN_CLASS_FOR_TARGET_ENCODING = 10
PROBE_ROWS = 300
FOLDS = 5


@dataclass(frozen=True)
class InitOptions:
    """The command line of ``workbench init``."""

    name: str
    data: Path | None = None
    yes: bool = False
    force: bool = False
    slug: str | None = None
    given: Overrides = field(default_factory=Overrides)


@dataclass(frozen=True)
class PlannedStep:
    """One baseline feature step and the comment that says why it is there."""

    comment: str
    entry: dict[str, Any]


@dataclass
class Plan:
    """Everything ``init`` will write, decided before anything is."""

    name: str
    source: Path
    files: dict[str, Path]
    shape: dict[str, tuple[int, int]]
    proposal: Proposal
    columns: list[ColumnKind]
    steps: list[PlannedStep]
    cv: dict[str, Any]
    texts: dict[Path, str] = field(default_factory=dict)  # competition.yaml, features.py, config
    copies: list[tuple[Path, Path]] = field(default_factory=list)  # data files to link/copy


def check_name(name: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name):
        raise UserError(
            f"competition {name!r}: {PATTERN_MEANINGS[NAME_PATTERN]}",
            where="COMPETITION",
            hint="e.g. workbench init spaceship-titanic",
        )


def locate_data(
    project: Project, name: str, data: Path | None, slug: str, out: Callable[[str], None]
) -> Path:
    """The folder holding the files: ``--data``, else ``competitions/<name>/data/``, else a
    fresh Kaggle download into it when the workbench has the Kaggle loop."""
    if data is not None:
        if not data.is_dir():
            raise UserError(
                f"not a folder: {data}",
                where="--data",
                hint="give the folder holding the train, test and sample submission CSVs",
            )
        return data
    own = project.competition_dir(name) / "data"
    if own.is_dir():
        return own
    download = _kaggle_download()
    hint = (
        f"give the folder holding train, test and sample submission CSVs with --data DIR, "
        f"or download them first with `workbench download {name}`"
    )
    if download is None:
        raise UserError(
            f"no data for competition {name!r}: {own} does not exist", where="--data", hint=hint
        )
    try:
        download(slug, own, out)
    except UserError as exc:
        raise UserError(
            f"no data for competition {name!r} ({own} does not exist), and the Kaggle download "
            f"of '{slug}' failed: {exc}",
            where="--data",
            hint="give the folder holding the CSVs with --data DIR (or --slug, if the Kaggle "
            "slug is not the name)",
        ) from None
    return own


def _kaggle_download() -> Callable[[str, Path, Callable[[str], None]], None] | None:
    """Fetch and unzip a competition's files into a folder, when the Kaggle loop exists (its
    ``workbench download`` needs a competition.yaml, which init is about to write)."""
    if importlib.util.find_spec("workbench.kaggle_loop") is None:
        return None
    return _download_into


def _download_into(slug: str, data_dir: Path, out: Callable[[str], None]) -> None:
    """The archive goes to a scratch folder beside ``data_dir``, is checked and unzipped there
    (:func:`workbench.kaggle_loop.extract_zip`), then each file is renamed into place."""
    from workbench import kaggle_api
    from workbench.kaggle_loop import extract_zip

    credentials = kaggle_api.require_credentials()
    for text in credentials.notes:
        out(f"warning: {text}")
    created = not data_dir.parent.exists()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=data_dir.parent))
    try:
        out(f"downloading the files of Kaggle competition '{slug}' ...")
        archive = kaggle_api.download(slug, scratch / "archive", force=True)
        members = extract_zip(archive, scratch / "files")
        for member in members:
            target = data_dir.joinpath(*member.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch / "files" / Path(*member.parts), target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if created and not data_dir.exists():  # a failed download leaves no empty folder
            shutil.rmtree(data_dir.parent, ignore_errors=True)


def find_files(directory: Path) -> dict[str, Path]:
    """train*.csv, test*.csv and the sample submission in ``directory``: Kaggle's own name
    wins; otherwise exactly one file must match."""
    names = sorted(p.name for p in directory.iterdir() if p.is_file())
    data = [n for n in names if n.lower().endswith(DATA_SUFFIXES)]
    found: dict[str, Path] = {}
    for kind in KINDS:
        if CANONICAL[kind] in data:
            found[kind] = directory / CANONICAL[kind]
            continue
        taken = set(p.name for p in found.values())
        matches = [
            n
            for pattern in PATTERNS[kind]
            for n in data
            if Path(n.lower()).match(pattern + ".csv*") and n not in taken
        ]
        matches = list(dict.fromkeys(matches))
        if kind == "test":
            matches = [n for n in matches if "submission" not in n.lower()]
        shown = f"{PATTERNS[kind][0]}.csv"
        if not matches:
            raise UserError(
                f"no {kind.replace('_', ' ')} file ({shown}) in {directory}",
                where="--data",
                hint=f"files there: {', '.join(names[:12]) or 'none'}",
            )
        if len(matches) > 1:
            raise UserError(
                f"several {kind.replace('_', ' ')} files in {directory}: {', '.join(matches)}",
                where="--data",
                hint="put the three files you mean in a folder of their own (or name them "
                f"{CANONICAL[kind]}) and pass it with --data",
            )
        found[kind] = directory / matches[0]
    return found


def make_plan(project: Project, options: InitOptions, out: Callable[[str], None] = print) -> Plan:
    """Read the files, infer, plan the baseline and render every file; writes nothing (a
    competition without files gets them from Kaggle first, when it can)."""
    check_name(options.name)
    slug = options.slug or options.name
    source = locate_data(project, options.name, options.data, slug, out)
    files = find_files(source)
    train, test, sample = (read_table(files[kind]) for kind in KINDS)
    proposal = propose(train, test, sample, options.given)
    id_column, target = proposal.id_column.value, proposal.target.value
    features = train.drop(columns=[target]).set_index(id_column, drop=True)
    columns = classify_columns(features)
    task = proposal.task.value
    counts = train[target].value_counts() if task != "regression" else pd.Series(dtype=int)
    smallest = int(counts.min()) if len(counts) else 0
    rich = task == "regression" or smallest >= MIN_CLASS_FOR_TARGET_ENCODING
    steps = plan_features(columns, task=task, target_encode=rich)
    steps = check_steps(steps, features, train[target], task, options.name, project)
    plan = Plan(
        name=options.name,
        source=source,
        files=files,
        shape={"train": train.shape, "test": test.shape, "sample_submission": sample.shape},
        proposal=proposal,
        columns=columns,
        steps=steps,
        cv=cv_scheme(task, smallest),
    )
    directory = project.competition_dir(options.name)
    if source.resolve() != (directory / "data").resolve():
        plan.copies = [(path, directory / "data" / path.name) for path in files.values()]
    spec_text = competition_text(plan, slug)
    _check_submission(spec_text, sample, proposal.classes, files["sample_submission"])
    plan.texts = {
        directory / "competition.yaml": spec_text,
        directory / "features.py": features_text(options.name),
        project.root / "configs" / f"{options.name}.yaml": config_text(plan),
    }
    return plan


def _check_submission(spec_text: str, sample: pd.DataFrame, classes: list, path: Path) -> None:
    """The submission writer's own check that predictions fit the sample (label dtype and
    spelling, class columns), when it has one: a run must not learn it after its CV."""
    from workbench import submission

    check = getattr(submission, "check_submission_format", None)
    if check is not None:
        spec = CompetitionSpec.model_validate(yaml.safe_load(spec_text))
        check(spec, sample, classes, where=str(path))


def available_steps() -> set[str]:
    """Generic steps registered now (``datetime_parts`` and ``text_stats`` may not be)."""
    from workbench.features.registry import STEPS

    return set(STEPS)


def plan_features(
    columns: list[ColumnKind], *, task: str, target_encode: bool
) -> list[PlannedStep]:
    """Type-aware steps for LightGBM: numbers as they are (it takes NaN), yes/no columns as
    1/0, few-level categories as integer codes, many-level ones by frequency (and cross-fitted
    target mean), dates and text through their steps when registered, id-like columns dropped.
    """
    by_kind: dict[str, list[str]] = {}
    for column in columns:
        by_kind.setdefault(column.kind, []).append(column.name)
    steps_now = available_steps()
    steps: list[PlannedStep] = []

    def add(kind: str, comment: str, step: str, **params: Any) -> None:
        if by_kind.get(kind):
            entry = {"step": step, "columns": by_kind[kind], **params}
            steps.append(PlannedStep(comment, entry))

    add("id_like", "id-like (a different value in every row): says nothing about new rows", "drop")
    add("constant", "constant (one value in every training row): nothing to learn", "drop")
    for kind, step, what in (
        ("datetime", "datetime_parts", "dates: year, month, day, day of week (and hour)"),
        ("text", "text_stats", "free text: length and word count"),
        ("boolean", "boolean", "yes/no columns: 1/0 (missing stays missing)"),
    ):
        if step in steps_now:
            add(kind, what, step)
        elif kind == "boolean":
            add(kind, "yes/no columns: integer codes (missing: -1)", "ordinal")
        else:
            add(kind, f"{what.split(':')[0]}: dropped (no {step} step here)", "drop")
    add(
        "categorical",
        f"categories with <= {LOW_CARDINALITY} levels: integer codes (unseen, missing: -1)",
        "ordinal",
    )
    add(
        "high_cardinality",
        "many-level categories: the share of rows with the value",
        "frequency_encode",
    )
    if target_encode:
        add(
            "high_cardinality",
            "... and the target's mean per value, cross-fitted on the fold's training rows "
            "(replaces the column)",
            "target_encode",
            # a whole-number target (prices) would be read as classes by target_type: auto
            **({"target_type": "continuous"} if task == "regression" else {}),
        )
    else:
        add("high_cardinality", "... then dropped (a class is too rare to target-encode)", "drop")
    return steps


#: Steps whose reading of a column may differ from init's guess: refused, the column is dropped.
SOFT_STEPS = ("datetime_parts", "text_stats", "boolean")


def check_steps(
    steps: list[PlannedStep],
    features: pd.DataFrame,
    y: pd.Series,
    task: str,
    name: str,
    project: Project,
) -> list[PlannedStep]:
    """Fit the planned steps one by one on a sample of training rows, so the config runs as
    written: a date/text/yes-no step that refuses its columns becomes a ``drop`` of them, and
    text that the steps leave behind gets a final ``drop`` (the model takes numbers only)."""
    from workbench.features.registry import build_pipeline

    frame = features.head(PROBE_ROWS)
    encoded, _ = encode_target(y.head(PROBE_ROWS), task)
    target = pd.Series(encoded, index=frame.index)

    def fit(step: PlannedStep, frame: pd.DataFrame) -> pd.DataFrame:
        pipeline = build_pipeline(
            [step.entry],
            competition=name,
            competition_dir=project.competition_dir(name),
            seed=42,
        )
        with warnings.catch_warnings():  # a 300-row sample's tiny classes are not the data's
            warnings.simplefilter("ignore")
            return pipeline.fit_transform(frame, target)[0]

    checked = []
    for step in steps:
        try:
            out = fit(step, frame)
        except UserError as exc:
            if step.entry["step"] not in SOFT_STEPS:
                raise
            why = f"{step.comment.split(':')[0]}: dropped ({exc.message})"
            step = PlannedStep(why, {"step": "drop", "columns": step.entry["columns"]})
            out = fit(step, frame)
        checked.append(step)
        frame = out
    left = [
        str(c)
        for c in frame.columns
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    ]
    if left:
        what = "text the steps above leave as it is: dropped"
        checked.append(PlannedStep(what, {"step": "drop", "columns": left}))
    return checked


def cv_scheme(task: str, smallest_class: int) -> dict[str, Any]:
    """Stratified k-fold for classification (as many folds as the rarest class allows),
    k-fold for regression."""
    if task == "regression":
        return {"scheme": "kfold", "folds": FOLDS}
    if smallest_class < 2:
        return {"scheme": "kfold", "folds": FOLDS}
    return {"scheme": "stratified_kfold", "folds": min(FOLDS, smallest_class)}


def _flow(value: Any, indent: int = 0) -> str:
    """``value`` in YAML's flow style, quoted where YAML needs it; a long one wrapped at 100
    characters, its further lines indented by ``indent`` + 2."""
    text = yaml.safe_dump(value, default_flow_style=True, width=96 - indent, sort_keys=False)
    lines = text.removesuffix("\n").removesuffix("\n...").strip().splitlines()
    return f"\n{' ' * (indent + 2)}".join(line.strip() for line in lines)


def competition_text(plan: Plan, slug: str) -> str:
    """``competition.yaml`` with the reason of each inferred value as a comment."""
    p = plan.proposal
    spec = {
        "name": plan.name,
        "slug": slug,
        "title": "",
        "task": p.task.value,
        "target": p.target.value,
        "id_column": p.id_column.value,
        "metric": p.metric.value,
        "files": {kind: plan.files[kind].name for kind in KINDS},
        "submission": {"prediction": p.prediction.value},
    }
    CompetitionSpec.model_validate(spec)
    reasons = {
        "slug": "Kaggle competition slug",
        "task": p.task.reason,
        "target": p.target.reason,
        "id_column": p.id_column.reason,
        "metric": p.metric.reason,
        "submission": p.prediction.reason,
    }
    lines = [f"# written by `workbench init` on {datetime.date.today()}; edit freely"]
    for key, value in spec.items():
        line = f"{key}: {_flow(value)}"
        lines.append(f"{line}  # {_one_line(reasons[key])}" if key in reasons else line)
    text = "\n".join(lines) + "\n"
    assert yaml.safe_load(text) == spec
    return text


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def features_text(name: str) -> str:
    """An empty ``features.py`` whose docstring shows how to add a step."""
    return f'''"""Feature steps of {name}: name them in a config as ``{name}.<step>``.

A function marked ``@feature`` is a stateless step: ``f(frame, **params) -> frame``, row by
row, so it cannot leak. A :class:`workbench.features.base.Step` subclass marked ``@feature``
learns in ``fit`` from the fold's training rows only. The docstring's first line describes
the step. For example::

    import numpy as np
    import pandas as pd

    from workbench.features.base import feature


    @feature
    def ratio(frame: pd.DataFrame, numerator: str = "a", denominator: str = "b") -> pd.DataFrame:
        "numerator / denominator, missing where the denominator is 0."
        out = frame.copy()
        out["ratio"] = out[numerator] / out[denominator].replace(0, np.nan)
        return out

then add it to ``features:`` in configs/{name}.yaml, before the encoding steps::

    - {{step: {name}.ratio, numerator: a, denominator: b}}
"""
'''


def config_text(plan: Plan) -> str:
    """The baseline config, each step with the comment that says why."""
    p = plan.proposal
    numeric = [c.name for c in plan.columns if c.kind == "numeric"]
    rows, cols = plan.shape["train"]
    log_metric = p.metric.value in ("rmse_log", "rmsle")
    lines = [
        f"# {plan.name}: a LightGBM baseline written by `workbench init` on "
        f"{datetime.date.today()} from {plan.files['train'].name} ({rows} rows, {cols} columns).",
        f"# Run it as it is: workbench run configs/{plan.name}.yaml",
        f"competition: {plan.name}",
        "name: baseline",
        "seed: 42",
        f"# {p.id_column.value!s} (the id) indexes the rows and is never a feature. "
        f"{len(numeric)} numeric column(s)",
        "# go in as they are: LightGBM splits on raw numbers and takes missing values itself.",
    ]
    if plan.steps:
        lines.append("features:")
        for step in plan.steps:
            lines += [f"  # {_one_line(step.comment)}", f"  - {_flow(step.entry, 2)}"]
    else:
        lines.append("features: []")
    cv_why = "every fold keeps the class shares" if plan.cv["scheme"] != "kfold" else "shuffled"
    lines += [
        f"cv: {_flow(plan.cv)}  # {cv_why}",
        "model:",
        "  kind: lightgbm",
        "  params: {n_estimators: 2000, learning_rate: 0.03}",
        "  # stops adding trees once a 15% slice of each fold's training rows stops improving",
        "  # (the fold's validation rows stay unseen, so the CV score stays honest)",
        "  early_stopping: {rounds: 100, validation: inner, inner_fraction: 0.15}",
    ]
    if log_metric:
        lines.append("  target_transform: log1p  # learn log(1 + y): the scale the metric compares")
    lines.append("report: {enabled: true}")
    text = "\n".join(lines) + "\n"
    from workbench.config import validate

    data = yaml.safe_load(text)
    if data["features"] != [step.entry for step in plan.steps]:
        raise RuntimeError(f"the config's features do not read back as written:\n{text}")
    validate(data, source=f"configs/{plan.name}.yaml")
    return text


def conflicts(plan: Plan, force: bool) -> None:
    """Refuse to replace an existing spec, config or different data file without ``--force``."""
    if force:
        return
    taken = [path for path in plan.texts if path.exists() and path.name != "features.py"]
    differing = [dst for src, dst in plan.copies if dst.exists() and not _same(src, dst)]
    if taken or differing:
        shown = ", ".join(str(p) for p in [*taken, *differing])
        raise UserError(
            f"already there: {shown}",
            where="init",
            hint="--force replaces them (the competition's features.py is always kept)",
        )


def _same(source: Path, target: Path) -> bool:
    return target.samefile(source) or filecmp.cmp(source, target, shallow=False)


def describe(plan: Plan, root: Path) -> list[str]:
    """The proposal, as lines for the terminal: each value, why, and the flag to change it."""
    p = plan.proposal
    rows = [
        ("id column", p.id_column, "--id"),
        ("target", p.target, "--target"),
        ("task", p.task, "--task"),
        ("submission", p.prediction, "--prediction"),
        ("metric", p.metric, "--metric"),
    ]
    (n, m), (t, _), (s, _) = (plan.shape[k] for k in KINDS)
    lines = [
        f"workbench init {plan.name}: {_shown(plan.source, root)}",
        f"  {plan.files['train'].name} ({n} rows, {m} columns), {plan.files['test'].name} "
        f"({t} rows), {plan.files['sample_submission'].name} ({s} rows)",
        "",
    ]
    width = max(len(str(choice.value)) for _, choice, _ in rows)
    for label, choice, flag in rows:
        lines.append(f"  {label:<11} {choice.value!s:<{width}}  {choice.reason}  [{flag}]")
    numeric = [c.name for c in plan.columns if c.kind == "numeric"]
    lines += [
        "",
        "  baseline: LightGBM, early stopping on an inner slice, "
        f"{plan.cv['scheme']} ({plan.cv['folds']} folds), seed 42",
    ]
    if numeric:
        lines.append(f"    as they are: {_short(numeric)}")
    for step in plan.steps:
        lines.append(f"    {step.entry['step']}: {_short(step.entry['columns'])}")
    written = [_shown(path, root) for path in plan.texts]
    lines += ["", f"  writes: {', '.join(written)}"]
    if plan.copies:
        target = _shown(plan.copies[0][1].parent, root)
        lines.append(f"  copies (links) {len(plan.copies)} data files into {target}/")
    return lines


def _short(names: list, n: int = 8) -> str:
    return ", ".join(map(str, names[:n])) + (f", ... ({len(names)})" if len(names) > n else "")


def _shown(path: Path, root: Path) -> str:
    return Project(root).shown(path.resolve() if path.exists() else path)


def confirmed(yes: bool) -> bool:
    """``--yes``, or a y/n answer on a terminal; without a terminal the proposal stands
    unconfirmed (a script must say --yes)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UserError(
            "not written: the proposal above needs confirmation, and stdin is not a terminal",
            where="init",
            hint="rerun with --yes to accept it, or with --id/--target/--task/--prediction/"
            "--metric to change it",
        )
    answer = input("Write these files? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def write(plan: Plan, root: Path, force: bool, out: Callable[[str], None]) -> None:
    """Data files first (linked, else copied, atomically), then spec, features.py, config."""
    for source, target in plan.copies:
        if target.exists() and _same(source, target):
            continue
        io.link_or_copy(source, target)
        out(f"copied {_shown(source, root)} -> {_shown(target, root)}")
    for path, text in plan.texts.items():
        if path.name == "features.py" and path.exists():
            out(f"kept {_shown(path, root)} (yours)")
            continue
        existed = path.exists()
        io.write_text(path, text)
        out(f"{'replaced' if existed and force else 'wrote'} {_shown(path, root)}")


def init_competition(
    options: InitOptions,
    *,
    out: Callable[[str], None] = print,
) -> int:
    """The whole command: plan, check, show, confirm, write. 0 written, 1 declined."""
    project = Project.find()
    plan = make_plan(project, options, out)
    conflicts(plan, options.force)
    for line in describe(plan, project.root):
        out(line)
    if not confirmed(options.yes):
        out("nothing written")
        return 1
    write(plan, project.root, options.force, out)
    out(f"next: workbench run configs/{plan.name}.yaml")
    return 0
