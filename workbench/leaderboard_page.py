"""The leaderboard's page: how well does my CV predict the public leaderboard?

``runs/<competition>/leaderboard.png`` plots each submitted run's CV score (error bar: its
std over folds) against its public score, with the line y = x and, from 3 submitted runs on,
Pearson's and Spearman's correlation; ``runs/<competition>/leaderboard.html`` is one
self-contained page with the leaderboard table and that plot. Both are written atomically
(:mod:`workbench.io`). Only runs scored with the competition's metric are plotted: Kaggle's
public score is in that metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench.io import write_bytes, write_text
from workbench.leaderboard import Leaderboard, columns, rows, title

PAGE_FILE = "leaderboard.html"
PLOT_FILE = "leaderboard.png"
MIN_POINTS = 3  # fewer submitted runs: too few to say how well CV predicts the public score
LABELLED = 25  # points labelled with their rank; more would be a blur


@dataclass(frozen=True)
class Point:
    rank: int
    cv_mean: float
    cv_std: float
    public: float


@dataclass(frozen=True)
class Written:
    page: Path
    plot: Path | None  # None: no submitted run to plot
    summary: str  # the correlation in one line, or why there is none


def points(board: Leaderboard) -> list[Point]:
    """The submitted runs scored with the competition's metric, with their leaderboard rank."""
    return [
        Point(rank, run.cv_mean, run.cv_std, run.public_score)
        for rank, run in enumerate(board.runs, start=1)
        if run.public_score is not None and run.metric == board.metric
    ]


def correlations(found: list[Point]) -> tuple[float, float] | None:
    """Pearson's r and Spearman's rho of CV against public score; None below
    :data:`MIN_POINTS`. Either is NaN when the scores on one side are all equal."""
    if len(found) < MIN_POINTS:
        return None
    import warnings

    from scipy import stats

    x = [p.cv_mean for p in found]
    y = [p.public for p in found]
    with warnings.catch_warnings():  # constant input: scipy warns and returns NaN
        warnings.simplefilter("ignore")
        return float(stats.pearsonr(x, y)[0]), float(stats.spearmanr(x, y)[0])


def summary(found: list[Point]) -> str:
    """The correlation of CV and public score in one line, or why there is none."""
    if not found:
        return "no run has a public score yet"
    if len(found) < MIN_POINTS:
        n = len(found)
        return f"only {n} submitted run{'s' if n != 1 else ''}: too few to judge (≥ {MIN_POINTS})"
    pearson, spearman = correlations(found) or (math.nan, math.nan)
    if math.isnan(pearson) or math.isnan(spearman):
        return f"{len(found)} submitted runs, but their CV or public scores are all equal"
    return (
        f"Pearson r = {pearson:.2f}, Spearman ρ = {spearman:.2f} over {len(found)} submitted runs"
    )


def judgement(board: Leaderboard, found: list[Point]) -> str:
    """What the plot says, in words, including when there is too little to say anything."""
    excluded = sum(1 for r in board.runs if r.public_score is not None) - len(found)
    note = (
        f" ({excluded} submitted run{'s' if excluded != 1 else ''} scored with another metric "
        "in CV not plotted.)"
        if excluded
        else ""
    )
    if not found:
        return (
            f"No run has a public score yet, so there is nothing to compare the CV with. "
            f"`workbench submit RUN --wait` or `workbench sync {board.competition}` bring the "
            f"public scores in.{note}"
        )
    if len(found) < MIN_POINTS:
        n = len(found)
        return (
            f"Only {n} submitted run{'s' if n != 1 else ''} with a public score: not enough to "
            f"judge how well the CV predicts the public score (at least {MIN_POINTS} are "
            f"needed).{note}"
        )
    pearson, spearman = correlations(found) or (math.nan, math.nan)
    if math.isnan(pearson) or math.isnan(spearman):
        return (
            f"{len(found)} submitted runs, but their CV or their public scores are all equal: "
            f"no correlation can be computed.{note}"
        )
    agree = (
        "the CV ranks the runs much as the public leaderboard does"
        if spearman >= 0.7
        else "the CV ranks the runs only partly as the public leaderboard does"
        if spearman >= 0.3
        else "the CV does not rank the runs as the public leaderboard does"
    )
    return (
        f"Over {len(found)} submitted runs: Pearson r = {pearson:.2f}, Spearman ρ = "
        f"{spearman:.2f}: {agree}. The public score is computed on a part of the test rows "
        f"only, so it is noisy too: a CV difference smaller than the error bars (the std over "
        f"folds) is not expected to show on the leaderboard.{note}"
    )


