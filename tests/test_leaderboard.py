"""`workbench leaderboard`: every finished run best first, in three formats, and its page."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from quick_runs import built_once, copy_project, indexed_row, quick_run, submit
from synthetic import RIDGE_REGRESSION

from workbench.cli import main
from workbench.leaderboard import order


def _make(root: Path) -> list[str]:
    binary = [
        quick_run(root, "seed=1", "model.params.C=0.01"),
        quick_run(root, "seed=2"),
        quick_run(root, "seed=3", "model.params.C=10"),
    ]
    reg = [
        quick_run(root, "model.params.alpha=1000", body=RIDGE_REGRESSION, name="reg"),
        quick_run(root, "model.params.alpha=0.1", body=RIDGE_REGRESSION, name="reg"),
    ]
    return binary + reg


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_once(tmp_path_factory, "leaderboard", _make)


@pytest.fixture
def runs(built, tmp_path, monkeypatch) -> tuple[Path, list[str], list[str]]:
    """A project with 3 synth_binary runs (accuracy) and 2 synth_reg runs (rmse_log)."""
    root = copy_project(built[0], tmp_path / "project", monkeypatch)
    return root, built[1][:3], built[1][3:]


def _cv(root: Path, competition: str, run_id: str) -> dict:
    metrics = json.loads((root / "runs" / competition / run_id / "metrics.json").read_text())
    return metrics


def _best_first(root: Path, competition: str, ids: list[str], greater: bool) -> list[str]:
    def key(run_id: str) -> tuple:
        m = _cv(root, competition, run_id)
        mean = m["summary"]["valid_mean"]
        return (-mean if greater else mean, m["created_at"], run_id)

    return sorted(ids, key=key)


def _leaderboard(capsys, *args: str) -> tuple[str, str]:
    assert main(["leaderboard", *args]) == 0
    out = capsys.readouterr()
    return out.out, out.err


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_sorted_by_cv_best_first_in_every_format(runs, capsys):
    root, ids, _ = runs
    expected = _best_first(root, "synth_binary", ids, greater=True)

    table, err = _leaderboard(capsys, "synth_binary")
    lines = table.splitlines()
    assert lines[0].startswith("synth_binary: 3 runs, best first by CV score")
    assert "metric accuracy (higher is better)" in lines[0]
    assert lines[2].split()[:4] == ["#", "run", "config", "model"]
    assert set(lines[3]) <= {"-", " "}
    body = [line.split() for line in lines[4:]]
    assert [row[1] for row in body] == expected
    assert [row[0] for row in body] == ["1", "2", "3"]
    best = _cv(root, "synth_binary", expected[0])["summary"]
    assert f"{best['valid_mean']:.5f} ± {best['valid_std']:.5f}" in lines[4]
    assert "leaderboard page: runs/synth_binary/leaderboard.html" in err

    text, _ = _leaderboard(capsys, "synth_binary", "--format", "csv")
    rows = _csv(text)
    assert list(rows[0]) == [
        "rank",
        "run_id",
        "config",
        "model",
        "metric",
        "cv_mean",
        "cv_std",
        "public_score",
        "submitted_at",
        "total_seconds",
        "created_at",
    ]
    assert [r["run_id"] for r in rows] == expected
    for row in rows:  # every number exactly as the run recorded it
        metrics = _cv(root, "synth_binary", row["run_id"])
        assert float(row["cv_mean"]) == metrics["summary"]["valid_mean"]
        assert float(row["cv_std"]) == metrics["summary"]["valid_std"]
        assert float(row["total_seconds"]) == metrics["timings"]["total_seconds"]
        assert (row["model"], row["metric"], row["public_score"]) == ("logistic", "accuracy", "")

    text, _ = _leaderboard(capsys, "synth_binary", "--format", "md")
    md = text.splitlines()
    assert md[0] == (
        "| # | run | config | model | CV accuracy (mean ± std) | public | submitted (UTC) "
        "| run time |"
    )
    assert md[1] == "|---:|:---|:---|:---|---:|---:|---:|---:|"
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in md[2:]]
    assert [c[1] for c in cells] == expected
    assert all(len(c) == 8 and c[5] == "—" for c in cells)


def test_sorted_by_public_score_with_unsubmitted_runs_last(runs, capsys):
    root, ids, _ = runs
    by_cv = _best_first(root, "synth_binary", ids, greater=True)
    # the public leaderboard disagrees with the CV: the worst CV run scored best there
    submit(root, "synth_binary", by_cv[2], public=0.91, ref=1)
    submit(root, "synth_binary", by_cv[0], public=0.85, ref=2)

    text, err = _leaderboard(capsys, "synth_binary", "--sort", "public", "--format", "csv")
    rows = _csv(text)
    assert [r["run_id"] for r in rows] == [by_cv[2], by_cv[0], by_cv[1]]
    assert [r["public_score"] for r in rows] == ["0.91", "0.85", ""]
    assert rows[0]["submitted_at"] == "2026-11-30T10:01:00+00:00"

    text, _ = _leaderboard(capsys, "synth_binary", "--format", "csv")  # by CV: unchanged
    assert [r["run_id"] for r in _csv(text)] == by_cv

    table, _ = _leaderboard(capsys, "synth_binary", "--sort", "public")
    assert "best first by public score (unsubmitted runs last)" in table
    assert "0.91000" in table and "2026-11-30 10:01" in table

    # two submitted runs: the page and the plot are written, and say it is too few to judge
    assert "CV vs public score plot: runs/synth_binary/leaderboard.png" in err
    assert "CV vs public score: only 2 submitted runs: too few to judge" in err
    png = root / "runs/synth_binary/leaderboard.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (root / "runs/synth_binary/leaderboard.html").read_text(encoding="utf-8")
    assert "Only 2 submitted runs with a public score: not enough to judge" in html
    assert "Pearson" not in html
    assert "data:image/png;base64," in html and 'href="leaderboard.png"' in html
    for run_id in ids:
        assert run_id in html


def test_three_submitted_runs_give_the_correlation(runs, capsys):
    root, ids, _ = runs
    by_cv = _best_first(root, "synth_binary", ids, greater=True)
    for ref, (run_id, public) in enumerate(zip(by_cv, [0.86, 0.84, 0.80], strict=True)):
        submit(root, "synth_binary", run_id, public=public, ref=ref + 10)
    _, err = _leaderboard(capsys, "synth_binary", "--sort", "public")
    assert re.search(r"CV vs public score: (Pearson r = .* over 3 submitted runs|.*all equal)", err)
    html = (root / "runs/synth_binary/leaderboard.html").read_text(encoding="utf-8")
    means = [_cv(root, "synth_binary", r)["summary"]["valid_mean"] for r in by_cv]
    if len(set(means)) == 3:  # the public order is the CV order: a perfect rank correlation
        assert re.search(r"Pearson r = -?\d\.\d\d, Spearman ρ = 1\.00", html)
        assert "the CV ranks the runs much as the public leaderboard does" in html
    else:
        assert "Over 3 submitted runs: Pearson r =" in html or "all equal" in html
    assert (root / "runs/synth_binary/leaderboard.png").is_file()


def test_no_public_score_writes_the_page_without_a_plot(runs, capsys):
    root = runs[0]
    stale = root / "runs/synth_binary/leaderboard.png"
    stale.write_bytes(b"an old plot")
    _, err = _leaderboard(capsys, "synth_binary")
    assert not stale.exists() and "plot" not in err
    assert "CV vs public score: no run has a public score yet" in err
    html = (root / "runs/synth_binary/leaderboard.html").read_text(encoding="utf-8")
    assert "No run has a public score yet" in html
    assert "workbench sync synth_binary" in html
    assert "<img" not in html


def test_lower_is_better_metrics_sort_ascending(runs, capsys):
    root, _, reg = runs
    expected = _best_first(root, "synth_reg", reg, greater=False)
    text, _ = _leaderboard(capsys, "synth_reg", "--format", "csv")
    rows = _csv(text)
    assert [r["run_id"] for r in rows] == expected
    assert float(rows[0]["cv_mean"]) <= float(rows[1]["cv_mean"])
    assert {r["metric"] for r in rows} == {"rmse_log"}

    submit(root, "synth_reg", expected[0], public=0.30, ref=1)
    submit(root, "synth_reg", expected[1], public=0.20, ref=2)
    text, _ = _leaderboard(capsys, "synth_reg", "--sort", "public", "--format", "csv")
    assert [r["run_id"] for r in _csv(text)] == [expected[1], expected[0]]
    table, _ = _leaderboard(capsys, "synth_reg")
    assert "metric rmse_log (lower is better)" in table


def test_unknown_competition_is_one_message_and_exit_2(project, capsys):
    assert main(["leaderboard", "synth_binaryy"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("error: unknown competition 'synth_binaryy'")
    assert "did you mean 'synth_binary'?" in out.err
    assert len(out.err.strip().splitlines()) == 2  # the message and its hint
    for name in ("../synth_binary", "."):
        assert main(["leaderboard", name]) == 2
        assert capsys.readouterr().err.startswith("error: ")


def test_no_runs_yet_says_so_and_writes_nothing(project, capsys):
    assert main(["leaderboard", "synth_multi", "--format", "csv"]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.strip() == (
        "no finished runs of 'synth_multi' yet: `workbench run CONFIG` makes one; "
        "nothing was written"
    )
    assert not (project / "runs/synth_multi").exists()


# --- the order itself, on constructed rows ------------------------------------------------


def test_runs_of_another_metric_come_after_the_competitions_own():
    found = [
        indexed_row("r1", "roc_auc", 0.95),
        indexed_row("r2", "accuracy", 0.80),
        indexed_row("r3", "accuracy", 0.85),
        indexed_row("r4", "log_loss", 0.30),
        indexed_row("r5", "accuracy", 0.85),  # a tie: the older run first
    ]
    ranked = order(found, "cv", "accuracy", greater_is_better=True)
    assert [r.run_id for r in ranked] == ["r3", "r5", "r2", "r4", "r1"]


def test_public_order_is_the_competition_metrics_across_every_run():
    found = [
        indexed_row("r1", "rmse", 0.30, public=0.25),
        indexed_row("r2", "rmse", 0.20),
        indexed_row("r3", "rmse", 0.25, public=0.22),
        indexed_row("r4", "mae", 0.10, public=0.40),
    ]
    ranked = order(found, "public", "rmse", greater_is_better=False)
    assert [r.run_id for r in ranked] == ["r3", "r1", "r4", "r2"]
