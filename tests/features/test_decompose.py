import numpy as np
import pandas as pd
import pytest

from workbench.features.base import StepConfigError
from workbench.features.decompose import KMeansClusters, PCAComponents


def _frame(seed=0, n=60):
    rng = np.random.default_rng(seed)
    centers = np.repeat([[0.0, 0.0], [10.0, 10.0], [0.0, 10.0]], n // 3, axis=0)
    data = centers + rng.normal(size=centers.shape)
    frame = pd.DataFrame(data, columns=["x", "y"])
    frame["z"] = frame["x"] * 2 + rng.normal(size=n) * 0.01
    frame["name"] = "n"
    frame.loc[0, "x"] = np.nan
    return frame


def test_pca_components_names_and_nan():
    frame = _frame()
    step = PCAComponents(n_components=2, random_state=0).fit(frame)
    out = step.transform(frame)
    assert out.columns.tolist() == ["x", "y", "z", "name", "pca_0", "pca_1"]
    assert out[["pca_0", "pca_1"]].notna().all().all()
    out = PCAComponents(
        columns=["x", "y"], n_components=5, prefix="p", keep_original=False
    ).fit_transform(frame)
    assert out.columns.tolist() == ["z", "name", "p0", "p1"]


def test_pca_uses_training_rows():
    train, other = _frame(0), _frame(1) * 1
    step = PCAComponents(columns=["x", "y"], n_components=1).fit(train)
    refit = PCAComponents(columns=["x", "y"], n_components=1).fit(other)
    assert not np.allclose(step.transform(other)["pca_0"], refit.transform(other)["pca_0"])


def test_kmeans_clusters_and_distances():
    frame = _frame()
    step = KMeansClusters(columns=["x", "y"], n_clusters=3, add_distances=True, random_state=0)
    out = step.fit_transform(frame)
    assert out["cluster"].nunique() == 3
    # points of one generating blob share a cluster
    assert out["cluster"].iloc[1:20].nunique() == 1
    assert out.columns.tolist()[-3:] == ["cluster_dist_0", "cluster_dist_1", "cluster_dist_2"]
    with pytest.raises(StepConfigError):
        KMeansClusters(columns=["name"]).fit(frame)
    with pytest.raises(StepConfigError):
        KMeansClusters(n_clusters=1).fit(frame)
