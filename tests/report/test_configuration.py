"""The report's Configuration section and page title: what was run, from the run directory."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from report_synth import SYNTH_FEATURES, SYNTH_TRAIN_SHA

from workbench.report import build_report
from workbench.report.sections import set_overrides


def _section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}">')
    return html[start : html.index("</section>", start)]


def test_configuration_section_follows_the_summary(run_factory):
    html = build_report(run_factory("binary", profile=False)).read_text(encoding="utf-8")
    ids = re.findall(r'<section id="([^"]+)">', html)
    assert ids[:3] == ["summary", "config", "fit"]
    assert '<a href="#config">Configuration</a>' in html


def test_configuration_lists_what_was_run(run_factory):
    html = build_report(run_factory("binary", profile=False)).read_text(encoding="utf-8")
    config = _section(html, "config")
    assert "A synthetic binary run for the report tests." in config  # the description
    # the feature steps in order, with their parameters
    steps = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]*)</td></tr>", config)
    assert [(int(n), name) for n, name, _ in steps] == [
        (1, "synthetic.title"),
        (2, "impute"),
        (3, "onehot"),
    ]
    assert steps[0][2] == "defaults"
    assert steps[1][2] == "columns: [Age, Fare], strategy: median"
    assert steps[2][2] == "columns: [Sex, Title]"
    # the --set overrides of the command line, the seed, the CV, the data's fingerprint
    assert "model.params.n_estimators=300, cv.folds=5" in config
    assert re.search(r"<dt>Seed</dt><dd>42</dd>", config)
    assert "stratified kfold, 5 folds (shuffle: true)" in config
    assert f"sha256 {SYNTH_TRAIN_SHA[:12]}…" in config
    assert SYNTH_TRAIN_SHA not in config.split("<details>")[0]  # a prefix, not the whole hash
    assert "sha256 56023b994820…" in config
    # the model and the whole resolved config, collapsed
    assert "<td>lightgbm</td>" in config
    assert "<summary>The whole resolved config (config.yaml)</summary>" in config


def test_configuration_lists_every_member_of_a_voting_blend(run_factory):
    run_dir = run_factory("regression", model="voting", profile=False, importance=False)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["model"]["params"]["estimators"] = [
        {"kind": "lasso", "params": {"alpha": 0.0005}},
        {"kind": "lightgbm", "params": {"num_leaves": 6, "min_child_samples": 10}},
        {"kind": "svm", "params": {"C": 20, "epsilon": 0.008}},
    ]
    config["model"]["params"]["weights"] = [1, 2, 1]
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    section = _section(build_report(run_dir).read_text(encoding="utf-8"), "config")
    members = re.findall(
        r"<tr><td>(\d+)</td><td>(\w+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", section
    )
    assert members == [
        ("1", "lasso", "alpha: 0.0005", "1"),
        ("2", "lightgbm", "num_leaves: 6, min_child_samples: 10", "2"),
        ("3", "svm", "C: 20, epsilon: 0.008", "1"),
    ]
    assert "A voting blend of 3 models" in section


def test_page_title_names_the_run_and_the_config(run_factory):
    run_dir = run_factory("binary", run_id="20261125-204512-titanic-3fa2", profile=False)
    html = build_report(run_dir).read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert "20261125-204512-titanic-3fa2" in title and "binary-base" in title


def test_configuration_without_the_provenance_files(run_factory):
    run_dir = run_factory("binary", profile=False, importance=False, learning_curve=False)
    (run_dir / "environment.json").unlink()
    (run_dir / "fingerprint.json").write_text("{not json")
    section = _section(build_report(run_dir).read_text(encoding="utf-8"), "config")
    assert "fingerprint.json could not be read" in section
    assert "--set overrides" not in section and "sha256" not in section
    assert "synthetic.title" in section  # config.yaml alone still gives the steps


def test_a_run_started_from_python_has_no_recorded_overrides(run_factory):
    run_dir = run_factory("binary", profile=False, importance=False, learning_curve=False)
    env = json.loads((run_dir / "environment.json").read_text())
    env["command"] = ["/usr/bin/pytest", "-q", "tests"]
    (run_dir / "environment.json").write_text(json.dumps(env))
    section = _section(build_report(run_dir).read_text(encoding="utf-8"), "config")
    assert "not recorded (the run was not started by `workbench run`)" in section
    assert "pytest" not in section


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["/x/__main__.py", "run", "c.yaml"], []),
        (["/x/__main__.py", "run", "c.yaml", "--set", "a=1", "--quiet", "--set=b.c=[1, 2]"],
         ["a=1", "b.c=[1, 2]"]),
        (["/x/workbench", "run", "--se", "seed=1", "c.yaml"], ["seed=1"]),
        (["/x/workbench", "report", "runs/x"], None),
        (["pytest", "-q"], None),
        ("run --set a=1", None),
    ],
)  # fmt: skip
def test_set_overrides_from_the_command_line(command, expected):
    assert set_overrides(command) == expected


def test_config_steps_are_read_as_written(run_factory):
    """A step written as a bare name, one with parameters, and one with a nested mapping."""
    run_dir = run_factory("binary", profile=False, importance=False, learning_curve=False)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["features"] == SYNTH_FEATURES
    config["features"] = [
        "a.step",
        {"step": "onehot", "columns": ["Title"], "categories": {"Title": ["Mr", "Mrs"]}},
    ]
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    section = _section(build_report(run_dir).read_text(encoding="utf-8"), "config")
    assert "<td>1</td><td>a.step</td><td>defaults</td>" in section
    assert "columns: [Title], categories: {Title: [Mr, Mrs]}" in section
