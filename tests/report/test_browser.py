"""Render a report in headless Chromium: every image loads, no console errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_synth import SYNTH_FEATURES

from workbench.report import build_report


def _chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def chromium() -> str:
    found = _chromium()
    if found is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    return found


def test_report_renders_in_chromium(chromium, run_factory, tmp_path):
    run_dir = run_factory("binary", tuning=True)
    html = build_report(run_dir)
    n_figures = len(list((run_dir / "figures").glob("*.png")))
    result = _run(
        chromium, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", html.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body is not None, result.stdout[:500]
    assert 'data-images-ok="true"' in body.group(0), body.group(0)
    assert f'data-images="{n_figures}"' in body.group(0)
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    # what was run: the Configuration section, with the config's feature steps in order
    dom = result.stdout
    assert re.search(r"<title>[^<]*binary-base[^<]*20261125-204512-synthetic-binary", dom)
    assert '<section id="config">' in dom and "<h2>Configuration</h2>" in dom
    config = dom[dom.index('<section id="config">') :]
    config = config[: config.index("</section>")]
    steps = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", config)
    assert steps[: len(SYNTH_FEATURES)] == [
        step if isinstance(step, str) else step["step"] for step in SYNTH_FEATURES
    ]

    shot = tmp_path / "report.png"
    result = _run(
        chromium,
        tmp_path / "profile2",
        "--hide-scrollbars",
        "--window-size=1100,2400",
        f"--screenshot={shot}",
        html.as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("WORKBENCH_REPORT_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


def test_shap_figures_and_worst_rows_render_in_chromium(chromium, run_factory, tmp_path):
    run_dir = run_factory("binary", shap=True, learning_curve=False, profile=False)
    html = build_report(run_dir)
    result = _run(
        chromium, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", html.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None and 'data-images-ok="true"' in body.group(0), dom[:500]
    for name in ("shap_importance", "shap_beeswarm"):
        figure = re.search(
            rf'<figure id="fig-{name}"><a href="figures/{name}.png"[^>]*>'
            r'<img src="data:image/png;base64,',
            dom,
        )
        assert figure is not None, name
    section = dom[dom.index('<section id="predictions">') :]
    section = section[: section.index("</section>")]
    assert "The 15 most confident mistakes" in section
    assert "<th>why: the 3 features that pushed it most (value, SHAP)</th>" in section
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("most confident mistakes")[1], re.S)
    assert len(rows) == 16  # the header and 15 rows
