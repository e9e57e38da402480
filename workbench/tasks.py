"""The kinds of supervised task a competition can be."""

from __future__ import annotations

from typing import Literal, get_args

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = get_args(Task)


def prediction_columns(task: str, classes: list) -> list[str]:
    """The prediction columns of ``oof.csv`` and ``test_predictions.csv``: ``pred`` (binary:
    positive-class probability; regression: value) or one ``proba_<class>`` per class."""
    if task == "multiclass":
        return [f"proba_{c}" for c in classes]
    return ["pred"]
