"""``workbench tune``: an Optuna study over a config's search space, then one honest final run.

Each trial is a cross-validation of the prepared experiment with suggested values set at
``--set`` paths; folds whose features do not change are taken from a :class:`FoldCache`, so
model-only spaces fit each fold's features once per worker. The running CV mean after each
fold goes to a pruner. Studies live in an Optuna storage (a journal file under ``runs/`` by
default, PostgreSQL for several machines), so a study resumes where it stopped and several
``--jobs`` processes share it. The best trial's score is chosen on the folds it is scored on,
so the best and the untuned parameters are re-scored on a fresh fold split before the final
run keeps the better of the two.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench import models
from workbench.competition import Project
from workbench.config import MAX_SEED, Distribution, ExperimentConfig, set_value, to_dict, validate
from workbench.engine import run_cv
from workbench.errors import UserError, redact
from workbench.experiment import RunResult, write_run
from workbench.foldcache import FoldCache
from workbench.prepare import Prepared, prepare
from workbench.resources import model_threads, worker_processes

log = logging.getLogger("workbench")

JOURNAL_FILE = "optuna-journal.log"  # one per competition; one study per config inside
_PATH = re.compile(r"^[A-Za-z_]\w*(\[\d+\])*(\.[A-Za-z_]\w*(\[\d+\])*)*$")


@dataclass(frozen=True)
class TuneOptions:
    """The command line's choices (``None``: the config's ``tune:`` section decides)."""

    trials: int | None = None
    timeout: float | None = None
    jobs: int = 1
    storage: str | None = None
    study: str | None = None


@dataclass(frozen=True)
class TuneResult:
    study_name: str
    run: RunResult
    summary: dict[str, Any]


@dataclass(frozen=True)
class _Worker:
    """What a worker process needs to rebuild the study (picklable)."""

    config_path: Path
    overrides: list[str]
    root: Path
    storage: str | None
    study_name: str
    trials: int
    timeout: float | None
    n_threads: int
    index: int
    quiet: bool


def search_space(prepared: Prepared) -> dict[str, Distribution]:
    """The config's ``tune.space`` (a bare name is ``model.params.<name>``), or the model
    kind's default space; every path checked against the config before any trial."""
    config = prepared.config
    declared = config.tune.space or {
        path: Distribution.model_validate(dist)
        for path, dist in models.default_space(config.model.kind).items()
    }
    if not declared:
        raise UserError(
            f"model kind {config.model.kind!r} has no default search space",
            where="tune.space",
            hint="declare one, e.g. tune: {space: {model.params.weights: ...}} or tune a member: "
            "'model.params.estimators[0].params.alpha': {float: [1e-5, 1], log: true}",
        )
    space = {}
    for key, dist in declared.items():
        path = key if ("." in key or "[" in key) else f"model.params.{key}"
        if not _PATH.match(path):
            raise UserError(f"{key!r} is not a config path", where=f"tune.space.{key}")
        space[path] = dist
    base = to_dict(config)
    for path, dist in space.items():
        for value in _probes(dist):
            try:
                prepared.with_config(_trial_config(base, {path: value}), check_values=False)
            except UserError as exc:
                raise UserError(
                    f"{path} = {value!r}: {exc.message}",
                    where=f"tune.space.{path}",
                    hint=exc.hint,
                ) from None
    return space


def _probes(dist: Distribution) -> list[Any]:
    if dist.categorical is not None:
        return list(dist.categorical)
    return list(dist.int_range if dist.int_range is not None else dist.float_range)


def _suggest(trial: Any, path: str, dist: Distribution) -> Any:
    if dist.categorical is not None:
        return trial.suggest_categorical(path, dist.categorical)
    if dist.int_range is not None:
        return trial.suggest_int(path, *dist.int_range, log=dist.log)
    return trial.suggest_float(path, *dist.float_range, log=dist.log)


def _trial_config(base: dict[str, Any], values: dict[str, Any]) -> ExperimentConfig:
    data = base
    for path, value in values.items():
        data = set_value(data, path, value)
    return validate(data, source="tune")


