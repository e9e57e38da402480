"""``workbench compare RUN_A RUN_B``: what changed between two runs, and whether it mattered.

Reads two finished run directories (docs/run-directory.md): the resolved configs give the
changes (:mod:`workbench.configdiff`), the records the score difference, and when both runs
were scored on the same folds (equal sha256 of ``folds.csv``) the per-fold scores give a
paired test against fold-to-fold noise (:mod:`workbench.paired`). Otherwise it says why the
folds differ. The report's "best earlier run" uses the same pieces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workbench.configdiff import Change, diff
from workbench.errors import UserError
from workbench.paired import ALPHA, PairedTest, corrected_ttest
from workbench.record import RunRecord, read_record
from workbench.runindex import folds_digest


@dataclass(frozen=True)
class RunFiles:
    """What a comparison reads of one run directory."""

    path: Path
    record: RunRecord
    config: dict[str, Any] | None  # None: config.yaml absent or unreadable
    folds_sha256: str | None  # None: no folds.csv


def load(run_dir: Path, *, folds_sha256: str | None = None) -> RunFiles:
    """Read a run's record and config; ``folds_sha256`` when already known (the run index)."""
    record = read_record(run_dir)
    try:
        config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        config = None
    digest = folds_sha256 if folds_sha256 is not None else folds_digest(run_dir)
    return RunFiles(run_dir, record, config if isinstance(config, dict) else None, digest)


def check_comparable(a: RunFiles, b: RunFiles) -> None:
    """Two runs' scores can only be compared within one competition and one metric."""
    ra, rb = a.record, b.record
    if ra.competition != rb.competition:
        raise UserError(
            f"cannot compare runs of different competitions: {ra.run_id} is a "
            f"{ra.competition!r} run, {rb.run_id} a {rb.competition!r} run",
            hint="compare two runs of one competition (`workbench leaderboard <competition>` "
            "lists them)",
        )
    if ra.metric.name != rb.metric.name:
        raise UserError(
            f"cannot compare runs scored with different metrics: {ra.run_id} with "
            f"{ra.metric.name!r}, {rb.run_id} with {rb.metric.name!r}",
            hint=f"run one of the configs again with --set metric={ra.metric.name}",
        )


def same_folds(a: RunFiles, b: RunFiles) -> bool:
    return a.folds_sha256 is not None and a.folds_sha256 == b.folds_sha256


def why_folds_differ(a: RunFiles, b: RunFiles) -> list[str]:
    """Why two runs were not scored on the same folds, read from their records and configs
    (empty when they were). The sha256 of folds.csv decides; these only explain it."""
    if same_folds(a, b):
        return []
    for run in (a, b):
        if run.folds_sha256 is None:
            return [f"{run.record.run_id} has no folds.csv"]
    ra, rb = a.record, b.record
    reasons = []
    rows_a, rows_b = _rows(ra), _rows(rb)
    if rows_a != rows_b:
        reasons.append(f"different training rows ({rows_a:,} vs {rows_b:,})")
    if ra.cv.scheme != rb.cv.scheme:
        reasons.append(f"different CV schemes ({ra.cv.scheme} vs {rb.cv.scheme})")
    if ra.cv.folds != rb.cv.folds:
        reasons.append(f"different numbers of folds ({ra.cv.folds} vs {rb.cv.folds})")
    if ra.cv.repeats != rb.cv.repeats:
        reasons.append(f"different numbers of repeats ({ra.cv.repeats} vs {rb.cv.repeats})")
    cv_a, cv_b = _cv_config(a), _cv_config(b)
    for key in ("shuffle", "group_column", "bins"):
        if key in cv_a and key in cv_b and cv_a[key] != cv_b[key]:
            reasons.append(f"different cv.{key} ({cv_a[key]} vs {cv_b[key]})")
    if ra.seed != rb.seed and cv_a.get("shuffle", True) and cv_b.get("shuffle", True):
        reasons.append(f"different seeds ({ra.seed} vs {rb.seed}): the seed shuffles the folds")
    train_a, train_b = _train_sha256(a), _train_sha256(b)
    if train_a and train_b and train_a != train_b:
        reasons.append("different training files (their sha256 in fingerprint.json differ)")
    if not reasons:
        reasons.append("their folds.csv differ (the rows' ids or fold assignment)")
    return reasons


def paired_test(a: RunRecord, b: RunRecord) -> PairedTest:
    """The corrected paired t-test of B's fold scores against A's, matched on (repeat, fold).
    Meaningful only for runs scored on the same folds (:func:`same_folds`)."""
    folds_a = {(f.repeat, f.fold): f for f in a.folds}
    folds_b = {(f.repeat, f.fold): f for f in b.folds}
    keys = sorted(folds_a.keys() & folds_b.keys())
    ratios = [
        f.n_valid / f.n_train for key in keys for f in (folds_a[key], folds_b[key]) if f.n_train > 0
    ]
    return corrected_ttest(
        [folds_a[k].valid_score for k in keys],
        [folds_b[k].valid_score for k in keys],
        test_train_ratio=sum(ratios) / len(ratios) if ratios else 1.0,
        greater_is_better=a.metric.greater_is_better,
    )


