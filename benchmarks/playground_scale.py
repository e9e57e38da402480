"""Playground scale: ``workbench run`` against a raw polars + LightGBM script, 100k to 1M rows.

For each size, the Playground-like competition of ``benchmarks/playground.py`` (generated once
under WORKDIR), then, side by side and alternating when repeated, fresh processes:

- ``python benchmarks/playground_raw.py``: polars reading, the same five stratified folds, the
  same steps learned per fold, one float32 matrix per fold into LightGBM, a submission;
- ``python -m workbench run configs/playground.yaml``: the same experiment as a config, with
  everything a run does (checks, fold files, validated submission, the report);
- reading alone: a process that imports polars, numpy and LightGBM and reads the training file
  with polars, nothing else: the least memory any process doing this job holds at once.

Each process's wall time and peak resident memory (``ru_maxrss`` of that process, from
``os.wait4`` in a small launcher) are measured from outside, and set against the training
frame's in-memory size (:func:`frame_sizes`). The two paths' out-of-fold predictions are
compared row by row. Also times ``python -m workbench --help``.

    .venv/bin/python benchmarks/playground_scale.py WORKDIR [--rows 100000 300000 1000000]
        [--repeats 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import playground
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the workbench of this copy of the repository

from workbench.tables import read_with_polars  # noqa: E402

#: Each leg starts from this small launcher: on Linux a child's ``ru_maxrss`` starts from the
#: peak of the process that spawned it, and this script has read whole training frames.
LAUNCHER = """
import json, os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"peak_kb": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(command: list[str], *, cwd: Path, env: dict[str, str]) -> dict:
    """Run ``command`` (through :data:`LAUNCHER`); its wall seconds, peak resident MB and
    standard output."""
    with tempfile.TemporaryDirectory() as tmp:
        usage = Path(tmp) / "usage.json"
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(usage), *command],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}")
        peak_mb = json.loads(usage.read_text())["peak_kb"] / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "stdout": done.stdout.strip()}


def frame_sizes(train: Path) -> dict[str, float]:
    """The training frame's in-memory size in MB, three ways: polars' ``estimated_size`` (which
    counts the bytes of text but not polars' 16-byte string views), the buffers polars holds
    (views included, as Arrow counts them), and the pandas frame a run holds
    (``memory_usage(deep=True)``)."""
    frame = pl.read_csv(train)
    return {
        "estimate": frame.estimated_size() / 2**20,
        "polars": frame.to_arrow(compat_level=pl.CompatLevel.newest()).nbytes / 2**20,
        "pandas": read_with_polars(train, None).memory_usage(deep=True).sum() / 2**20,
    }


def project_for(workdir: Path, rows: int) -> Path:
    """The generated competition of ``rows`` training rows (and 0.3 x as many test rows)."""
    project = workdir / f"rows-{rows}"
    if not (project / "configs" / f"{playground.NAME}.yaml").exists():
        playground.write_competition(project, rows, int(0.3 * rows))
    return project


def run_raw(project: Path, env: dict[str, str]) -> dict:
    oof_path = project / "raw_oof.npy"
    result = measured(
        [sys.executable, str(HERE / "playground_raw.py"), str(project), "--oof", str(oof_path)],
        cwd=ROOT,
        env=env,
    )
    result["oof"] = np.load(oof_path)
    result["auc"] = json.loads(result["stdout"])["auc"]
    return result


def run_workbench(project: Path, env: dict[str, str]) -> dict:
    config = project / "configs" / f"{playground.NAME}.yaml"
    command = [sys.executable, "-m", "workbench", "run", str(config), "--quiet"]
    result = measured(command, cwd=project, env={**env, "WORKBENCH_ROOT": str(project)})
    run_dir = project / "runs" / playground.NAME / result["stdout"].splitlines()[-1]
    oof = pl.read_csv(run_dir / "oof.csv").sort(playground.ID)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    result["oof"] = oof["pred"].to_numpy()
    result["auc"] = metrics["summary"]["oof_score"]
    result["report"] = (run_dir / "report.html").exists()
    return result


def run_reading(project: Path, env: dict[str, str]) -> dict:
    train = project / "competitions" / playground.NAME / "data" / "train.csv"
    script = f"import lightgbm, numpy, polars; polars.read_csv({str(train)!r})"
    return measured([sys.executable, "-c", script], cwd=ROOT, env=env)


def help_seconds(env: dict[str, str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "workbench", "--help"], env=env, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results = []
    for rows in args.rows:
        project = project_for(args.workdir, rows)
        frame = frame_sizes(project / "competitions" / playground.NAME / "data" / "train.csv")
        reading = run_reading(project, env)
        legs: dict[str, list[dict]] = {"raw": [], "workbench": []}
        for repeat in range(args.repeats):
            order = ("raw", "workbench") if repeat % 2 == 0 else ("workbench", "raw")
            for leg in order:
                run = run_raw if leg == "raw" else run_workbench
                legs[leg].append(run(project, env))
                last = legs[leg][-1]
                print(
                    f"{rows:>9,} rows  {leg:<9}  {last['seconds']:7.1f} s  "
                    f"{last['peak_mb']:6.0f} MB  AUC {last['auc']:.6f}",
                    flush=True,
                )
        raw, bench = legs["raw"], legs["workbench"]
        row = {
            "rows": rows,
            "frame_mb": frame,
            "reading_peak_mb": reading["peak_mb"],
            "raw_seconds": statistics.median(r["seconds"] for r in raw),
            "workbench_seconds": statistics.median(r["seconds"] for r in bench),
            "raw_peak_mb": max(r["peak_mb"] for r in raw),
            "workbench_peak_mb": max(r["peak_mb"] for r in bench),
            "raw_auc": raw[0]["auc"],
            "workbench_auc": bench[0]["auc"],
            "oof_max_abs_diff": float(np.max(np.abs(raw[0]["oof"] - bench[0]["oof"]))),
            "report": all(r["report"] for r in bench),
        }
        results.append(row)
    print("\n| rows | raw script | workbench (report on) | wall ratio | OOF AUC raw / workbench |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['raw_seconds']:.1f} s | {r['workbench_seconds']:.1f} s | "
            f"{r['workbench_seconds'] / r['raw_seconds']:.2f} | {r['raw_auc']:.5f} / "
            f"{r['workbench_auc']:.5f} (largest OOF difference {r['oof_max_abs_diff']:.1e}) |"
        )
    print(
        "\n| rows | training frame: polars estimate / polars buffers / pandas | reading alone "
        "| raw script | workbench | workbench peak / frame (estimate; polars; pandas) |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        size, peak = r["frame_mb"], r["workbench_peak_mb"]
        ratios = "; ".join(f"{peak / size[k]:.1f}x" for k in ("estimate", "polars", "pandas"))
        print(
            f"| {r['rows']:,} | {size['estimate']:.0f} / {size['polars']:.0f} / "
            f"{size['pandas']:.0f} MB | {r['reading_peak_mb']:.0f} MB | "
            f"{r['raw_peak_mb']:.0f} MB | {peak:.0f} MB | {ratios} |"
        )
    print(f"\n`python -m workbench --help`: {help_seconds(env):.3f} s (median of 5)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