def open_storage(url: str | None, project: Project, competition: str) -> Any:
    """Optuna's journal file under ``runs/<competition>/`` by default (safe for several
    local processes); an RDB URL (``postgresql://``, ``sqlite:///``) for a shared one, with
    heartbeats so trials of a killed worker are marked failed."""
    import optuna

    if url is None:
        path = project.runs_dir(competition) / JOURNAL_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        return optuna.storages.JournalStorage(backend)
    if not url.startswith(("postgresql", "mysql", "sqlite")):
        raise UserError(
            f"unsupported storage {redact(url)!r}",
            where="--storage",
            hint="give a database URL, e.g. postgresql://user:password@host/db",
        )
    try:
        return _rdb_storage(url)
    except Exception as exc:  # driver missing, server down, bad credentials: all the user's
        raise UserError(
            f"cannot open the storage {redact(url)}: {type(exc).__name__}: {_first_line(exc)}",
            where="--storage",
            hint="check that the server is up and the URL right (PostgreSQL needs the driver: "
            "pip install 'workbench[postgres]')",
        ) from None


def _rdb_storage(url: str, attempts: int = 5) -> Any:
    """Optuna's RDB storage. Processes that start together on an empty database race to
    create its tables; the loser's error means "created meanwhile": it tries again."""
    import optuna
    import sqlalchemy.exc

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, heartbeat_interval=20, grace_period=60)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def _sampler(seed: int, index: int) -> Any:
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        # each worker its own stream; constant_liar keeps parallel workers from piling onto
        # the same region while their trials run
        return optuna.samplers.TPESampler(
            seed=(seed + index) % (MAX_SEED + 1), multivariate=True, constant_liar=True
        )


def _pruner(config: ExperimentConfig) -> Any:
    import optuna

    spec = config.tune.pruner
    if spec.kind == "none":
        return optuna.pruners.NopPruner()
    if spec.kind == "percentile":
        return optuna.pruners.PercentilePruner(
            spec.percentile, n_startup_trials=spec.startup_trials, n_warmup_steps=spec.warmup_folds
        )
    return optuna.pruners.MedianPruner(
        n_startup_trials=spec.startup_trials, n_warmup_steps=spec.warmup_folds
    )


def load_study(prepared: Prepared, storage: Any, name: str, index: int = 0) -> Any:
    """Create the study, or load it to resume; refuse one made for another metric."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    metric = prepared.problem.metric
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize" if metric.greater_is_better else "minimize",
        sampler=_sampler(prepared.config.seed, index),
        pruner=_pruner(prepared.config),
        load_if_exists=True,
    )
    known = study.user_attrs.get("metric")
    if known is None:
        study.set_user_attr("metric", metric.name)
        study.set_user_attr("competition", prepared.competition.spec.name)
    elif known != metric.name:
        raise UserError(
            f"study {name!r} was made for metric {known!r}, not {metric.name!r}",
            where="--study",
            hint="name a new study with --study",
        )
    return study


_FINISHED = ("COMPLETE", "PRUNED", "FAIL")


def counts(study: Any) -> dict[str, int]:
    """Trials of the study by state (running ones included)."""
    out: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        out[trial.state.name] = out.get(trial.state.name, 0) + 1
    return out


def _finished(study: Any) -> int:
    return sum(counts(study).get(state, 0) for state in _FINISHED)


def optimize(
    prepared: Prepared,
    study: Any,
    space: dict[str, Distribution],
    *,
    trials: int,
    timeout: float | None,
    n_threads: int,
    on_trial: Callable[[Any, Any], None] | None = None,
) -> None:
    """Run trials until the study has ``trials`` finished ones (counted over every worker) or
    ``timeout`` seconds have passed. Trials a model rejects are recorded as failed."""
    import optuna

    if _finished(study) >= trials:
        return
    cache = FoldCache()
    base = to_dict(prepared.config)

    def objective(trial: Any) -> float:
        values = {path: _suggest(trial, path, dist) for path, dist in space.items()}
        scores: list[float] = []

        def on_fold(record: Any, total: int) -> None:
            scores.append(record.valid_score)
            trial.report(float(np.mean(scores)), step=len(scores) - 1)
            if trial.should_prune():
                raise optuna.TrialPruned()

        try:
            config = _trial_config(base, values)
            config = config.model_copy(
                update={"report": config.report.model_copy(update={"enabled": False})}
            )
            result = run_cv(
                prepared.with_config(config),
                prepare=cache,
                n_threads=n_threads,
                on_fold=on_fold,
                scores_only=True,
            )
        except UserError as exc:
            trial.set_user_attr("error", str(exc))
            raise
        return float(result.scores("valid_score").mean())

    callbacks = [optuna.study.MaxTrialsCallback(trials, states=_states(_FINISHED))]
    if on_trial is not None:
        callbacks.append(on_trial)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a failed trial's warning repeats its recorded error
        study.optimize(objective, timeout=timeout, catch=(UserError,), callbacks=callbacks)


def _states(names: tuple[str, ...]) -> tuple[Any, ...]:
    from optuna.trial import TrialState

    return tuple(TrialState[name] for name in names)


def _run_worker(worker: _Worker) -> None:
    """A worker process: rebuild the prepared experiment and the study, run trials."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    prepared = prepare(worker.config_path, worker.overrides, project=Project(worker.root))
    storage = open_storage(worker.storage, prepared.project, prepared.competition.spec.name)
    study = load_study(prepared, storage, worker.study_name, worker.index)
    space = search_space(prepared)
    # Ctrl-C: the running trial is recorded as failed; the study keeps every finished one
    with contextlib.suppress(KeyboardInterrupt):
        _work(prepared, study, space, worker, _to_stderr)


