"""Command line: ``python -m workbench <command>`` (also the ``workbench`` script).

Heavy libraries are imported inside the commands, so ``--help`` stays fast. A
:class:`~workbench.errors.UserError` becomes one message on stderr and exit code 2. SIGINT,
SIGTERM and SIGHUP become one message and exit code 128 + the signal number, and say what was
kept (:mod:`workbench.interrupts`); once a run is committed, a signal no longer changes its
outcome (exit 0, and the message says the run is complete).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from workbench import __version__, interrupts, resources
from workbench.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="From a YAML config to an honest CV score, a report and a Kaggle submission.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="cross-validate a config, write a run directory, a report and a submission"
    )
    run.add_argument("config", type=Path, help="experiment config (YAML)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.params.n_estimators=300 (repeatable)",
    )
    run.add_argument("--quiet", action="store_true", help="print only the run id")
    run.set_defaults(handler=cmd_run)

    report = commands.add_parser("report", help="(re)build the HTML report of an existing run")
    report.add_argument("run", help="run id or path to a run directory")
    report.set_defaults(handler=cmd_report)

    clean = commands.add_parser(
        "clean",
        help="remove what killed runs left behind (.partial folders); runs in progress are kept",
    )
    clean.add_argument(
        "competition", nargs="?", help="only this competition's runs (default: every one)"
    )
    clean.set_defaults(handler=cmd_clean)

    tune = commands.add_parser(
        "tune",
        help="search the config's tune.space with Optuna (resumable), then run the better of the "
        "tuned and untuned parameters",
    )
    tune.add_argument("config", type=Path, help="experiment config (YAML) with a tune: section")
    tune.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value before tuning (repeatable)",
    )
    tune.add_argument("--trials", type=_positive(int), help="finished trials the study should have")
    tune.add_argument("--timeout", type=_positive(float), help="seconds for the study")
    tune.add_argument(
        "--jobs", type=_positive(int), default=1, help="worker processes on the study (≤ cores)"
    )
    tune.add_argument(
        "--storage",
        metavar="URL",
        help="an Optuna RDB storage shared by several machines, e.g. postgresql://user:pw@host/db "
        "(default: runs/<competition>/optuna-journal.log)",
    )
    tune.add_argument("--study", help="study name (default: the config's name)")
    tune.add_argument("--quiet", action="store_true", help="print only the final run id")
    tune.set_defaults(handler=cmd_tune)

    index = commands.add_parser(
        "index",
        help="bring the run index (runs/index.sqlite) up to date with the run directories",
    )
    index.add_argument(
        "--rebuild", action="store_true", help="delete the index and make it again from the runs"
    )
    index.set_defaults(handler=cmd_index)

    export = commands.add_parser("export", help="copy finished runs into another tool")
    targets = export.add_subparsers(dest="target", required=True, metavar="TARGET")
    mlflow = targets.add_parser(
        "mlflow",
        help="log runs to MLflow: config as params, scores as metrics, report, submission and "
        "OOF predictions as artifacts (needs: pip install 'workbench[mlflow]')",
    )
    mlflow.add_argument(
        "runs", nargs="*", metavar="RUN", help="run ids or paths (default: every complete run)"
    )
    mlflow.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="an MLflow tracking URI, e.g. http://host:5000 or sqlite:///path/mlflow.db "
        "(default: the project's local store, runs/.mlflow/mlflow.db)",
    )
    mlflow.set_defaults(handler=cmd_export_mlflow)

    board = commands.add_parser(
        "leaderboard",
        help="every finished run of a competition, best first: CV mean ± std, public score; "
        "writes a CV-vs-public-score plot and page under runs/<competition>/",
    )
    board.add_argument("competition", help="the competition (its folder name)")
    board.add_argument(
        "--sort",
        choices=["cv", "public"],
        default="cv",
        help="order by the CV score (default) or by the public score (unsubmitted runs last)",
    )
    board.add_argument(
        "--format",
        choices=["table", "csv", "md"],
        default="table",
        help="aligned text (default), CSV (every number as stored) or a Markdown table",
    )
    board.set_defaults(handler=cmd_leaderboard)

    compare = commands.add_parser(
        "compare",
        help="what changed between two runs (config diff), the score difference, and whether "
        "it is larger than fold-to-fold noise (paired per-fold test)",
    )
    compare.add_argument("run_a", metavar="RUN_A", help="run id or path: the baseline")
    compare.add_argument("run_b", metavar="RUN_B", help="run id or path: compared with RUN_A")
    compare.set_defaults(handler=cmd_compare)

    drift = commands.add_parser(
        "drift",
        help="adversarial validation: how well a classifier tells the test rows from the "
        "training rows (ROC AUC), the features that give the split away, a plot and a JSON "
        "result under runs/<competition>/drift/",
    )
    drift.add_argument("competition", help="the competition (its folder under competitions/)")
    drift.add_argument(
        "config",
        nargs="?",
        type=Path,
        help="compare the features this config's steps make (default: the raw columns)",
    )
    drift.add_argument(
        "--seed",
        type=_seed,
        help="seed of the sample, the folds and the classifier (default: the config's, else 42)",
    )
    drift.set_defaults(handler=cmd_drift)

    writeup = commands.add_parser(
        "writeup",
        help="write competitions/<name>/WRITEUP.md and its HTML twin with the key figures, "
        "from the competition's finished runs",
    )
    writeup.add_argument("competition", help="the competition (its folder under competitions/)")
    writeup.set_defaults(handler=cmd_writeup)
    add_blend_parser(commands)
    add_init_parser(commands)
    add_kaggle_parsers(commands)
    return parser


def _positive(kind: type) -> Any:
    """An argparse type: a number > 0 (argparse reports anything else, exit 2)."""

    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _seed(text: str) -> int:
    """An argparse type: a seed in every library's range (the config's ``seed`` rule)."""
    from workbench.config import MAX_SEED

    value = int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SEED}, got {text}")
    return value


_seed.__name__ = "seed"  # argparse's word for a value that is not a number


def entry() -> NoReturn:
    """The ``workbench`` script and ``python -m workbench``: run :func:`main`, then exit."""
    interrupts.install_for_process()
    resources.return_freed_memory()
    try:
        code = main()
    except KeyboardInterrupt as exc:  # landed as main returned: its outcome was decided
        code = interrupts.exit_code(interrupts.signal_of(exc))
    # The outcome is decided: a signal during the interpreter's exit must not turn it into a
    # death by signal (Python resets its handlers to the default early in finalisation).
    interrupts.ignore()
    if interrupts.signalled():
        # An interrupted process should be gone at once: the interpreter's exit-time garbage
        # collections over the loaded libraries take ~1 s; frozen objects are skipped.
        gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from workbench import rundir

    committed, leftovers = len(rundir.committed_runs()), len(rundir.leftover_runs())
    with interrupts.handling(settle_on_commit=args.command in ("run", "tune", "blend")):
        try:
            return args.handler(args)
        except UserError as exc:
            say(f"error: {exc}")
            return exc.exit_code
        except KeyboardInterrupt as exc:  # a second signal now is only noted (interrupts.GRACE)
            return interrupted(
                args.command,
                exc,
                rundir.committed_runs()[committed:],
                rundir.leftover_runs()[leftovers:],
            )


def say(text: str) -> None:
    """One line on stderr; a terminal that is gone (SIGHUP) does not turn it into an error."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr, flush=True)


