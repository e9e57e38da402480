"""CPU thread budget, decided in one place.

LightGBM and XGBoost parallelise each boosting round with OpenMP. On small data a round is a
few microseconds of work, so thread hand-offs dominate: measured here on House Prices (1460
rows, LightGBM, 3000 rounds) one thread took 0.8 s, two threads 0.7 s on an idle machine but
6.7 s with passive OpenMP waiting, and with spinning threads a Titanic run went from 2.5 s to
15-65 s as soon as another job shared the two cores. So small data gets one thread per model
(fast and robust); large data gets every core, never more than ``cores / parallel workers``.
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
