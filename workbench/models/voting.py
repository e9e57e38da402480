"""The voting kind: a weighted blend of other model kinds.

Its parameters (``estimators``: a list of ``{kind, params}``, ``weights``) are checked by a
pydantic model; each member is resolved and built like a model of its own. The blend averages
the members' predictions (probabilities for classification: soft voting), weighted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from workbench.errors import UserError, did_you_mean
from workbench.models.adapters import Adapter
from workbench.models.model import Model
from workbench.models.values import rejected_parameters

EXAMPLE = "write e.g. estimators: [{kind: lasso}, {kind: lightgbm, params: {num_leaves: 7}}]"


class Member(BaseModel):
    """One blended model: its kind and params, as under ``model:``."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    params: dict[str, Any] | None = None


class VotingParams(BaseModel):
    """``model.params`` of a voting model."""

    model_config = ConfigDict(extra="forbid")

    estimators: list[Member] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0, strict=True)]] | None = None

    @field_validator("weights")
    @classmethod
    def _one_per_estimator(cls, weights: list[float] | None, info: ValidationInfo) -> Any:
        estimators = info.data.get("estimators")
        if weights is None or estimators is None:
            return weights
        if len(weights) != len(estimators):
            raise ValueError(
                f"'weights' must list {len(estimators)} non-negative number(s), one per "
                f"estimator (got {len(weights)})"
            )
        if sum(weights) <= 0:
            raise ValueError("'weights' must not all be 0")
        return weights


def parse_voting_params(params: dict[str, Any]) -> VotingParams:
    """``params`` checked; a mistake raises UserError naming its field."""
    try:
        return VotingParams.model_validate(params)
    except ValidationError as exc:
        raise _user_error(exc.errors()[0], params) from None


def _user_error(error: Any, params: dict[str, Any]) -> UserError:
    loc = tuple(error["loc"])
    where = "model.params" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        if len(loc) == 1:
            return UserError(
                f"unknown parameter {key!r} for a voting model",
                where=where,
                hint=did_you_mean(key, VotingParams.model_fields),
            )
        return UserError(
            f"unknown key {key!r} in a voting estimator",
            where=where,
            hint=did_you_mean(key, Member.model_fields),
        )
    if loc == ("estimators",):
        if kind == "missing":
            return UserError(
                "a voting model needs 'estimators': the models to blend", where=where, hint=EXAMPLE
            )
        return UserError(
            "'estimators' must be a non-empty list of {kind, params}", where=where, hint=EXAMPLE
        )
    if loc[0] == "estimators":
        if kind == "missing":
            return UserError(f"each estimator needs a {loc[-1]!r}", where=where, hint=EXAMPLE)
        if len(loc) == 2:
            return UserError("each estimator must be a mapping {kind, params}", where=where)
        return UserError(f"'{loc[-1]}' {_reason(error)}", where=where, hint=EXAMPLE)
    if loc[0] == "weights":
        if kind == "value_error":
            return UserError(str(error["ctx"]["error"]), where="model.params.weights")
        n = len(params.get("estimators") or []) if isinstance(params, dict) else 0
        return UserError(
            f"'weights' must list {n} non-negative number(s), one per estimator: "
            f"{_reason(error)} (got {error.get('input')!r})",
            where="model.params.weights",
        )
    return UserError(_reason(error), where=where)


def _reason(error: Any) -> str:
    message = str(error["msg"])
    return message[0].lower() + message[1:] if message else message


@dataclass
class Blend:
    """The estimator of a voting model: its member models and their weights."""

    members: list[Model]
    weights: list[float] | None = None


class VotingAdapter(Adapter):
    """Fits each member in turn (threads are never oversubscribed) and averages them."""

    blend = True

    def param_names(self, cls: type) -> frozenset[str]:
        return frozenset(VotingParams.model_fields)

    def fit(self, estimator: Blend, X: Any, y: np.ndarray) -> None:
        for index, member in enumerate(estimator.members):
            in_member(index, _fit_member, member, X, y)

    def predict(self, estimator: Blend, X: Any) -> np.ndarray:
        values = np.asarray([member._predict(X) for member in estimator.members]).T
        return np.average(values, axis=1, weights=estimator.weights)

    def predict_proba(self, estimator: Blend, X: Any) -> np.ndarray:
        probas = np.asarray([member._predict(X) for member in estimator.members])
        return np.average(probas, axis=0, weights=estimator.weights)

    def importance(self, estimator: Blend) -> np.ndarray | None:
        """The weighted mean of the members' importances, each normalised to sum to 1
        (members without one are left out; None if none has one)."""
        weights = estimator.weights or [1.0] * len(estimator.members)
        total, weight_sum = None, 0.0
        for member, weight in zip(estimator.members, weights, strict=True):
            importance = member.importance()
            if importance is None or not weight:
                continue
            norm = importance.sum()
            importance = importance / norm if norm > 0 else importance
            if total is not None and importance.shape != total.shape:
                return None
            total = weight * importance if total is None else total + weight * importance
            weight_sum += weight
        return None if total is None else total / weight_sum

    def accepts_missing(self, estimator: Blend) -> bool:
        return all(member.accepts_missing for member in estimator.members)

    def importance_kind(self, estimator: Blend) -> str:
        return "weighted blend of members"


def _fit_member(member: Model, X: Any, y: np.ndarray) -> None:
    """Fit one member; its library's error about one of its parameters names that parameter."""
    names = member.estimator.get_params() if hasattr(member.estimator, "get_params") else {}
    params = {name.rpartition("__")[2]: value for name, value in names.items()}
    with rejected_parameters(member.kind, params):
        member._fit(X, y)


R = TypeVar("R")


def in_member(index: int, function: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """``function(*args, **kwargs)`` for voting member ``index``, errors located inside it."""
    try:
        return function(*args, **kwargs)
    except UserError as exc:
        prefix = f"model.params.estimators[{index}]"
        where = exc.where or "model"
        where = prefix + where[len("model") :] if where.startswith("model") else where
        raise UserError(exc.message, where=where, hint=exc.hint) from exc
