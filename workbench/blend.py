"""``workbench blend RUN... [--method mean|rank|hill_climb|stack]``: a new run from finished runs.

Reads the members' out-of-fold and test predictions (docs/run-directory.md), refuses runs that
cannot be blended (one message naming the runs), cross-validates the blending procedure on the
members' own folds (:func:`workbench.blend_methods.cross_blend`: weights or meta-model fitted on
the other folds' out-of-fold rows), fits the final blender on every out-of-fold row for the test
predictions, and writes the result through :func:`workbench.experiment.write_run`, like any run:
metrics, folds (identical to the members'), OOF and test predictions, report, submission, index
row. ``blend.json`` records the members and what was fitted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from workbench import blend_methods
from workbench.blend_methods import METHODS, Space
from workbench.compare import direction_word, paired_test, verdict
from workbench.competition import Project, load_competition
from workbench.config import ExperimentConfig, validate
from workbench.cv import Fold
from workbench.data import data_digest, fingerprint, load_frames
from workbench.engine import CVResult
from workbench.errors import UserError, did_you_mean
from workbench.experiment import RunResult, write_run
from workbench.prepare import FeatureSpec, Prepared, make_problem
from workbench.record import FoldRecord, RunRecord, read_record
from workbench.rundir import LogCapture
from workbench.runindex import folds_digest
from workbench.runs import find_run
from workbench.tasks import prediction_columns

log = logging.getLogger("workbench")

BLEND_FILE = "blend.json"
PROCEDURE = {
    "fitted": "weights fit on the other folds' out-of-fold predictions; the score is the CV of "
    "the whole blending procedure",
    "stack": "meta-model fit on the other folds' out-of-fold predictions; the score is the CV of "
    "the whole blending procedure",
    "mean": "nothing is fitted (a plain average), scored fold by fold on the members' folds",
    "rank": "ranks taken among the other folds' out-of-fold predictions, scored fold by fold on "
    "the members' folds",
}


@dataclass(frozen=True)
class Member:
    """One finished run to blend: its record, resolved config and predictions."""

    path: Path
    record: RunRecord
    config: dict[str, Any]
    folds: pd.DataFrame  # folds.csv
    oof: np.ndarray  # (repeats, rows) or (repeats, rows, classes)
    test: np.ndarray  # (test rows,) or (test rows, classes)
    test_ids: np.ndarray
    target: np.ndarray  # oof.csv's target, first repeat's rows
    folds_sha256: str

    @property
    def run_id(self) -> str:
        return self.record.run_id


@dataclass(frozen=True)
class BlendOptions:
    method: str = "hill_climb"
    meta: str | None = None  # stack: the meta-model's kind (default ridge / logistic)
    name: str | None = None  # the blend run's config name (default blend-<method>)


@dataclass(frozen=True)
class BlendResult:
    run: RunResult
    members: list[Member]
    best_member: Member


def blend(
    refs: list[str], options: BlendOptions | None = None, *, project: Project | None = None
) -> BlendResult:
    """Blend finished runs (ids or paths) into a new run; :class:`UserError` if they cannot be."""
    options = options or BlendOptions()
    started = time.perf_counter()
    check_options(options, len(refs))
    project = project or Project.find()
    paths = [find_run(ref, project) for ref in refs]
    with LogCapture() as captured:
        members = [load_member(path) for path in paths]
        check_members(members)
        prepared, space = prepare_blend(members, options, project)
        log.info("blend (%s) of %s", options.method, ", ".join(m.run_id for m in members))
        result, final, folds = cross_validate(prepared, members, options, space)
        prepared = with_learned(prepared, members, options, final)
        blend_json = blend_record(members, options, space, final, folds)
        best = best_member(members)
        blend_json["versus_best"] = versus_best(best, result.fold_records)
        run = write_run(
            prepared,
            result,
            log_lines=captured.lines,
            started=started,
            extra_json={BLEND_FILE: blend_json},
        )
    return BlendResult(run=run, members=members, best_member=best)


def check_options(options: BlendOptions, n_runs: int) -> None:
    """The command line itself: a known method, ``--meta`` only for stack, two runs or more."""
    if options.method not in METHODS:
        raise UserError(
            f"unknown blend method {options.method!r}",
            where="--method",
            hint=did_you_mean(options.method, METHODS),
        )
    if options.meta is not None and options.method != "stack":
        raise UserError(
            f"--meta sets the meta-model of --method stack, not of {options.method}",
            where="--meta",
            hint="add --method stack, or leave --meta out",
        )
    if n_runs < 2:
        raise UserError(
            f"a blend needs at least 2 runs, got {n_runs}",
            where="RUN",
            hint="name two or more finished runs of one competition "
            "(`workbench leaderboard <competition>` lists them)",
        )


def load_member(path: Path) -> Member:
    """Read what a blend needs from a finished run directory."""
    record = read_record(path)
    for name in ("config.yaml", "folds.csv", "oof.csv", "test_predictions.csv"):
        if not (path / name).is_file():
            raise UserError(
                f"run {record.run_id} has no {name}: it cannot be blended",
                where=str(path),
                hint="blend complete runs made by `workbench run` (docs/run-directory.md)",
            )
    config = yaml.safe_load((path / "config.yaml").read_text(encoding="utf-8"))
    columns = prediction_columns(record.task, record.classes)
    folds = _read_csv(path, "folds.csv", ["id", "repeat", "fold"])
    oof = _read_csv(path, "oof.csv", ["id", "repeat", "fold", "target", *columns])
    test = _read_csv(path, "test_predictions.csv", ["id", *columns])
    repeats = int(folds["repeat"].nunique())
    values = oof[columns].to_numpy(dtype=float).reshape(repeats, -1, len(columns))
    test_values = test[columns].to_numpy(dtype=float)
    if len(columns) == 1:
        values, test_values = values[..., 0], test_values[:, 0]
    return Member(
        path=path,
        record=record,
        config=config if isinstance(config, dict) else {},
        folds=folds,
        oof=values,
        test=test_values,
        test_ids=test["id"].to_numpy(),
        target=oof["target"].to_numpy()[: values.shape[1]],
        folds_sha256=folds_digest(path) or "",
    )


def _read_csv(path: Path, name: str, required: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path / name)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {name}: {exc}", where=str(path)) from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UserError(f"{name} has no column {missing[0]!r}", where=str(path))
    return frame


def _differ(members: list[Member], what: str, value: Any, hint: str) -> None:
    """Refuse members that disagree on ``value(member)``: one message naming each run's value."""
    values = [value(m) for m in members]
    if all(v == values[0] for v in values):
        return
    shown = "; ".join(f"{m.run_id}: {v}" for m, v in zip(members, values, strict=True))
    raise UserError(f"cannot blend runs with different {what}: {shown}", hint=hint)


