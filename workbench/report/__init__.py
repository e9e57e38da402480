"""The run report: ``report.html`` and ``figures/*.png``, built from the run directory alone.

``build_report(run_dir)`` reads the files of docs/run-directory.md (metrics.json, oof.csv,
importance.csv, learning_curve.csv, data_profile.json, config.yaml, tuning.json) and writes a
self-contained HTML page (figures embedded as data URIs and also written to ``figures/``).
"""

from __future__ import annotations

from workbench.report.build import build_report
from workbench.report.profile import profile_data

__all__ = ["build_report", "profile_data"]
