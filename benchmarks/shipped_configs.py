"""Shipped configs: CV score, its stability across seeds, and the wall time of a whole run.

Each config is run as a user runs it (`python -m workbench run CONFIG`, a fresh process, imports
included), then re-scored with repeated CV under several seeds, so a score that only holds for
one seed shows up as such.

    .venv/bin/python benchmarks/shipped_configs.py [--seeds 0 1 2] [--repeats 3] [CONFIG ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = ["configs/titanic.yaml", "configs/house_prices.yaml"]


def run(project: Path, config: str, overrides: list[str]) -> tuple[dict, float]:
    command = [sys.executable, "-m", "workbench", "run", config, "--quiet"]
    for item in overrides:
        command += ["--set", item]
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=project, capture_output=True, text=True, env=_env(project), check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{config} failed:\n{proc.stderr}")
    run_id = proc.stdout.strip().splitlines()[-1]
    metrics_path = next(project.glob(f"runs/*/{run_id}/metrics.json"))
    return json.loads(metrics_path.read_text()), seconds


def _env(project: Path) -> dict[str, str]:
    import os

    return {**os.environ, "WORKBENCH_ROOT": str(project)}


@contextlib.contextmanager
def scratch_project() -> Iterator[Path]:
    """A temporary project with the repo's competitions and configs, so runs/ stays out of the
    repo; removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "competitions", project / "competitions")
        shutil.copytree(ROOT / "configs", project / "configs")
        yield project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=DEFAULT_CONFIGS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with scratch_project() as project:
        for config in args.configs:
            metrics, seconds = run(project, config, [])
            s = metrics["summary"]
            name = metrics["metric"]["name"]
            print(
                f"{config}: CV {name} {s['valid_mean']:.5f} ± {s['valid_std']:.5f} "
                f"({metrics['cv']['folds']}-fold x {metrics['cv']['repeats']}, "
                f"{metrics['cv']['scheme']}, seed {metrics['seed']}), whole run {seconds:.1f}s "
                f"(results after {metrics['timings']['total_seconds']:.1f}s)"
            )
            means = []
            for seed in args.seeds:
                m, _ = run(
                    project, config, [f"seed={seed}", f"cv.repeats={args.repeats}", "report=false"]
                )
                means.append(m["summary"]["valid_mean"])
                print(f"    seed {seed}, {args.repeats}x repeated CV: {means[-1]:.5f}")
            print(
                f"    across seeds: mean {statistics.mean(means):.5f}, "
                f"min {min(means):.5f}, max {max(means):.5f}"
            )


if __name__ == "__main__":
    main()
