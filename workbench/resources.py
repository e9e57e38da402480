"""CPU thread budget, decided in one place.

LightGBM and XGBoost use OpenMP threads that spin while they wait: with more busy threads than
cores (parallel folds x model threads) they were measured 10-40x slower, not 2x. Every model
thread count comes from :func:`model_threads`.
"""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity / container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def model_threads(requested: int | None = None, parallel_workers: int = 1) -> int:
    """Threads per model so that threads x parallel workers never exceeds the cores."""
    per_worker = max(1, available_cores() // max(1, parallel_workers))
    return min(requested, per_worker) if requested else per_worker
