"""Adversarial validation: can a classifier tell the training rows from the test rows?

Training rows are labelled 0 and test rows 1, and LightGBM is cross-validated (stratified
K-fold) over both. Its out-of-fold ROC AUC says how different they look: about 0.5 when a
model cannot tell them apart (CV should then predict the leaderboard), up to 1 when some
columns give the split away. Features are ranked by their mean |SHAP| on the out-of-fold
rows (rows the classifier did not train on, so what it memorised does not count), and the top
ones are also scored alone: each column's own out-of-fold AUC.

Without a config the raw columns are compared (id and target left out, other columns encoded
by :func:`encode`); with one, its feature steps are fitted in the run's folds, so it checks
what the models see (:func:`config_sides`). Large data is sampled: at most
:data:`MAX_ROWS_PER_SIDE` seeded rows of each side.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import io
from workbench.competition import Competition, Project, load_competition
from workbench.config import ExperimentConfig, load_config
from workbench.errors import UserError
from workbench.infer import classify
from workbench.prepare import Prepared
from workbench.resources import model_threads

log = logging.getLogger("workbench")

MAX_ROWS_PER_SIDE = 25_000  # AUC does not depend on the ratio of the sides: each is capped
SHAP_ROWS = 2_000  # out-of-fold rows per fold whose SHAP values are computed (as explain.py)
FOLDS = 5
ALIKE_BELOW = 0.55  # AUC below this: train and test look alike
STRONG_FROM = 0.70  # AUC from this on: a strong shift
MAX_CATEGORIES = 50  # a text column's most frequent values told apart; the rest are one
ALONE_TOP = 10  # the top features by mean |SHAP| are also scored alone
TOP_NAMED = 3  # features named in the verdict
DEFAULT_SEED = ExperimentConfig.model_fields["seed"].default  # a config's default seed
PARAMS: dict[str, Any] = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15}
ALONE_PARAMS: dict[str, Any] = {"n_estimators": 50, "learning_rate": 0.1, "num_leaves": 7}


@dataclass(frozen=True)
class Sides:
    """Training and test rows to compare (same columns), and what was done to get them."""

    competition: str
    train: pd.DataFrame
    test: pd.DataFrame
    compared: str  # "raw columns" or "the features of configs/x.yaml"
    notes: list[str]
    where: str  # the file or config a mistake in these rows is about


@dataclass(frozen=True)
class FeatureShift:
    """How much one feature tells train from test."""

    feature: str
    shap: float  # mean |SHAP| (log-odds of "test") over the out-of-fold rows
    share: float  # of the sum over all features
    alone_auc: float | None  # its own out-of-fold AUC (the top ALONE_TOP features only)


@dataclass(frozen=True)
class DriftResult:
    """What ``drift.json`` holds (docs/run-directory.md)."""

    competition: str
    compared: str
    seed: int
    auc: float  # mean over the folds of the out-of-fold ROC AUC
    auc_std: float
    fold_aucs: list[float]
    level: str  # alike | mild | strong
    verdict: str
    thresholds: dict[str, float]
    rows: dict[str, int]  # train, test, train_used, test_used, max_per_side
    features: list[FeatureShift]
    index_like: list[str]
    notes: list[str]
    classifier: dict[str, Any]
    seconds: float


def raw_sides(competition: Competition) -> Sides:
    """The competition's raw columns: id and target left out."""
    from workbench.data import load_frames

    spec = competition.spec
    frames = load_frames(competition)
    train = frames.train.drop(columns=[spec.id_column, spec.target])
    test = frames.test[train.columns]
    note = f"the id column {spec.id_column!r} and the target {spec.target!r} are left out"
    return Sides(spec.name, train, test, "raw columns", [note], str(frames.files["test"]))


