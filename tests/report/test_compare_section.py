"""The report's "Best earlier run": beside the run's score, from the run index."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

from quick_runs import quick_run
from synthetic import LOGISTIC_BINARY

from workbench.report.compare_section import (
    HEADING,
    add_best_earlier_run,
    best_earlier_blocks,
    project_root,
)
from workbench.report.html import Section
from workbench.report.run import load_run

WITH_REPORT = {
    **LOGISTIC_BINARY,
    "report": {"enabled": True, "permutation_importance": False},
}


def _summary(html: str) -> str:
    start = html.index('<section id="summary">')
    return html[start : html.index("</section>", start)]


def _text(blocks: list[dict]) -> str:
    return " ".join(str(b.get("text", "")) + " " + str(b.get("entries", "")) for b in blocks)


def test_the_second_runs_report_compares_it_with_the_first(project):
    first = quick_run(project, body=WITH_REPORT)
    second = quick_run(project, "model.params.C=0.05", body=WITH_REPORT)
    runs = project / "runs/synth_binary"

    html = (runs / first / "report.html").read_text(encoding="utf-8")
    summary = _summary(html)
    assert f"<h3>{HEADING}</h3>" in summary
    assert "This is the first run of synth_binary: there is no earlier run to compare it with." in (
        summary
    )
    assert re.findall(r'<section id="([^"]+)">', html)[:3] == ["summary", "config", "fit"]

    summary = _summary((runs / second / "report.html").read_text(encoding="utf-8"))
    assert f"<h3>{HEADING}</h3>" in summary
    assert "first run" not in summary
    assert first in summary  # the best earlier run, by id
    assert "Difference (this − earlier)" in summary
    assert 'class="verdict' in summary or "cannot be judged" in summary  # same folds: paired
    assert "corrected paired t-test" in summary or "cannot be judged" in summary
    assert f"workbench compare {first} {second}" in summary
    assert "not scored on the same folds" not in summary


def test_folds_that_differ_show_both_means_and_why(project):
    first = quick_run(project)
    other = quick_run(project, "seed=7")
    run = load_run(project / "runs/synth_binary" / other)
    text = _text(best_earlier_blocks(run, project))
    assert "not scored on the same folds" in text
    assert "different seeds (42 vs 7)" in text
    assert first in text
    assert "Best earlier run" in text and "Created" in text


def _created(run_dir: Path, when: str) -> None:
    """Set a run's creation time (the record has whole seconds: quick runs share one)."""
    path = run_dir / "metrics.json"
    path.write_text(re.sub(r'"created_at": "[^"]+"', f'"created_at": "{when}"', path.read_text()))


def test_the_best_of_several_earlier_runs_is_chosen_and_later_runs_are_not(project):
    ids = [quick_run(project, f"model.params.C={c}") for c in (0.001, 1.0, 0.01)]
    runs = project / "runs/synth_binary"
    for second, run_id in enumerate(ids):
        _created(runs / run_id, f"2026-11-30T10:00:0{second}+00:00")
    earlier = [load_run(runs / i).record for i in ids[:2]]
    best = max(earlier, key=lambda r: (r.summary.valid_mean, r.created_at)).run_id
    text = _text(best_earlier_blocks(load_run(runs / ids[2]), project))
    assert best in text and ids[2] not in text.split("workbench compare")[0]
    assert "('Earlier runs with this metric', '2')" in text

    first = _text(best_earlier_blocks(load_run(runs / ids[0]), project))  # a rebuilt report
    assert "first run of synth_binary" in first


def test_an_unreadable_index_leaves_it_out_and_logs_why(project, caplog):
    run_id = quick_run(project)
    index = project / "runs/index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    index.mkdir()  # a folder where the database should be
    summary = Section("summary", "Summary")
    with caplog.at_level(logging.WARNING, logger="workbench"):
        add_best_earlier_run(summary, load_run(project / "runs/synth_binary" / run_id))
    assert summary.blocks == []
    assert "the best earlier run is left out" in caplog.text


def test_a_run_outside_runs_gets_nothing(project, tmp_path):
    run_id = quick_run(project)
    elsewhere = tmp_path / "copies" / run_id
    shutil.copytree(project / "runs/synth_binary" / run_id, elsewhere)
    run = load_run(elsewhere)
    assert project_root(run) is None
    summary = Section("summary", "Summary")
    add_best_earlier_run(summary, run)
    assert summary.blocks == []
    assert project_root(load_run(project / "runs/synth_binary" / run_id)) == project.resolve()
