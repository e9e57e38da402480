"""CPU thread budget, decided in one place.

LightGBM and XGBoost parallelise each boosting round with OpenMP. On small data a round is
tiny, so thread hand-offs dominate and threads that wait for a busy core make fits many times
slower (measured in docs/benchmarks.md). So small data gets one thread per model; large data
gets every core, never more than ``cores / parallel workers``.
"""

from __future__ import annotations

import os

SMALL_DATA_ROWS = 50_000


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity / container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def model_threads(
    requested: int | None = None, n_rows: int | None = None, parallel_workers: int = 1
) -> int:
    """Threads per model: threads x parallel workers never exceeds the cores.

    ``requested`` (the config's ``threads``) wins within that bound; otherwise data with fewer
    than :data:`SMALL_DATA_ROWS` training rows gets one thread.
    """
    per_worker = max(1, available_cores() // max(1, parallel_workers))
    if requested:
        return min(requested, per_worker)
    if n_rows is not None and n_rows < SMALL_DATA_ROWS:
        return 1
    return per_worker


def worker_processes(requested: int) -> int:
    """Parallel worker processes (e.g. tuning workers): at most one per core, since each
    needs at least one thread."""
    return max(1, min(int(requested), available_cores()))


def helper_threads() -> int:
    """Threads a run may add beside its main thread for short work that releases the GIL
    (the report's PNG encoding, after the models are done): one when a second core exists."""
    return 1 if available_cores() > 1 else 0
