"""Command line: ``python -m workbench <command>`` (also the ``workbench`` script).

Heavy libraries are imported inside the commands, so ``--help`` stays fast. A
:class:`~workbench.errors.UserError` becomes one message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from workbench import __version__
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
    return parser


def entry() -> NoReturn:
    """The ``workbench`` script and ``python -m workbench``: run :func:`main`, then exit."""
    sys.exit(main())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was written for this run", file=sys.stderr)
        return 130


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from workbench.experiment import run_experiment
    from workbench.progress import FoldPrinter, print_summary

    console = Console(stderr=True, quiet=args.quiet, highlight=False)
    printer = FoldPrinter(console)
    result = run_experiment(args.config, args.overrides, on_fold=printer)
    print_summary(console, result.record, result.run_dir, result.report, result.submission)
    print(result.run_id)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from workbench.competition import Project
    from workbench.report import build_report
    from workbench.runs import find_run

    run_dir = find_run(args.run, Project.find())
    print(build_report(run_dir))
    return 0


if __name__ == "__main__":  # pragma: no cover
    entry()
