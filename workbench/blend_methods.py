"""The methods of ``workbench blend``: how the members' predictions become one prediction, and
the honest cross-validation of that procedure.

A :class:`Blender` is fitted on the members' out-of-fold predictions of some rows
(``fit(preds, y)``) and predicts other rows (``predict(preds)``). ``preds`` is an array
``(members, rows)`` (binary: P(class 1); regression: values) or ``(members, rows, classes)``
(multiclass), in the :class:`Space` the blend averages in. :func:`cross_blend` fits one blender
per fold on the other folds' rows and predicts the fold: the blend's CV never sees the rows its
weights were chosen on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench import metrics, models
from workbench.cv import Fold
from workbench.errors import UserError

METHODS = ("mean", "rank", "hill_climb", "stack")
HILL_CLIMB_ITERATIONS = 50  # Caruana et al. 2004; AutoGluon's weighted ensemble uses 25-100
DEFAULT_META = {"regression": "ridge", "binary": "logistic", "multiclass": "logistic"}
_EPS = 1e-6  # probabilities are clipped to [eps, 1 - eps] before a logit or a log


@dataclass(frozen=True)
class Space:
    """Where predictions are combined: log values for a log metric (``rmse_log`` measures errors
    between logs, so an average there is what it scores), else the predictions as they are
    (probabilities, values)."""

    task: str
    metric: metrics.Metric

    @property
    def log(self) -> bool:
        return self.task == "regression" and self.metric.log_space

    @property
    def name(self) -> str:
        if self.log:
            return "log values"
        return "values" if self.task == "regression" else "probabilities"

    def forward(self, pred: np.ndarray) -> np.ndarray:
        return metrics.log_values(pred) if self.log else np.asarray(pred, dtype=float)

    def inverse(self, pred: np.ndarray) -> np.ndarray:
        pred = np.exp(pred) if self.log else pred
        return _renormalised(pred) if self.task == "multiclass" else pred

    def score(self, pred: np.ndarray, y: np.ndarray) -> float:
        """The metric of blend-space predictions ``pred`` against ``y``."""
        return metrics.score(self.metric, y, self.inverse(pred), task=self.task)

    def score_blocks(self, preds: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`score` of each candidate ``preds[b]`` (one vectorised pass where it can)."""
        return metrics.score_blocks(self.metric, y, self.inverse(preds), task=self.task)

    def best(self, scores: np.ndarray) -> int:
        """The index of the best score (the first of equals)."""
        return int(np.argmax(scores) if self.metric.greater_is_better else np.argmin(scores))


def _renormalised(proba: np.ndarray) -> np.ndarray:
    """Class probabilities whose rows sum to 1 (the last axis)."""
    total = proba.sum(axis=-1, keepdims=True)
    return np.divide(proba, total, out=np.zeros_like(proba), where=total > 0)


