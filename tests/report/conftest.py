"""Fixtures of the report tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from report_synth import make_run


@pytest.fixture
def run_factory(tmp_path):
    counter = iter(range(1000))

    def factory(task: str = "binary", **kwargs: Any) -> Path:
        kwargs.setdefault("seed", next(counter))
        return make_run(tmp_path, task, **kwargs)

    return factory
