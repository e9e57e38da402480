"""Parameter values a library rejects, caught as one clear error naming the parameter.

Names are checked against each estimator's parameters when the config is resolved; values are
checked by the libraries themselves. :func:`check_values` fits the model once on a tiny
synthetic problem before the first fold, so a value such as ``learning_rate: -1`` fails in a
second instead of after the data is prepared; :func:`rejected_parameters` maps the libraries'
own errors (raised there, or by a value that only fails on the real data) to a
:class:`~workbench.errors.UserError`.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import UserError

# How each library names the parameter it rejects.
_NAMED = (
    re.compile(r"The '(\w+)' parameter"),  # scikit-learn
    re.compile(r"Check failed: \(?(\w+)\)?"),  # LightGBM
    re.compile(r"[Pp]arameter[:\s]+'?(\w+)'?"),  # XGBoost
    re.compile(r"'(\w+)'"),
)


def _library_errors() -> tuple[type[BaseException], ...]:
    """Exception types a library raises for a bad parameter value (only those loaded)."""
    import sys

    # KeyError: a mapping parameter naming what does not exist (class_weight: {yes: 2})
    errors: list[type[BaseException]] = [ValueError, TypeError, OverflowError, KeyError]
    lightgbm = sys.modules.get("lightgbm")
    if lightgbm is not None:
        errors.append(lightgbm.basic.LightGBMError)
    xgboost = sys.modules.get("xgboost")
    if xgboost is not None:
        errors.append(xgboost.core.XGBoostError)
    return tuple(errors)


@contextlib.contextmanager
def rejected_parameters(kind: str, params: dict[str, Any]) -> Iterator[None]:
    """Turn a library's error about a parameter value into a :class:`UserError` that names
    ``model.params.<name>`` when the message names one of ``params``."""
    try:
        yield
    except UserError:
        raise
    except _library_errors() as exc:
        text = f"no such key {exc.args[0]!r}" if isinstance(exc, KeyError) and exc.args else exc
        lines = [line.strip() for line in str(text).splitlines() if line.strip()]
        named = [m.group(1) for pattern in _NAMED for m in pattern.finditer(str(exc))]
        name = next((n for n in named if n in params), None)
        # the line that names the parameter says what is wrong with it (XGBoost adds its doc)
        message = next((line for line in lines if name and name in line), None)
        message = message or (lines[0] if lines else type(exc).__name__)
        message = re.sub(r" at /\S+, line \d+ \.?$", "", message)  # LightGBM's source location
        raise UserError(
            f"{kind} rejected the parameter values: {message}"
            if name
            else f"{kind} could not be fitted with these parameters on this data: {message}",
            where=f"model.params.{name}" if name else "model.params",
            hint=parameter_hint(name)
            if name
            else "check model.params against the library's documentation",
        ) from None


def parameter_hint(name: str) -> str:
    """What to do about a value the library rejected."""
    if name == "class_weight":
        return (
            "class_weight maps class indices to weights: the workbench encodes the classes as "
            "0, 1, ... in sorted order (e.g. {0: 1, 1: 3}), or use 'balanced'"
        )
    return "check the value against the library's documentation for this parameter"


def check_values(kind: str, *, task: str, params: dict[str, Any], n_classes: int) -> None:
    """Build and fit the model on a tiny synthetic problem of the task's shape.

    When the library's message names no parameter, each parameter is left out in turn to find
    the one it rejects (cheap on a tiny problem, and only on this error path). A blend's
    members are checked one by one, so the error names the member's parameter.
    """
    from workbench.models.kinds import KINDS, in_member

    if kind in KINDS and KINDS[kind].adapter.blend:
        for index, member in enumerate(params.get("estimators") or []):
            in_member(
                index,
                check_values,
                member["kind"],
                task=task,
                params=member.get("params") or {},
                n_classes=n_classes,
            )
        return  # the blend's own parameters (estimators, weights) are checked by its schema
    try:
        _fit_tiny(kind, task, params, n_classes)
    except UserError as exc:
        if exc.where != "model.params":
            raise
        for name in list(params)[:40]:
            try:
                _fit_tiny(kind, task, {k: v for k, v in params.items() if k != name}, n_classes)
            except UserError:
                continue
            message = exc.message.replace(
                "could not be fitted with these parameters on this data", "rejected the value"
            )
            raise UserError(
                message, where=f"model.params.{name}", hint=parameter_hint(name)
            ) from None
        raise


def _fit_tiny(kind: str, task: str, params: dict[str, Any], n_classes: int) -> None:
    from workbench.models.kinds import build_model

    rng = np.random.default_rng(0)
    n = max(40, 4 * n_classes)
    neighbours = params.get("n_neighbors")
    if isinstance(neighbours, int) and not isinstance(neighbours, bool) and neighbours >= n:
        # enough rows for the neighbours: a size the real data may well have is no mistake
        if neighbours < 1000:
            n = neighbours + 1
        else:
            params = {k: v for k, v in params.items() if k != "n_neighbors"}
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    y = np.abs(X["a"].to_numpy()) * 10 + 1 if task == "regression" else np.arange(n) % n_classes
    model = build_model(kind, task=task, params=params, seed=0, n_threads=1, n_classes=n_classes)
    with rejected_parameters(kind, params), _native_stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and the like, on a problem of no interest
        model.fit(X, y)
        model.predict(X)


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence what compiled libraries write straight to file descriptor 2 (LightGBM prints
    its fatal errors there before raising them); the raised error is reported instead."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
