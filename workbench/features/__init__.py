"""Reusable feature steps (scikit-learn transformers) and the per-fold feature pipeline."""

from workbench.features.base import FunctionStep, RowFilter, Step, StepConfigError, feature
from workbench.features.pipeline import FeaturePipeline

__all__ = ["FeaturePipeline", "FunctionStep", "RowFilter", "Step", "StepConfigError", "feature"]
