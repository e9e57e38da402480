"""One adapter per estimator library: everything that differs between libraries lives here.

An adapter knows which parameter names its estimators accept (their own and the native
spellings passed through ``**kwargs``), which ones the workbench sets itself (seed, threads),
whether column names must be made safe, how to fit with early stopping on an evaluation set,
and how to read the model's own feature importance. Only public library APIs are used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from workbench.errors import UserError

SEED = "set the run's seed instead"
THREADS = "set the run's threads instead"
EARLY_STOPPING = "set model.early_stopping instead"


class Adapter:
    """The scikit-learn estimator API, which every library follows; subclasses add the rest."""

    #: parameter names the workbench sets itself, each with the hint saying what to set instead
    owned: ClassVar[Mapping[str, str]] = {}
    #: names the estimator accepts through ``**kwargs`` besides its ``get_params`` names
    native_params: ClassVar[tuple[str, ...]] = ()
    #: whether column names must be made safe (the library refuses ``[``, ``<``, ``"``, ...)
    safe_column_names: ClassVar[bool] = False
    #: whether :meth:`fit_early_stopping` is available
    early_stopping: ClassVar[bool] = False
    #: whether the params name other kinds (a blend), resolved and built like models themselves
    blend: ClassVar[bool] = False

    def param_names(self, cls: type) -> frozenset[str]:
        """The estimator's own parameter names (preferred in did-you-mean hints)."""
        return frozenset(cls().get_params(deep=False))

    def build(self, cls: type, params: dict[str, Any], *, task: str) -> Any:
        """An unfitted estimator of class ``cls``."""
        return cls(**params)

    def fit(self, estimator: Any, X: Any, y: np.ndarray) -> None:
        estimator.fit(X, y)

    def fit_early_stopping(
        self, estimator: Any, X: Any, y: np.ndarray, eval_X: Any, eval_y: np.ndarray, rounds: int
    ) -> int | None:
        """Fit, stopping once the eval rows stop improving; return the best number of trees."""
        raise NotImplementedError(f"{type(self).__name__} has no early stopping")

    def predict(self, estimator: Any, X: Any) -> np.ndarray:
        """Regression values, 1-D."""
        return np.asarray(estimator.predict(X), dtype=float).ravel()

    def predict_proba(self, estimator: Any, X: Any) -> np.ndarray:
        """``(n, n_fitted_classes)`` probabilities, from decision scores if no predict_proba."""
        if hasattr(estimator, "predict_proba"):
            return np.asarray(estimator.predict_proba(X), dtype=float)
        if hasattr(estimator, "decision_function"):
            scores = np.asarray(estimator.decision_function(X), dtype=float)
            if scores.ndim == 1:
                p1 = 1.0 / (1.0 + np.exp(-scores))
                return np.column_stack([1 - p1, p1])
            return _softmax(scores)
        labels = np.asarray(estimator.predict(X))
        return (labels[:, None] == np.asarray(estimator.classes_)[None, :]).astype(float)

    def importance(self, estimator: Any) -> np.ndarray | None:
        """The fitted model's own importance per column, or None if it has none."""
        return None

    def accepts_missing(self, estimator: Any) -> bool:
        """Whether the estimator takes NaN in its input (scikit-learn's ``allow_nan`` tag)."""
        from sklearn.utils import get_tags

        return bool(get_tags(estimator).input_tags.allow_nan)

    def importance_kind(self, estimator: Any) -> str:
        """What :meth:`importance` measures, as a caption word ("none" without one)."""
        return "none"

    def contributions(self, estimator: Any, X: Any) -> np.ndarray | None:
        """Exact TreeSHAP values from the library itself, ``(n, outputs, n_columns)``
        (outputs: 1, or one per fitted class), in the model's raw units; None if it has none."""
        return None

    def tree_count(self, estimator: Any) -> int | None:
        """Trees in the fitted model (all classes): what TreeSHAP's cost per row grows with."""
        return None