def check_members(members: list[Member]) -> None:
    """Runs of one competition, task, classes and metric, scored on the very same folds (equal
    sha256 of folds.csv: the same rows, ids, repeats and fold assignment), each once."""
    seen: set[str] = set()
    for member in members:
        if member.run_id in seen:
            raise UserError(
                f"run {member.run_id} is named twice",
                hint="name each run once (hill_climb weighs members itself)",
            )
        seen.add(member.run_id)
    _differ(
        members,
        "competitions",
        lambda m: m.record.competition,
        "blend runs of one competition (`workbench leaderboard <competition>` lists them)",
    )
    _differ(
        members,
        "tasks or classes",
        lambda m: f"{m.record.task} {m.record.classes}",
        "blend runs made from the same competition spec",
    )
    _differ(
        members,
        "metrics",
        lambda m: m.record.metric.name,
        f"run the others again with --set metric={members[0].record.metric.name}",
    )
    _differ(
        members,
        "folds (sha256 of folds.csv)",
        _folds_text,
        "blend runs scored on the same folds: the same data, cv settings and seed (run the "
        "configs again with --set seed=... and the same cv:)",
    )
    _differ(
        members,
        "test rows (ids of test_predictions.csv)",
        lambda m: hashlib.sha256(np.asarray(m.test_ids).astype(str).tobytes()).hexdigest()[:12],
        "blend runs made on the same test file",
    )


