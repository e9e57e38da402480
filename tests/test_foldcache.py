"""The fold cache: bit-identical scores, one preparation per fold, misses on any change."""

import numpy as np
from synthetic import LOGISTIC_BINARY, write_config

from workbench import engine
from workbench.config import ExperimentConfig
from workbench.foldcache import FoldCache, fold_key
from workbench.prepare import prepare


def _prepared(project, body=LOGISTIC_BINARY):
    return prepare(write_config(project, "c", body))


def test_cached_and_uncached_folds_give_identical_scores(project):
    prepared = _prepared(project)
    cache = FoldCache()
    plain = engine.run_cv(prepared)
    first = engine.run_cv(prepared, prepare=cache)
    second = engine.run_cv(prepared, prepare=cache)
    for result in (first, second):
        np.testing.assert_array_equal(result.oof, plain.oof)
        np.testing.assert_array_equal(result.test_pred, plain.test_pred)
        assert result.scores("valid_score").tolist() == plain.scores("valid_score").tolist()
    assert (cache.misses, cache.hits) == (5, 5)
    assert all(r.features_seconds == 0 for r in second.fold_records)


def test_model_parameter_changes_hit_and_feature_changes_miss(project, monkeypatch):
    prepared = _prepared(project)
    calls = []
    real = engine.prepare_fold

    def counting(features, problem, fold):
        calls.append(fold.fold)
        return real(features, problem, fold)

    monkeypatch.setattr("workbench.foldcache.prepare_fold", counting)
    cache = FoldCache()
    engine.run_cv(prepared, prepare=cache)
    raw = {**LOGISTIC_BINARY, "name": "c", "model": {"kind": "logistic", "params": {"C": 0.1}}}
    engine.run_cv(prepared.with_config(ExperimentConfig.model_validate(raw)), prepare=cache)
    assert len(calls) == 5  # the model changed: every fold came from the cache
    features = [
        {"step": "impute", "columns": ["x1"], "strategy": "mean"},
        {"step": "onehot", "columns": ["color"]},
    ]
    changed = prepared.with_config(ExperimentConfig.model_validate({**raw, "features": features}))
    engine.run_cv(changed, prepare=cache)
    assert len(calls) == 10  # a feature parameter changed: every fold prepared again


def test_key_covers_data_seed_and_rows(project):
    prepared = _prepared(project)
    folds = engine.make_folds(prepared)
    base = fold_key(prepared.features, prepared.problem, folds[0])
    assert fold_key(prepared.features, prepared.problem, folds[1]) != base
    reseeded = _prepared(project, {**LOGISTIC_BINARY, "seed": 1})
    assert fold_key(reseeded.features, reseeded.problem, folds[0]) != base
    train = project / "competitions/synth_binary/data/train.csv"
    train.write_text(train.read_text().replace("red", "rouge", 1))
    changed_data = _prepared(project)
    assert fold_key(changed_data.features, changed_data.problem, folds[0]) != base


def test_cache_stays_within_its_memory_bound(project):
    prepared = _prepared(project)
    folds = engine.make_folds(prepared)
    data = engine.prepare_fold(prepared.features, prepared.problem, folds[0])
    per_fold = sum(
        f.memory_usage(index=True).sum() for f in (data.X_train, data.X_valid, data.X_test)
    )
    bounded = FoldCache(max_bytes=int(2.5 * per_fold))
    engine.run_cv(prepared, prepare=bounded)
    assert len(bounded) == 2


def test_a_float32_model_and_a_float64_model_never_share_cached_folds(project):
    booster = _prepared(project, {**LOGISTIC_BINARY, "model": {"kind": "lightgbm"}})
    linear = _prepared(project)
    assert booster.features.float32 and not linear.features.float32
    assert booster.features.digest != linear.features.digest
