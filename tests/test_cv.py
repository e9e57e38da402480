import numpy as np
import pytest

from workbench.cv import make_folds
from workbench.errors import UserError

RNG = np.random.default_rng(0)
Y_CLS = np.array([0] * 80 + [1] * 20)
Y_REG = RNG.normal(size=100)
GROUPS = np.repeat(np.arange(25), 4)


def folds(**kw):
    args = dict(scheme="auto", n_folds=5, repeats=1, task="binary", y=Y_CLS, groups=None, seed=0)
    return make_folds(**{**args, **kw})


@pytest.mark.parametrize(
    ("scheme", "task", "y", "groups"),
    [
        ("auto", "binary", Y_CLS, None),
        ("kfold", "regression", Y_REG, None),
        ("stratified_kfold", "regression", Y_REG, None),
        ("group_kfold", "binary", Y_CLS, GROUPS),
        ("stratified_group_kfold", "binary", Y_CLS, GROUPS),
    ],
)
def test_folds_partition_rows_each_repeat(scheme, task, y, groups):
    result = folds(scheme=scheme, task=task, y=y, groups=groups, repeats=2)
    assert len(result) == 10
    for r in range(2):
        valid = np.concatenate([f.valid for f in result if f.repeat == r])
        assert np.array_equal(np.sort(valid), np.arange(len(y)))
    for f in result:
        assert len(np.intersect1d(f.train, f.valid)) == 0
        assert len(f.train) + len(f.valid) == len(y)


def test_auto_is_stratified_for_classification():
    for f in folds():
        assert Y_CLS[f.valid].sum() == 4  # 20 positives over 5 folds


def test_regression_stratification_balances_target():
    result = folds(scheme="stratified_kfold", task="regression", y=Y_REG)
    means = [Y_REG[f.valid].mean() for f in result]
    assert np.ptp(means) < 0.3


def test_same_seed_same_folds_and_repeats_differ():
    a, b = folds(repeats=2, seed=7), folds(repeats=2, seed=7)
    assert all(np.array_equal(x.valid, y.valid) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0].valid, a[5].valid)
    c = folds(repeats=1, seed=8)
    assert not np.array_equal(a[0].valid, c[0].valid)


def test_group_folds_keep_groups_together():
    for scheme in ("group_kfold", "stratified_group_kfold"):
        for f in folds(scheme=scheme, groups=GROUPS):
            assert not set(GROUPS[f.train]) & set(GROUPS[f.valid])


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"n_folds": 1}, "at least 2"),
        ({"n_folds": 101, "scheme": "kfold"}, "only 100"),
        ({"y": np.array([0] * 97 + [1] * 3)}, "class 1 has only 3"),
        ({"scheme": "group_kfold"}, "needs cv.group_column"),
        ({"scheme": "group_kfold", "groups": np.repeat([0, 1, 2], [30, 30, 40])}, "3 distinct"),
        ({"scheme": "kfold", "repeats": 2, "shuffle": False}, "same folds"),
    ],
)
def test_user_errors(kw, match):
    with pytest.raises(UserError, match=match) as err:
        folds(**kw)
    assert err.value.where.startswith("cv")


def test_rare_class_is_named_by_its_label_and_the_config_field():
    with pytest.raises(UserError) as err:
        folds(y=np.array([0] * 97 + [1] * 3), classes=["died", "survived"])
    assert "class 'survived' has only 3" in err.value.message
    assert err.value.where == "cv.folds"


def test_rare_class_hint_suggests_fewer_folds():
    with pytest.raises(UserError) as err:
        folds(y=np.array([0] * 97 + [1] * 3))
    assert "3 folds" in err.value.hint


def test_unknown_scheme_did_you_mean():
    with pytest.raises(UserError) as err:
        folds(scheme="stratifed_kfold")
    assert "stratified_kfold" in err.value.hint
