"""A cache of prepared folds, to pass to :func:`workbench.engine.run_cv` as ``prepare``.

A fitted feature pipeline is a function of the resolved feature steps, the competition's
``features.py``, the seed, the data and the fold's rows; :func:`fold_key` hashes exactly these.
Tuning trials that change only model parameters then fit each fold's features once per study,
and a change to any feature parameter misses the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict

from workbench.cv import Fold
from workbench.engine import FoldData, prepare_fold
from workbench.prepare import FeatureSpec, Problem

DEFAULT_MAX_BYTES = 2 << 30


def fold_key(features: FeatureSpec, problem: Problem, fold: Fold) -> str:
    """What a prepared fold depends on, as one hex digest."""
    digest = hashlib.sha256()
    for part in (features.digest, problem.data_digest):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(fold.train.astype("int64").tobytes())
    digest.update(b"\0")
    digest.update(fold.valid.astype("int64").tobytes())
    return digest.hexdigest()


def _nbytes(data: FoldData) -> int:
    frames = (data.X_train, data.X_valid, data.X_test)
    return int(sum(f.memory_usage(index=True, deep=False).sum() for f in frames))


class FoldCache:
    """Prepared folds in memory, least recently used dropped beyond ``max_bytes``.

    A hit returns the stored fold with ``seconds = 0``: the features cost nothing this time.
    Stored frames are shared between calls; models never modify their input.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._folds: OrderedDict[str, FoldData] = OrderedDict()
        self._bytes: dict[str, int] = {}

    def __call__(self, features: FeatureSpec, problem: Problem, fold: Fold) -> FoldData:
        key = fold_key(features, problem, fold)
        if key in self._folds:
            self.hits += 1
            self._folds.move_to_end(key)
            return dataclasses.replace(self._folds[key], seconds=0.0)
        self.misses += 1
        data = prepare_fold(features, problem, fold)
        self._folds[key] = data
        self._bytes[key] = _nbytes(data)
        while sum(self._bytes.values()) > self.max_bytes and len(self._folds) > 1:
            oldest, _ = self._folds.popitem(last=False)
            del self._bytes[oldest]
        return data

    def __len__(self) -> int:
        return len(self._folds)