def _to_stderr(text: str) -> None:
    """Workers' trial lines go to stderr, like the run's progress: stdout is the run id."""
    print(text, file=sys.stderr, flush=True)


def _work(
    prepared: Prepared,
    study: Any,
    space: dict[str, Distribution],
    worker: _Worker,
    write: Callable[[str], None],
) -> None:
    """One worker's share of the study, printing its trials unless quiet."""
    printer = None if worker.quiet else TrialPrinter(worker.trials, worker.timeout, write)
    optimize(
        prepared,
        study,
        space,
        trials=worker.trials,
        timeout=worker.timeout,
        n_threads=worker.n_threads,
        on_trial=printer,
    )


class TrialPrinter:
    """One line per finished trial: state, score, best so far, counts and an ETA."""

    def __init__(self, trials: int, timeout: float | None, write: Callable[[str], None]):
        self.trials = trials
        self.deadline = time.monotonic() + timeout if timeout else None
        self.started = time.monotonic()
        self.write = write

    def __call__(self, study: Any, trial: Any) -> None:
        tally = counts(study)
        done = sum(tally.get(state, 0) for state in _FINISHED)
        value = f"{trial.value:.5f}" if trial.value is not None else "—"
        try:
            best = f"best {study.best_value:.5f} (#{study.best_trial.number})"
        except ValueError:
            best = "no complete trial yet"
        self.write(
            f"  trial {trial.number:>4}  {trial.state.name.lower():<8} {value:>9}   {best}   "
            f"{done}/{self.trials} (pruned {tally.get('PRUNED', 0)}, "
            f"failed {tally.get('FAIL', 0)})   ETA {self._eta(done)}"
        )

    def _eta(self, done: int) -> str:
        now = time.monotonic()
        per_trial = (now - self.started) / max(1, done)
        left = per_trial * max(0, self.trials - done)
        if self.deadline is not None:
            left = min(left, max(0.0, self.deadline - now))
        return f"{left / 60:.1f} min" if left >= 90 else f"{left:.0f} s"


def tune(
    config_path: str | Path,
    overrides: list[str] | None = None,
    options: TuneOptions | None = None,
    *,
    project: Project | None = None,
    write: Callable[[str], None] | None = print,
) -> TuneResult:
    """Tune a config, re-score the best and the untuned parameters on a fresh fold split,
    and run the better of the two as a normal run (report, submission)."""
    options = options or TuneOptions()
    config_path = Path(config_path)
    overrides = list(overrides or [])
    prepared = prepare(config_path, overrides, project=project)
    spec = prepared.competition.spec
    prepared.project.check_writable(spec.name)
    settings = prepared.config.tune
    trials = options.trials or settings.trials
    timeout = options.timeout if options.timeout is not None else settings.timeout
    jobs = worker_processes(options.jobs)
    n_threads = model_threads(
        prepared.config.threads, n_rows=len(prepared.problem.y), parallel_workers=jobs
    )
    space = search_space(prepared)
    name = options.study or prepared.config.name
    storage = open_storage(options.storage, prepared.project, spec.name)
    study = load_study(prepared, storage, name)
    say = write or (lambda text: None)
    say(
        f"study {name!r}: {_finished(study)} of {trials} trials finished, "
        f"{len(space)} parameters, {jobs} worker(s) × {n_threads} thread(s)"
    )
    worker = _Worker(
        config_path=config_path,
        overrides=overrides,
        root=prepared.project.root,
        storage=options.storage,
        study_name=name,
        trials=trials,
        timeout=timeout,
        n_threads=n_threads,
        index=0,
        quiet=write is None,
    )
    _run_workers(prepared, study, space, worker, jobs, say)
    return finish(prepared, study, space, say)


