"""Cross-validation folds: scheme choice, repeats, and clear errors for impossible splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.errors import UserError, did_you_mean

SCHEMES = ("auto", "kfold", "stratified_kfold", "group_kfold", "stratified_group_kfold")
GROUPED = ("group_kfold", "stratified_group_kfold")
_STRATIFIED = ("stratified_kfold", "stratified_group_kfold")


@dataclass(frozen=True)
class Fold:
    """One train/validation split; indices are positional rows of the training frame."""

    repeat: int
    fold: int
    train: np.ndarray
    valid: np.ndarray


def repeat_seed(seed: int, repeat: int) -> int:
    """The shuffling seed of one repeat: ``seed`` itself for the first, derived for the rest."""
    if repeat == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(repeat)]).generate_state(1)[0])


def resolve_scheme(scheme: str, task: str, has_groups: bool) -> str:
    """Validate ``scheme`` and resolve ``auto`` (stratified for classification, else kfold);
    a grouped scheme needs ``cv.group_column``."""
    if scheme not in SCHEMES:
        raise UserError(
            f"unknown cv scheme {scheme!r}", where="cv.scheme", hint=did_you_mean(scheme, SCHEMES)
        )
    if scheme == "auto":
        scheme = "kfold" if task == "regression" else "stratified_kfold"
    if scheme in GROUPED and not has_groups:
        raise UserError(
            f"cv scheme {scheme!r} needs cv.group_column",
            where="cv.group_column",
            hint="name the column that identifies groups (e.g. a customer or patient id)",
        )
    return scheme


def quantile_bins(y: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-count bins of a continuous target (by rank, so ties never empty a bin)."""
    ranks = np.argsort(np.argsort(np.asarray(y, dtype=float), kind="stable"), kind="stable")
    return ranks * n_bins // len(ranks)


def _strata(
    y: np.ndarray, task: str, n_folds: int, n_bins: int, classes: list | None
) -> np.ndarray:
    """The labels to stratify on; checks every class can appear in every fold."""
    if task == "regression":
        return quantile_bins(y, max(1, min(n_bins, len(y) // n_folds)))
    indices, counts = np.unique(y, return_counts=True)
    if counts.min() < n_folds:
        rare = indices[np.argmin(counts)].item()
        label = classes[rare] if classes else rare
        shown = repr(label) if isinstance(label, str) else str(label)
        raise UserError(
            f"class {shown} has only {counts.min()} row(s), fewer than the {n_folds} "
            f"folds of a stratified split",
            where="cv.folds",
            hint=f"use at most {max(2, counts.min())} folds, or cv.scheme: kfold",
        )
    return y


def _check(scheme: str, n_folds: int, repeats: int, n_rows: int, groups, shuffle: bool) -> None:
    if n_folds < 2:
        raise UserError(f"cv.folds must be at least 2, got {n_folds}", where="cv.folds")
    if n_folds > n_rows:
        raise UserError(
            f"{n_folds} folds but only {n_rows} training rows",
            where="cv.folds",
            hint=f"use at most {n_rows} folds",
        )
    if repeats < 1:
        raise UserError(f"cv.repeats must be at least 1, got {repeats}", where="cv.repeats")
    if repeats > 1 and not shuffle:
        raise UserError(
            "repeated CV without shuffling gives the same folds every repeat",
            where="cv.repeats",
            hint="set cv.shuffle: true or cv.repeats: 1",
        )
    if scheme in GROUPED:
        if len(groups) != n_rows:
            raise ValueError(f"{scheme} needs one group per row ({n_rows})")
        n_groups = len(np.unique(groups))
        if n_groups < n_folds:
            raise UserError(
                f"only {n_groups} distinct groups for {n_folds} folds",
                where="cv.folds",
                hint=f"use at most {n_groups} folds",
            )


def _splitter(scheme: str, n_folds: int, shuffle: bool, seed: int):
    from sklearn import model_selection as ms

    cls = {
        "kfold": ms.KFold,
        "stratified_kfold": ms.StratifiedKFold,
        "group_kfold": ms.GroupKFold,
        "stratified_group_kfold": ms.StratifiedGroupKFold,
    }[scheme]
    # scikit-learn refuses a random_state when shuffle is off.
    return cls(n_splits=n_folds, shuffle=shuffle, random_state=seed if shuffle else None)


def make_folds(
    *,
    scheme: str,
    n_folds: int,
    repeats: int,
    task: str,
    y: np.ndarray,
    groups: np.ndarray | None,
    seed: int,
    shuffle: bool = True,
    n_bins: int = 10,
    classes: list | None = None,
) -> list[Fold]:
    """Split rows into ``repeats x n_folds`` folds; every row is validated once per repeat.

    Regression targets are stratified on ``n_bins`` quantile bins. Same arguments give
    identical folds; each repeat reshuffles with a seed derived from ``seed``. ``classes``
    (the labels of the class indices in ``y``) name a class in error messages.
    """
    y = np.asarray(y)
    scheme = resolve_scheme(scheme, task, groups is not None)
    groups = None if groups is None else np.asarray(groups)
    _check(scheme, n_folds, repeats, len(y), groups, shuffle)
    strata = _strata(y, task, n_folds, n_bins, classes) if scheme in _STRATIFIED else y
    X_dummy = np.zeros((len(y), 1))
    folds = []
    for r in range(repeats):
        splitter = _splitter(scheme, n_folds, shuffle, repeat_seed(seed, r))
        split = splitter.split(X_dummy, strata, groups if scheme in GROUPED else None)
        for k, (train, valid) in enumerate(split):
            folds.append(Fold(repeat=r, fold=k, train=np.sort(train), valid=np.sort(valid)))
    return folds