def _folds_text(member: Member) -> str:
    cv = member.record.cv
    return (
        f"{member.folds_sha256[:12]}, {cv.scheme} {cv.folds} folds × {cv.repeats}, "
        f"seed {member.record.seed}, {len(member.folds) // cv.repeats:,} rows"
    )


def prepare_blend(
    members: list[Member], options: BlendOptions, project: Project
) -> tuple[Prepared, Space]:
    """The blend's :class:`Prepared`: the competition and its data as the members saw them, and
    a config naming the method and the members (the fitted weights are added later)."""
    first = members[0]
    competition = load_competition(first.record.competition, project)
    config = blend_config(members, options, {})
    frames = load_frames(competition)
    prints = fingerprint(frames.files)
    problem = make_problem(config, competition, frames, data_digest=data_digest(prints))
    check_data(members, frames.train[competition.spec.id_column].to_numpy(), problem.y)
    if options.method == "rank" and problem.task == "multiclass":
        raise UserError(
            "rank averaging orders the rows by one score; a multiclass prediction has one per "
            "class",
            where="--method",
            hint="use --method mean, hill_climb or stack",
        )
    if options.method == "stack":  # a meta kind the task cannot take fails now, not per fold
        blend_methods.build_meta(
            meta_kind(options, problem.task), problem.task, problem.n_classes, 0
        )
    prepared = Prepared(
        config=config,
        config_path=first.path / "config.yaml",
        project=project,
        competition=competition,
        frames=frames,
        problem=problem,
        features=FeatureSpec.from_config(config, competition),
        fingerprint=prints,
    )
    project.check_writable(competition.spec.name)
    return prepared, Space(problem.task, problem.metric)


def check_data(members: list[Member], ids: np.ndarray, y: np.ndarray) -> None:
    """The members' rows are the competition's training rows as they are now (same ids in the
    same order, same targets): otherwise the data changed since the runs were made."""
    first = members[0]
    run_ids = first.folds.loc[first.folds["repeat"] == first.folds["repeat"].min(), "id"]
    if len(run_ids) != len(ids) or not np.array_equal(run_ids.astype(str), ids.astype(str)):
        raise UserError(
            f"the runs' training rows ({len(run_ids):,}) are not the competition's training "
            f"file's ({len(ids):,} rows, or other ids): the data changed since the runs",
            where=", ".join(m.run_id for m in members),
            hint="run the configs again on the current data, then blend those runs",
        )
    if not np.allclose(first.target.astype(float), y.astype(float), rtol=1e-9, atol=0):
        raise UserError(
            "the runs' targets differ from the training file's: the data changed since the runs",
            where=first.run_id,
            hint="run the configs again on the current data, then blend those runs",
        )


def meta_kind(options: BlendOptions, task: str) -> str:
    return options.meta or blend_methods.DEFAULT_META[task]


