"""What building the report adds to a Titanic run: report on vs off, alternating, in-process and
as fresh `python -m workbench run` processes (what a user waits for).

.venv/bin/python benchmarks/report_cost.py [--repeats 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--config", default="configs/titanic.yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        shutil.copytree(ROOT / "competitions", project.root / "competitions")
        shutil.copytree(ROOT / "configs", project.root / "configs")
        config = project.root / args.config
        run_experiment(config, ["report=true"], project=project)  # warm imports and caches
        off, on, report = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run_experiment(config, ["report=false"], project=project)
            off.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = run_experiment(config, ["report=true"], project=project)
            on.append(time.perf_counter() - start)
            report.append(result.metrics["timings"]["report_seconds"])
        cli_off, cli_on = [], []
        inside = {"false": [], "true": []}  # the run's own timings (metrics.json)
        env = {**os.environ, "WORKBENCH_ROOT": str(project.root)}
        for _ in range(args.repeats):
            for setting, times in (("false", cli_off), ("true", cli_on)):
                command = [sys.executable, "-m", "workbench", "run", str(config), "--quiet"]
                start = time.perf_counter()
                done = subprocess.run(
                    [*command, "--set", f"report={setting}"],
                    check=True,
                    capture_output=True,
                    env=env,
                    text=True,
                )
                times.append(time.perf_counter() - start)
                run_id = done.stdout.split()[-1]
                metrics = json.loads(
                    next(project.root.glob(f"runs/*/{run_id}/metrics.json")).read_text()
                )
                timings = metrics["timings"]
                timings["outside_run_seconds"] = times[-1] - timings["total_seconds"]
                inside[setting].append(timings)
    c, d = statistics.median(cli_off), statistics.median(cli_on)
    print(
        f"CLI (fresh process, imports included): report off {c:.3f}s, on {d:.3f}s,"
        f" the report adds {100 * (d - c) / c:.1f}%"
    )
    print(f"  off: {[round(t, 2) for t in cli_off]}\n  on:  {[round(t, 2) for t in cli_on]}")
    paired = [100 * (b - a) / a for a, b in zip(cli_off, cli_on, strict=True)]
    print(
        f"  paired (each on-run against the off-run just before it): median"
        f" {statistics.median(paired):.1f}%, {sorted(round(x) for x in paired)}"
    )
    for setting in ("false", "true"):
        keys = [k for k in inside[setting][0] if k.endswith("_seconds")]
        medians = {k: round(statistics.median(t[k] for t in inside[setting]), 3) for k in keys}
        print(f"  inside the CLI run, report={setting}: medians {medians}")
    a, b = statistics.median(off), statistics.median(on)
    print(f"report off: median {a:.3f}s {[round(t, 3) for t in off]}")
    print(f"report on:  median {b:.3f}s {[round(t, 3) for t in on]}")
    print(f"report build itself: median {statistics.median(report):.3f}s")
    print(f"the report adds {100 * (b - a) / a:.1f}% to the run")


if __name__ == "__main__":
    main()
