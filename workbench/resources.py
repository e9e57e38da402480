"""CPU threads and freed memory, decided in one place.

LightGBM and XGBoost parallelise each boosting round with OpenMP. On small data a round is
tiny, so thread hand-offs dominate and threads that wait for a busy core make fits many times
slower (measured in docs/benchmarks.md). So small data gets one thread per model; large data
gets every core, never more than ``cores / parallel workers``.

Memory a run frees (a fold's columns, its text) goes back to the system or to the next
allocation of any library, rather than staying with the allocator that freed it:
:func:`return_freed_memory`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

SMALL_DATA_ROWS = 50_000
#: glibc's ``mallopt`` parameter and its default value (128 KiB), here fixed
M_MMAP_THRESHOLD, MMAP_THRESHOLD = -3, 128 * 1024
#: the environment variables through which children inherit the allocator settings
ALLOCATOR_SETTINGS = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
}


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


def return_freed_memory() -> None:
    """Let freed memory go back to the system, in this process and the ones it starts.

    glibc raises its threshold for giving blocks their own mapping each time such a block is
    freed (up to 32 MB), so a fold's freed columns stay in its heap and the next big block
    (the model's float32 matrix) takes new memory; fixing the threshold at its default keeps
    every big block returnable. pyarrow's own allocator keeps freed text buffers for pyarrow
    alone; the system allocator lets the next array of any library reuse them. Children
    inherit both through the environment (glibc reads it at start); values a user set win.
    """
    for name, value in ALLOCATOR_SETTINGS.items():
        os.environ.setdefault(name, value)
    if sys.platform.startswith("linux"):
        # not glibc (musl, no libc.so.6): that allocator's own policy stands
        with contextlib.suppress(OSError, AttributeError, ValueError):
            threshold = int(os.environ["MALLOC_MMAP_THRESHOLD_"])
            ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, threshold)