def _run_workers(
    prepared: Prepared,
    study: Any,
    space: dict[str, Distribution],
    worker: _Worker,
    jobs: int,
    say: Callable[[str], None],
) -> None:
    """Worker 0 in this process, the others as spawned processes (never forked: the
    libraries' thread pools are process-wide); all stop together on Ctrl-C."""
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_run_worker, args=(_replace(worker, index=i),), daemon=False)
        for i in range(1, jobs)
    ]
    for child in children:
        child.start()
    try:
        _work(prepared, study, space, worker, say)
        for child in children:
            child.join()
    except BaseException:
        for child in children:  # Ctrl-C: each records its running trial as failed and stops
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGINT)
        for child in children:
            child.join(10)
            if child.is_alive():
                child.terminate()
        raise


def _replace(worker: _Worker, **changes: Any) -> _Worker:
    import dataclasses

    return dataclasses.replace(worker, **changes)


def finish(
    prepared: Prepared, study: Any, space: dict[str, Distribution], say: Callable[[str], None]
) -> TuneResult:
    """Re-score the best and the untuned parameters on a fresh split; run the kept one."""
    tally = counts(study)
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        errors = [t.user_attrs.get("error") for t in study.get_trials() if t.user_attrs]
        raise UserError(
            f"no trial of study {study.study_name!r} completed ({tally})",
            where="tune",
            hint=f"first error: {errors[0]}" if errors else "give it more trials or time",
        )
    best = study.best_trial
    config = prepared.config
    metric = prepared.problem.metric
    base = to_dict(config)
    tuned = _trial_config(base, best.params)
    fresh_seed = config.tune.rescore_seed
    if fresh_seed is None:
        fresh_seed = (config.seed + 1) % (MAX_SEED + 1)

    def fresh_score(candidate: ExperimentConfig) -> float:
        quiet = candidate.model_copy(
            update={
                "seed": fresh_seed,
                "report": candidate.report.model_copy(update={"enabled": False}),
            }
        )
        return float(run_cv(prepared.with_config(quiet)).scores("valid_score").mean())

    untuned_fresh, tuned_fresh = fresh_score(config), fresh_score(tuned)
    keep = config.tune.keep
    if keep == "better":
        keep = "tuned" if not metric.is_better(untuned_fresh, tuned_fresh) else "untuned"
    summary = {
        "study": study.study_name,
        "metric": metric.name,
        "direction": "maximize" if metric.greater_is_better else "minimize",
        "counts": tally,
        "space": {
            path: dist.model_dump(mode="json", by_alias=True, exclude_none=True)
            for path, dist in space.items()
        },
        "best_trial": best.number,
        "best_value": float(best.value),
        "best_params": dict(best.params),
        "fresh_seed": fresh_seed,
        "untuned_fresh": untuned_fresh,
        "tuned_fresh": tuned_fresh,
        "kept": keep,
    }
    say(
        f"{metric.name} on a fresh fold split (seed {fresh_seed}): untuned {untuned_fresh:.5f}, "
        f"tuned {tuned_fresh:.5f} -> keeping the {keep} parameters"
    )
    say(
        f"best trial #{best.number} on the tuning folds: {best.value:.5f} "
        "(optimistic: chosen on the folds it is scored on)"
    )
    final = prepared.with_config(tuned if keep == "tuned" else config)
    result = run_cv(final)
    run = write_run(final, result, tuning=tuning_record(study, summary))
    return TuneResult(study_name=study.study_name, run=run, summary=summary)


def tuning_record(study: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """``tuning.json`` of the final run: the summary, every trial, parameter importances."""
    import optuna

    trials = []
    for trial in study.get_trials(deepcopy=False):
        trials.append(
            {
                "number": trial.number,
                "state": trial.state.name.lower(),
                "value": trial.value,
                "params": trial.params,
                "seconds": trial.duration.total_seconds() if trial.duration else None,
                "error": trial.user_attrs.get("error"),
            }
        )
    importances: dict[str, float] = {}
    complete = [t for t in trials if t["state"] == "complete"]
    if len(complete) >= 2 and len(summary["space"]) > 1:
        try:
            importances = {
                k: float(v) for k, v in optuna.importance.get_param_importances(study).items()
            }
        except (RuntimeError, ValueError) as exc:  # e.g. every trial with the same value
            log.info("parameter importances left out: %s", exc)
    return {**summary, "param_importances": importances, "trials": trials}
