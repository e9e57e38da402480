"""Terminal output of a run: one line per fold, then a table of fold scores."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from workbench.record import FoldRecord, RunRecord
from workbench.report.formats import duration


class FoldPrinter:
    """Prints each fold's training and validation score as soon as it is done, with the time
    since the run started and, while folds remain, an estimate of the time they will take
    (the mean time of the folds so far, per fold left)."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic):
        self.console = console
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.fold_seconds = 0.0

    def __call__(self, fold: FoldRecord, total: int) -> None:
        seconds = fold.fit_seconds + fold.features_seconds
        self.done += 1
        self.fold_seconds += seconds
        left = total - self.done
        timing = f"{self.done}/{total}, {duration(self.clock() - self.started)} elapsed"
        if left > 0:
            timing += f", about {duration(self.fold_seconds / self.done * left)} left"
        self.console.print(
            f"  fold {fold.fold + 1} (repeat {fold.repeat + 1})"
            f"  train {fold.train_score:.5f}  valid [bold]{fold.valid_score:.5f}[/bold]"
            f"  {seconds:.2f}s"
            + (f"  trees {fold.best_iteration}" if fold.best_iteration else "")
            + f"  [dim]({timing})[/dim]",
            soft_wrap=True,  # one line per fold, also in a narrow terminal or a log file
        )


def print_summary(
    console: Console,
    record: RunRecord,
    run_dir: Path,
    report: Path | None,
    submission: Path,
) -> None:
    """The run's fold scores, CV score and threshold (from its record), then where it wrote."""
    metric = record.metric.name
    table = Table(title=f"{record.config_name} — {metric}", show_lines=False)
    for column in ("repeat", "fold", "n_train", "n_valid", "train", "valid"):
        table.add_column(column, justify="right")
    for fold in record.folds:
        table.add_row(
            str(fold.repeat + 1),
            str(fold.fold + 1),
            str(fold.n_train),
            str(fold.n_valid),
            f"{fold.train_score:.5f}",
            f"{fold.valid_score:.5f}",
        )
    s = record.summary
    table.add_row(
        "",
        "mean ± std",
        "",
        "",
        f"{s.train_mean:.5f} ± {s.train_std:.5f}",
        f"[bold]{s.valid_mean:.5f} ± {s.valid_std:.5f}[/bold]",
        end_section=True,
    )
    console.print(table)
    direction = "higher" if record.metric.greater_is_better else "lower"
    console.print(
        f"CV {metric} ({direction} is better): [bold]{s.valid_mean:.5f} ± {s.valid_std:.5f}"
        f"[/bold]   training score {s.train_mean:.5f}   gap {s.gap:+.5f}"
    )
    t = record.threshold
    if t is not None:
        console.print(
            f"threshold used for the submission: {t.used:.3f} (OOF-optimal {t.optimized:.3f},"
            f" OOF {t.optimized_metric} there {t.oof_score_at_optimized:.5f} — chosen on"
            " the same rows, so optimistic)"
        )
    console.print(f"run directory: {run_dir}")
    if report is not None:
        console.print(f"report:        {report}")
    console.print(f"submission:    {submission}")
    console.print(f"time:          {record.timings.total_seconds:.1f}s")
