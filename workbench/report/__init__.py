"""The run report: ``report.html`` and ``figures/*.png``, built from the run directory alone.

``build_report(run_dir)`` reads the files of docs/run-directory.md (metrics.json, oof.csv,
importance.csv, learning_curve.csv, data_profile.json, config.yaml, tuning.json) and writes a
self-contained HTML page (figures embedded as data URIs and also written to ``figures/``). The
run calls it in process, in its ``.partial`` directory, once its results are written;
``workbench report`` calls it on a finished run.

Names are imported on first use: matplotlib is slow to import, and a run with the report
off never needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_report", "profile_data"]

_HOMES = {"build_report": "workbench.report.build", "profile_data": "workbench.report.profile"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
