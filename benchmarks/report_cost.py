"""What building the report adds to a Titanic run: report on vs off, as fresh
`python -m workbench run` processes (what a user waits for) and in-process.

Runs come in pairs, one with the report and one without, in alternating order; the machine's
speed drifts, so besides the ratio of medians the script prints the median of the per-pair
ratios, which drift cancels out of.

.venv/bin/python benchmarks/report_cost.py [--repeats 20] [--in-process-repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.competition import Project  # noqa: E402
from workbench.experiment import run_experiment  # noqa: E402


def cli_run(config: Path, report: bool, project: Project) -> tuple[float, dict[str, float]]:
    """Wall time of one `python -m workbench run`, and the run's own timings (metrics.json)."""
    env = {**os.environ, "WORKBENCH_ROOT": str(project.root)}
    command = [sys.executable, "-m", "workbench", "run", str(config), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--set", f"report={str(report).lower()}"],
        check=True,
        capture_output=True,
        env=env,
        text=True,
    )
    wall = time.perf_counter() - start
    run_id = done.stdout.split()[-1]
    metrics = json.loads(next(project.root.glob(f"runs/*/{run_id}/metrics.json")).read_text())
    timings = metrics["timings"]
    timings["outside_run_seconds"] = wall - timings["total_seconds"]
    return wall, timings


def in_process_run(config: Path, report: bool, project: Project) -> tuple[float, float]:
    """Wall time of one in-process run, and the part of it after the run's results."""
    start = time.perf_counter()
    result = run_experiment(config, [f"report={str(report).lower()}"], project=project)
    wall = time.perf_counter() - start
    return wall, wall - result.record.timings.total_seconds


def pairs(measure, repeats: int) -> tuple[list, list]:
    """``repeats`` pairs of (report off, report on) measurements, alternating which goes first."""
    off, on = [], []
    for i in range(repeats):
        order = (False, True) if i % 2 == 0 else (True, False)
        for report in order:
            (on if report else off).append(measure(report))
    return off, on


def summary(label: str, off: list[float], on: list[float]) -> None:
    a, b = statistics.median(off), statistics.median(on)
    paired = [100 * (y - x) / x for x, y in zip(off, on, strict=True)]
    print(f"{label}: report off {a:.3f}s, on {b:.3f}s: the report adds {100 * (b - a) / a:.1f}%")
    print(
        f"  per pair: median {statistics.median(paired):.1f}%  {sorted(round(x) for x in paired)}"
    )
    print(f"  off: {[round(t, 2) for t in off]}\n  on:  {[round(t, 2) for t in on]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="CLI pairs")
    parser.add_argument("--in-process-repeats", type=int, default=5, help="0 skips them")
    parser.add_argument("--config", default="configs/titanic.yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        shutil.copytree(ROOT / "competitions", project.root / "competitions")
        shutil.copytree(ROOT / "configs", project.root / "configs")
        config = project.root / args.config

        off, on = pairs(lambda report: cli_run(config, report, project), args.repeats)
        summary("CLI (fresh process, imports included)", [w for w, _ in off], [w for w, _ in on])
        for label, runs in (("off", off), ("on", on)):
            keys = [k for k in runs[0][1] if k.endswith("_seconds")]
            medians = {k: round(statistics.median(t[k] for _, t in runs), 3) for k in keys}
            print(f"  inside the CLI runs, report {label}: medians {medians}")

        if args.in_process_repeats:
            run_experiment(config, ["report=true"], project=project)  # warm imports and caches
            off, on = pairs(
                lambda report: in_process_run(config, report, project), args.in_process_repeats
            )
            summary("in-process (run_experiment)", [w for w, _ in off], [w for w, _ in on])
            print(f"  after the results: median {statistics.median(r for _, r in on):.3f}s")


if __name__ == "__main__":
    main()