def config_sides(prepared: Prepared) -> Sides:
    """The features the run's models see, each row transformed by a pipeline fitted without
    it: the training rows as the validation rows of the run's folds (first repeat), each test
    row by one of the same fold pipelines (seeded, evenly).

    A single mapping for both sides matters: a target encoder cross-fitted on the training
    rows (a fold's ``fit_transform``) gives them other values than the test rows get, and the
    classifier tells the sides apart by those exact values (AUC ~0.97 on identical data).
    """
    from workbench.engine import make_folds, prepare_fold

    problem = prepared.problem
    folds = [fold for fold in make_folds(prepared) if fold.repeat == 0]
    rng = np.random.default_rng(prepared.config.seed)
    test_fold = rng.permutation(len(problem.X_test)) % len(folds)
    train_parts, test_parts, train_rows, test_rows = [], [], [], []
    for k, fold in enumerate(folds):
        data = prepare_fold(prepared.features, problem, fold)
        mine = np.flatnonzero(test_fold == k)
        train_parts.append(data.X_valid)
        test_parts.append(data.X_test.iloc[mine])
        train_rows.append(fold.valid)
        test_rows.append(mine)
    train = pd.concat(train_parts).iloc[np.argsort(np.concatenate(train_rows))]  # file order
    test = pd.concat(test_parts).iloc[np.argsort(np.concatenate(test_rows))]
    steps = len(prepared.features.build().steps)
    note = (
        f"{steps} feature step{'s' if steps != 1 else ''} fitted in each of the run's "
        f"{len(folds)} folds: training rows compared as that fold's validation rows, test rows "
        "spread evenly over the folds, so no row is transformed by a pipeline fitted on it"
    )
    where = str(prepared.config_path)
    name = prepared.competition.spec.name
    return Sides(name, train, test, f"the features of {where}", [note], where)


