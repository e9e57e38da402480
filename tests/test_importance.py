import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance as sklearn_permutation_importance
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from workbench.importance import permutation_importance


def r2_blocks(y, preds):
    return np.array([r2_score(y, p) for p in preds])


def fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=300),
            "b": rng.normal(size=300),
            "c": rng.integers(0, 3, size=300).astype(np.int8),
        }
    )
    y = 3 * X["a"].to_numpy() + 0.5 * X["c"].to_numpy() + rng.normal(scale=0.1, size=300)
    return LinearRegression().fit(X, y), X, y


def test_agrees_with_scikit_learn():
    model, X, y = fitted()
    mean, std = permutation_importance(model.predict, X, y, r2_blocks, n_repeats=20, seed=1)
    reference = sklearn_permutation_importance(
        model, X, y, scoring="r2", n_repeats=20, random_state=1
    )
    np.testing.assert_allclose(mean, reference.importances_mean, atol=0.15)
    assert mean[0] > 1.0 > mean[2] > 0.01 > abs(mean[1])
    assert std.shape == (3,)


def test_chunking_gives_the_same_result_and_seed_reproduces():
    model, X, y = fitted()
    whole = permutation_importance(model.predict, X, y, r2_blocks, n_repeats=4, seed=3)
    chunked = permutation_importance(
        model.predict, X, y, r2_blocks, n_repeats=4, seed=3, max_cells=1
    )
    np.testing.assert_array_equal(whole[0], chunked[0])
    other = permutation_importance(model.predict, X, y, r2_blocks, n_repeats=4, seed=4)
    assert not np.array_equal(whole[0], other[0])


def test_one_predict_call_per_chunk():
    model, X, y = fitted()
    calls = []

    def predict(frame):
        calls.append(len(frame))
        assert list(frame.columns) == list(X.columns)
        assert frame["c"].dtype == np.int8
        return model.predict(frame)

    permutation_importance(predict, X, y, r2_blocks, n_repeats=5, seed=0)
    assert calls == [300, 300 * 3 * 5]