def blend_config(
    members: list[Member], options: BlendOptions, learned: dict[str, Any]
) -> ExperimentConfig:
    """The blend's resolved config: the members' competition, metric, seed, CV and prediction
    settings; model ``blend`` with the method, the members and (once fitted) the weights."""
    first = members[0]
    thresholds = {str(m.config.get("predict", {}).get("threshold", 0.5)) for m in members}
    predict = first.config.get("predict", {}) if len(thresholds) == 1 else {}
    params: dict[str, Any] = {"method": options.method}
    if options.method == "stack":
        params["meta"] = meta_kind(options, first.record.task)
    params["members"] = [m.run_id for m in members]
    params.update(learned)
    name = options.name or f"blend-{options.method}"
    procedure = procedure_text(options.method)
    body = {
        "competition": first.record.competition,
        "name": name,
        "description": f"A {options.method} blend of {len(members)} runs: {procedure}.",
        "seed": first.record.seed,
        "metric": first.record.metric.name,
        "features": [],
        "cv": first.config.get("cv", {}),
        "model": {"kind": "blend", "params": params},
        "predict": {"test": "fold_mean", "threshold": predict.get("threshold", 0.5)},
        "report": {"enabled": True, "permutation_importance": False},
    }
    return validate(body, source=f"blend of {first.run_id}, ...")


def procedure_text(method: str) -> str:
    """How the blend's CV score was made, in plain words."""
    return PROCEDURE["fitted" if method == "hill_climb" else method]


def cross_validate(
    prepared: Prepared, members: list[Member], options: BlendOptions, space: Space
) -> tuple[CVResult, blend_methods.Blender, list[blend_methods.FoldBlend]]:
    """The blend's CV on the members' folds, and the final blender (fitted on every OOF row)."""
    problem, config = prepared.problem, prepared.config
    folds = member_folds(members[0])
    preds = space.forward(np.stack([m.oof for m in members]))

    def make() -> blend_methods.Blender:
        return blend_methods.make_blender(
            options.method,
            space,
            meta=meta_kind(options, problem.task),
            n_classes=problem.n_classes,
            seed=config.seed,
        )

    start = time.perf_counter()
    oof, per_fold = blend_methods.cross_blend(make, preds, problem.y, folds)
    final = blend_methods.fit_final(make, preds, problem.y)
    test = space.inverse(final.predict(space.forward(np.stack([m.test for m in members]))))
    records = [
        FoldRecord(
            repeat=f.fold.repeat,
            fold=f.fold.fold,
            n_train=len(f.fold.train),
            n_valid=len(f.fold.valid),
            train_score=f.train_score,
            valid_score=f.valid_score,
            train_rows_scored=len(f.fold.train),
            fit_seconds=round(f.seconds, 4),
            features_seconds=0.0,
        )
        for f in per_fold
    ]
    for r in records:
        log.info(
            "fold %d (repeat %d): fitted on %d OOF rows %.5f  valid %.5f",
            r.fold + 1,
            r.repeat + 1,
            r.n_train,
            r.train_score,
            r.valid_score,
        )
    seconds = time.perf_counter() - start
    result = CVResult(
        folds=folds,
        fold_records=records,
        oof=oof,
        test_pred=test,
        importance=pd.DataFrame(),
        timings={
            "cv_seconds": seconds,
            "features_seconds": 0.0,
            "fit_seconds": float(sum(f.seconds for f in per_fold)),
        },
    )
    return result, final, per_fold


def member_folds(member: Member) -> list[Fold]:
    """The folds of a run, from its folds.csv (positional rows, as the engine numbers them)."""
    folds = []
    table = member.folds
    for repeat in sorted(table["repeat"].unique()):
        assigned = table.loc[table["repeat"] == repeat, "fold"].to_numpy()
        for fold in sorted(np.unique(assigned[assigned >= 0])):
            folds.append(
                Fold(
                    repeat=int(repeat),
                    fold=int(fold),
                    train=np.flatnonzero(assigned != fold),
                    valid=np.flatnonzero(assigned == fold),
                )
            )
    return folds


def final_weights(
    members: list[Member], options: BlendOptions, final: blend_methods.Blender
) -> list[float] | None:
    """One weight per member where the method has them (mean and rank: equal)."""
    if isinstance(final, blend_methods.HillClimb):
        return [round(w, 6) for w in final.weights().tolist()]
    if options.method in ("mean", "rank"):
        return [round(1 / len(members), 6)] * len(members)
    return None


