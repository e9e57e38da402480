"""`workbench writeup COMPETITION`: WRITEUP.md and its HTML twin, every number from the runs."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from quick_runs import built_once, copy_project, quick_run, submit
from synthetic import LOGISTIC_BINARY, RIDGE_REGRESSION, write_config

from workbench.cli import main
from workbench.features.base import describe
from workbench.features.registry import load_step_class
from workbench.paired import corrected_ttest

BODY = {**LOGISTIC_BINARY, "report": True}
NAMES = ["base", "weak", "other_seed", "tuned", "reg"]


def _make(root: Path) -> list[str]:
    ids = [
        quick_run(root, body=BODY),
        quick_run(root, "model.params.C=0.002", body=BODY),
        quick_run(root, "seed=7", body=BODY),
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["tune", str(root / "configs" / "base.yaml"), "--trials", "3", "--quiet"]) == 0
    ids.append(out.getvalue().strip())
    ids.append(quick_run(root, body={**RIDGE_REGRESSION, "report": True}, name="reg"))
    submit(root, "synth_binary", ids[1], 0.71234, ref=101)
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_once(tmp_path_factory, "writeup", _make)


@pytest.fixture
def runs(built, tmp_path, monkeypatch) -> dict[str, str]:
    copy_project(built[0], tmp_path / "project", monkeypatch)
    return dict(zip(NAMES, built[1], strict=True))


def _writeup(capsys, competition: str = "synth_binary") -> str:
    assert main(["writeup", competition]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"competitions/{competition}/WRITEUP.md"
    assert "HTML twin: competitions/" in out.err
    return Path(out.out.strip()).read_text(encoding="utf-8")


def _run_dirs(competition: str) -> list[Path]:
    return sorted(p.parent for p in Path("runs", competition).glob("*/metrics.json"))


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _numbers(value, out: list[float]) -> list[float]:
    """Every number in a JSON value."""
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        out.append(float(value))
    elif isinstance(value, dict):
        for item in value.values():
            _numbers(item, out)
    elif isinstance(value, list):
        for item in value:
            _numbers(item, out)
    return out


def _best(competition: str) -> Path:
    records = [(_json(d / "metrics.json"), d) for d in _run_dirs(competition)]
    greater = records[0][0]["metric"]["greater_is_better"]
    ordered = sorted(
        records,
        key=lambda r: (
            -r[0]["summary"]["valid_mean"] if greater else r[0]["summary"]["valid_mean"],
            r[0]["created_at"],
        ),
    )
    return ordered[0][1]


def test_final_run_is_the_best_cv_and_every_score_comes_from_the_run_files(runs, capsys):
    text = _writeup(capsys)
    final = _best("synth_binary")
    assert f"Final run: `{final.name}`" in text
    record = _json(final / "metrics.json")
    summary = record["summary"]
    model = _section(text, "The final model")
    assert f"run `{final.name}`" in model
    assert f"{summary['valid_mean']:.5f} ± {summary['valid_std']:.5f}" in model
    assert f"out-of-fold {summary['oof_score']:.5f}" in model

    # every score-like number (5 decimals) is one of the run files' numbers, or a difference
    # of two CV means (what did not help)
    found: list[float] = []
    means = []
    for run_dir in _run_dirs("synth_binary"):
        for name in ("metrics.json", "tuning.json", "submissions.json"):
            if (run_dir / name).is_file():
                _numbers(_json(run_dir / name), found)
        means.append(_json(run_dir / "metrics.json")["summary"]["valid_mean"])
    found += [b - a for a in means for b in means]
    allowed = {f"{abs(x):,.5f}" for x in found}
    printed = re.findall(r"\d[\d,]*\.\d{5}\b", text)
    assert printed, text
    assert [n for n in printed if n not in allowed] == []

    # the experiments table: one row per run, its CV and its public score
    table = _section(text, "Experiments")
    for run_dir in _run_dirs("synth_binary"):
        s = _json(run_dir / "metrics.json")["summary"]
        row = next(line for line in table.splitlines() if f"| {run_dir.name} |" in line)
        assert f"{s['valid_mean']:.5f} ± {s['valid_std']:.5f}" in row
    submitted = next(line for line in table.splitlines() if runs["weak"] in line)
    assert "0.71234" in submitted


def test_the_data_and_the_feature_steps_come_from_the_final_run(runs, capsys):
    text = _writeup(capsys)
    final = _best("synth_binary")
    profile = _json(final / "data_profile.json")
    data = _section(text, "The data")
    assert f"{profile['n_train']:,} training rows and {profile['n_test']:,} test rows" in data
    counts = profile["target_distribution"]["counts"]
    total = sum(counts.values())
    for label, n in counts.items():
        assert f"`{label}` {n:,} ({n / total:.1%})" in data
    for missing in profile["missing"]:
        assert f"| `{missing['column']}` | {missing['train']:.1%} | {missing['test']:.1%} |" in data

    config = yaml.safe_load((final / "config.yaml").read_text())
    features = _section(text, "Feature engineering")
    items = [line for line in features.splitlines() if re.match(r"\d+\. ", line)]
    assert len(items) == len(config["features"])
    for line, step in zip(items, config["features"], strict=True):
        assert line.split()[1] == f"`{step['step']}`"
        assert line.endswith(describe(load_step_class(step["step"])))

    validation = _section(text, "Validation")
    cv = _json(final / "metrics.json")["cv"]
    assert f"{cv['folds']} folds" in validation and "stratified" in validation


def test_what_did_not_help_lists_the_worse_runs_with_the_paired_test(runs, capsys):
    text = _writeup(capsys)
    final = _best("synth_binary")
    record = _json(final / "metrics.json")
    best = record["summary"]["valid_mean"]
    worse = {
        d.name
        for d in _run_dirs("synth_binary")
        if _json(d / "metrics.json")["summary"]["valid_mean"] < best
    }
    section = _section(text, "What did not help")
    listed = set(re.findall(r"^- `[^`]+` \(`([^`]+)`", section, flags=re.M))
    assert listed == worse and worse  # C=0.002 is worse than the others
    assert f"{len(worse)} runs scored a worse CV accuracy" in section

    weak = _json(Path("runs/synth_binary") / runs["weak"] / "metrics.json")
    entry = section[section.index(runs["weak"]) :].split("\n- ")[0]
    if weak["seed"] == record["seed"]:  # same folds: the corrected t-test, from the fold scores
        test = corrected_ttest(
            [f["valid_score"] for f in record["folds"]],
            [f["valid_score"] for f in weak["folds"]],
            test_train_ratio=sum(f["n_valid"] / f["n_train"] for f in record["folds"])
            / len(record["folds"]),
        )
        assert f"Paired over {test.n} folds" in entry
        assert f"p = {test.p:.3f}" in entry
    assert re.search(r"`model\.params\.C: (.* → )?0\.002( \(added\))?`", entry), entry
    other = section[section.index(runs["other_seed"]) :] if runs["other_seed"] in worse else ""
    if other:
        assert "Not paired: different seeds" in other.split("\n- ")[0]


def test_the_reproduce_command_makes_the_final_run_again(runs, capsys):
    text = _writeup(capsys)
    final = _best("synth_binary")
    block = _section(text, "Reproduce the final submission")
    lines = block.split("```sh\n")[1].split("\n```")[0].splitlines()
    assert len(lines) == 1
    argv = shlex.split(lines[0])
    assert argv[:4] == ["python", "-m", "workbench", "run"]
    assert argv[4] == "configs/base.yaml"  # the config file, not the run's copy
    assert main([*argv[3:], "--quiet"]) == 0
    new_id = capsys.readouterr().out.strip()
    again = _json(Path("runs/synth_binary") / new_id / "metrics.json")
    before = _json(final / "metrics.json")
    assert [f["valid_score"] for f in again["folds"]] == [f["valid_score"] for f in before["folds"]]
    assert again["summary"]["valid_mean"] == before["summary"]["valid_mean"]
    assert yaml.safe_load((Path("runs/synth_binary") / new_id / "config.yaml").read_text()) == (
        yaml.safe_load((final / "config.yaml").read_text())
    )


def test_tuning_results_come_from_tuning_json(runs, capsys):
    text = _writeup(capsys)
    tuning = _json(Path("runs/synth_binary") / runs["tuned"] / "tuning.json")
    section = _section(text, "Tuning")
    entry = next(line for line in section.splitlines() if runs["tuned"] in line)
    assert f"(#{tuning['best_trial']}) scored {tuning['best_value']:.5f}" in entry
    assert f"(seed {tuning['fresh_seed']})" in entry
    assert f"untuned config scored {tuning['untuned_fresh']:.5f}" in entry
    assert f"tuned one {tuning['tuned_fresh']:.5f}" in entry
    assert f"**{tuning['kept']}**" in entry
    counts = {state.lower(): n for state, n in tuning["counts"].items()}
    assert f"trials {counts['complete']} complete" in entry


def test_html_twin_and_figures_resolve_and_a_rerun_replaces_them(runs, capsys):
    text = _writeup(capsys)
    competition = Path("competitions/synth_binary")
    html = (competition / "writeup" / "WRITEUP.html").read_text(encoding="utf-8")
    md_images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    html_images = re.findall(r'<img src="([^"]+)"', html)
    assert len(md_images) == len(html_images) >= 3  # ROC, confusion, an importance
    for path in md_images:
        assert (competition / path).is_file(), path
    for path in html_images:
        assert (competition / "writeup" / path).is_file(), path
    final = _best("synth_binary")
    for path in md_images:  # copied from the final run's figures, at the size they are shown
        from PIL import Image

        with (
            Image.open(competition / path) as small,
            Image.open(final / "figures" / Path(path).name) as big,
        ):
            assert small.size == tuple(-(-side // 2) for side in big.size)
    links = re.findall(r'(?:src|href)="([^"]+)"', html)  # nothing fetched from elsewhere
    assert [u for u in links if "://" in u] == ["https://www.kaggle.com/competitions/synth-binary"]
    assert "<script" not in html
    assert final.name in html

    stale = competition / "writeup" / "figures" / "old.png"
    stale.write_bytes(b"png")
    (competition / "notes.md").write_text(
        "We tried *everything*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    again = _writeup(capsys)
    assert not stale.exists()
    assert again.rstrip().endswith("We tried *everything*.\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert again.replace(_section(again, "Notes"), "") == text  # the same runs: the same text
    html = (competition / "writeup" / "WRITEUP.html").read_text(encoding="utf-8")
    assert "<em>everything</em>" in html and "<td>2</td>" in html
    assert not list(competition.rglob(".*.tmp"))


def test_a_regression_write_up_describes_the_target_and_its_residuals(runs, capsys):
    text = _writeup(capsys, "synth_reg")
    final = _best("synth_reg")
    dist = _json(final / "data_profile.json")["target_distribution"]
    data = _section(text, "The data")
    assert f"{dist['n']:,} values, mean {dist['mean']:,.0f}, median {dist['median']:,.0f}" in data
    figures = re.findall(r"\(writeup/figures/([^)]+)\)", text)
    assert figures[:2] == ["pred_vs_actual.png", "residuals.png"]
    assert "No run scored worse than the final one." in text
    assert "lower is better" in _section(text, "The problem")


def test_drift_json_is_reported_with_its_auc(runs, capsys):
    assert main(["drift", "synth_binary"]) == 0
    capsys.readouterr()
    drift = _json(Path("runs/synth_binary/drift/raw/drift.json"))
    validation = _section(_writeup(capsys), "Validation")
    assert f"ROC AUC of {drift['auc']:.5f} ± {drift['auc_std']:.5f}" in validation
    assert drift["verdict"] in validation


def test_runs_of_another_metric_only_is_exit_2_and_writes_nothing(runs, capsys):
    for run_dir in _run_dirs("synth_reg"):
        import shutil

        shutil.rmtree(run_dir)
    quick_run(Path.cwd(), "metric=rmse", body=RIDGE_REGRESSION, name="reg")
    capsys.readouterr()
    assert main(["writeup", "synth_reg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: runs/synth_reg: no finished run of 'synth_reg' is scored with")
    assert "--set metric=rmse_log" in err
    assert not Path("competitions/synth_reg/WRITEUP.md").exists()


def test_a_file_where_its_folder_goes_is_exit_2_and_nothing_is_written(runs, capsys):
    Path("competitions/synth_binary/writeup").write_text("not a folder")
    assert main(["writeup", "synth_binary"]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("error: ") and "competitions/synth_binary/writeup" in first, err
    assert "cannot write here" in first and "is a file" in first and "Traceback" not in err
    assert not Path("competitions/synth_binary/WRITEUP.md").exists()


def _reproduce_argv(text: str) -> list[str]:
    block = _section(text, "Reproduce the final submission")
    return shlex.split(block.split("```sh\n")[1].split("\n```")[0])


def test_a_config_file_edited_since_the_run_is_given_overrides_that_undo_it(runs, capsys):
    write_config(Path.cwd(), "base", {**BODY, "features": [], "cv": {"folds": 3}})
    argv = _reproduce_argv(_writeup(capsys))
    assert argv[4] == "configs/base.yaml"
    sets = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--set"]
    assert any(s.startswith("features=[") for s in sets) and "cv.folds=5" in sets
    assert main([*argv[3:], "--quiet"]) == 0
    new_id = capsys.readouterr().out.strip()
    again = _json(Path("runs/synth_binary") / new_id / "metrics.json")["folds"]
    before = _json(_best("synth_binary") / "metrics.json")["folds"]
    assert [f["valid_score"] for f in again] == [f["valid_score"] for f in before]


def test_without_its_config_file_the_command_runs_the_runs_own_config(runs, capsys):
    write_config(Path.cwd(), "base", {**BODY, "name": "renamed"})
    final = _best("synth_binary")
    argv = _reproduce_argv(_writeup(capsys))
    assert argv[3:] == ["run", f"runs/synth_binary/{final.name}/config.yaml"]


ONLY_X1 = {
    **LOGISTIC_BINARY,
    "features": [
        {"step": "impute", "columns": ["x1"], "strategy": "median"},
        {"step": "drop", "columns": ["x2", "color", "noise"]},
    ],
}
NO_X1 = {
    **LOGISTIC_BINARY,
    "features": [
        {"step": "onehot", "columns": ["color"]},
        {"step": "drop", "columns": ["x1", "noise"]},
    ],
}


def _blend(*argv: str, capsys) -> str:
    assert main(["blend", *argv, "--quiet"]) == 0
    return capsys.readouterr().out.strip()


def test_a_blend_as_the_final_run_shows_its_members_and_is_reproduced(runs, capsys):
    import shutil

    for run_dir in _run_dirs("synth_binary"):
        shutil.rmtree(run_dir)
    members = [quick_run(Path.cwd(), body=ONLY_X1, name="only_x1")]
    members.append(quick_run(Path.cwd(), body=NO_X1, name="no_x1"))
    weak = quick_run(Path.cwd(), "model.params.C=0.002", body=ONLY_X1, name="only_x1")
    blend_id = _blend(*members, "--method", "mean", capsys=capsys)
    text = _writeup(capsys)
    assert _best("synth_binary").name == blend_id  # two halves of the signal: the mean wins
    assert f"Final run: `{blend_id}`" in text

    blend = _json(Path("runs/synth_binary") / blend_id / "blend.json")
    model = _section(text, "The final model")
    for member in blend["members"]:
        row = next(line for line in model.splitlines() if f"`{member['run_id']}`" in line)
        assert f"{member['cv_mean']:.5f} ± {member['cv_std']:.5f}" in row
        assert f"{member['weight']:.5f}" in row
    features = _section(text, "Feature engineering")
    for i, (name, body) in enumerate((("only_x1", ONLY_X1), ("no_x1", NO_X1)), 1):
        part = features[features.index(f"### Member {i}: `{name}` (`{members[i - 1]}`") :]
        steps = [s["step"] for s in body["features"]]
        assert re.findall(r"^\d+\. `([^`]+)`", part, flags=re.M)[: len(steps)] == steps
    helped = _section(text, "What did not help")
    assert helped.count("A member of the final blend") == 2
    entry = helped[helped.index(weak) :].split("\n- ")[0]  # compared with its closest member
    assert "Changed from member 1's config: `model.params.C: 0.002 (added)`." in entry

    lines = _section(text, "Reproduce the final submission").split("```sh\n")[1]
    lines = lines.split("\n```")[0].splitlines()
    assert len(lines) == 3
    variables = {}
    for line in lines[:2]:
        name, command = re.fullmatch(r"(RUN_\d)=\$\((.*)\)", line).groups()
        argv = shlex.split(command)
        assert argv[:4] == ["python", "-m", "workbench", "run"] and argv[-1] == "--quiet"
        assert main(argv[3:]) == 0
        variables[name] = capsys.readouterr().out.strip()
    argv = shlex.split(lines[2])
    assert argv[:4] == ["python", "-m", "workbench", "blend"]
    again = _blend(*[variables.get(a.lstrip("$"), a) for a in argv[4:]], capsys=capsys)
    before = _json(Path("runs/synth_binary") / blend_id / "metrics.json")
    after = _json(Path("runs/synth_binary") / again / "metrics.json")
    assert [f["valid_score"] for f in after["folds"]] == [f["valid_score"] for f in before["folds"]]
