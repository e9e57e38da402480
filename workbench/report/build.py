"""Assemble the report from a run directory (see :func:`build_report`)."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.io import write_bytes, write_text
from workbench.report.html import Section, render_html
from workbench.report.render import Figures
from workbench.report.run import Run, load_run, pool, prediction_columns
from workbench.report.sections import (
    binary_section,
    data_section,
    fit_section,
    importance_section,
    multiclass_section,
    regression_section,
    summary_section,
    tuning_section,
)


def build_report(run_dir: str | Path) -> Path:
    """Write ``run_dir/report.html`` and ``run_dir/figures/*.png``; return the HTML path.

    Raises :class:`UserError` if ``run_dir`` is not a run directory.
    """
    start = time.perf_counter()
    with collector_paused():
        run = load_run(run_dir)
        sections, figs = plan_report(run)
        figs.render_all()
        return write_report(run, sections, figs, start)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collections while drawing: matplotlib makes many small reference cycles, and
    collecting them as they come costs 10-20% of the build. They are collected afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_data_figures(profile: dict[str, Any] | None) -> Figures:
    """The data section's figures, registered from the data profile (``data_profile.json``)
    alone.

    They need no results, so a run can draw them while its folds are fitted; their names and
    bytes are those of the same figures in :func:`plan_report`.
    """
    run = Run(path=Path("."), metrics={}, oof=pd.DataFrame(), profile=profile)
    figs = Figures()
    data_section(run, figs)
    return figs


def plan_report(run: Run) -> tuple[list[Section], Figures]:
    """The report's sections, with their figures registered but not yet drawn."""
    figs = Figures()
    columns = prediction_columns(run)
    pooled = pool(run, columns) if len(run.oof) else None

    sections = [summary_section(run), fit_section(run, figs, pooled)]
    if pooled is not None:
        if run.task == "binary":
            sections.append(binary_section(run, figs, pooled))
        elif run.task == "multiclass":
            sections.append(multiclass_section(run, figs, pooled))
        else:
            sections.append(regression_section(run, figs, pooled))
    sections.append(importance_section(run, figs))
    sections.append(data_section(run, figs))
    tuning = tuning_section(run, figs)
    if tuning is not None:
        sections.append(tuning)
    return sections, figs


def write_report(run: Run, sections: list[Section], figs: Figures, start: float) -> Path:
    """Write the rendered figures to figures/ (removing stale ones) and report.html."""
    figures_dir = run.path / "figures"
    written = set()
    for item in figs.items:
        write_bytes(figures_dir / item.name, item.png)
        written.add(item.name)
    if figures_dir.is_dir():
        for stale in figures_dir.glob("*.png"):
            if stale.name not in written:
                stale.unlink(missing_ok=True)

    m = run.metrics
    title = f"{m.get('competition', 'run')} · {m.get('config_name', run.path.name)}"
    subtitle = (
        f"Run {m.get('run_id', run.path.name)} · {run.task} · metric {run.metric} "
        f"({'higher' if run.greater_is_better else 'lower'} is better)"
    )
    footer = (
        f"Created {m.get('created_at', '—')} · report built in "
        f"{time.perf_counter() - start:.2f} s from {run.path.name}/ · figures also in figures/"
    )
    html = render_html(title=title, subtitle=subtitle, sections=sections, footer=footer)
    return write_text(run.path / "report.html", html)