def verdict(test: PairedTest, metric: str) -> str:
    """The paired test in one plain sentence."""
    if not test.judged:
        return f"cannot be judged: {test.reason}"
    assert test.p is not None
    if test.significant:
        return (
            f"the difference is larger than fold-to-fold noise (p = {test.p:.3f} < {ALPHA}): "
            f"a real change in {metric} on these folds"
        )
    return (
        f"the difference is within fold-to-fold noise (p = {test.p:.3f} ≥ {ALPHA}): "
        "not evidence that either run is better"
    )


def direction_word(diff_b_minus_a: float, greater_is_better: bool) -> str:
    """ "better", "worse" or "the same" for B, given the metric's direction."""
    if diff_b_minus_a == 0:
        return "the same"
    return "better" if (diff_b_minus_a > 0) == greater_is_better else "worse"


@dataclass(frozen=True)
class Comparison:
    a: RunFiles
    b: RunFiles
    changes: list[Change] | None  # None: a config.yaml is missing
    why_not_paired: list[str]  # empty when the folds are the same
    test: PairedTest | None  # None when the folds differ


def compare_runs(a_dir: Path, b_dir: Path) -> Comparison:
    """Compare two finished runs; :class:`UserError` if they are not comparable."""
    a, b = load(a_dir), load(b_dir)
    check_comparable(a, b)
    changes = diff(a.config, b.config) if a.config is not None and b.config is not None else None
    reasons = why_folds_differ(a, b)
    test = None if reasons else paired_test(a.record, b.record)
    return Comparison(a, b, changes, reasons, test)


def score(value: float) -> str:
    """A score in the commands' tables: 5 decimals, as Kaggle shows public scores."""
    return f"{value:,.5f}"


def signed(value: float) -> str:
    return f"{value:+,.5f}"


def format_comparison(c: Comparison) -> str:
    """The comparison as the terminal shows it."""
    ra, rb = c.a.record, c.b.record
    metric = ra.metric
    lines = []
    for label, run in (("A", ra), ("B", rb)):
        lines.append(
            f"{label}  {run.run_id}  ({run.config_name}, {run.model}, seed {run.seed}, "
            f"created {run.created_at})"
        )
    lines.append("")
    if c.changes is None:
        missing = [r.record.run_id for r in (c.a, c.b) if r.config is None]
        lines.append(f"config changes: not shown ({', '.join(missing)}: no readable config.yaml)")
    elif not c.changes:
        lines.append("config changes (A → B): none, the resolved configs are identical")
    else:
        n = len(c.changes)
        lines.append(f"config changes (A → B), {n} key{'s' if n != 1 else ''}:")
        lines += [f"  {change.text()}" for change in c.changes]
    lines.append("")
    direction = "higher" if metric.greater_is_better else "lower"
    delta = rb.summary.valid_mean - ra.summary.valid_mean
    lines.append(f"CV {metric.name} ({direction} is better), mean ± std over folds:")
    lines.append(f"  A  {score(ra.summary.valid_mean)} ± {score(ra.summary.valid_std)}")
    lines.append(f"  B  {score(rb.summary.valid_mean)} ± {score(rb.summary.valid_std)}")
    lines.append(
        f"  B − A = {signed(delta)}: B is {direction_word(delta, metric.greater_is_better)}"
    )
    lines.append("")
    if c.test is None:
        lines.append("paired per-fold comparison: not possible, not scored on the same folds:")
        lines += [f"  {reason}" for reason in c.why_not_paired]
        lines.append(
            "  to compare them fold by fold, run one config again on the same data with the "
            "other's seed and cv settings"
        )
    else:
        lines += _paired_lines(c.test, ra, metric.name)
    return "\n".join(lines)


def _paired_lines(test: PairedTest, record: RunRecord, metric: str) -> list[str]:
    repeats = record.cv.repeats
    shape = f"{record.cv.folds} folds" + (f" × {repeats} repeats" if repeats > 1 else "")
    lines = [f"paired per-fold comparison (same folds: {shape}):"]
    if test.n:
        lines.append(
            f"  mean difference {signed(test.mean_diff)}, std over folds {score(test.std_diff)}"
        )
    if test.judged:
        assert test.t is not None and test.p is not None
        lines.append(
            f"  corrected resampled t-test (Nadeau & Bengio): t = {test.t:.2f}, "
            f"p = {test.p:.3f} ({test.n - 1} df)"
        )
    ties = f" ({test.ties} tied)" if test.ties else ""
    lines.append(f"  B beats A on {test.wins} of {test.n} folds{ties}")
    lines.append(f"  → {verdict(test, metric)}")
    return lines


def _rows(record: RunRecord) -> int:
    """Training rows: every row is a validation row once per repeat."""
    first = min((f.repeat for f in record.folds), default=0)
    return sum(f.n_valid for f in record.folds if f.repeat == first)


def _cv_config(run: RunFiles) -> dict[str, Any]:
    cv = (run.config or {}).get("cv")
    return cv if isinstance(cv, dict) else {}


def _train_sha256(run: RunFiles) -> str | None:
    try:
        data = json.loads((run.path / "fingerprint.json").read_text(encoding="utf-8"))
        return str(data["train"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
