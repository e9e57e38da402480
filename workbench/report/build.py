"""Assemble the report from a run directory (see :func:`build_report`)."""

from __future__ import annotations

import time
from pathlib import Path

from workbench.io import write_bytes, write_text
from workbench.report.blend_section import blend_section
from workbench.report.compare_section import add_best_earlier_run
from workbench.report.drift_section import drift_section
from workbench.report.explain_section import add_classification_worst_rows, shap_section
from workbench.report.html import Section, render_html
from workbench.report.render import Figures
from workbench.report.run import Run, load_run, pool, prediction_columns
from workbench.report.sections import (
    binary_section,
    config_section,
    data_section,
    fit_section,
    importance_section,
    multiclass_section,
    regression_section,
    summary_section,
)
from workbench.report.tuning_section import tuning_section


def build_report(run_dir: str | Path) -> Path:
    """Write ``run_dir/report.html`` and ``run_dir/figures/*.png``; return the HTML path.

    Reads only the run directory (docs/run-directory.md), so it works the same in a run's
    ``.partial`` directory and on a finished run. Raises :class:`UserError` if ``run_dir`` is
    not a run directory.
    """
    start = time.perf_counter()
    run = load_run(run_dir)
    sections, figs = plan_report(run)
    figs.render_all()
    return write_report(run, sections, figs, start)


def plan_report(run: Run) -> tuple[list[Section], Figures]:
    """The report's sections, with their figures registered but not yet drawn."""
    figs = Figures()
    columns = prediction_columns(run)
    pooled = pool(run, columns) if len(run.oof) else None

    sections = [summary_section(run), config_section(run), fit_section(run, figs, pooled)]
    add_best_earlier_run(sections[0], run)  # beside the run's own score, from the run index
    blend = blend_section(run)  # a blend run: how its score was made, right after the summary
    if blend is not None:
        sections.insert(1, blend)
    if pooled is not None:
        if run.task == "binary":
            sections.append(binary_section(run, figs, pooled))
        elif run.task == "multiclass":
            sections.append(multiclass_section(run, figs, pooled))
        else:
            sections.append(regression_section(run, figs, pooled))
        if run.task != "regression":  # regression's worst rows are in its own section
            add_classification_worst_rows(sections[-1], run, pooled)
    sections.append(importance_section(run, figs))
    shap = shap_section(run, figs)
    if shap is not None:
        sections.append(shap)
    sections.append(data_section(run, figs))
    drift = drift_section(run, figs)
    if drift is not None:
        sections.append(drift)
    tuning = tuning_section(run, figs)
    if tuning is not None:
        sections.append(tuning)
    return sections, figs


def write_report(run: Run, sections: list[Section], figs: Figures, start: float) -> Path:
    """Write the rendered figures to figures/ (removing stale ones) and report.html; the footer
    gives the time since ``start`` (a :func:`time.perf_counter` reading)."""
    figures_dir = run.path / "figures"
    written = set()
    for item in figs.items:
        write_bytes(figures_dir / item.name, item.png)
        written.add(item.name)
    if figures_dir.is_dir():
        for stale in figures_dir.glob("*.png"):
            if stale.name not in written:
                stale.unlink(missing_ok=True)

    record = run.record
    title = f"{record.competition} · {record.config_name}"
    subtitle = (
        f"Run {record.run_id} · {run.task} · metric {run.metric} "
        f"({'higher' if run.greater_is_better else 'lower'} is better)"
    )
    footer = (
        f"Run {record.run_id} · created {record.created_at} · report built in "
        f"{time.perf_counter() - start:.2f} s · figures also in figures/"
    )
    # the browser tab: the config and the run id, so that two reports can be told apart
    page_title = f"{record.config_name} · {record.run_id} · {record.competition} report"
    html = render_html(
        title=title, subtitle=subtitle, sections=sections, footer=footer, page_title=page_title
    )
    return write_text(run.path / "report.html", html)
