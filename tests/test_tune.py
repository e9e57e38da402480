"""`workbench tune`: space checks, pruning, failed trials, parallel workers, resume after kill."""

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from synthetic import BASE_FEATURES, LOGISTIC_BINARY, write_config

from workbench.competition import Project
from workbench.errors import UserError
from workbench.tune import JOURNAL_FILE, TuneOptions, tune

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _config(project, name, space, **tune_settings):
    return write_config(
        project, name, {**LOGISTIC_BINARY, "tune": {"space": space, **tune_settings}}
    )


def _study(project, name, competition="synth_binary"):
    path = project / "runs" / competition / JOURNAL_FILE
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    return optuna.load_study(study_name=name, storage=storage)


def _finished(study):
    return sum(t.state.is_finished() for t in study.get_trials())


C_SPACE = {"C": {"float": [1e-6, 1e2], "log": True}}


def test_tune_runs_trials_rescores_and_writes_a_normal_run(project):
    path = _config(project, "t", C_SPACE, trials=8)
    result = tune(path, options=TuneOptions(), project=Project(project), write=None)
    study = _study(project, "t")
    assert _finished(study) == 8
    summary = result.summary
    assert summary["best_params"].keys() == {"model.params.C"}
    assert summary["kept"] in ("tuned", "untuned")
    assert summary["fresh_seed"] == 43
    run_dir = result.run.run_dir
    assert (run_dir / "tuning.json").is_file() and result.run.submission.is_file()
    kept_c = __import__("yaml").safe_load((run_dir / "config.yaml").read_text())["model"]["params"]
    if summary["kept"] == "tuned":
        assert kept_c["C"] == summary["best_params"]["model.params.C"]
    # trials write no run directory: only the final run exists
    assert len([p for p in (project / "runs/synth_binary").iterdir() if p.is_dir()]) == 1


def test_the_same_command_resumes_the_study(project):
    path = _config(project, "r", C_SPACE)
    tune(path, options=TuneOptions(trials=4), project=Project(project), write=None)
    tune(path, options=TuneOptions(trials=7), project=Project(project), write=None)
    assert _finished(_study(project, "r")) == 7


def test_pruning_stops_trials_in_the_hopeless_half_of_the_space(project):
    """C below ~1e-3 predicts one class for every row: those trials are hopeless."""
    path = _config(
        project,
        "p",
        {"C": {"float": [1e-7, 1e2], "log": True}},
        trials=24,
        pruner={"startup_trials": 4, "warmup_folds": 0},
    )
    tune(path, project=Project(project), write=None)
    trials = _study(project, "p").get_trials()
    pruned = [t for t in trials if t.state.name == "PRUNED"]
    assert pruned, "no trial was pruned"
    assert all(len(t.intermediate_values) < 5 for t in pruned)  # stopped before the last fold
    hopeless = [t for t in trials[4:] if t.params["model.params.C"] < 1e-4]
    assert hopeless, "the sampler never tried the hopeless half"
    assert sum(t.state.name == "PRUNED" for t in hopeless) >= 0.8 * len(hopeless)


def test_failed_trials_are_recorded_and_the_study_goes_on(project):
    """Values the model rejects fail their trial, with the message; the study goes on."""
    space = {
        "model.params.solver": {"categorical": ["lbfgs", "no-such-solver"]},
        "model.params.max_iter": {"int": [-5, 300]},
    }
    path = _config(project, "f", space, trials=10)
    result = tune(path, project=Project(project), write=None)
    trials = _study(project, "f").get_trials()
    failed = [t for t in trials if t.state.name == "FAIL"]
    assert failed
    for trial in failed:
        bad = (
            trial.params["model.params.solver"] != "lbfgs"
            or trial.params["model.params.max_iter"] < 1
        )
        assert bad and "rejected the parameter values" in trial.user_attrs["error"]
    assert sum(t.state.name == "COMPLETE" for t in trials) >= 1
    assert result.summary["counts"]["FAIL"] == len(failed)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"num_leafs": {"int": [2, 8]}}, "num_leafs"),
        ({"features[9].strategy": {"categorical": ["mean"]}}, "features[9]"),
        ({"cv.folds": {"int": [1, 3]}}, "cv.folds"),
    ],
)
def test_space_errors_before_any_trial(project, space, message):
    path = _config(project, "e", space)
    with pytest.raises(UserError) as info:
        tune(path, project=Project(project), write=None)
    assert message in str(info.value) and info.value.where.startswith("tune.space")
    assert not (project / "runs/synth_binary" / JOURNAL_FILE).exists() or not _study_exists(
        project, "e"
    )


