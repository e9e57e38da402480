"""Assemble the report from a run directory (see :func:`build_report`)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from workbench.io import write_bytes, write_text
from workbench.report.html import render_html
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


def build_report(run_dir: str | Path, *, workers: int = 1) -> Path:
    """Write ``run_dir/report.html`` and ``run_dir/figures/*.png``; return the HTML path.

    ``workers > 1`` renders the figures in that many forked processes (``fork`` start method
    only; matplotlib only, no OpenMP in the children); the output is the same either way.

    Raises :class:`UserError` if ``run_dir`` is not a run directory.
    """
    start = time.perf_counter()
    run = load_run(run_dir)
    # Full garbage collections over a big heap (the engine's data, models, modules) can cost more
    # than drawing a figure; freeze what exists now so they only scan the report's own objects.
    gc.freeze()
    try:
        return _build(run, start, workers)
    finally:
        gc.unfreeze()


def _build(run: Run, start: float, workers: int) -> Path:
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

    figs.render_all(workers)
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