def encode(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Train rows then test rows, every column numeric or categorical for LightGBM; notes on
    what was done, and the columns that look like a row index.

    Numbers stay numbers, dates become days, free text its length; other text becomes a
    category of its :data:`MAX_CATEGORIES` most frequent values. Constant columns and text
    that differs in every row are left out: they cannot shift as values.
    """
    both = pd.concat([train, test], ignore_index=True)
    columns: dict[str, pd.Series] = {}
    notes: list[str] = []
    index_like: list[str] = []
    for name in both.columns:
        column = both[name]
        kind = classify(column)
        label = str(name)
        numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
        if kind.kind == "constant":
            notes.append(f"{label}: left out (the same value in every row of both files)")
        elif kind.kind == "id_like" and not numeric:
            notes.append(f"{label}: left out ({kind.reason})")
        elif numeric:
            columns[label] = column.astype(float)
            if _ordered_like_rows(train[name], test[name]):
                index_like.append(label)
        elif kind.kind == "datetime":
            parsed = pd.to_datetime(column, errors="coerce", format="mixed", utc=True)
            columns[label] = (parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)
            notes.append(f"{label}: dates, compared as days")
        elif kind.kind == "text":
            columns[label] = column.astype("string").str.len().astype(float)
            notes.append(f"{label}: free text, compared by its length in characters")
        else:
            columns[label] = _categories(column.astype("string"))
            distinct = int(column.nunique())
            if distinct > MAX_CATEGORIES:
                notes.append(
                    f"{label}: {distinct:,} distinct values; the {MAX_CATEGORIES} most frequent "
                    "are told apart, the others count as one"
                )
    return pd.DataFrame(columns), notes, index_like


def _categories(column: pd.Series) -> pd.Series:
    """A pandas category of the most frequent values (LightGBM splits on categories)."""
    top = column.value_counts().index[:MAX_CATEGORIES]
    return pd.Series(pd.Categorical(column.where(column.isin(top)), categories=top))


def _ordered_like_rows(train: pd.Series, test: pd.Series) -> bool:
    """Distinct numbers that rise (or fall) with the row number in both files, like an index:
    they tell the two files apart by position alone."""

    def ordered(values: pd.Series) -> bool:
        values = pd.to_numeric(values, errors="coerce")
        return (
            len(values) >= 3
            and bool(values.notna().all())
            and values.is_unique
            and (values.is_monotonic_increasing or values.is_monotonic_decreasing)
        )

    return ordered(train) and ordered(test)


def sample_rows(n: int, max_rows: int, seed: int) -> np.ndarray:
    """Row positions: all ``n``, or a seeded sample of ``max_rows`` in file order."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


@dataclass(frozen=True)
class Compared:
    """The sampled, encoded rows a classifier is to tell apart: training rows, then test."""

    sides: Sides
    X: pd.DataFrame
    labels: np.ndarray  # 0 training row, 1 test row
    folds: int
    seed: int
    rows: dict[str, int]  # train, test, train_used, test_used, max_per_side
    notes: list[str]
    index_like: list[str]


def compare(sides: Sides, *, seed: int, max_rows: int = MAX_ROWS_PER_SIDE) -> Compared:
    """Sample at most ``max_rows`` of each side and encode them; a :class:`UserError` when
    there is nothing to compare (cheap: it runs before anything is written)."""
    train_rows = sample_rows(len(sides.train), max_rows, seed)
    test_rows = sample_rows(len(sides.test), max_rows, seed + 1)
    folds = min(FOLDS, len(train_rows), len(test_rows))
    if folds < 2:
        raise UserError(
            f"too few rows to tell train from test: {len(train_rows)} training and "
            f"{len(test_rows)} test row(s)",
            where=sides.where,
            hint="adversarial validation needs at least 2 rows of each",
        )
    train = sides.train.iloc[train_rows].reset_index(drop=True)
    test = sides.test.iloc[test_rows].reset_index(drop=True)
    X, notes, index_like = encode(train, test)
    if X.shape[1] == 0:
        raise UserError(
            "no column left to compare train and test on",
            where=sides.where,
            hint="every column is the id, the target, constant or different in every row",
        )
    rows = {"train": len(sides.train), "test": len(sides.test)}
    rows |= {"train_used": len(train), "test_used": len(test), "max_per_side": max_rows}
    labels = np.r_[np.zeros(len(train)), np.ones(len(test))].astype(int)
    return Compared(sides, X, labels, folds, seed, rows, [*sides.notes, *notes], index_like)


def assess(compared: Compared, *, threads: int | None = None) -> DriftResult:
    """Cross-validate the train-vs-test classifier, rank the features, judge the AUC.
    ``threads``: the config's ``threads`` (the rows compared decide otherwise)."""
    start = time.perf_counter()
    X, labels, folds, seed = compared.X, compared.labels, compared.folds, compared.seed
    threads = model_threads(threads, len(labels) * (folds - 1) // folds)  # rows fitted on
    aucs, shap = cross_validate(X, labels, folds, seed, threads, PARAMS, contributions=True)
    features = _ranked(X, labels, shap, folds, seed, threads)
    auc = float(np.mean(aucs))
    level, verdict = judge(auc, [f.feature for f in features[:TOP_NAMED] if f.shap > 0])
    return DriftResult(
        competition=compared.sides.competition,
        compared=compared.sides.compared,
        seed=seed,
        auc=auc,
        auc_std=float(np.std(aucs, ddof=1)),
        fold_aucs=aucs,
        level=level,
        verdict=verdict,
        thresholds={"alike_below": ALIKE_BELOW, "strong_from": STRONG_FROM},
        rows=compared.rows,
        features=features,
        index_like=compared.index_like,
        notes=compared.notes,
        classifier={
            "kind": "lightgbm",
            "folds": folds,
            "params": PARAMS,
            "threads": threads,
            "shap_rows_per_fold": SHAP_ROWS,
        },
        seconds=round(time.perf_counter() - start, 3),
    )


def adversarial(
    sides: Sides,
    *,
    seed: int = DEFAULT_SEED,
    threads: int | None = None,
    max_rows: int = MAX_ROWS_PER_SIDE,
) -> DriftResult:
    """Cross-validate a train-vs-test classifier over the (sampled) rows of ``sides``."""
    return assess(compare(sides, seed=seed, max_rows=max_rows), threads=threads)


def cross_validate(
    X: pd.DataFrame,
    labels: np.ndarray,
    folds: int,
    seed: int,
    threads: int,
    params: dict[str, Any],
    *,
    contributions: bool = False,
) -> tuple[list[float], np.ndarray]:
    """Each fold's out-of-fold ROC AUC, and (``contributions``) each column's mean |SHAP|
    over a seeded sample of at most :data:`SHAP_ROWS` out-of-fold rows per fold (LightGBM's
    own TreeSHAP; it costs far more than predicting)."""
    from lightgbm import LGBMClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X = X.set_axis([f"c{i}" for i in range(X.shape[1])], axis=1)  # names LightGBM accepts
    shap, explained = np.zeros(X.shape[1]), 0
    aucs = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fit_rows, held_out in splitter.split(X, labels):
        model = LGBMClassifier(
            **params,
            random_state=seed,
            n_jobs=threads,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
        model.fit(X.iloc[fit_rows], labels[fit_rows])
        rows = X.iloc[held_out]
        aucs.append(float(roc_auc_score(labels[held_out], model.predict_proba(rows)[:, 1])))
        if contributions:
            sample = rows.iloc[sample_rows(len(rows), SHAP_ROWS, seed)]
            shap += np.abs(model.predict(sample, pred_contrib=True)[:, :-1]).sum(axis=0)
            explained += len(sample)
    return aucs, shap / max(explained, 1)


def _ranked(
    X: pd.DataFrame, labels: np.ndarray, shap: np.ndarray, folds: int, seed: int, threads: int
) -> list[FeatureShift]:
    """Features by mean |SHAP|, largest first; the top ones with their AUC alone."""
    total = float(shap.sum()) or 1.0
    order = np.argsort(-shap, kind="stable")
    out = []
    for rank, i in enumerate(order):
        alone = None
        if rank < ALONE_TOP and shap[i] > 0:
            aucs, _ = cross_validate(X.iloc[:, [i]], labels, folds, seed, threads, ALONE_PARAMS)
            alone = float(np.mean(aucs))
        out.append(FeatureShift(str(X.columns[i]), float(shap[i]), float(shap[i] / total), alone))
    return out


def judge(auc: float, top: list[str]) -> tuple[str, str]:
    """The level (alike, mild, strong) of an AUC, and what it means in words."""
    named = ", ".join(top) or "no single column"
    if auc < ALIKE_BELOW:
        return "alike", (
            f"train and test look alike (AUC {auc:.4f} < {ALIKE_BELOW}): CV should predict the "
            "leaderboard"
        )
    if auc < STRONG_FROM:
        return "mild", (
            f"mild shift ({ALIKE_BELOW} ≤ AUC {auc:.4f} < {STRONG_FROM}): CV may differ "
            f"somewhat from the leaderboard; the columns that shift most: {named}"
        )
    return "strong", (
        f"strong shift (AUC {auc:.4f} ≥ {STRONG_FROM}): CV may not predict the leaderboard; "
        f"the columns that give the split away: {named}. Drop or rework them, or validate on "
        "the training rows that look most like the test rows"
    )


def summary_lines(result: DriftResult, top: int = 10) -> list[str]:
    """The result in words and a short table of the top features."""
    rows = result.rows
    used = (
        "all of them"
        if rows["train_used"] == rows["train"] and rows["test_used"] == rows["test"]
        else f"a seeded sample of {rows['train_used']:,} and {rows['test_used']:,}"
    )
    spread = f"{min(result.fold_aucs):.4f}–{max(result.fold_aucs):.4f}"
    lines = [
        f"adversarial validation of {result.competition}: {result.compared}",
        f"rows: {rows['train']:,} training and {rows['test']:,} test, {used} "
        f"(at most {rows['max_per_side']:,} of each side are compared)",
        f"ROC AUC {result.auc:.4f} ± {result.auc_std:.4f} over {len(result.fold_aucs)} folds "
        f"({spread}): LightGBM telling test rows from training rows, out of fold",
        f"→ {result.verdict}",
        f"(AUC < {ALIKE_BELOW}: alike; {ALIKE_BELOW}–{STRONG_FROM}: mild shift; "
        f"≥ {STRONG_FROM}: strong shift)",
        "",
    ]
    shown = result.features[:top]
    width = max([len("feature"), *(len(f.feature) for f in shown)])
    lines.append(f"{'feature':<{width}}  mean |SHAP|  share   AUC alone")
    for f in shown:
        alone = f"{f.alone_auc:.4f}" if f.alone_auc is not None else "—"
        lines.append(f"{f.feature:<{width}}  {f.shap:11.4f}  {f.share:5.1%}  {alone:>9}")
    lines.append(
        "mean |SHAP|: log-odds of 'test' on the out-of-fold rows; "
        "AUC alone: the column on its own, out of fold"
    )
    if result.level == "alike":
        lines.append(
            "no column stands out: these importances are what the classifier fitted to noise"
        )
    for name in result.index_like:
        lines.append(
            f"note: {name} rises (or falls) with the row number in both files, like an index: "
            "it tells the files apart by position alone; drop it if it is one"
        )
    lines += [f"note: {note}" for note in result.notes]
    return lines


def as_json(result: DriftResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def write_result(result: DriftResult, folder: Path) -> tuple[Path, Path]:
    """``drift.json`` and ``drift.png`` in ``folder``, each written atomically."""
    from workbench.report.plots_drift import drift_figure
    from workbench.report.style import to_png

    data = io.write_json(folder / "drift.json", as_json(result))
    figure = drift_figure(as_json(result)["features"], result.auc, result.auc_std)
    return data, io.write_bytes(folder / "drift.png", to_png(figure))


def run_drift(
    project: Project, competition: str, config_path: Path | None, seed: int | None = None
) -> tuple[DriftResult, tuple[Path, Path]]:
    """``workbench drift COMPETITION [CONFIG]``: everything checked, computed, then written
    to ``runs/<competition>/drift/<raw | config-<name>>/``."""
    from workbench.experiment import locate
    from workbench.prepare import prepare

    spec = load_competition(competition, project)  # a misspelt name fails before the config
    threads = None
    if config_path is None:
        sides = raw_sides(spec)
        folder = project.runs_dir(competition) / "drift" / "raw"
    else:
        config = load_config(config_path)
        if config.competition != competition:
            raise UserError(
                f"the config is for competition {config.competition!r}, not {competition!r}",
                where=f"{config_path}: competition",
                hint=f"workbench drift {config.competition} {config_path}",
            )
        try:
            prepared = prepare(config_path, project=project)
            sides = config_sides(prepared)
        except UserError as exc:
            raise locate(exc, config_path) from None
        seed = prepared.config.seed if seed is None else seed
        threads = prepared.config.threads
        folder = project.runs_dir(competition) / "drift" / f"config-{config_path.stem}"
    compared = compare(sides, seed=DEFAULT_SEED if seed is None else seed)
    project.check_folders(folder)  # after every check of the input, before the work
    result = assess(compared, threads=threads)
    return result, write_result(result, folder)


def write_run_drift(prepared: Prepared, path: Path) -> None:
    """The report's drift section (``report.drift``): ``drift.json`` in the run directory,
    from the run's features. A failure is logged; the run and its report go on."""
    try:
        sides = config_sides(prepared)
        result = adversarial(sides, seed=prepared.config.seed, threads=prepared.config.threads)
        io.write_json(path, as_json(result))
        log.info("drift: train vs test ROC AUC %.4f (%s)", result.auc, result.level)
    except Exception as exc:
        log.warning("the drift section could not be computed: %s: %s", type(exc).__name__, exc)
