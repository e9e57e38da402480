"""The feature pipeline of one fold: steps fitted on the fold's training rows only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from workbench.errors import UserError, user_code_error
from workbench.features.base import RowFilter, StepConfigError


class FeaturePipeline(BaseEstimator):
    """Apply named steps in order; row filters act on training rows only.

    ``fit_transform(X, y)`` is for a fold's training rows: each step is fitted there (with its
    own ``fit_transform``, so cross-fitted encoders cross-fit), and row filters may drop rows,
    which is why it returns ``(X, y)``. ``transform(X)`` is for validation and test rows: no
    fitting, no rows dropped, so every row stays scored.
    """

    def __init__(self, steps: list[tuple[str, Any]]):
        self.steps = steps

    def fit_transform(  # type: ignore[override]
        self, X: pd.DataFrame, y: pd.Series | None = None
    ) -> tuple[pd.DataFrame, pd.Series | None]:
        self.steps_ = [(name, clone(step)) for name, step in self.steps]
        for name, step in self.steps_:
            with _step_context(name):
                if isinstance(step, RowFilter):
                    step.fit(X, y)
                    keep = np.asarray(step.keep_mask(X, y), dtype=bool)
                    X = X.loc[keep]
                    y = y.loc[keep] if y is not None else None
                else:
                    X = step.fit_transform(X, y)
                    _check_frame(X, name)
        self.feature_names_out_ = [str(c) for c in X.columns]
        return X, y

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> FeaturePipeline:
        self.fit_transform(X, y)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        for name, step in self.steps_:
            if isinstance(step, RowFilter):
                continue
            with _step_context(name):
                X = step.transform(X)
                _check_frame(X, name)
        return X

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)


class _step_context:
    """Turn a step's :class:`StepConfigError` into a :class:`UserError` naming the step."""

    def __init__(self, name: str):
        self.name = name
        # "<index>:<step>" (build_pipeline's names) is the config's features[<index>]
        index, sep, _ = name.partition(":")
        self.where = f"features[{index}]" if sep and index.isdigit() else f"features: {name}"

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and isinstance(exc, StepConfigError):
            raise UserError(exc.message, where=self.where, hint=exc.hint) from exc
        if isinstance(exc, Exception) and not isinstance(exc, UserError):
            error = user_code_error(exc, where=self.where)
            if error is not None:
                raise error from exc
        return False


def _check_frame(frame: Any, name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"feature step {name} returned {type(frame).__name__}, not a DataFrame")
