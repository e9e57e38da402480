"""`workbench compare RUN_A RUN_B`: the config diff, the score difference, the paired test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from quick_runs import built_once, copy_project, quick_run
from synthetic import RIDGE_REGRESSION

from workbench.cli import main
from workbench.compare import direction_word
from workbench.paired import corrected_ttest

NAMES = ["base", "smaller_c", "other_seed", "three_folds", "roc_auc", "regression"]


def _make(root: Path) -> list[str]:
    return [
        quick_run(root),
        quick_run(root, "model.params.C=0.05"),
        quick_run(root, "seed=7"),
        quick_run(root, "cv.folds=3"),
        quick_run(root, "metric=roc_auc"),
        quick_run(root, body=RIDGE_REGRESSION, name="reg"),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_once(tmp_path_factory, "compare", _make)


@pytest.fixture
def runs(built, tmp_path, monkeypatch) -> dict[str, str]:
    copy_project(built[0], tmp_path / "project", monkeypatch)
    return dict(zip(NAMES, built[1], strict=True))


def _compare(capsys, a: str, b: str) -> str:
    assert main(["compare", a, b]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    return out.out


def _metrics(run_id: str, competition: str = "synth_binary") -> dict:
    return json.loads((Path("runs") / competition / run_id / "metrics.json").read_text())


def _changes(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("config changes"))
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line.strip())
    return block


def test_same_folds_give_the_paired_test(runs, capsys):
    a, b = runs["base"], runs["smaller_c"]
    text = _compare(capsys, a, b)
    ma, mb = _metrics(a), _metrics(b)
    assert text.splitlines()[0].startswith(f"A  {a}  (base, logistic, seed {ma['seed']}")
    assert text.splitlines()[1].startswith(f"B  {b}  (base, logistic, seed {mb['seed']}")

    assert "config changes (A → B), 1 key:" in text
    [change] = _changes(text)
    # logistic's resolved defaults hold only max_iter: C is added, not changed
    assert change in ("model.params.C: 0.05 (added)", "model.params.C: 1.0 → 0.05")

    delta = mb["summary"]["valid_mean"] - ma["summary"]["valid_mean"]
    assert "CV accuracy (higher is better), mean ± std over folds:" in text
    assert f"B − A = {delta:+.5f}: B is {direction_word(delta, True)}" in text

    n_valid = [f["n_valid"] / f["n_train"] for f in ma["folds"] + mb["folds"]]
    expected = corrected_ttest(
        [f["valid_score"] for f in ma["folds"]],
        [f["valid_score"] for f in mb["folds"]],
        test_train_ratio=sum(n_valid) / len(n_valid),
    )
    assert "paired per-fold comparison (same folds: 5 folds):" in text
    assert f"B beats A on {expected.wins} of 5 folds" in text
    if expected.judged:
        assert f"t = {expected.t:.2f}, p = {expected.p:.3f} (4 df)" in text
        verdict = "larger than fold-to-fold noise" if expected.significant else "within"
        assert f"→ the difference is {verdict}" in text
    else:
        assert f"→ cannot be judged: {expected.reason}" in text


def test_different_seeds_say_why_the_folds_cannot_be_paired(runs, capsys):
    a, b = runs["base"], runs["other_seed"]
    text = _compare(capsys, a, b)
    seed = _metrics(a)["seed"]
    assert _changes(text) == [f"seed: {seed} → 7"]
    assert "paired per-fold comparison: not possible" in text
    assert f"different seeds ({seed} vs 7): the seed shuffles the folds" in text
    assert "t = " not in text


def test_different_fold_counts_say_so(runs, capsys):
    text = _compare(capsys, runs["base"], runs["three_folds"])
    assert _changes(text) == ["cv.folds: 5 → 3"]
    assert "different numbers of folds (5 vs 3)" in text
    assert "different seeds" not in text


def test_a_run_with_itself_cannot_be_judged(runs, capsys):
    a = runs["base"]
    text = _compare(capsys, a, str(Path("runs/synth_binary") / a))  # by id and by path
    assert "config changes (A → B): none, the resolved configs are identical" in text
    assert "B − A = +0.00000: B is the same" in text
    assert "→ cannot be judged: the two runs score the same on every fold" in text


@pytest.mark.parametrize(
    ("b", "message", "hint"),
    [
        (
            "regression",
            "cannot compare runs of different competitions: {a} is a 'synth_binary' run, "
            "{b} a 'synth_reg' run",
            "compare two runs of one competition",
        ),
        (
            "roc_auc",
            "cannot compare runs scored with different metrics: {a} with 'accuracy', "
            "{b} with 'roc_auc'",
            "run one of the configs again with --set metric=accuracy",
        ),
    ],
)
def test_runs_that_cannot_be_compared_are_one_message_and_exit_2(runs, capsys, b, message, hint):
    a, b = runs["base"], runs[b]
    assert main(["compare", a, b]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 2
    assert lines[0] == "error: " + message.format(a=a, b=b)
    assert lines[1].startswith("  hint: " + hint)


def test_an_unknown_run_is_one_message_and_exit_2(project, capsys):
    assert main(["compare", "no-such-run", "other"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("error: no run 'no-such-run'")
    assert "Traceback" not in out.err

    (project / "runs/synth_binary/.killed.partial").mkdir(parents=True)  # left by a kill -9
    assert main(["compare", "killed", "other"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is an incomplete run: its process was killed" in err


def test_direction_words():
    assert direction_word(0.01, True) == "better"
    assert direction_word(0.01, False) == "worse"
    assert direction_word(-0.01, False) == "better"
    assert direction_word(0.0, True) == "the same"
