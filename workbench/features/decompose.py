"""Unsupervised summaries of numeric columns: PCA components and k-means clusters."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from workbench.features.base import Step, StepConfigError, as_float, require_columns
from workbench.features.numeric import numeric_columns


def _prepare(step: str, X: pd.DataFrame, columns: str | Sequence[str] | None) -> list[str]:
    names = numeric_columns(X, columns, step)
    if not names:
        raise StepConfigError(f"{step}: no numeric columns to work on")
    if len(X) < 2:
        raise StepConfigError(f"{step}: needs at least two training rows")
    return names


def _preprocess():
    """Training medians for missing values, then standardization (learned on training rows)."""
    return [SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()]


class PCAComponents(Step):
    """Add principal components ``<prefix>0``, ``<prefix>1``, ... of numeric columns.

    Missing values are filled with the training medians and the columns standardized
    (both learned on the training rows) before PCA. ``n_components`` is a count (capped at
    the number of columns) or a share of variance to explain (0 < x < 1). With
    ``keep_original: false`` the input columns are dropped.
    """

    def __init__(
        self,
        columns: str | Sequence[str] | None = "numeric",
        n_components: int | float = 2,
        prefix: str = "pca_",
        keep_original: bool = True,
        random_state: int | None = None,
    ):
        self.columns = columns
        self.n_components = n_components
        self.prefix = prefix
        self.keep_original = keep_original
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> PCAComponents:
        self.columns_ = _prepare("pca", X, self.columns)
        n = self.n_components
        if isinstance(n, bool) or not isinstance(n, numbers.Real) or n <= 0:
            raise StepConfigError(
                f"pca: n_components must be a positive count or a share below 1, got {n!r}"
            )
        if isinstance(n, numbers.Integral) or n >= 1:
            n = min(int(n), len(self.columns_), len(X))
        self.model_ = make_pipeline(
            *_preprocess(), PCA(n_components=n, random_state=self.random_state)
        )
        self.model_.fit(as_float(X[self.columns_]))
        count = self.model_[-1].n_components_
        self.component_names_ = [f"{self.prefix}{i}" for i in range(count)]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "pca")
        components = self.model_.transform(as_float(X[self.columns_]))
        out = X.copy(deep=False) if self.keep_original else X.drop(columns=self.columns_)
        out = out.drop(columns=[c for c in self.component_names_ if c in out])
        frame = pd.DataFrame(components, index=X.index, columns=self.component_names_)
        return self._remember_output(pd.concat([out, frame], axis=1))


class KMeansClusters(Step):
    """Add the k-means cluster of each row (column ``name``), fitted on the training rows.

    Missing values are filled with the training medians and the columns standardized
    before clustering. ``add_distances`` also adds ``<name>_dist_<k>``, the distance to
    each cluster centre.
    """

    def __init__(
        self,
        columns: str | Sequence[str] | None = "numeric",
        n_clusters: int = 8,
        add_distances: bool = False,
        name: str = "cluster",
        random_state: int | None = None,
    ):
        self.columns = columns
        self.n_clusters = n_clusters
        self.add_distances = add_distances
        self.name = name
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> KMeansClusters:
        self.columns_ = _prepare("kmeans", X, self.columns)
        k = self.n_clusters
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 2:
            raise StepConfigError(f"kmeans: n_clusters must be an integer >= 2, got {k!r}")
        if k > len(X):
            raise StepConfigError(f"kmeans: n_clusters={k} is more than the {len(X)} rows")
        self.model_ = make_pipeline(
            *_preprocess(), KMeans(n_clusters=int(k), n_init="auto", random_state=self.random_state)
        )
        self.model_.fit(as_float(X[self.columns_]))
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, self.columns_, "kmeans")
        data = as_float(X[self.columns_])
        out = X.copy(deep=False)
        out[self.name] = self.model_.predict(data).astype(np.int64)
        if self.add_distances:
            distances = self.model_.transform(data)
            for i in range(distances.shape[1]):
                out[f"{self.name}_dist_{i}"] = distances[:, i]
        return self._remember_output(out)
