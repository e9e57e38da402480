"""A built model: the estimator plus what the workbench knows about it.

:class:`Model` fits and predicts in the engine's convention whatever the library: classes are
encoded class indices, and predictions always have one column per class of the task, so a class
missing from a fold's training rows gets probability 0 rather than a narrower array.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.models.adapters import Adapter, safe_columns


@dataclass(eq=False)
class Model:
    """One estimator, its library's adapter, and the task it was built for.

    ``n_classes`` is the task's number of classes (2 for binary; ignored for regression).
    ``n_threads`` caps the OpenMP/BLAS threads of fit and predict.
    """

    kind: str
    task: str
    n_classes: int
    n_threads: int
    estimator: Any
    adapter: Adapter
    _classes: np.ndarray | None = field(default=None, init=False, repr=False)

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        eval_X: Any = None,
        eval_y: Any = None,
        early_stopping_rounds: int | None = None,
    ) -> int | None:
        """Fit on ``X, y``; with early stopping return the best number of trees, else None.

        Kinds without early stopping ignore the eval rows. For classification, eval rows of a
        class absent from ``y`` are left out (a booster cannot score them).
        """
        stop = early_stopping_rounds is not None and self.adapter.early_stopping
        if stop and (eval_X is None or eval_y is None):
            raise ValueError("early stopping needs eval_X and eval_y")
        with self._running():
            if stop:
                return self._fit(X, y, eval_X, eval_y, early_stopping_rounds)
            self._fit(X, y)
            return None

    def predict(self, X: Any) -> np.ndarray:
        """Regression: 1-D values; binary: 1-D P(class 1); multiclass: ``(n, n_classes)``
        probabilities with columns by encoded class index."""
        with self._running():
            out = self._predict(X)
        if self.task == "regression":
            return out
        if self._classes is None:
            raise RuntimeError("fit the model before predicting")
        if out.shape[1] != self.n_classes or len(self._classes) != self.n_classes:
            full = np.zeros((out.shape[0], self.n_classes))
            full[:, self._classes] = out
            out = full
        if self.task == "multiclass":
            # float32 libraries (XGBoost) give rows that sum to 1 only to ~1e-7, which log loss
            # warns about; a row of probabilities sums to 1 here
            total = out.sum(axis=1, keepdims=True)
            out = np.divide(out, total, out=np.zeros_like(out), where=total > 0)
        return out[:, 1] if self.task == "binary" else out

    @property
    def accepts_missing(self) -> bool:
        """Whether the estimator takes NaN in its input (scikit-learn's ``allow_nan`` tag)."""
        return self.adapter.accepts_missing(self.estimator)

    def importance(self) -> np.ndarray | None:
        """The fitted model's own importance per fitted column; None if it has none."""
        return self.adapter.importance(self.estimator)

    def contributions(self, X: Any) -> np.ndarray | None:
        """SHAP values from the booster's own exact TreeSHAP: ``(n, outputs, n_columns)`` in
        its raw units (log-odds, or the fitted target's units); outputs is 1 for regression and
        binary (class 1), else one per class of the task (zeros for classes absent from the
        fit). None for models without them."""
        with self._running():
            values = self.adapter.contributions(self.estimator, self._input(X))
        if values is None or self.task != "multiclass" or values.shape[1] == self.n_classes:
            return values
        assert self._classes is not None
        full = np.zeros((values.shape[0], self.n_classes, values.shape[2]))
        full[:, self._classes] = values
        return full

    def tree_count(self) -> int | None:
        """Trees in the fitted model (None for models that are not tree ensembles)."""
        return self.adapter.tree_count(self.estimator)

    @property
    def importance_kind(self) -> str:
        """What :meth:`importance` measures ("gain", "|coefficient|", ...), once fitted."""
        return self.adapter.importance_kind(self.estimator)

    # The two steps below run inside the caller's thread limit; a blend fits and predicts its
    # members through them.

    def _fit(
        self,
        X: Any,
        y: Any,
        eval_X: Any = None,
        eval_y: Any = None,
        early_stopping_rounds: int | None = None,
    ) -> int | None:
        y = np.asarray(y)
        labels = y
        if self.task != "regression":
            labels = self._encode(y)
            if early_stopping_rounds is not None:
                eval_X, eval_y = self._seen_classes_only(eval_X, np.asarray(eval_y))
        X = self._input(X)
        if early_stopping_rounds is None:
            # a blend hands the labels to its members, which encode them themselves
            self.adapter.fit(self.estimator, X, y if self.adapter.blend else labels)
            return None
        return self.adapter.fit_early_stopping(
            self.estimator, X, labels, self._input(eval_X), eval_y, early_stopping_rounds
        )

    def _predict(self, X: Any) -> np.ndarray:
        """Regression values, or ``(n, m)`` probabilities of the m classes seen in fit."""
        X = self._input(X)
        if self.task == "regression":
            return self.adapter.predict(self.estimator, X)
        return self.adapter.predict_proba(self.estimator, X)

    def _input(self, X: Any) -> Any:
        return safe_columns(X) if self.adapter.safe_column_names else X

    def _encode(self, y: np.ndarray) -> np.ndarray:
        """Class indices seen in ``y`` as 0..m-1 (remembered to map predictions back)."""
        classes, encoded = np.unique(y, return_inverse=True)
        index = classes.astype(np.int64)
        if (
            len(index) == 0
            or not np.array_equal(index, classes)
            or index[0] < 0
            or index[-1] >= self.n_classes
        ):
            raise ValueError(f"class labels must be encoded class indices 0..{self.n_classes - 1}")
        self._classes = index
        return encoded.reshape(-1)

    def _seen_classes_only(self, eval_X: Any, eval_y: np.ndarray) -> tuple[Any, np.ndarray]:
        assert self._classes is not None
        seen = np.isin(eval_y, self._classes)
        if not seen.all():
            eval_X = eval_X.iloc[seen] if hasattr(eval_X, "iloc") else eval_X[seen]
            eval_y = eval_y[seen]
        return eval_X, np.searchsorted(self._classes, eval_y)

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        with _threadpools().limit(limits=self.n_threads), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
            yield


@functools.cache
def _threadpools() -> Any:
    """One scan of the loaded OpenMP/BLAS libraries, reused by every fit and predict."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