def interrupted(
    command: str, exc: BaseException, committed: list[Any], leftovers: list[Path]
) -> int:
    """Say what an interrupt left (the truth about the run), and return the exit code."""
    signum = interrupts.signal_of(exc)
    name = interrupts.signal_name(signum)
    if committed:  # committed before the interrupt (normally settled by then): it stands
        run = committed[-1]
        say(f"interrupted by {name} after the run was complete: {run.final_path} is kept")
        print(run.run_id)
        return 0
    if command in ("run", "blend") and leftovers:
        say(
            f"interrupted by {name}: the unfinished run {leftovers[-1]} could not be removed; "
            "`workbench clean` removes it"
        )
    elif command in ("run", "blend"):
        say(f"interrupted by {name}: nothing was written for this run")
    elif command == "tune":
        say(
            f"interrupted by {name}: every finished trial is kept in the study; "
            "run the same command to continue"
        )
    elif command == "clean":
        say(f"interrupted by {name}: run `workbench clean` again to finish")
    elif command == "submit":
        say(
            f"interrupted by {name}: if Kaggle took the submission before, "
            "`workbench sync <competition>` records it on the run"
        )
    else:
        say(f"interrupted by {name}")
    return interrupts.exit_code(signum)


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from workbench.experiment import run_experiment
    from workbench.progress import FoldPrinter, print_summary

    console = Console(stderr=True, quiet=args.quiet, highlight=False)
    printer = FoldPrinter(console)
    warn_about_leftovers()
    result = run_experiment(args.config, args.overrides, on_fold=printer)
    # The run is committed: from here on a signal is only noted (interrupts.settle).
    print_summary(console, result.record, result.run_dir, result.report, result.submission)
    late = interrupts.received()
    if late:
        say(
            f"interrupted by {interrupts.signal_name(late[0])} after the run was complete: "
            f"{result.run_dir} and {result.submission} are kept"
        )
    print(result.run_id)
    return 0


