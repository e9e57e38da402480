"""The terminal summary of a run, formatted from its typed record."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from workbench.progress import FoldPrinter, print_summary
from workbench.record import (
    CVInfo,
    FoldRecord,
    MetricInfo,
    RunRecord,
    ScoreSummary,
    ThresholdInfo,
    Timings,
)


def _fold(repeat: int, fold: int, train: float, valid: float) -> FoldRecord:
    return FoldRecord(
        repeat=repeat,
        fold=fold,
        n_train=712,
        n_valid=179,
        train_score=train,
        valid_score=valid,
        train_rows_scored=712,
        best_iteration=None,
        fit_seconds=0.2,
        features_seconds=0.05,
    )


def _record(threshold: ThresholdInfo | None) -> RunRecord:
    return RunRecord(
        run_id="20261125-204512-lgbm-base-3fa2",
        competition="titanic",
        config_name="lgbm-base",
        task="binary",
        classes=[0, 1],
        metric=MetricInfo(name="accuracy", greater_is_better=True),
        cv=CVInfo(scheme="stratified_kfold", folds=2, repeats=1),
        model="lightgbm",
        seed=42,
        folds=[_fold(0, 0, 0.88, 0.84), _fold(0, 1, 0.9, 0.82)],
        summary=ScoreSummary(
            valid_mean=0.83,
            valid_std=0.01,
            train_mean=0.89,
            train_std=0.01,
            gap=0.06,
            oof_score=0.83,
        ),
        threshold=threshold,
        submission="submissions/titanic/20261125-204512-lgbm-base-3fa2.csv",
        timings=Timings(total_seconds=3.14, cv_seconds=2.5, features_seconds=0.1, fit_seconds=0.4),
        created_at="2026-11-25T20:45:12+00:00",
    )


def _console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def test_print_summary_formats_the_record():
    console = _console()
    threshold = ThresholdInfo(
        used=0.45, optimized=0.45, optimized_metric="accuracy", oof_score_at_optimized=0.835
    )
    print_summary(
        console,
        _record(threshold),
        Path("runs/titanic/20261125-204512-lgbm-base-3fa2"),
        Path("runs/titanic/20261125-204512-lgbm-base-3fa2/report.html"),
        Path("submissions/titanic/20261125-204512-lgbm-base-3fa2.csv"),
    )
    text = console.export_text()
    assert "lgbm-base — accuracy" in text
    rows = [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in text.splitlines()
        if "179" in line
    ]
    assert [row[:2] for row in rows] == [["1", "1"], ["1", "2"]]  # repeat and fold, 1-based
    assert "CV accuracy (higher is better): 0.83000 ± 0.01000" in text
    assert "gap +0.06000" in text
    assert "threshold used for the submission: 0.450 (OOF-optimal 0.450" in text
    assert "OOF accuracy there 0.83500" in text
    assert "report:        runs/titanic/20261125-204512-lgbm-base-3fa2/report.html" in text
    assert "submission:    submissions/titanic/" in text
    assert "time:          3.1s" in text


def test_print_summary_without_threshold_or_report():
    console = _console()
    print_summary(console, _record(None), Path("runs/x"), None, Path("submissions/x.csv"))
    text = console.export_text()
    assert "threshold" not in text and "report:" not in text
    assert "run directory: runs/x" in text


def test_fold_printer_is_1_based():
    console = _console()
    FoldPrinter(console)(_fold(1, 2, 0.9, 0.8), 6)
    text = console.export_text()
    assert "fold 3 (repeat 2)" in text and "train 0.90000" in text and "0.25s" in text


def test_fold_printer_shows_elapsed_time_and_what_is_left():
    console = _console()
    now = iter([100.0, 130.0, 190.0, 220.0])  # started, after folds 1, 2 and 3
    printer = FoldPrinter(console, clock=lambda: next(now))
    first, second = _fold(0, 0, 0.9, 0.8), _fold(0, 1, 0.9, 0.8)
    first = first.model_copy(update={"fit_seconds": 19.0, "features_seconds": 1.0})
    second = second.model_copy(update={"fit_seconds": 38.0, "features_seconds": 2.0})
    printer(first, 3)
    printer(second, 3)
    printer(_fold(0, 2, 0.9, 0.8), 3)
    lines = console.export_text().splitlines()
    assert "(1/3, 30.0 s elapsed, about 40.0 s left)" in lines[0]  # 20 s a fold, 2 left
    assert "(2/3, 1 min 30 s elapsed, about 30.0 s left)" in lines[1]  # (20 + 40) / 2, 1 left
    assert lines[2].endswith("(3/3, 2 min 0 s elapsed)")  # nothing left: no estimate
