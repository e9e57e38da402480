"""The report built by the background worker and its helper is the serial build, byte for byte;
every way the worker can fail ends in a report built by the run itself."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from pathlib import Path

import pytest
from report_synth import make_run

from workbench.report import background, build_report
from workbench.report.background import ReportWorker
from workbench.report.render import Figures

pytestmark = pytest.mark.skipif(
    not background.usable(), reason="the background worker needs fork and two cores"
)


def _pngs(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run_dir / "figures").glob("*.png"))}


def _page(run_dir: Path) -> str:
    """report.html without its footer (which holds the build time)."""
    return (run_dir / "report.html").read_text(encoding="utf-8").split("<footer")[0]


def _serial(tmp_path: Path, task: str, **kwargs) -> tuple[dict[str, bytes], str]:
    reference = make_run(tmp_path / "serial", task, **kwargs)
    build_report(reference)
    return _pngs(reference), _page(reference)


def _no_children() -> bool:
    return not multiprocessing.active_children()


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_worker_and_helper_build_the_serial_report(tmp_path: Path, task: str) -> None:
    pngs, page = _serial(tmp_path, task, n=300, tuning=True)
    run_dir = make_run(tmp_path / "background", task, n=300, tuning=True)
    worker = ReportWorker.start(run_dir, lambda: None)
    assert worker is not None
    assert worker.finish() == run_dir / "report.html"
    worker.stop()
    assert len(pngs) >= 8
    assert _pngs(run_dir) == pngs
    assert _page(run_dir) == page
    assert _no_children()


def test_prepare_runs_in_the_worker(tmp_path: Path) -> None:
    """``prepare`` writes the data profile the report then shows (here: moved aside first)."""
    pngs, page = _serial(tmp_path, "binary", n=200)
    run_dir = make_run(tmp_path / "background", "binary", n=200)
    profile = (run_dir / "data_profile.json").read_bytes()
    (run_dir / "data_profile.json").unlink()
    parent = os.getpid()
    seen = []

    def prepare() -> None:
        seen.append(os.getpid())  # only visible in the worker's memory
        assert os.getpid() != parent
        (run_dir / "data_profile.json").write_bytes(profile)

    worker = ReportWorker.start(run_dir, prepare)
    assert worker is not None and worker.finish() is not None
    worker.stop()
    assert seen == []  # prepare ran in the other process, not here
    assert _pngs(run_dir) == pngs and _page(run_dir) == page


def test_a_failing_worker_reports_none_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_dir = make_run(tmp_path, "binary", n=200)

    def prepare() -> None:
        raise RuntimeError("disk on fire")

    worker = ReportWorker.start(run_dir, prepare)
    assert worker is not None
    with caplog.at_level(logging.WARNING, logger="workbench.report.background"):
        assert worker.finish() is None
    assert "disk on fire" in caplog.text
    assert not (run_dir / "report.html").exists()
    assert _no_children()


def test_a_killed_worker_reports_none(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "binary", n=200)
    worker = ReportWorker.start(run_dir, lambda: None)
    assert worker is not None
    os.kill(worker._process.pid, signal.SIGKILL)
    assert worker.finish() is None
    assert _no_children()


def test_without_the_helper_the_worker_draws_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pngs, page = _serial(tmp_path, "binary", n=200)
    run_dir = make_run(tmp_path / "background", "binary", n=200)
    monkeypatch.setattr(background._Helper, "start", classmethod(lambda cls, *a, **k: None))
    worker = ReportWorker.start(run_dir, lambda: None)
    assert worker is not None and worker.finish() is not None
    worker.stop()
    assert _pngs(run_dir) == pngs and _page(run_dir) == page


def test_figures_a_failing_helper_took_are_drawn_by_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pngs, page = _serial(tmp_path, "regression", n=200)
    run_dir = make_run(tmp_path / "background", "regression", n=200)
    real_help = background._help

    def help_then_break(*args) -> None:
        """In the helper only: take two figures from the shared counter, then fail."""

        def render(self, claim, done=()):
            claim(), claim()
            raise RuntimeError("helper broke")

        monkeypatch.setattr(Figures, "render", render)
        real_help(*args)

    monkeypatch.setattr(background, "_help", help_then_break)
    worker = ReportWorker.start(run_dir, lambda: None)
    assert worker is not None and worker.finish() is not None
    worker.stop()
    assert _pngs(run_dir) == pngs and _page(run_dir) == page


def test_stop_without_finish_ends_the_worker(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "binary", n=200)
    worker = ReportWorker.start(run_dir, lambda: None)
    assert worker is not None
    worker.stop()
    worker.stop()  # twice is fine
    assert _no_children()
    assert not (run_dir / "report.html").exists()


def test_not_started_where_it_cannot_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "available_cores", lambda: 1)
    assert not background.usable()
    assert ReportWorker.start(tmp_path, lambda: None) is None