def with_learned(
    prepared: Prepared,
    members: list[Member],
    options: BlendOptions,
    final: blend_methods.Blender,
) -> Prepared:
    """The prepared blend whose config also records the final weights / meta coefficients
    (so ``compare`` shows them in its config diff)."""
    learned = dict(final.learned())
    weights = final_weights(members, options, final)
    if weights is not None:
        learned["weights"] = weights
    learned.pop("meta", None)
    return dataclasses.replace(prepared, config=blend_config(members, options, learned))


def best_member(members: list[Member]) -> Member:
    """The member with the best CV mean (the first of equals)."""
    greater = members[0].record.metric.greater_is_better
    return sorted(
        members,
        key=lambda m: -m.record.summary.valid_mean if greater else m.record.summary.valid_mean,
    )[0]


def blend_record(
    members: list[Member],
    options: BlendOptions,
    space: Space,
    final: blend_methods.Blender,
    per_fold: list[blend_methods.FoldBlend],
) -> dict[str, Any]:
    """``blend.json``: the method, how its score was made, the members with their own CV, the
    final weights / meta-model and what each fold fitted."""
    weights = final_weights(members, options, final)
    return {
        "method": options.method,
        "procedure": procedure_text(options.method),
        "space": space.name,
        "iterations": blend_methods.HILL_CLIMB_ITERATIONS
        if options.method == "hill_climb"
        else None,
        "meta": meta_kind(options, space.task) if options.method == "stack" else None,
        "members": [
            {
                "run_id": m.run_id,
                "config_name": m.record.config_name,
                "model": m.record.model,
                "cv_mean": m.record.summary.valid_mean,
                "cv_std": m.record.summary.valid_std,
                "weight": None if weights is None else weights[i],
            }
            for i, m in enumerate(members)
        ],
        "final": final.learned(),
        "folds": [{"repeat": f.fold.repeat, "fold": f.fold.fold, **f.learned} for f in per_fold],
        "folds_sha256": members[0].folds_sha256,
    }


def versus_best(best: Member, folds: list[FoldRecord]) -> dict[str, Any]:
    """The blend against its best member on their common folds: the difference of the CV means
    and the paired per-fold test of ``compare`` (the corrected resampled t-test)."""
    blended = best.record.model_copy(update={"folds": folds})
    test = paired_test(best.record, blended)
    blend_mean = float(np.mean([f.valid_score for f in folds]))
    return {
        "run_id": best.run_id,
        "config_name": best.record.config_name,
        "cv_mean": best.record.summary.valid_mean,
        "blend_cv_mean": blend_mean,
        "difference": blend_mean - best.record.summary.valid_mean,
        "p": test.p,
        "verdict": verdict(test, best.record.metric.name),
    }


def blend_lines(result: BlendResult) -> list[str]:
    """What the terminal says after the run's summary: how the score was made, the members with
    their own CV and final weight, and the blend against its best member."""
    record = result.run.record
    data = json.loads((result.run.run_dir / BLEND_FILE).read_text(encoding="utf-8"))
    lines = [f"blend ({data['method']}) of {len(result.members)} runs: {data['procedure']}."]
    for member in data["members"]:
        weight = "" if member["weight"] is None else f"  weight {member['weight']:.3f}"
        lines.append(
            f"  {member['run_id']}  {member['config_name']}  CV {member['cv_mean']:.5f} ± "
            f"{member['cv_std']:.5f}{weight}"
        )
    if data["method"] == "stack":
        lines.append(f"  meta-model {data['meta']}: {data['final']}")
    versus = data["versus_best"]
    word = direction_word(versus["difference"], record.metric.greater_is_better)
    lines.append(
        f"blend vs best member {versus['run_id']}: {versus['blend_cv_mean']:.5f} vs "
        f"{versus['cv_mean']:.5f} ({versus['difference']:+.5f}, {word}); {versus['verdict']}"
    )
    return lines