class SklearnAdapter(Adapter):
    """scikit-learn estimators; SVC can be wrapped to give calibrated probabilities."""

    owned: ClassVar[Mapping[str, str]] = {"random_state": SEED, "n_jobs": THREADS}

    def __init__(self, *, calibrate_classifier: bool = False) -> None:
        self.calibrate_classifier = calibrate_classifier

    def fit(self, estimator: Any, X: Any, y: np.ndarray) -> None:
        neighbours = getattr(estimator, "n_neighbors", None)
        if isinstance(neighbours, int) and neighbours > len(X):
            # scikit-learn only finds out when predicting, in its own words
            raise UserError(
                f"n_neighbors is {neighbours}, but the fold has only {len(X)} training rows "
                "to be neighbours",
                where="model.params.n_neighbors",
                hint=f"set model.params.n_neighbors to at most {len(X)} (or use fewer folds)",
            )
        if self.calibrate_classifier:
            _calibration_folds(estimator, y)
        estimator.fit(X, y)

    def build(self, cls: type, params: dict[str, Any], *, task: str) -> Any:
        estimator = cls(**params)
        if self.calibrate_classifier and task != "regression":
            # SVC(probability=True) is deprecated in scikit-learn 1.9; this is its replacement.
            from sklearn.calibration import CalibratedClassifierCV

            estimator = CalibratedClassifierCV(estimator, ensemble=False, n_jobs=1)
        return estimator

    def importance(self, estimator: Any) -> np.ndarray | None:
        if hasattr(estimator, "feature_importances_"):
            return np.asarray(estimator.feature_importances_, dtype=float)
        coef = getattr(estimator, "coef_", None)
        if coef is None:
            return None
        coef = np.abs(np.asarray(coef, dtype=float))
        return coef.mean(axis=0) if coef.ndim == 2 else coef

    def importance_kind(self, estimator: Any) -> str:
        if hasattr(estimator, "feature_importances_"):
            return "impurity"
        return "|coefficient|" if getattr(estimator, "coef_", None) is not None else "none"


CALIBRATION_FOLDS = 5


def _calibration_folds(estimator: Any, y: np.ndarray) -> None:
    """The calibrated wrapper's internal CV gets as many folds (at most 5) as the rarest class
    has training rows; a class of one row cannot be calibrated, which is said plainly."""
    from sklearn.calibration import CalibratedClassifierCV

    if not isinstance(estimator, CalibratedClassifierCV):
        return  # a regressor: nothing calibrated
    counts = np.unique(np.asarray(y), return_counts=True)[1]
    smallest = int(counts.min()) if len(counts) else 0
    if smallest < 2:
        raise UserError(
            "svm calibrates its class probabilities with an internal cross-validation, which "
            f"needs 2 training rows of each class, but a class has {smallest} in this fold",
            where="model.kind",
            hint="keep cv.scheme stratified (auto) with fewer folds, or use a model without "
            "that need (logistic, lightgbm)",
        )
    estimator.set_params(cv=min(CALIBRATION_FOLDS, smallest))


_BOOSTER_OWNED = {
    "random_state": SEED,
    "seed": SEED,
    "random_seed": SEED,
    "n_jobs": THREADS,
    "nthread": THREADS,
    "nthreads": THREADS,
    "num_thread": THREADS,
    "num_threads": THREADS,
}

# LightGBM's native names (and a few aliases) accepted besides the scikit-learn ones. Left out
# on purpose: the iteration-count aliases (``n_estimators`` is the one the workbench sets from
# early stopping), file, distributed and GPU settings.
_LGBM_NATIVE = (
    "boosting",
    "metric",
    "min_data_in_leaf",
    "min_sum_hessian_in_leaf",
    "min_gain_to_split",
    "bagging_fraction",
    "bagging_freq",
    "pos_bagging_fraction",
    "neg_bagging_fraction",
    "feature_fraction",
    "feature_fraction_bynode",
    "lambda_l1",
    "lambda_l2",
    "max_delta_step",
    "path_smooth",
    "extra_trees",
    "linear_tree",
    "linear_lambda",
    "max_bin",
    "min_data_in_bin",
    "use_missing",
    "zero_as_missing",
    "cat_smooth",
    "cat_l2",
    "max_cat_threshold",
    "max_cat_to_onehot",
    "min_data_per_group",
    "monotone_constraints",
    "monotone_constraints_method",
    "monotone_penalty",
    "interaction_constraints",
    "data_sample_strategy",
    "top_rate",
    "other_rate",
    "drop_rate",
    "max_drop",
    "skip_drop",
    "uniform_drop",
    "xgboost_dart_mode",
    "alpha",  # huber and quantile objectives
    "fair_c",
    "tweedie_variance_power",
    "poisson_max_delta_step",
    "reg_sqrt",
    "sigmoid",
    "is_unbalance",
    "scale_pos_weight",
    "boost_from_average",
    "use_quantized_grad",
    "num_grad_quant_bins",
    "deterministic",
    "force_col_wise",
    "force_row_wise",
    "verbose",
    "verbosity",
)