def plot(board: Leaderboard, found: list[Point]) -> bytes:
    """The CV-vs-public scatter as PNG bytes (drawn at the report's resolution and style)."""
    from workbench.report import style

    @style.styled
    def draw() -> bytes:
        fig = style.new_figure(5.6, width=7.2, layout="constrained")
        ax = fig.add_subplot()
        x = [p.cv_mean for p in found]
        y = [p.public for p in found]
        ax.errorbar(
            x,
            y,
            xerr=[p.cv_std for p in found],
            fmt="o",
            color=style.VALID_COLOR,
            ecolor=style.NEUTRAL,
            elinewidth=1,
            capsize=3,
            label="a submitted run (bar: CV std over folds)",
        )
        lo = min(*x, *y, *(p.cv_mean - p.cv_std for p in found))
        hi = max(*x, *y, *(p.cv_mean + p.cv_std for p in found))
        pad = (hi - lo) * 0.08 or max(abs(hi) * 0.01, 1e-3)
        ends = [lo - pad, hi + pad]
        ax.plot(ends, ends, "--", color=style.MEAN_COLOR, lw=1, label="y = x (public score = CV)")
        for p in found if len(found) <= LABELLED else []:  # more: a blur of labels
            ax.annotate(
                f"#{p.rank}",
                (p.cv_mean, p.public),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=8.5,
                color=style.NEUTRAL,
            )
        direction = "higher" if board.greater_is_better else "lower"
        ax.set_xlabel(f"CV {board.metric} (mean ± std over folds)")
        ax.set_ylabel(f"public score ({board.metric}, {direction} is better)")
        ax.set_title(f"{board.competition}: does the CV predict the public score?")
        # below the axes, so that neither the legend nor the correlation hides a point
        fig.legend(loc="outside lower center", ncols=2, title=summary(found), frameon=False)
        return style.to_png(fig)

    return draw()


def write(board: Leaderboard, runs_dir: Path) -> Written:
    """Write the plot (when a run has a public score) and the page into ``runs_dir``."""
    from workbench.report.html import FigureItem, Section, render_html

    found = points(board)
    words = judgement(board, found)
    plot_path = runs_dir / PLOT_FILE
    figure = None
    if found:
        png = plot(board, found)
        write_bytes(plot_path, png)
        from workbench.report.style import css_size

        width, height = css_size(png)
        figure = FigureItem(
            PLOT_FILE,
            "CV vs public score",
            "each point is a submitted run, labelled with its rank in the table; the horizontal "
            "bar is the spread of its CV score over folds. Points on the dashed line scored on "
            "the public leaderboard what the CV predicted; points along a line parallel to it "
            "are off by a constant (the public rows differ), which does not change the order.",
            png,
            width,
            height,
        )
    else:
        plot_path.unlink(missing_ok=True)  # an older plot would show runs that are gone

    table = Section("runs", "Runs")
    table.table(columns(board), rows(board), caption=title(board))
    versus = Section("cv-vs-public", "CV vs public score")
    versus.text(words)
    if figure is not None:
        versus.figure(figure)
    html = render_html(
        title=f"{board.competition} leaderboard",
        subtitle=title(board),
        sections=[table, versus],
        footer=f"written by `workbench leaderboard {board.competition}` at "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        page_title=f"{board.competition} leaderboard",
    )
    # the report's figure links point into figures/; this page's plot lies beside it
    html = html.replace(f'href="figures/{PLOT_FILE}"', f'href="{PLOT_FILE}"')
    page = write_text(runs_dir / PAGE_FILE, html)
    return Written(page, plot_path if figure is not None else None, summary(found))
