"""The prepared experiment: checked before any fold, reusable without a run directory."""

import numpy as np
import pytest
from synthetic import BASE_FEATURES, LOGISTIC_BINARY, write_config

from workbench.config import ExperimentConfig
from workbench.engine import run_cv
from workbench.errors import UserError
from workbench.prepare import prepare


def test_prepare_resolves_and_touches_no_run_directory(project):
    prepared = prepare(write_config(project, "p", LOGISTIC_BINARY))
    assert prepared.config.cv.scheme == "stratified_kfold"
    assert prepared.config.metric == "accuracy"
    assert prepared.config.model.params["max_iter"] >= 100
    assert prepared.problem.X.index.name == "Id" and "label" not in prepared.problem.X
    assert len(prepared.problem.data_digest) == 64
    assert not (project / "runs").exists()


def test_one_prepared_experiment_cross_validates_twice_identically(project):
    prepared = prepare(write_config(project, "p", LOGISTIC_BINARY))
    first, second = run_cv(prepared), run_cv(prepared)
    np.testing.assert_array_equal(first.oof, second.oof)
    np.testing.assert_array_equal(first.test_pred, second.test_pred)
    assert not (project / "runs").exists()


def test_with_config_resolves_and_checks_the_new_config(project):
    prepared = prepare(write_config(project, "p", LOGISTIC_BINARY))
    raw = {**LOGISTIC_BINARY, "name": "p", "model": {"kind": "random_forest"}}
    other = prepared.with_config(ExperimentConfig.model_validate(raw))
    assert other.config.model.params["n_estimators"] == 500  # defaults filled in
    assert other.frames is prepared.frames  # the data is shared, not read again
    assert other.problem.data_digest == prepared.problem.data_digest
    bad = {**raw, "model": {"kind": "random_forest", "params": {"n_estimatorz": 5}}}
    with pytest.raises(UserError, match="n_estimatorz"):
        prepared.with_config(ExperimentConfig.model_validate(bad))


def test_feature_spec_digest_follows_steps_seed_and_code(project):
    prepared = prepare(write_config(project, "p", LOGISTIC_BINARY))
    features = prepared.features
    other_steps = prepare(
        write_config(
            project,
            "q",
            {
                **LOGISTIC_BINARY,
                "features": [
                    *BASE_FEATURES[:1],
                    {"step": "onehot", "columns": ["color"], "min_frequency": 3},
                ],
            },
        )
    ).features
    other_seed = prepare(write_config(project, "s", {**LOGISTIC_BINARY, "seed": 7})).features
    assert len({features.digest, other_steps.digest, other_seed.digest}) == 3
    (project / "competitions/synth_binary/features.py").write_text("# changed\n")
    changed_code = prepare(write_config(project, "p", LOGISTIC_BINARY)).features
    assert changed_code.digest != features.digest


def test_scores_only_gives_the_same_validation_scores_and_skips_the_rest(project):
    """What tuning trials run: the CV score without training score or test predictions."""
    prepared = prepare(write_config(project, "p", LOGISTIC_BINARY))
    full, trial = run_cv(prepared), run_cv(prepared, scores_only=True)
    np.testing.assert_array_equal(full.oof, trial.oof)
    assert full.scores("valid_score").tolist() == trial.scores("valid_score").tolist()
    assert np.isnan(trial.scores("train_score")).all()
    assert len(trial.test_pred) == 0 and len(full.test_pred) == 60


def test_a_sample_the_predictions_cannot_fill_is_refused_before_the_first_fold(project):
    """Probability columns that name no class stop the run at prepare, not after its CV."""
    import pandas as pd
    import yaml

    directory = project / "competitions" / "synth_multi"
    spec = yaml.safe_load((directory / "competition.yaml").read_text())
    spec["submission"] = {"prediction": "probability"}
    (directory / "competition.yaml").write_text(yaml.safe_dump(spec))
    sample = pd.read_csv(directory / "data" / "sample.csv")[["Id"]]
    for column in ("p1", "p2", "p3"):  # named after no class (low, mid, high)
        sample[column] = 0.0
    sample.to_csv(directory / "data" / "sample.csv", index=False)
    config = write_config(
        project, "multi", {"competition": "synth_multi", "model": {"kind": "logistic"}}
    )
    with pytest.raises(UserError) as info:
        prepare(config)
    assert "p1" in str(info.value) and "sample.csv" in (info.value.where or "")
    assert not (project / "runs").exists() or not any((project / "runs").rglob("metrics.json"))
