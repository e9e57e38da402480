"""Models: which estimator a config's ``model:`` builds, and one way to fit and predict it.

Each library (scikit-learn, LightGBM, XGBoost) has a small adapter holding all that differs
between them (:mod:`workbench.models.adapters`); the kinds table maps each ``model.kind`` to
its adapter, classes and defaults (:mod:`workbench.models.kinds`); :class:`Model` is what the
engine fits and predicts with (:mod:`workbench.models.model`).
"""

from workbench.models.kinds import (
    build_model,
    default_params,
    default_space,
    model_kinds,
    resolve_params,
    supports_early_stopping,
    takes_float32,
)
from workbench.models.model import Model
from workbench.models.values import check_values, rejected_parameters

__all__ = [
    "Model",
    "build_model",
    "check_values",
    "default_params",
    "default_space",
    "model_kinds",
    "rejected_parameters",
    "resolve_params",
    "supports_early_stopping",
    "takes_float32",
]
