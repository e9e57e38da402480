"""Blend recipes: does `workbench blend` beat its best input, by the blend's honest CV?

For each seed, runs the members of a recipe as a user does (`python -m workbench run CONFIG
--set seed=S`, report off), then `workbench blend` of those runs with every method, and prints
the members' CV, the best member's, each blend's honest CV (weights fit on the other folds'
out-of-fold predictions) and the paired per-fold test against the best member.

    .venv/bin/python benchmarks/blend_recipes.py [--recipes house_prices titanic] [--seeds 42 1 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from shipped_configs import _env, run, scratch_project

METHODS = ("mean", "rank", "hill_climb", "stack")
TITANIC = "configs/titanic.yaml"
RECIPES: dict[str, list[tuple[str, list[str]]]] = {
    # (config, overrides): the members, all on the same folds
    "house_prices": [
        ("configs/house_prices_lasso.yaml", []),
        ("configs/house_prices_svr.yaml", []),
        ("configs/house_prices_xgb.yaml", []),
    ],
    "titanic": [
        (TITANIC, []),
        (TITANIC, ["name=titanic-logistic", "model={kind: logistic, params: {C: 0.5}}"]),
        (
            TITANIC,
            [
                "name=titanic-forest",
                "model={kind: random_forest, params: {n_estimators: 300, max_depth: 6}}",
            ],
        ),
    ],
}


def blend(project: Path, run_ids: list[str], method: str) -> tuple[dict, dict]:
    """`workbench blend` of ``run_ids``: the blend run's metrics.json and blend.json."""
    command = [sys.executable, "-m", "workbench", "blend", *run_ids, "--method", method, "--quiet"]
    proc = subprocess.run(
        command, cwd=project, capture_output=True, text=True, env=_env(project), check=False
    )
    if proc.returncode != 0:
        sys.exit(f"blend {method} failed:\n{proc.stderr}")
    run_dir = next(project.glob(f"runs/*/{proc.stdout.strip()}"))
    return (
        json.loads((run_dir / "metrics.json").read_text()),
        json.loads((run_dir / "blend.json").read_text()),
    )


def measure(project: Path, recipe: str, seed: int) -> None:
    members = []
    for config, overrides in RECIPES[recipe]:
        metrics, _ = run(project, config, [*overrides, f"seed={seed}", "report=false"])
        members.append(metrics)
        s = metrics["summary"]
        print(f"  {metrics['config_name']:<22} CV {s['valid_mean']:.5f} ± {s['valid_std']:.5f}")
    greater = members[0]["metric"]["greater_is_better"]
    means = [m["summary"]["valid_mean"] for m in members]
    best = max(means) if greater else min(means)
    print(f"  {'best member':<22} CV {best:.5f}")
    for method in METHODS:
        metrics, data = blend(project, [m["run_id"] for m in members], method)
        s, versus = metrics["summary"], data["versus_best"]
        weights = [m["weight"] for m in data["members"]]
        shown = "" if weights[0] is None else " weights " + "/".join(f"{w:.2f}" for w in weights)
        p = "—" if versus["p"] is None else f"{versus['p']:.3f}"
        print(
            f"  blend {method:<16} CV {s['valid_mean']:.5f} ± {s['valid_std']:.5f}  "
            f"vs best {versus['difference']:+.5f} (p = {p}){shown}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    args = parser.parse_args()
    with scratch_project() as project:
        for recipe in args.recipes:
            for seed in args.seeds:
                print(f"{recipe}, seed {seed}:", flush=True)
                measure(project, recipe, seed)


if __name__ == "__main__":
    main()
