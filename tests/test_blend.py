"""``workbench blend``: the methods, the honesty of the blend's CV, and the blend as a run."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from blend_runs import copy_run
from kaggle_fake import FakeKaggle, isolate_credentials

from workbench import blend_methods, metrics, runindex
from workbench.blend_methods import HillClimb, Rank, Space, cross_blend, fit_final
from workbench.cli import main
from workbench.compare import compare_runs
from workbench.competition import Project, load_competition
from workbench.cv import Fold
from workbench.data import load_frames
from workbench.kaggle_api import ENDPOINT_ENV
from workbench.kaggle_loop import POLL_ENV
from workbench.record import read_record
from workbench.submission import validate_submission

RMSE = Space("regression", metrics.get_metric("rmse", "regression"))


def folds_of(n: int, k: int, seed: int = 0) -> list[Fold]:
    """k shuffled folds of n rows, one repeat."""
    assigned = np.random.default_rng(seed).permutation(n) % k
    return [
        Fold(0, f, np.flatnonzero(assigned != f), np.flatnonzero(assigned == f)) for f in range(k)
    ]


def cli(capfd, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capfd.readouterr()
    return code, out.out, out.err


def blend_cli(capfd, *args: str) -> Path:
    """Run ``workbench blend`` (must succeed); the blend's run directory."""
    code, out, err = cli(capfd, "blend", *args)
    assert code == 0, err
    (run_dir,) = Path.cwd().glob(f"runs/*/{out.strip()}")
    return run_dir


# --- the methods ------------------------------------------------------------------------------


def test_hill_climb_matches_or_beats_the_best_member_on_the_rows_it_was_fitted_on():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    preds = np.stack([y + rng.normal(scale=s, size=300) for s in (0.9, 0.5, 0.6, 1.5)])
    blender = HillClimb(RMSE).fit(preds, y)
    singles = [RMSE.score(p, y) for p in preds]
    assert RMSE.score(blender.predict(preds), y) <= min(singles)
    weights = blender.weights()
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    assert weights[int(np.argmin(singles))] > 0  # the first pick is the best single member
    assert np.count_nonzero(weights) >= 2  # two independent errors: a mix beats either


def test_the_blends_cv_never_scores_a_row_with_weights_fitted_on_it():
    """A blender that remembers its rows: every fold's fit saw only other folds' rows."""
    seen: list[set[int]] = []

    class Recording(blend_methods.Mean):
        def fit(self, preds, y):
            seen.append(set(preds[0].astype(int).tolist()))  # member 0 predicts the row number
            return self

    n, folds = 90, folds_of(90, 3)
    rows = np.tile(np.arange(n, dtype=float), (2, 1, 1))  # (members, repeats, rows)
    cross_blend(lambda: Recording(RMSE), rows, np.zeros(n), folds)
    assert len(seen) == 3
    for fold, fitted in zip(folds, seen, strict=True):
        assert fitted == set(fold.train.tolist()) and not fitted & set(fold.valid.tolist())


def test_noise_members_give_an_in_sample_gain_that_the_honest_cv_does_not_show():
    """Forty members of pure noise: hill climbing on all rows finds a mix that seems to beat
    the plain average; the CV over held-out folds shows that gain is not there."""
    rng = np.random.default_rng(1)
    n = 200
    y = rng.normal(size=n)
    preds = rng.normal(size=(40, 1, n))  # no member knows anything about y
    folds = folds_of(n, 5)
    in_sample = RMSE.score(fit_final(lambda: HillClimb(RMSE), preds, y).predict(preds[:, 0]), y)
    _, honest = cross_blend(lambda: HillClimb(RMSE), preds, y, folds)
    _, plain = cross_blend(lambda: blend_methods.Mean(RMSE), preds, y, folds)
    honest_cv = np.mean([f.valid_score for f in honest])
    plain_cv = np.mean([f.valid_score for f in plain])
    assert in_sample < plain_cv - 0.05  # selection on the scored rows: a spurious gain
    assert honest_cv > in_sample + 0.05  # the honest CV does not show it
    assert honest_cv >= plain_cv - 0.01  # and is no better than the plain average
    assert np.mean([f.train_score for f in honest]) < honest_cv  # labelled training score


