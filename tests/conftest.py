"""Shared fixtures (helpers live in synthetic.py: several conftest.py files exist)."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic import SPECS, write_competition


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary workbench project with three synthetic competitions."""
    for name in SPECS:
        write_competition(tmp_path, name)
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path
