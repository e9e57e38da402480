"""The command line as a user meets it: exit codes, one clear message, no traceback."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from synthetic import BASE_FEATURES, LOGISTIC_BINARY, write_config

from workbench.cli import main


def test_run_prints_the_run_id_on_stdout(project, capsys):
    path = write_config(
        project,
        "ok",
        {
            **LOGISTIC_BINARY,
        },
    )
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr()
    run_id = out.out.strip()
    assert (project / "runs" / "synth_binary" / run_id / "metrics.json").is_file()
    assert "mean ± std" in out.err
    assert "fold 5" in out.err


def test_set_overrides_reach_the_run(project, capsys):
    path = write_config(
        project,
        "ok",
        {
            **LOGISTIC_BINARY,
        },
    )
    assert main(["run", str(path), "--set", "cv.folds=3", "--quiet"]) == 0
    run_id = capsys.readouterr().out.strip()
    config = yaml.safe_load((project / "runs/synth_binary" / run_id / "config.yaml").read_text())
    assert config["cv"]["folds"] == 3


def test_user_error_is_one_message_and_exit_2(project, capsys):
    path = write_config(
        project, "bad", {"competition": "synth_binary", "model": {"kind": "logistc"}}
    )
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "bad.yaml: model.kind" in err
    assert "model.kind" in err and "did you mean 'logistic'" in err
    assert "Traceback" not in err


def test_missing_config_file(project, capsys):
    assert main(["run", "configs/nope.yaml"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_report_for_unknown_run(project, capsys):
    assert main(["report", "no-such-run"]) == 2
    assert "no run" in capsys.readouterr().err


def test_module_entry_point_exits_2_without_traceback(project):
    path = write_config(project, "bad", {"competition": "nope", "model": {"kind": "logistic"}})
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(path)],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown competition 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys, contextlib, io\n"
        "from workbench.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('sklearn', 'lightgbm', 'xgboost', 'pandas', 'matplotlib', 'kaggle',"
        " 'optuna') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


@pytest.mark.parametrize("competition", ["synth_binary", "synth_reg"])
def test_run_with_report_embeds_every_figure_and_report_rebuilds_it(project, capsys, competition):
    path = write_config(
        project,
        "with-report",
        {
            "competition": competition,
            "features": BASE_FEATURES,
            "model": {"kind": "random_forest", "params": {"n_estimators": 20}},
            "cv": {"folds": 3},
            "report": {"enabled": True, "permutation_repeats": 2},
        },
    )
    assert main(["run", str(path), "--quiet"]) == 0
    run_id = capsys.readouterr().out.strip()
    run_dir = project / "runs" / competition / run_id
    html_path = run_dir / "report.html"
    html = html_path.read_text(encoding="utf-8")
    pngs = sorted((run_dir / "figures").glob("*.png"))
    assert len(pngs) >= 8
    for png in pngs:
        encoded = base64.b64encode(png.read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{encoded}" in html, png.name
    assert "importance_permutation.png" in {p.name for p in pngs}

    html_path.unlink()
    assert main(["report", run_id]) == 0
    assert capsys.readouterr().out.strip() == str(html_path)
    rebuilt = html_path.read_text(encoding="utf-8")
    for png in sorted((run_dir / "figures").glob("*.png")):
        assert base64.b64encode(png.read_bytes()).decode("ascii") in rebuilt, png.name


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "workbench"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("workbench ")


def test_clean_says_when_there_is_nothing_to_clean(project, capsys):
    assert main(["clean"]) == 0
    assert capsys.readouterr().out.strip() == "nothing to clean"
    assert main(["clean", "synth_binari"]) == 2
    err = capsys.readouterr().err
    assert "unknown competition 'synth_binari'" in err and "did you mean 'synth_binary'" in err


def test_a_run_whose_submission_cannot_be_published_is_kept_and_clean_publishes_it(
    project, capsys, monkeypatch
):
    import workbench.io

    def no_space(source, path):
        raise OSError(28, "No space left on device")

    path = write_config(project, "nospace", LOGISTIC_BINARY)
    with monkeypatch.context() as patch:
        patch.setattr(workbench.io, "link_or_copy", no_space)
        assert main(["run", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "the run is complete" in err and "could not be published" in err
    assert "No space left on device" in err and "workbench clean" in err
    (run_dir,) = (project / "runs" / "synth_binary").iterdir()
    published = project / "submissions" / "synth_binary" / f"{run_dir.name}.csv"
    assert (run_dir / "metrics.json").is_file() and not published.exists()

    assert main(["clean"]) == 0
    out = capsys.readouterr().out
    assert f"published submissions/synth_binary/{run_dir.name}.csv" in out
    assert published.read_bytes() == (run_dir / "submission.csv").read_bytes()


def test_the_next_run_publishes_a_missing_submission(project, capsys):
    path = write_config(project, "first", LOGISTIC_BINARY)
    assert main(["run", str(path), "--quiet"]) == 0
    run_id = capsys.readouterr().out.strip()
    published = project / "submissions" / "synth_binary" / f"{run_id}.csv"
    published.unlink()  # as if killed between the rename and the publication
    assert main(["run", str(path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"note: published the missing submission of its complete run: {published}" in err
    assert published.is_file()


def test_an_interrupted_run_that_cannot_be_removed_says_so(project, capsys, monkeypatch):
    import workbench.experiment
    import workbench.rundir

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    path = write_config(project, "stuck", LOGISTIC_BINARY)
    with monkeypatch.context() as patch:
        patch.setattr(workbench.experiment, "write_predictions", interrupted)
        patch.setattr(workbench.rundir.shutil, "rmtree", lambda *args, **kwargs: None)
        assert main(["run", str(path), "--quiet"]) == 130
    captured = capsys.readouterr()
    (partial,) = (project / "runs" / "synth_binary").iterdir()
    assert partial.name.startswith(".") and partial.name.endswith(".partial")
    assert f"interrupted by SIGINT: the unfinished run {partial} could not be removed" in (
        captured.err
    )
    assert "workbench clean" in captured.err and captured.out == ""
    assert not list((project / "submissions").rglob("*.csv"))

    assert main(["clean", "synth_binary"]) == 0
    assert "removed 1 leftover of killed runs" in capsys.readouterr().out
    assert not partial.exists()