def warn_about_leftovers() -> None:
    """Before a run: count what killed runs left (and publish the missing submissions of
    complete runs, which is always safe)."""
    from workbench.competition import Project
    from workbench.runs import competitions_with_runs, tidy

    try:
        project = Project.find()
        found = tidy(project, competitions_with_runs(project), remove=False)
    except OSError:
        return  # unreadable runs/: the run itself says so
    for path in found.restored:
        say(f"note: published the missing submission of its complete run: {path}")
    if found.dead:
        competitions = sorted({path.parent.name for path in found.dead})
        command = "workbench clean" + (f" {competitions[0]}" if len(competitions) == 1 else "")
        n = len(found.dead)
        say(
            f"warning: {n} unfinished run folder{'s' if n > 1 else ''} left by killed runs "
            f"under {project.root / 'runs'} (.<run_id>.partial); remove them with: {command}"
        )


def cmd_report(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.runs import find_run

    run_dir = find_run(args.run, Project.find())  # a complete run, before the heavy imports
    from workbench.report import build_report

    print(build_report(run_dir))
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.runs import check_competition, competitions_with_runs, tidy

    project = Project.find()
    if args.competition:
        check_competition(project, args.competition)
        competitions = [args.competition]
    else:
        competitions = competitions_with_runs(project)
    found = tidy(project, competitions, remove=True)
    shown = project.shown
    for path in found.dead:
        print(f"removed {shown(path)} (left by a killed run)")
    for path in found.restored:
        print(f"published {shown(path)} (the missing submission of its complete run)")
    for path in found.live:
        print(f"kept {shown(path)}: its run is still in progress")
    for path, why in found.failed:
        say(f"error: could not clean {shown(path)}: {why}")
    if not (found.dead or found.restored or found.live or found.failed):
        print("nothing to clean")
    else:
        n, m = len(found.dead), len(found.restored)
        print(
            f"removed {n} leftover{'s' if n != 1 else ''} of killed runs, "
            f"published {m} missing submission{'s' if m != 1 else ''}"
        )
    return 1 if found.failed else 0


if __name__ == "__main__":  # pragma: no cover
    entry()


def cmd_tune(args: argparse.Namespace) -> int:
    from rich.console import Console

    from workbench.progress import print_summary
    from workbench.tune import TuneOptions, tune

    console = Console(stderr=True, quiet=args.quiet, highlight=False)
    options = TuneOptions(
        trials=args.trials,
        timeout=args.timeout,
        jobs=args.jobs,
        storage=args.storage,
        study=args.study,
    )
    result = tune(args.config, args.overrides, options, write=None if args.quiet else say)
    run = result.run
    print_summary(console, run.record, run.run_dir, run.report, run.submission)
    print(run.run_id)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from workbench import runindex
    from workbench.competition import Project

    project = Project.find()
    count = runindex.rebuild(project) if args.rebuild else len(runindex.runs(project))
    shown = project.shown(runindex.index_path(project))
    print(f"{count} run{'s' if count != 1 else ''} in {shown}")
    return 0


def cmd_export_mlflow(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.export_mlflow import export_runs

    project = Project.find()
    store, results = export_runs(project, args.runs, args.tracking_uri, write=print)
    if not results:
        print(f"nothing to export: no complete run under {project.root / 'runs'}")
        return 0
    counts = {a: sum(r.action == a for r in results) for a in ("exported", "updated", "skipped")}
    summary = ", ".join(f"{n} {action}" for action, n in counts.items())
    print(f"{summary}; MLflow store: {store.shown}")
    if store.artifacts is not None:
        print(f"browse it with: mlflow ui --backend-store-uri {store.uri}")
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from workbench import leaderboard
    from workbench.competition import Project
    from workbench.runs import check_competition

    project = Project.find()
    check_competition(project, args.competition)
    board = leaderboard.build(project, args.competition, args.sort)
    if not board.runs:
        say(
            f"no finished runs of {args.competition!r} yet: "
            "`workbench run CONFIG` makes one; nothing was written"
        )
        return 0
    sys.stdout.write(leaderboard.render(board, args.format).rstrip("\n") + "\n")
    sys.stdout.flush()
    from workbench.leaderboard_page import write

    written = write(board, project.runs_dir(args.competition))
    say(f"CV vs public score: {written.summary}")
    if written.plot is not None:
        say(f"CV vs public score plot: {project.shown(written.plot)}")
    say(f"leaderboard page: {project.shown(written.page)}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from workbench.compare import compare_runs, format_comparison
    from workbench.competition import Project
    from workbench.runs import find_run

    project = Project.find()
    run_a, run_b = find_run(args.run_a, project), find_run(args.run_b, project)
    print(format_comparison(compare_runs(run_a, run_b)))
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.drift import run_drift, summary_lines

    project = Project.find(args.config.parent if args.config else None)
    result, written = run_drift(project, args.competition, args.config, args.seed)
    print("\n".join(summary_lines(result)))
    for path in written:
        print(f"wrote {project.shown(path)}")
    return 0


def cmd_writeup(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.writeup import gather
    from workbench.writeup_render import write_writeup

    project = Project.find()
    written = write_writeup(gather(project, args.competition))
    print(project.shown(written.markdown))
    n = len(written.figures)
    say(f"HTML twin: {project.shown(written.html)} ({n} figure{'s' if n != 1 else ''} beside it)")
    return 0


def add_blend_parser(commands: Any) -> None:
    """``workbench blend RUN...``: a new run from finished runs' predictions (workbench.blend)."""
    blend = commands.add_parser(
        "blend",
        help="combine finished runs of one competition (same folds) from their out-of-fold and "
        "test predictions into a new run; its CV fits the weights on the other folds only",
    )
    blend.add_argument(
        "runs", nargs="*", metavar="RUN", help="run ids or paths: two or more, on the same folds"
    )
    blend.add_argument(
        "--method",
        default="hill_climb",
        metavar="{mean,rank,hill_climb,stack}",
        help="mean: plain average; rank: average of ranks; hill_climb (default): greedy forward "
        "selection with replacement (Caruana et al.); stack: a meta-model on the predictions",
    )
    blend.add_argument(
        "--meta",
        metavar="KIND",
        help="--method stack: the meta-model's kind (default: ridge for regression, logistic "
        "for classification)",
    )
    blend.add_argument("--name", help="the blend run's config name (default: blend-<method>)")
    blend.add_argument("--quiet", action="store_true", help="print only the run id")
    blend.set_defaults(handler=cmd_blend)


def cmd_blend(args: argparse.Namespace) -> int:
    from rich.console import Console

    from workbench.blend import BlendOptions, blend, blend_lines
    from workbench.progress import print_summary

    console = Console(stderr=True, quiet=args.quiet, highlight=False)
    options = BlendOptions(method=args.method, meta=args.meta, name=args.name)
    result = blend(args.runs, options)
    run = result.run  # committed: from here on a signal is only noted (interrupts.settle)
    print_summary(console, run.record, run.run_dir, run.report, run.submission)
    for line in blend_lines(result):
        console.print(line, markup=False)
    print(run.run_id)
    return 0


def add_init_parser(commands: Any) -> None:
    """``workbench init COMPETITION``: infer a competition's spec and a baseline config."""
    init = commands.add_parser(
        "init",
        help="read a competition's train/test/sample submission files, infer id, target, task, "
        "submission format and metric, and write competition.yaml, features.py and a baseline "
        "config that `workbench run` takes as it is",
    )
    init.add_argument("competition", help="the competition's name (its folder under competitions/)")
    init.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="folder holding the CSVs (default: competitions/<name>/data/); copied (linked) there",
    )
    init.add_argument("--yes", action="store_true", help="accept the proposal without asking")
    init.add_argument("--id", dest="id_column", metavar="COL", help="the id column")
    init.add_argument("--target", metavar="COL", help="the target column")
    init.add_argument("--task", choices=["binary", "multiclass", "regression"])
    init.add_argument("--metric", metavar="NAME", help="the competition's metric, e.g. roc_auc")
    init.add_argument("--prediction", choices=["label", "probability", "value"])
    init.add_argument("--slug", help="the Kaggle competition slug (default: the name)")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace an existing competition.yaml, config and data files (features.py is kept)",
    )
    init.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from workbench.infer import Overrides
    from workbench.init import InitOptions, init_competition

    given = Overrides(
        id_column=args.id_column,
        target=args.target,
        task=args.task,
        metric=args.metric,
        prediction=args.prediction,
    )
    options = InitOptions(
        name=args.competition,
        data=args.data,
        yes=args.yes,
        force=args.force,
        slug=args.slug,
        given=given,
    )
    return init_competition(options)


def add_kaggle_parsers(commands: Any) -> None:
    """``workbench download``, ``submit`` and ``sync``: the Kaggle loop (workbench.kaggle_loop)."""
    download = commands.add_parser(
        "download",
        help="fetch a competition's files through the Kaggle API into competitions/<name>/data/ "
        "(unzipped, checked against competition.yaml)",
    )
    download.add_argument("competition", help="the competition (its folder under competitions/)")
    download.add_argument(
        "--force", action="store_true", help="fetch them again even if they are there"
    )
    download.set_defaults(handler=cmd_download)

    submit = commands.add_parser(
        "submit",
        help="re-validate a run's submission against the sample, push it to Kaggle and record "
        "the reference on the run",
    )
    submit.add_argument("run", help="run id or path to a run directory")
    submit.add_argument(
        "-m",
        "--message",
        help="the submission's description (default: the run id, config and CV score)",
    )
    submit.add_argument(
        "--wait",
        action="store_true",
        help="wait until Kaggle has scored it and record the public score",
    )
    submit.add_argument(
        "--timeout",
        type=_positive(float),
        default=1800.0,
        metavar="SECONDS",
        help="how long --wait waits for the score (default: 1800)",
    )
    submit.add_argument(
        "--force", action="store_true", help="submit even if this file was submitted before"
    )
    submit.set_defaults(handler=cmd_submit)

    sync = commands.add_parser(
        "sync",
        help="pull the competition's whole submission history from Kaggle and attach status and "
        "public/private scores to the runs they came from",
    )
    sync.add_argument("competition", help="the competition (its folder under competitions/)")
    sync.set_defaults(handler=cmd_sync)


def cmd_download(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.kaggle_loop import download_competition

    project = Project.find()
    result = download_competition(project, args.competition, force=args.force, note=say)
    files = ", ".join(result.files)
    folder = project.shown(result.data_dir)
    if result.fetched:
        print(f"downloaded {len(result.files)} files into {folder}/: {files}")
    else:
        print(f"already present in {folder}/: {files}; nothing to do (--force fetches them again)")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.kaggle_loop import score_text, submit_run

    project = Project.find()
    result = submit_run(
        project,
        args.run,
        message=args.message,
        wait=args.wait,
        timeout=args.timeout,
        force=args.force,
        note=say,
    )
    entry, code = result.entry, 0
    if args.wait and not result.scored:
        say(
            f"not scored after {args.timeout:g} s: "
            f"`workbench sync {result.run_dir.parent.name}` fetches the score later"
        )
    elif entry.status == "error":
        say(f"error: Kaggle could not score it: {entry.error or 'no reason given'}")
        code = 1
    elif result.scored:
        private = f", private score {score_text(entry.private_score)}"
        say(
            f"public score {score_text(entry.public_score)}"
            + (private if entry.private_score is not None else "")
        )
    print(entry.ref)
    return code


def cmd_sync(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.kaggle_loop import sync_competition, sync_lines

    result = sync_competition(Project.find(), args.competition, note=say)
    for line in sync_lines(result):
        print(line)
    return 0