class LightGBMAdapter(Adapter):
    """LightGBM's scikit-learn estimators (LGBMClassifier, LGBMRegressor)."""

    owned: ClassVar[Mapping[str, str]] = {
        **_BOOSTER_OWNED,
        **dict.fromkeys(
            (
                "bagging_seed",
                "feature_fraction_seed",
                "data_random_seed",
                "extra_seed",
                "drop_seed",
                "objective_seed",
            ),
            SEED,
        ),
        **dict.fromkeys(
            ("early_stopping_round", "early_stopping_rounds", "early_stopping", "n_iter_no_change"),
            EARLY_STOPPING,
        ),
    }
    native_params = _LGBM_NATIVE
    safe_column_names = True
    early_stopping = True

    def fit_early_stopping(
        self, estimator: Any, X: Any, y: np.ndarray, eval_X: Any, eval_y: np.ndarray, rounds: int
    ) -> int | None:
        import lightgbm

        estimator.fit(
            X,
            y,
            eval_X=eval_X,
            eval_y=eval_y,
            callbacks=[lightgbm.early_stopping(int(rounds), verbose=False)],
        )
        return int(estimator.best_iteration_) or None

    def importance(self, estimator: Any) -> np.ndarray | None:
        gain = estimator.booster_.feature_importance(importance_type="gain")
        return np.asarray(gain, dtype=float)

    def importance_kind(self, estimator: Any) -> str:
        return "gain"

    def contributions(self, estimator: Any, X: Any) -> np.ndarray | None:
        values = np.asarray(estimator.predict(X, pred_contrib=True), dtype=float)
        return _without_bias(values, len(X), X.shape[1])

    def tree_count(self, estimator: Any) -> int | None:
        return int(estimator.booster_.num_trees())


# XGBoost's native names accepted besides the scikit-learn ones.
_XGB_NATIVE = (
    "eta",
    "gamma",
    "min_split_loss",
    "lambda",
    "alpha",
    "max_leaves",
    "max_bin",
    "grow_policy",
    "colsample_bylevel",
    "colsample_bynode",
    "scale_pos_weight",
    "min_child_weight",
    "max_delta_step",
    "num_parallel_tree",
    "sampling_method",
)


class XGBoostAdapter(Adapter):
    """XGBoost's scikit-learn estimators (XGBClassifier, XGBRegressor)."""

    owned: ClassVar[Mapping[str, str]] = {
        **_BOOSTER_OWNED,
        "early_stopping_rounds": EARLY_STOPPING,
    }
    native_params = _XGB_NATIVE
    safe_column_names = True
    early_stopping = True

    def fit(self, estimator: Any, X: Any, y: np.ndarray) -> None:
        estimator.set_params(early_stopping_rounds=None)  # in case it was fitted with it before
        estimator.fit(X, y, verbose=False)

    def fit_early_stopping(
        self, estimator: Any, X: Any, y: np.ndarray, eval_X: Any, eval_y: np.ndarray, rounds: int
    ) -> int | None:
        estimator.set_params(early_stopping_rounds=int(rounds))
        estimator.fit(X, y, eval_set=[(eval_X, eval_y)], verbose=False)
        return int(estimator.best_iteration) + 1

    def importance(self, estimator: Any) -> np.ndarray | None:
        importance = np.asarray(estimator.feature_importances_, dtype=float)
        # a multiclass linear booster gives (n_features, n_classes) coefficients
        return np.abs(importance).mean(axis=1) if importance.ndim == 2 else importance

    def importance_kind(self, estimator: Any) -> str:
        if estimator.get_params().get("booster") == "gblinear":
            return "coefficient"
        return estimator.get_params().get("importance_type") or "gain"

    def contributions(self, estimator: Any, X: Any) -> np.ndarray | None:
        import xgboost

        if estimator.get_params().get("booster") == "gblinear":
            return None
        try:  # the trees predict() uses: up to the best iteration after early stopping
            trees = (0, int(estimator.best_iteration) + 1)
        except AttributeError:
            trees = (0, 0)
        values = estimator.get_booster().predict(
            xgboost.DMatrix(X), pred_contribs=True, iteration_range=trees
        )
        return _without_bias(np.asarray(values, dtype=float), len(X), X.shape[1])

    def tree_count(self, estimator: Any) -> int | None:
        outputs = getattr(estimator, "n_classes_", 1)
        per_round = outputs if outputs > 2 else 1
        return int(estimator.get_booster().num_boosted_rounds()) * per_round


_BAD_NAME = re.compile(r'[\[\]<>{}",:]')


def safe_columns(X: Any) -> Any:
    """``X`` with column names the boosters accept: ``[``, ``<``, JSON characters become ``_``,
    names made unique. Unchanged when the names are fine or ``X`` has no columns."""
    if not hasattr(X, "columns"):
        return X
    columns = [str(c) for c in X.columns]
    if not any(_BAD_NAME.search(c) for c in columns) and all(isinstance(c, str) for c in X.columns):
        return X
    safe, seen = [], set()
    for c in columns:
        name = _BAD_NAME.sub("_", c)
        while name in seen:
            name += "_"
        seen.add(name)
        safe.append(name)
    return X.set_axis(safe, axis=1)


def _without_bias(values: np.ndarray, n_rows: int, n_columns: int) -> np.ndarray:
    """``(n, outputs, n_columns)`` from a library's contributions with a bias column last
    (``(n, F + 1)``, ``(n, K * (F + 1))`` or ``(n, K, F + 1)``)."""
    return values.reshape(n_rows, -1, n_columns + 1)[:, :, :n_columns]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
