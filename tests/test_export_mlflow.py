"""``workbench export mlflow`` against a real local MLflow store (SQLite, in the test's folder),
read back through MLflow's own client."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from synthetic import BASE_FEATURES, LOGISTIC_BINARY, write_config

from workbench.cli import main
from workbench.export_mlflow import (
    PARAM_KEY_LIMIT,
    PARAM_VALUE_LIMIT,
    RUN_ID_TAG,
    STATE_TAG,
    Store,
    flatten_config,
)
from workbench.record import SubmissionEntry, read_record, record_submission

# MLflow's SQL store on SQLAlchemy 2.1 warns about its own use of a deprecated loader.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")

PLANTED = "planted-secret-7f3a9c"  # an environment value that must not reach the store

# A binary run with its report (logistic, 3 folds, no permutation importance: quick) and a
# regression run without one (a small LightGBM, 2 folds x 2 repeats: fold steps 0..3).
WITH_REPORT = {
    **LOGISTIC_BINARY,
    "cv": {"folds": 3},
    "report": {"enabled": True, "permutation_importance": False},
}
REGRESSION = {
    "competition": "synth_reg",
    "features": BASE_FEATURES,
    "model": {"kind": "lightgbm", "params": {"n_estimators": 10, "num_leaves": 4}},
    "cv": {"folds": 2, "repeats": 2},
    "report": False,
}


@pytest.fixture
def mlflow(monkeypatch):
    """The real ``mlflow`` package (the test skips, saying why, when it is not installed)."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return pytest.importorskip("mlflow", reason="mlflow is not installed: pip install '.[mlflow]'")


def quick_run(project: Path, capsys, name: str, body: dict) -> Path:
    assert main(["run", str(write_config(project, name, body)), "--quiet"]) == 0
    run_id = capsys.readouterr().out.strip()
    return project / "runs" / body["competition"] / run_id


