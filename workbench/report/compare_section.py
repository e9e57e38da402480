"""The report's "Best earlier run", in its Summary section: this run's CV score beside the
best run of the same competition and metric created before it (from the run index), and
whether the difference is beyond fold-to-fold noise (the paired test of ``workbench compare``
when both runs were scored on the same folds; otherwise both means ± std, and why the folds
differ).

Cheap by design (no figures, no heavy imports: the run index and two small files), and it
never fails the report: a run directory outside ``runs/<competition>/`` or an index that
cannot be read leaves it out and says why in the log.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench import runindex
from workbench.compare import RunFiles, load, paired_test, why_folds_differ
from workbench.competition import Project
from workbench.paired import ALPHA
from workbench.report import formats as fmt
from workbench.report.html import Section
from workbench.report.run import Run

log = logging.getLogger(__name__)
HEADING = "Best earlier run"


def add_best_earlier_run(summary: Section, run: Run) -> None:
    """Add the comparison to the Summary section, beside the run's own score; add nothing
    when it cannot be made (the reason goes to the log)."""
    root = project_root(run)
    if root is None:
        return
    try:
        blocks = best_earlier_blocks(run, root)
    except Exception as exc:  # the index is a convenience: the report must not depend on it
        log.warning("report: the best earlier run is left out (%s: %s)", type(exc).__name__, exc)
        return
    summary.subheading(HEADING)
    summary.blocks.extend(blocks)


def project_root(run: Run) -> Path | None:
    """The project of a run directory ``<root>/runs/<competition>/<dir>`` (``<dir>`` may be
    the ``.partial`` one the report is built in), or None for a directory elsewhere."""
    path = run.path.resolve()
    if path.parent.name != run.record.competition or path.parent.parent.name != "runs":
        return None
    return path.parents[2]


def best_earlier_blocks(run: Run, root: Path) -> list[dict[str, Any]]:
    """The comparison as report blocks (:class:`Section`'s); raises if the run index or the
    earlier run cannot be read."""
    record = run.record
    section = Section("earlier", HEADING)
    created = _moment(record.created_at)
    if created is None:
        raise ValueError(f"metrics.json: created_at {record.created_at!r} is not ISO 8601")
    earlier = [  # created_at has whole seconds: a run of the same second counts as earlier
        r
        for r in runindex.runs(Project(root), record.competition)
        if r.run_id != record.run_id and _created_by(r.created_at, created)
    ]
    same_metric = [r for r in earlier if r.metric == record.metric.name]
    if not same_metric:
        others = len(earlier)
        section.text(
            f"This is the first run of {record.competition}: there is no earlier run to compare "
            "it with."
            if not others
            else f"No earlier run of {record.competition} was scored with {run.metric} "
            f"({others} used another metric): there is nothing to compare this run with."
        )
        return section.blocks

    sign = 1 if run.greater_is_better else -1
    best = max(same_metric, key=lambda r: (sign * r.cv_mean, r.created_at))
    this = RunFiles(run.path, record, run.config or None, runindex.folds_digest(run.path))
    other = load(best.path, folds_sha256=best.folds_sha256)
    summary = record.summary
    delta = summary.valid_mean - best.cv_mean
    better = delta != 0 and (delta > 0) == run.greater_is_better
    section.cards(
        [
            (f"This run: CV {run.metric}", fmt.score_pm(summary.valid_mean, summary.valid_std)),
            ("Best earlier run", fmt.score_pm(best.cv_mean, best.cv_std)),
            ("Difference (this − earlier)", f"{delta:+,.4f}"),
        ]
    )
    section.pairs(
        [
            ("Best earlier run", best.run_id),
            ("Its config and model", f"{best.config_name} · {best.model}"),
            ("Created", best.created_at),
            ("Earlier runs with this metric", str(len(same_metric))),
        ]
    )
    reasons = why_folds_differ(other, this)
    word = "better" if better else "worse" if delta else "no different"
    if reasons:
        by = f"by {abs(delta):,.4f} in mean CV {run.metric}" if delta else "in mean CV"
        section.text(
            f"This run is {word} than the best earlier run {by}, but the two were not scored "
            f"on the same folds ({'; '.join(reasons)}), so no paired test is possible: compare "
            "the means with their spreads above. A difference smaller than the stds over folds "
            "is likely noise."
        )
    else:
        test = paired_test(other.record, record)
        wins = f"this run scores better on {test.wins} of {test.n} folds"
        if not test.judged:
            section.text(
                f"Same folds as the best earlier run; whether the difference is beyond the "
                f"noise cannot be judged: {test.reason}."
            )
        elif test.significant:
            section.verdict(
                "good" if better else "bad",
                f"{word.capitalize()} than the best earlier run, beyond the fold-to-fold noise",
                f"Mean difference per fold {test.mean_diff:+,.4f} (std {test.std_diff:,.4f}) "
                f"over the same {test.n} folds; corrected paired t-test p = {test.p:.3f}; {wins}.",
            )
        else:
            section.verdict(
                "warn",
                "Within the fold-to-fold noise of the best earlier run",
                f"Mean difference per fold {test.mean_diff:+,.4f} (std {test.std_diff:,.4f}) "
                f"over the same {test.n} folds; corrected paired t-test p = {test.p:.3f} "
                f"(≥ {ALPHA}): not evidence that either run is better; {wins}.",
            )
    section.text(
        f"`workbench compare {best.run_id} {record.run_id}` shows what changed between the two "
        "configs. The corrected paired t-test (Nadeau & Bengio) allows for the folds sharing "
        "most of their training rows, which an ordinary t-test over folds ignores.",
        css="note",
    )
    return section.blocks


def _created_by(iso: str, moment: float) -> bool:
    """Whether a run created at ``iso`` was created by ``moment`` (False if unreadable)."""
    created = _moment(iso)
    return created is not None and created <= moment


def _moment(iso: str) -> float | None:
    """An ISO 8601 timestamp in seconds (UTC when it names no zone); None if it is not one."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