def _study_exists(project, name):
    if not (project / "runs/synth_binary" / JOURNAL_FILE).is_file():
        return False
    try:
        _study(project, name)
    except KeyError:
        return False
    return True


def test_low_above_high_is_a_config_error(project):
    path = _config(project, "lh", {"C": {"float": [10, 1]}})
    with pytest.raises(UserError, match="greater than high"):
        tune(path, project=Project(project), write=None)


def test_feature_parameters_can_be_tuned(project):
    body = {
        **LOGISTIC_BINARY,
        "features": BASE_FEATURES,
        "tune": {
            "trials": 6,
            "space": {"features[0].strategy": {"categorical": ["median", "mean"]}, **C_SPACE},
        },
    }
    result = tune(write_config(project, "feat", body), project=Project(project), write=None)
    assert "features[0].strategy" in result.summary["best_params"]


def _cli(project, *args):
    env = {**os.environ, "WORKBENCH_ROOT": str(project)}
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", "tune", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_share_one_study(project):
    path = _config(project, "two", C_SPACE, trials=12)
    first, second = _cli(project, str(path)), _cli(project, str(path))
    for process in (first, second):
        _out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
    study = _study(project, "two")
    assert _finished(study) >= 12
    assert len({t.number for t in study.get_trials()}) == len(study.get_trials())


def test_jobs_run_worker_processes_on_one_study(project):
    path = _config(project, "jobs", C_SPACE, trials=10)
    process = _cli(project, str(path), "--jobs", "2")
    _out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    assert _finished(_study(project, "jobs")) >= 10


def test_kill_9_then_resume_never_loses_a_finished_trial(project):
    path = _config(project, "k", C_SPACE, trials=40)
    process = _cli(project, str(path))
    journal = project / "runs/synth_binary" / JOURNAL_FILE
    deadline = time.monotonic() + 120
    before = 0
    while time.monotonic() < deadline:
        if journal.is_file():
            before = _finished(_study(project, "k")) if _study_exists(project, "k") else 0
            if before >= 3:
                break
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    after_kill = _finished(_study(project, "k"))
    assert after_kill >= before >= 3
    resumed = _cli(project, str(path), "--trials", "40")
    _out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert _finished(_study(project, "k")) >= 40
    assert f"{after_kill} of 40 trials finished" in err


def _postgres_url():
    """The server .ci/run starts (WORKBENCH_TEST_POSTGRES), or a skip saying why."""
    url = os.environ.get("WORKBENCH_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL server: .ci/run starts one (bash .ci/start-postgres)")
    try:
        import sqlalchemy

        sqlalchemy.create_engine(url).connect().close()
    except Exception as exc:
        pytest.skip(f"PostgreSQL at {url} is not reachable: {type(exc).__name__}")
    return url


def test_two_processes_share_one_study_on_postgresql(project):
    url = _postgres_url()
    name = f"pg-{os.getpid()}-{time.time_ns()}"
    path = _config(project, "pg", C_SPACE, trials=10)
    args = (str(path), "--storage", url, "--study", name)
    first, second = _cli(project, *args), _cli(project, *args)
    for process in (first, second):
        _out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        assert "workbench:workbench@" not in err  # the password never reaches the terminal
    study = optuna.load_study(study_name=name, storage=url)
    trials = study.get_trials()
    assert sum(t.state.is_finished() for t in trials) >= 10
    optuna.delete_study(study_name=name, storage=url)


@pytest.mark.parametrize(
    ("space", "extra", "words"),
    [
        ({"num_leafs": {"int": [2, 8]}}, [], "tune.space"),
        ({"C": {"float": [10, 1]}}, [], "greater than high"),
        (C_SPACE, ["--trials", "0"], "must be > 0"),
    ],
)
def test_tune_cli_errors_exit_2_before_any_trial(project, capsys, space, extra, words):
    from workbench.cli import main

    path = _config(project, "cli-error", space)
    try:
        code = main(["tune", str(path), *extra])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not _study_exists(project, "cli-error")