def export(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["export", "mlflow", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def the_run(client, experiment: str, run_id: str):
    """The one MLflow run of a workbench run (found by its tag, as the export finds it)."""
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs(
        [exp.experiment_id], filter_string=f"tags.`{RUN_ID_TAG}` = '{run_id}'"
    )
    assert len(runs) == 1, f"{len(runs)} MLflow runs for {run_id}"
    return runs[0]


def artifact_paths(client, mlflow_run_id: str, path: str | None = None) -> set[str]:
    return {f.path for f in client.list_artifacts(mlflow_run_id, path)}


def test_export_logs_config_scores_and_files_then_never_duplicates(
    project, capsys, monkeypatch, mlflow
):
    monkeypatch.setenv("KAGGLE_KEY", PLANTED)
    binary = quick_run(project, capsys, "with-report", WITH_REPORT)
    regression = quick_run(project, capsys, "reg", REGRESSION)

    code, out, err = export(capsys)
    assert code == 0, err
    assert err == ""  # MLflow's database-creation chatter stays off the terminal
    db = project / "runs" / ".mlflow" / "mlflow.db"
    lines = out.splitlines()
    assert lines[0].startswith(f"exported {binary.name} (experiment 'synth_binary', MLflow run ")
    assert lines[1].startswith(f"exported {regression.name} (experiment 'synth_reg', MLflow run ")
    assert lines[2] == f"2 exported, 0 updated, 0 skipped; MLflow store: sqlite:///{db}"
    assert lines[3] == f"browse it with: mlflow ui --backend-store-uri sqlite:///{db}"

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    for run_dir, experiment in ((binary, "synth_binary"), (regression, "synth_reg")):
        record = read_record(run_dir)
        run = the_run(client, experiment, record.run_id)
        assert run.info.run_name == record.run_id
        assert run.info.status == "FINISHED"
        assert run.data.tags["workbench.model"] == record.model

        # params: the flattened resolved config, every key and value as MLflow allows
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        assert run.data.params == flatten_config(config)
        assert run.data.params["model.kind"] == config["model"]["kind"]
        assert run.data.params["features.0.step"] == "impute"
        assert run.data.params["features.0.columns"] == '["x1"]'
        assert run.data.params["cv.folds"] == str(config["cv"]["folds"])

        # metrics: the CV summary, and each fold's scores as a history (step = fold index)
        metrics = run.data.metrics
        assert metrics["cv_mean"] == pytest.approx(record.summary.valid_mean)
        assert metrics["cv_std"] == pytest.approx(record.summary.valid_std)
        assert metrics["oof_score"] == pytest.approx(record.summary.oof_score)
        assert "public_score" not in metrics  # never submitted
        for key, attr in (("fold_valid_score", "valid_score"), ("fold_train_score", "train_score")):
            history = sorted(
                (m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)
            )
            expected = [(i, getattr(fold, attr)) for i, fold in enumerate(record.folds)]
            assert [step for step, _ in history] == [step for step, _ in expected]
            assert [v for _, v in history] == pytest.approx([v for _, v in expected])
        if experiment == "synth_reg":
            assert len(record.folds) == 4  # 2 folds x 2 repeats: steps 0..3

        # artifacts: the run's files, byte for byte
        names = artifact_paths(client, run.info.run_id)
        assert {"submission.csv", "oof.csv", "config.yaml", "metrics.json"} <= names
        for name in ("oof.csv", "submission.csv"):
            local = client.download_artifacts(run.info.run_id, name, str(project / "down"))
            assert Path(local).read_bytes() == (run_dir / name).read_bytes()

    run = the_run(client, "synth_binary", binary.name)
    assert {"report.html", "figures"} <= artifact_paths(client, run.info.run_id)
    figures = {f"figures/{p.name}" for p in (binary / "figures").glob("*.png")}
    assert figures and artifact_paths(client, run.info.run_id, "figures") == figures
    run = the_run(client, "synth_reg", regression.name)
    assert "report.html" not in artifact_paths(client, run.info.run_id)

    # nothing from the environment reaches the store: not the database, not an artifact
    stored = [db, *(p for p in (db.parent / "mlartifacts").rglob("*") if p.is_file())]
    assert not [p for p in stored if PLANTED.encode() in p.read_bytes()]

    # the same run again: skipped, not duplicated
    code, out, _ = export(capsys, binary.name)
    assert code == 0
    assert out.splitlines()[0].startswith(f"skipped {binary.name}: already exported and unchanged")
    assert "0 exported, 0 updated, 1 skipped" in out
    the_run(client, "synth_binary", binary.name)

    # a public score arrives: the run is updated with just that, still one MLflow run
    record_submission(
        binary,
        SubmissionEntry(
            ref=7,
            submitted_at="2026-11-30T10:00:00+00:00",
            file_sha256="ab" * 32,
            status="complete",
            public_score=0.81,
        ),
    )
    code, out, _ = export(capsys)
    assert code == 0
    assert f"updated {binary.name}: public_score, submissions.json (" in out
    assert f"skipped {regression.name}" in out
    assert "0 exported, 1 updated, 1 skipped" in out
    run = the_run(client, "synth_binary", binary.name)
    assert run.data.metrics["public_score"] == pytest.approx(0.81)
    assert "submissions.json" in artifact_paths(client, run.info.run_id)
    assert len(client.get_metric_history(run.info.run_id, "fold_valid_score")) == 3  # not twice


def test_tracking_uri_override_an_interrupted_export_and_a_deleted_experiment(
    project, capsys, mlflow
):
    run_dir = quick_run(project, capsys, "plain", LOGISTIC_BINARY)
    uri = f"sqlite:///{project / 'elsewhere' / 'tracking.db'}"
    (project / "elsewhere").mkdir()

    code, out, err = export(capsys, str(run_dir), "--tracking-uri", uri)  # a run by its path
    assert code == 0, err
    assert f"1 exported, 0 updated, 0 skipped; MLflow store: {uri}" in out.splitlines()
    assert not (project / "runs" / ".mlflow").exists()  # the default store is not made
    assert (project / "elsewhere" / "mlartifacts" / "synth_binary").is_dir()  # beside its db
    assert not (project / "mlruns").exists()  # not in the working directory

    # an export cut short (its files-state tag is set last, the run finished last)
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = the_run(client, "synth_binary", run_dir.name)
    client.delete_tag(run.info.run_id, STATE_TAG)
    client.update_run(run.info.run_id, status="RUNNING")
    code, out, _ = export(capsys, run_dir.name, "--tracking-uri", uri)
    assert code == 0
    assert out.startswith(f"updated {run_dir.name}: completed an interrupted export, ")
    assert the_run(client, "synth_binary", run_dir.name).info.status == "FINISHED"

    # the competition's experiment deleted in MLflow: one message, exit 2
    client.delete_experiment(client.get_experiment_by_name("synth_binary").experiment_id)
    code, out, err = export(capsys, "--tracking-uri", uri)
    assert code == 2
    assert "the experiment 'synth_binary' is deleted in this store" in err
    assert "Traceback" not in err


def test_an_unknown_run_is_exit_2_and_nothing_is_written(project, capsys):
    code, out, err = export(capsys, "no-such-run")
    assert code == 2
    assert out == ""
    assert err.startswith("error: no run 'no-such-run'")
    assert err.count("error:") == 1
    assert not (project / "runs" / ".mlflow").exists()


def test_a_store_that_cannot_be_opened_is_exit_2(project, capsys, mlflow):
    quick_run(project, capsys, "plain", LOGISTIC_BINARY)
    code, _, err = export(capsys, "--tracking-uri", "nosuchscheme://user:hunter2@host/x")
    assert code == 2
    assert err.startswith("error: nosuchscheme://user:***@host/x: cannot open the MLflow store")
    assert "hunter2" not in err
    assert "Traceback" not in err


def test_without_mlflow_it_is_exit_2_with_the_install_hint(project, capsys, monkeypatch):
    quick_run(project, capsys, "plain", LOGISTIC_BINARY)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what a missing package looks like
    code, out, err = export(capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("error: MLflow is not installed")
    assert "pip install 'workbench[mlflow]'" in err
    assert not (project / "runs" / ".mlflow").exists()


def test_nothing_to_export_says_so(project, capsys):
    code, out, _ = export(capsys)
    assert code == 0
    assert out.startswith("nothing to export: no complete run under ")


def test_flattened_params_fit_mlflow_limits():
    params = flatten_config(
        {
            "model": {"params": {"num_leaves": 15, "class/weight": {0: 1.5}, "odd key!": None}},
            "features": ["a.step", {"step": "keep", "columns": ["x"] * 200}],
            "flag": True,
            "empty": {},
            "k" * 300: 1,
        }
    )
    assert params["model.params.num_leaves"] == "15"
    assert params["model.params.class_weight.0"] == "1.5"
    assert params["model.params.odd key_"] == "null"
    assert params["features.0"] == "a.step"
    assert params["features.1.step"] == "keep"
    assert params["flag"] == "true"
    assert params["empty"] == "{}"
    long = params["features.1.columns"]
    assert len(long) == PARAM_VALUE_LIMIT and long.endswith("…")
    for key in params:
        assert re.fullmatch(r"[A-Za-z0-9_.\- ]+", key) and len(key) <= PARAM_KEY_LIMIT


def test_a_password_in_the_tracking_uri_is_never_shown():
    assert (
        Store("postgresql://me:s3cret@db:5432/mlflow").shown == "postgresql://me:***@db:5432/mlflow"
    )
    assert Store("http://host:5000").shown == "http://host:5000"


def test_help_does_not_import_mlflow():
    code = (
        "import sys, contextlib, io\n"
        "from workbench.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['export', 'mlflow', '--help'])\n"
        "    except SystemExit: pass\n"
        "print('mlflow' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