class Blender:
    """Fit on members' predictions of some rows, predict others; ``learned`` says what was fit."""

    def __init__(self, space: Space):
        self.space = space

    def fit(self, preds: np.ndarray, y: np.ndarray) -> Blender:
        return self

    def predict(self, preds: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def learned(self) -> dict[str, Any]:
        """The fitted weights / coefficients as plain data (``{}`` when nothing is fit)."""
        return {}


class Mean(Blender):
    """The plain average of the members' predictions."""

    def predict(self, preds: np.ndarray) -> np.ndarray:
        return preds.mean(axis=0)


class HillClimb(Blender):
    """Greedy forward ensemble selection with replacement (Caruana et al. 2004), as AutoGluon's
    weighted ensemble: ``iterations`` times, add the member whose addition scores best (the
    first pick is the best single member); keep the best-scoring prefix of the picks; weights
    are each member's share of the kept picks."""

    def __init__(self, space: Space, iterations: int = HILL_CLIMB_ITERATIONS):
        super().__init__(space)
        self.iterations = iterations
        self.counts: np.ndarray | None = None

    def fit(self, preds: np.ndarray, y: np.ndarray) -> HillClimb:
        counts = np.zeros(len(preds), dtype=np.int64)
        total = np.zeros_like(preds[0])
        best_score, best_counts = None, counts
        for step in range(self.iterations):
            scores = self.space.score_blocks((total[None] + preds) / (step + 1), y)
            pick = self.space.best(scores)
            counts = counts.copy()
            counts[pick] += 1
            total = total + preds[pick]
            if best_score is None or self.space.metric.is_better(scores[pick], best_score):
                best_score, best_counts = scores[pick], counts
        self.counts = best_counts
        return self

    def weights(self) -> np.ndarray:
        assert self.counts is not None, "fit first"
        return self.counts / self.counts.sum()

    def predict(self, preds: np.ndarray) -> np.ndarray:
        return np.tensordot(self.weights(), preds, axes=1)

    def learned(self) -> dict[str, Any]:
        assert self.counts is not None
        return {"picks": self.counts.tolist(), "weights": self.weights().tolist()}


class Rank(Blender):
    """The average of the members' ranks, put back on the members' scale.

    Each member's prediction becomes its rank among that member's predictions of the reference
    rows (the rows ``fit`` saw: the same map for validation and test rows, so test predictions
    are ranked consistently); the mean rank is ranked again among the reference rows and mapped
    to that quantile of the mean blend's reference predictions. The order is the mean rank's
    (what rank averaging is for, e.g. ROC AUC), and the values stay valid probabilities, prices
    or log prices, distributed like a plain average's.
    """

    def fit(self, preds: np.ndarray, y: np.ndarray) -> Rank:
        self.reference = np.sort(preds, axis=1)
        self.mean_ranks = np.sort(self._mean_rank(preds))
        self.scale = np.sort(preds.mean(axis=0))
        return self

    def _mean_rank(self, preds: np.ndarray) -> np.ndarray:
        return np.mean([_ecdf(ref, p) for ref, p in zip(self.reference, preds, strict=True)], 0)

    def predict(self, preds: np.ndarray) -> np.ndarray:
        quantile = _ecdf(self.mean_ranks, self._mean_rank(preds))
        n = len(self.scale)
        return np.interp(quantile, (np.arange(n) + 0.5) / n, self.scale)


def _ecdf(sorted_reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The mid-rank of each value among the reference values, as a fraction in [0, 1]."""
    low = np.searchsorted(sorted_reference, values, side="left")
    high = np.searchsorted(sorted_reference, values, side="right")
    return (low + high) / (2 * len(sorted_reference))


class Stack(Blender):
    """A meta-model fitted on the members' predictions: by default ridge regression (on log
    values for a log metric) or logistic regression on the members' logits / log
    probabilities. ``meta`` is any model kind of the task (``--meta``)."""

    def __init__(self, space: Space, meta: str, *, n_classes: int, seed: int):
        super().__init__(space)
        self.meta, self.n_classes, self.seed = meta, n_classes, seed
        self.model: models.Model | None = None

    def _features(self, preds: np.ndarray) -> pd.DataFrame:
        task = self.space.task
        if task == "binary":
            p = np.clip(preds, _EPS, 1 - _EPS)
            x = np.log(p / (1 - p)).T
        elif task == "multiclass":
            x = np.log(np.clip(preds, _EPS, 1.0)).transpose(1, 0, 2).reshape(preds.shape[1], -1)
        else:
            x = preds.T
        return pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])

    def fit(self, preds: np.ndarray, y: np.ndarray) -> Stack:
        self.model = build_meta(self.meta, self.space.task, self.n_classes, self.seed)
        target = self.space.forward(y) if self.space.task == "regression" else y
        self.model.fit(self._features(preds), target)
        return self

    def predict(self, preds: np.ndarray) -> np.ndarray:
        assert self.model is not None, "fit first"
        return self.model.predict(self._features(preds))

    def learned(self) -> dict[str, Any]:
        assert self.model is not None
        found: dict[str, Any] = {"meta": self.meta}
        for name in ("coef_", "intercept_"):
            value = getattr(self.model.estimator, name, None)
            if value is not None:
                found[name.rstrip("_")] = np.round(np.asarray(value, dtype=float), 6).tolist()
        return found


def build_meta(kind: str, task: str, n_classes: int, seed: int) -> models.Model:
    """The stacking meta-model: model kind ``kind`` with its defaults, one thread."""
    try:
        return models.build_model(
            kind, task=task, params={}, seed=seed, n_threads=1, n_classes=n_classes
        )
    except UserError as exc:
        hint = exc.hint.replace("model.kind: ", "--meta ") if exc.hint else None
        raise UserError(exc.message, where="--meta", hint=hint) from None


def make_blender(method: str, space: Space, *, meta: str, n_classes: int, seed: int) -> Blender:
    """A fresh, unfitted blender of ``method``."""
    if method == "mean":
        return Mean(space)
    if method == "rank":
        return Rank(space)
    if method == "hill_climb":
        return HillClimb(space)
    return Stack(space, meta, n_classes=n_classes, seed=seed)


@dataclass(frozen=True)
class FoldBlend:
    """One fold of the blend's CV: fit on the other folds' out-of-fold rows, scored on its own."""

    fold: Fold
    train_score: float  # on the rows the blender was fitted on (labelled as such)
    valid_score: float
    learned: dict[str, Any]
    seconds: float


def cross_blend(
    make: Callable[[], Blender], preds: np.ndarray, y: np.ndarray, folds: list[Fold]
) -> tuple[np.ndarray, list[FoldBlend]]:
    """The blend's own out-of-fold predictions, in the members' folds.

    ``preds``: the members' out-of-fold predictions in blend space, ``(members, repeats, rows)``
    (+ classes). For each fold of each repeat a fresh blender is fitted on that repeat's
    out-of-fold predictions of the other folds' rows and predicts the fold's rows: the weights
    (or meta-model) that score a row were never fitted on it. Returns the predictions in the
    metric's space, ``(repeats, rows)`` (+ classes), and each fold's scores.
    """
    oof = np.full(preds.shape[1:], np.nan)
    results = []
    for fold in folds:
        start = time.perf_counter()
        member_preds = preds[:, fold.repeat]
        blender = make().fit(member_preds[:, fold.train], y[fold.train])
        space = blender.space
        oof[fold.repeat, fold.valid] = space.inverse(blender.predict(member_preds[:, fold.valid]))
        train_pred = blender.predict(member_preds[:, fold.train])
        results.append(
            FoldBlend(
                fold=fold,
                train_score=space.score(train_pred, y[fold.train]),
                valid_score=metrics.score(
                    space.metric, y[fold.valid], oof[fold.repeat, fold.valid], task=space.task
                ),
                learned=blender.learned(),
                seconds=time.perf_counter() - start,
            )
        )
    return oof, results


def fit_final(make: Callable[[], Blender], preds: np.ndarray, y: np.ndarray) -> Blender:
    """The blender for the test predictions: fitted on every out-of-fold row of every repeat
    (``preds``: ``(members, repeats, rows)`` + classes, in blend space)."""
    members, repeats = preds.shape[:2]
    flat = preds.reshape(members, repeats * preds.shape[2], *preds.shape[3:])
    return make().fit(flat, np.tile(y, repeats))
