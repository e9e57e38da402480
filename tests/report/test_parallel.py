"""Figures rendered in worker processes are byte-for-byte those rendered in this process."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_synth import make_run

from workbench.report import build_report
from workbench.report import render as report_render


def _pngs(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run_dir / "figures").glob("*.png"))}


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_parallel_figures_match_serial(tmp_path: Path, task: str) -> None:
    run_dir = make_run(tmp_path, task, n=300, tuning=True)
    build_report(run_dir, workers=1)
    serial = _pngs(run_dir)
    serial_html = (run_dir / "report.html").read_text(encoding="utf-8")
    build_report(run_dir, workers=2)
    parallel = _pngs(run_dir)
    assert len(serial) >= 8
    assert serial.keys() == parallel.keys()
    for name in serial:
        assert serial[name] == parallel[name], name
    # the HTML embeds the same images (only the build time in the footer differs)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert html.split("<footer")[0] == serial_html.split("<footer")[0]


def test_falls_back_to_serial_when_the_pool_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = make_run(tmp_path, "binary", n=300)
    build_report(run_dir, workers=1)
    serial = _pngs(run_dir)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(report_render, "ProcessPoolExecutor", broken)
    build_report(run_dir, workers=2)
    assert _pngs(run_dir) == serial
