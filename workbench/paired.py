"""Is run B better than run A, or is the difference fold-to-fold noise?

Two runs scored on the same folds give one score difference per fold. Those differences are
not independent (every two folds share most of their training rows), so an ordinary paired
t-test over them is far too ready to call a difference real. :func:`corrected_ttest` uses the
corrected resampled t-test of Nadeau & Bengio instead, whose variance is inflated by the ratio
of validation to training rows. Pure numbers in, a :class:`PairedTest` out: no files, no runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05  # two-sided: a difference with p below this is called larger than the noise


@dataclass(frozen=True)
class PairedTest:
    """The paired comparison of B against A over matched folds.

    ``mean_diff`` and ``std_diff`` are of ``b - a`` in the metric's units (so positive means
    a higher score for B, whatever the metric's direction); ``wins`` counts the folds where B
    scored better than A in the metric's direction, ``ties`` those with equal scores. ``t`` and
    ``p`` are ``None`` when the test cannot be judged, and ``reason`` then says why.
    """

    n: int
    mean_diff: float
    std_diff: float
    wins: int
    ties: int
    t: float | None
    p: float | None
    reason: str | None = None

    @property
    def judged(self) -> bool:
        return self.p is not None

    @property
    def significant(self) -> bool:
        """Whether the difference is larger than fold-to-fold noise (p < :data:`ALPHA`)."""
        return self.p is not None and self.p < ALPHA


def corrected_ttest(
    a: Sequence[float],
    b: Sequence[float],
    *,
    test_train_ratio: float,
    greater_is_better: bool = True,
) -> PairedTest:
    """The corrected resampled (paired) t-test of ``b`` against ``a``, fold by fold.

    ``a[i]`` and ``b[i]`` are the two runs' validation scores on the same fold ``i`` (all
    repeats' folds together, n = folds x repeats); ``test_train_ratio`` is n_valid / n_train of
    a fold. With the differences ``d = b - a``, their mean ``m`` and sample variance ``s2``::

        t = m / sqrt((1/n + n_valid/n_train) * s2),   n - 1 degrees of freedom

    and ``p`` is two-sided. The ordinary paired t-test has ``1/n`` alone in the bracket and
    treats the folds as independent samples, which they are not: their training sets overlap,
    so it underestimates the variance and finds "significant" differences that are noise.

    Reference: C. Nadeau and Y. Bengio, "Inference for the Generalization Error", Machine
    Learning 52, 239-281 (2003); for repeated k-fold CV, R. Bouckaert and E. Frank, "Evaluating
    the Replicability of Significance Tests for Comparing Learning Algorithms", PAKDD 2004.

    A single fold pair, or differences without any spread, cannot be judged: ``t`` and ``p``
    are then ``None`` and ``reason`` says why.
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must pair up fold by fold (got {len(a)} and {len(b)} scores)")
    if not test_train_ratio > 0:
        raise ValueError(f"test_train_ratio must be > 0 (got {test_train_ratio})")
    diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    if n == 0:
        return PairedTest(0, math.nan, math.nan, 0, 0, None, None, "no folds to compare")
    mean = math.fsum(diffs) / n
    std = math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
    wins = sum(1 for d in diffs if (d > 0 if greater_is_better else d < 0))
    ties = sum(1 for d in diffs if d == 0)
    if n == 1:
        reason = "a single fold pair: no fold-to-fold spread to compare the difference with"
        return PairedTest(n, mean, std, wins, ties, None, None, reason)
    if std <= 1e-12 * max(1.0, abs(mean)):  # equal differences on every fold (or identical)
        reason = (
            "the two runs score the same on every fold"
            if all(d == 0 for d in diffs)
            else "the difference is the same on every fold: no spread to judge it against"
        )
        return PairedTest(n, mean, std, wins, ties, None, None, reason)
    from scipy import stats

    t = mean / math.sqrt((1 / n + test_train_ratio) * std**2)
    p = float(2 * stats.t.sf(abs(t), df=n - 1))
    return PairedTest(n, mean, std, wins, ties, float(t), p)
