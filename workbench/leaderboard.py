"""``workbench leaderboard COMPETITION``: every finished run of a competition, best first.

The rows come from the run index (:func:`workbench.runindex.runs`, which first makes the index
agree with the run directories). A score is only comparable with scores of the same metric:
sorted by CV, the runs scored with the competition's metric come first, each other metric's
runs after them, each group best first in its own metric's direction. Kaggle's public score is
always in the competition's metric, so sorted by it every submitted run is in one order (the
competition metric's direction), and runs without a public score follow, in CV order.

Three formats of the same rows: ``table`` (aligned text for the terminal), ``csv`` (every
number as stored, for other tools) and ``md`` (a Markdown table for a write-up).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from workbench.competition import Project, load_competition
from workbench.config import NAME_PATTERN
from workbench.errors import UserError
from workbench.report import formats as fmt
from workbench.runindex import IndexedRun, runs

Sort = Literal["cv", "public"]
SORTS: tuple[Sort, ...] = ("cv", "public")
FORMATS = ("table", "csv", "md")
CSV_COLUMNS = [
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


@dataclass(frozen=True)
class Leaderboard:
    """A competition's finished runs, best first (``runs[0]`` is rank 1)."""

    competition: str
    metric: str  # the competition's metric: the public score's, and the first group's
    greater_is_better: bool
    sort: Sort
    runs: list[IndexedRun]

    @property
    def metrics(self) -> list[str]:
        """The metrics of the runs, in the order they appear."""
        return list(dict.fromkeys(r.metric for r in self.runs))


def build(project: Project, competition: str, sort: Sort = "cv") -> Leaderboard:
    """The leaderboard of one competition (no runs: an empty one)."""
    if not re.fullmatch(NAME_PATTERN, competition):
        raise UserError(
            f"competition {competition!r} is not a plain name",
            hint="use the folder name under competitions/ or runs/",
        )
    found = runs(project, competition)
    metric, greater = competition_metric(project, competition, found)
    return Leaderboard(
        competition, metric, greater, sort, order(found, sort, metric, greater_is_better=greater)
    )


def competition_metric(
    project: Project, competition: str, found: list[IndexedRun]
) -> tuple[str, bool]:
    """The competition's metric (competition.yaml; else the one most runs used) and whether
    higher is better."""
    try:
        metric = load_competition(competition, project).spec.metric
    except UserError:
        counts = Counter(r.metric for r in found)
        metric = counts.most_common(1)[0][0] if counts else ""
    for run in found:
        if run.metric == metric:
            return metric, run.greater_is_better
    if not found:
        return metric, True  # nothing to order
    from workbench.metrics import METRICS  # no run uses it: ask the registry (imports sklearn)

    known = METRICS.get(metric)
    return metric, known.greater_is_better if known else True


def order(
    found: list[IndexedRun], sort: Sort, metric: str, *, greater_is_better: bool
) -> list[IndexedRun]:
    """``found`` best first (see the module's docstring); ties: the older run first."""
    metrics = [metric, *sorted({r.metric for r in found} - {metric})]
    group = {name: i for i, name in enumerate(metrics)}

    def by_cv(run: IndexedRun) -> tuple[int, float, str, str]:
        signed = -run.cv_mean if run.greater_is_better else run.cv_mean
        return group[run.metric], signed, run.created_at, run.run_id

    ranked = sorted(found, key=by_cv)
    if sort == "cv":
        return ranked
    public: dict[str, float] = {
        r.run_id: value for r in ranked if (value := r.public_score) is not None
    }
    submitted = sorted(
        (r for r in ranked if r.run_id in public),
        key=lambda r: -public[r.run_id] if greater_is_better else public[r.run_id],
    )
    return submitted + [r for r in ranked if r.run_id not in public]


def render(board: Leaderboard, form: str) -> str:
    """The leaderboard in one of :data:`FORMATS`."""
    return {"table": to_table, "csv": to_csv, "md": to_markdown}[form](board)


def score(value: float | None) -> str:
    """A score: 5 decimals, as Kaggle shows public scores; empty when unknown."""
    return "" if value is None else f"{value:,.5f}"


def when(iso: str | None) -> str:
    """A timestamp as ``2026-11-26 09:12`` (UTC, as recorded); empty when unknown."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def columns(board: Leaderboard) -> list[str]:
    """The headers of the table and Markdown formats (a metric column only with several)."""
    several = len(board.metrics) > 1
    cv = "CV mean ± std" if several else f"CV {board.metric} (mean ± std)"
    return [
        "#",
        "run",
        "config",
        "model",
        *(["metric"] if several else []),
        cv,
        "public",
        "submitted (UTC)",
        "run time",
    ]


def rows(board: Leaderboard) -> list[list[str]]:
    """One row of text per run, in the order of :func:`columns`."""
    several = len(board.metrics) > 1
    return [
        [
            str(rank),
            run.run_id,
            run.config_name,
            run.model,
            *([run.metric] if several else []),
            f"{score(run.cv_mean)} ± {score(run.cv_std)}",
            score(run.public_score) or "—",
            when(run.submitted_at) or "—",
            fmt.duration(run.total_seconds),
        ]
        for rank, run in enumerate(board.runs, start=1)
    ]


def title(board: Leaderboard) -> str:
    n = len(board.runs)
    direction = "higher" if board.greater_is_better else "lower"
    by = "CV score" if board.sort == "cv" else "public score (unsubmitted runs last)"
    return (
        f"{board.competition}: {n} run{'s' if n != 1 else ''}, best first by {by}; "
        f"metric {board.metric} ({direction} is better)"
    )


def to_table(board: Leaderboard) -> str:
    """Aligned plain text: text columns left, numbers right."""
    header, body = columns(board), rows(board)
    left = {"run", "config", "model", "metric"}
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = (
            cell.ljust(w) if name in left else cell.rjust(w)
            for cell, w, name in zip(cells, widths, header, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title(board), "", line(header), rule, *map(line, body)])


def to_csv(board: Leaderboard) -> str:
    """Every number as stored (full precision), empty cells for unknown values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rank, run in enumerate(board.runs, start=1):
        writer.writerow(
            [
                rank,
                run.run_id,
                run.config_name,
                run.model,
                run.metric,
                run.cv_mean,  # str(float) is the shortest text that reads back exactly
                run.cv_std,
                "" if run.public_score is None else run.public_score,
                run.submitted_at or "",
                run.total_seconds,
                run.created_at,
            ]
        )
    return out.getvalue()


def to_markdown(board: Leaderboard) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned), one row per run."""
    header, body = columns(board), rows(board)
    left = {"run", "config", "model", "metric"}

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    align = "|" + "|".join(":---" if name in left else "---:" for name in header) + "|"
    return "\n".join([line(header), align, *map(line, body)]) + "\n"