def test_rank_ignores_each_members_scale_and_gives_valid_probabilities():
    rng = np.random.default_rng(2)
    space = Space("binary", metrics.get_metric("roc_auc", "binary"))
    y = (rng.random(400) < 0.3).astype(int)
    logits = np.stack([y * 1.5 + rng.normal(size=400), y * 0.7 + rng.normal(scale=2, size=400)])
    preds = 1 / (1 + np.exp(-logits))
    rescaled = preds.copy()
    rescaled[1] = rescaled[1] ** 4  # the same order on another scale

    def blended(p: np.ndarray) -> np.ndarray:
        return Rank(space).fit(p[:, :300], y[:300]).predict(p[:, 300:])

    a, b = blended(preds), blended(rescaled)
    assert ((a >= 0) & (a <= 1)).all() and ((b >= 0) & (b <= 1)).all()
    assert (pd.Series(a).rank() == pd.Series(b).rank()).all()  # ranks ignore the scale
    mean = preds[:, 300:].mean(axis=0)
    assert not (pd.Series(a).rank() == pd.Series(mean).rank()).all()  # not the plain mean
    aucs = [metrics.score(space.metric, y[300:], p, task="binary") for p in (*preds[:, 300:], a)]
    assert aucs[-1] >= min(aucs[:-1])


def test_log_metric_blends_average_log_values():
    space = Space("regression", metrics.get_metric("rmse_log", "regression"))
    preds = space.forward(np.array([[100.0, 1000.0], [400.0, 10.0]]))
    mean = space.inverse(blend_methods.Mean(space).predict(preds))
    np.testing.assert_allclose(mean, [200.0, 100.0])  # geometric means


# --- blend runs -------------------------------------------------------------------------------


def test_a_hill_climb_blend_is_a_complete_run_that_leaderboard_and_compare_take(project, capfd):
    members = [copy_run(project, name) for name in ("logistic", "forest", "knn")]
    run_dir = blend_cli(capfd, *[m.name for m in members], "--method", "hill_climb")
    record = read_record(run_dir)
    assert record.model == "blend" and len(record.folds) == 3
    assert (run_dir / "folds.csv").read_bytes() == (members[0] / "folds.csv").read_bytes()
    oof = pd.read_csv(run_dir / "oof.csv")
    assert oof["pred"].between(0, 1).all() and oof["pred"].notna().all()
    scores = [
        metrics.score(
            metrics.get_metric("accuracy", "binary"), g["target"], g["pred"], task="binary"
        )
        for _, g in oof.groupby("fold")
    ]
    assert [f.valid_score for f in record.folds] == pytest.approx(scores)  # from the blend's OOF
    assert record.threshold is not None  # a binary run's threshold handling
    blend = json.loads((run_dir / "blend.json").read_text())
    weights = [m["weight"] for m in blend["members"]]
    assert sum(weights) == pytest.approx(1.0)
    assert len(blend["folds"]) == 3 and all("weights" in f for f in blend["folds"])
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["model"]["params"]["weights"] == weights
    assert config["model"]["params"]["members"] == [m.name for m in members]
    report = html.unescape((run_dir / "report.html").read_text())
    assert "weights fit on the other folds' out-of-fold predictions" in report

    indexed = {r.run_id: r for r in runindex.runs(Project(project), "synth_binary")}
    assert indexed[run_dir.name].cv_mean == pytest.approx(record.summary.valid_mean)
    assert indexed[run_dir.name].folds_sha256 == indexed[members[0].name].folds_sha256
    code, out, _ = cli(capfd, "leaderboard", "synth_binary", "--format", "csv")
    assert code == 0 and run_dir.name in out
    comparison = compare_runs(members[0], run_dir)
    assert comparison.test is not None and comparison.test.n == 3  # the paired test
    code, out, _ = cli(capfd, "compare", members[0].name, run_dir.name)
    assert code == 0 and "paired per-fold comparison (same folds" in out
    assert "model.kind: logistic → blend" in out


