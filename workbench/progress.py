"""Terminal output of a run: one line per fold, then a table of fold scores."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from workbench.engine import FoldResult


class FoldPrinter:
    """Prints each fold's training and validation score as soon as it is done."""

    def __init__(self, console: Console):
        self.console = console

    def __call__(self, result: FoldResult, total: int) -> None:
        self.console.print(
            f"  fold {result.fold + 1} (repeat {result.repeat + 1})"
            f"  train {result.train_score:.5f}  valid [bold]{result.valid_score:.5f}[/bold]"
            f"  {result.fit_seconds + result.features_seconds:.2f}s"
            + (f"  trees {result.best_iteration}" if result.best_iteration else "")
        )


def print_summary(console: Console, result: Any) -> None:
    metrics = result.metrics
    metric = metrics["metric"]["name"]
    table = Table(title=f"{metrics['config_name']} — {metric}", show_lines=False)
    for column in ("repeat", "fold", "n_train", "n_valid", "train", "valid"):
        table.add_column(column, justify="right")
    for fold in metrics["folds"]:
        table.add_row(
            str(fold["repeat"] + 1),
            str(fold["fold"] + 1),
            str(fold["n_train"]),
            str(fold["n_valid"]),
            f"{fold['train_score']:.5f}",
            f"{fold['valid_score']:.5f}",
        )
    s = metrics["summary"]
    table.add_row(
        "",
        "mean ± std",
        "",
        "",
        f"{s['train_mean']:.5f} ± {s['train_std']:.5f}",
        f"[bold]{s['valid_mean']:.5f} ± {s['valid_std']:.5f}[/bold]",
        end_section=True,
    )
    console.print(table)
    direction = "higher" if metrics["metric"]["greater_is_better"] else "lower"
    console.print(
        f"CV {metric} ({direction} is better): [bold]{s['valid_mean']:.5f} ± {s['valid_std']:.5f}"
        f"[/bold]   training score {s['train_mean']:.5f}   gap {s['gap']:+.5f}"
    )
    if "threshold" in metrics:
        t = metrics["threshold"]
        console.print(
            f"threshold used for the submission: {t['used']:.3f} (OOF-optimal {t['optimized']:.3f},"
            f" OOF {t['optimized_metric']} there {t['oof_score_at_optimized']:.5f} — chosen on"
            " the same rows, so optimistic)"
        )
    console.print(f"run directory: {result.run_dir}")
    if result.report is not None:
        console.print(f"report:        {result.report}")
    console.print(f"submission:    {result.submission}")
    console.print(f"time:          {metrics['timings']['total_seconds']:.1f}s")
