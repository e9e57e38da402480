"""One text format per quantity, for every table, caption, legend and tick of the report.

- scores (the metric, AUC, AP, train/validation scores, gaps): 4 decimals, always (``0.8530``);
- regression targets and errors in the target's units: :func:`target_format` picks integers
  with thousands separators for targets like prices (``180,921``), 4 decimals for small ones;
- counts of rows: integers with thousands separators (``1,168``);
- decision thresholds: 3 decimals (``0.500``), as on the terminal;
- durations: milliseconds below a second (``35 ms``), never ``0.0 s``;
- folds and repeats: numbered from 1, as on the terminal (the files number them from 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

MISSING = "—"


def as_number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (missing, not a number, inf or NaN)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def score(value: Any) -> str:
    """A score: 4 decimals (``0.8530``, ``25,432.1234``)."""
    number = as_number(value)
    return MISSING if number is None else f"{number:,.4f}"


def score_pm(mean: Any, std: Any) -> str:
    """A mean ± standard deviation of scores."""
    return f"{score(mean)} ± {score(std)}"


def count(value: Any) -> str:
    """A count (rows, trees): an integer with thousands separators."""
    number = as_number(value)
    return MISSING if number is None else f"{round(number):,d}"


def threshold(value: Any) -> str:
    """A decision threshold: 3 decimals."""
    number = as_number(value)
    return MISSING if number is None else f"{number:.3f}"


def percent(value: Any, digits: int = 1) -> str:
    """A share as a percentage (``20.5%``)."""
    number = as_number(value)
    return MISSING if number is None else f"{number:.{digits}%}"


def duration(seconds: Any) -> str:
    """A duration: ``35 ms`` below a second, ``1.2 s``, ``1 min 15 s``, ``2 h 5 min``."""
    number = as_number(seconds)
    if number is None:
        return MISSING
    if number < 1:
        return f"{max(number * 1000, 0):.0f} ms" if number >= 0.0005 else "< 1 ms"
    if number < 60:
        return f"{number:.1f} s"
    minutes, sec = divmod(round(number), 60)
    if minutes < 60:
        return f"{int(minutes)} min {int(sec)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def is_large_scale(values: Iterable[Any]) -> bool:
    """Whether values of this quantity read best as integers: their typical size is 100 or more
    (prices, areas, counts), so decimals are noise."""
    array = np.asarray([v for v in (as_number(v) for v in values) if v is not None], dtype=float)
    return bool(len(array)) and float(np.median(np.abs(array))) >= 100


def target_format(values: Iterable[Any], log_space: bool = False) -> Callable[[Any], str]:
    """The one format of a regression target, its predictions and their errors: integers with
    thousands separators for a target like a price (``180,921``), else 4 decimals. Errors in
    log space (``log_space``) are always 4 decimals."""
    if not log_space and is_large_scale(values):

        def integer(value: Any) -> str:
            number = as_number(value)
            return MISSING if number is None else f"{number:,.0f}"

        return integer

    def decimals(value: Any) -> str:
        number = as_number(value)
        return MISSING if number is None else f"{number:,.4f}"

    return decimals


def fold_label(repeat: int, fold: int, repeats: int = 1) -> str:
    """A fold as the report shows it: numbered from 1 (``"3"``), with its repeat when there are
    several (``"r2 f3"``)."""
    if repeats > 1:
        return f"r{int(repeat) + 1} f{int(fold) + 1}"
    return str(int(fold) + 1)