def test_the_blends_submission_is_valid_and_submit_takes_it(project, capfd, monkeypatch, tmp_path):
    members = [copy_run(project, name) for name in ("ridge", "lightgbm")]
    run_dir = blend_cli(capfd, *[m.name for m in members], "--method", "stack")
    competition = load_competition("synth_reg", Project(project))
    frames = load_frames(competition)
    submission = pd.read_csv(project / "submissions" / "synth_reg" / f"{run_dir.name}.csv")
    validate_submission(submission, frames.sample_submission, competition.spec, where="s")
    assert (submission["label"] > 0).all()
    blend = json.loads((run_dir / "blend.json").read_text())
    assert blend["meta"] == "ridge" and len(blend["final"]["coef"]) == 2

    isolate_credentials(monkeypatch, tmp_path / "home")
    with FakeKaggle(username="tester", key="k") as fake:
        monkeypatch.setenv("KAGGLE_USERNAME", "tester")
        monkeypatch.setenv("KAGGLE_KEY", "k")
        monkeypatch.setenv(ENDPOINT_ENV, fake.url)
        monkeypatch.setenv(POLL_ENV, "0.02")
        data = project / "competitions" / "synth_reg" / "data"
        fake.add_competition("synth-reg", {p.name: p.read_bytes() for p in data.glob("*")})
        code, out, err = cli(capfd, "submit", run_dir.name, "-m", "blend")
    assert code == 0, err
    entries = json.loads((run_dir / "submissions.json").read_text())["submissions"]
    assert [e["ref"] for e in entries] == [int(out)]


def test_mean_is_the_average_of_the_members_and_the_same_inputs_give_the_same_run(project, capfd):
    members = [copy_run(project, name, indexed=False) for name in ("ridge", "ridge-strong")]
    first = blend_cli(capfd, *map(str, members), "--method", "mean")
    second = blend_cli(capfd, *map(str, members), "--method", "mean")
    assert first != second
    a, b = pd.read_csv(first / "oof.csv"), pd.read_csv(second / "oof.csv")
    pd.testing.assert_frame_equal(a, b)
    scores = [[f.valid_score for f in read_record(run).folds] for run in (first, second)]
    assert scores[0] == scores[1]
    preds = [pd.read_csv(m / "oof.csv")["pred"] for m in members]
    np.testing.assert_allclose(a["pred"], np.sqrt(preds[0] * preds[1]), rtol=1e-9)  # rmse_log
    tests = [pd.read_csv(m / "test_predictions.csv")["pred"] for m in members]
    blended = pd.read_csv(first / "test_predictions.csv")["pred"]
    np.testing.assert_allclose(blended, np.sqrt(tests[0] * tests[1]), rtol=1e-9)


def test_multiclass_probabilities_stay_probabilities(project, capfd):
    members = [copy_run(project, name) for name in ("multi-logistic", "multi-forest")]
    for method in ("mean", "hill_climb", "stack"):
        run_dir = blend_cli(capfd, *[m.name for m in members], "--method", method)
        for name in ("oof.csv", "test_predictions.csv"):
            frame = pd.read_csv(run_dir / name)
            proba = frame.filter(like="proba_").to_numpy()
            assert proba.shape[1] == 3 and (proba >= 0).all()
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_binary_rank_and_stack_predictions_are_probabilities(project, capfd):
    members = [copy_run(project, name) for name in ("logistic", "forest")]
    for method in ("rank", "stack"):
        run_dir = blend_cli(capfd, *[m.name for m in members], "--method", method)
        for name in ("oof.csv", "test_predictions.csv"):
            assert pd.read_csv(run_dir / name)["pred"].between(0, 1).all()
        submission = pd.read_csv(run_dir / "submission.csv")
        assert set(submission["label"]) <= {0, 1}


def test_blends_of_different_folds_are_refused_and_nothing_is_written(project, capfd):
    members = [copy_run(project, name) for name in ("logistic", "logistic-seed-7")]
    before = sorted(p for p in project.rglob("*") if p.is_file())
    code, out, err = cli(capfd, "blend", *[m.name for m in members])
    assert code == 2 and out == ""
    assert "different folds" in err and all(m.name in err for m in members)
    assert "seed 42" in err and "seed 7" in err and "Traceback" not in err
    assert sorted(p for p in project.rglob("*") if p.is_file()) == before
