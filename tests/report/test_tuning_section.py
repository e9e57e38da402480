"""The Tuning section of a run made by ``workbench tune`` (tuning.json as
:func:`workbench.tune.tuning_record` writes it): the study in words, the three honest numbers,
the best parameters as a config snippet, its figures and the failed trials' messages."""

from __future__ import annotations

import copy
import html as html_module
import re

import numpy as np
import pytest
import yaml
from report_synth import TUNING_ERRORS, synth_tuning

from workbench.report import build_report, render
from workbench.report import plots_tuning as ptune
from workbench.report import tuning_section as tsec
from workbench.report.build import plan_report
from workbench.report.html import Section
from workbench.report.run import load_run
from workbench.report.style import to_png

VALID_MEAN = 0.84


def _tuning(**changes):
    tuning = synth_tuning(VALID_MEAN)
    tuning.update(changes)
    return tuning


def _plan(run_dir):
    run = load_run(run_dir)
    sections, figs = plan_report(run)
    return {s.id: s for s in sections}, {f.name: f for f in figs.items}


def _blocks(section: Section, kind: str) -> list[dict]:
    return [b for b in section.blocks if b["type"] == kind]


def _texts(section: Section) -> str:
    parts = []
    for block in section.blocks:
        if block["type"] in ("text", "h3", "code"):
            parts.append(block["text"])
        elif block["type"] == "verdict":
            parts += [block["title"], block["text"]]
        elif block["type"] == "table":
            parts += [" ".join(map(str, row)) for row in block["rows"]]
            parts.append(block["caption"])
    return "\n".join(parts)


def _tuning_figures(figs: dict) -> set[str]:
    return {name for name in figs if name.startswith("tuning_")}


def test_no_tuning_json_no_section(run_factory):
    sections, figs = _plan(run_factory("binary"))
    assert "tuning" not in sections
    assert not _tuning_figures(figs)


def test_the_study_in_words_and_the_three_honest_numbers(run_factory):
    sections, _ = _plan(run_factory("binary", valid_mean=VALID_MEAN, tuning=_tuning()))
    section = sections["tuning"]
    text = _texts(section)
    assert "'synthetic-study'" in text
    assert "30 trials (25 complete, 2 pruned, 3 failed)" in text
    assert "over 3 parameters" in text and "maximize accuracy (higher is better)" in text
    (table,) = [t for t in _blocks(section, "table") if t["columns"][0] == "parameters"]
    assert table["columns"] == ["parameters", "CV accuracy", "scored on", "used by this run"]
    best, untuned, tuned = table["rows"]
    assert best[0] == "Best trial (#21)" and best[1] == "0.8430"
    assert "optimistic" in best[2] and "chosen on the folds it is scored on" in best[2]
    assert untuned[1:] == ["0.8280", "a fresh fold split (seed 43)", "no"]
    assert tuned[1:] == ["0.8390", "a fresh fold split (seed 43)", "yes"]
    assert "0.8390 against 0.8280 untuned: 0.0110 better" in text
    (verdict,) = _blocks(section, "verdict")
    assert verdict["level"] == "good"
    assert verdict["title"] == "This run uses the tuned parameters"
    assert "scored better on the fresh split" in verdict["text"]


def test_a_minimised_metric_and_the_config_s_keep(run_factory):
    """rmse: lower is better; tune.keep forced the untuned parameters although the tuned ones
    did better on the fresh split."""
    tuning = synth_tuning(0.13, greater_is_better=False, metric="rmse")
    tuning["kept"] = "untuned"
    run_dir = run_factory("regression", valid_mean=0.13, tuning=tuning)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["tune"] = {"keep": "untuned"}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    section = _plan(run_dir)[0]["tuning"]
    text = _texts(section)
    assert "minimize rmse (lower is better)" in text
    assert "0.1310 against 0.1420 untuned: 0.0110 better" in text
    (verdict,) = _blocks(section, "verdict")
    assert verdict["level"] == "warn"
    assert verdict["title"] == "This run uses the untuned parameters"
    assert "tune.keep is 'untuned'" in verdict["text"]
    assert "although the tuned parameters scored better" in verdict["text"]
    assert "This run kept the untuned parameters" in text


@pytest.mark.parametrize(
    ("untuned", "tuned", "kept", "reason"),
    [
        (0.80, 0.82, "tuned", "they scored better on the fresh split"),
        (0.83, 0.82, "untuned", "they scored better on the fresh split"),
        (0.82, 0.82, "tuned", "a tie keeps the tuned parameters"),
    ],
)
def test_why_the_run_kept_its_parameters(run_factory, untuned, tuned, kept, reason):
    tuning = _tuning(untuned_fresh=untuned, tuned_fresh=tuned, kept=kept)
    section = _plan(run_factory("binary", tuning=tuning))[0]["tuning"]
    (verdict,) = _blocks(section, "verdict")
    assert reason in verdict["text"] and verdict["level"] == "good"


def test_the_best_parameters_as_a_config_snippet(run_factory):
    section = _plan(run_factory("binary", tuning=_tuning()))[0]["tuning"]
    (code,) = _blocks(section, "code")
    parsed = yaml.safe_load(code["text"])
    assert parsed == {"model": {"params": {"num_leaves": 31, "learning_rate": 0.05}}}
    # a list item cannot be a nested key: a comment line with its path
    assert "# features[1].strategy: " in code["text"]
    assert "--set model.params.num_leaves=31" in code["caption"]
    assert "--set 'features[1].strategy=" in code["caption"]


def test_snippet_nesting():
    snippet = tsec.config_snippet(
        {
            "model.params.num_leaves": 63,
            "model.params.reg_alpha": 1e-3,
            "model.params.boosting": "dart",
            "cv.folds": 5,
            "model.params.estimators[0].params.alpha": 0.5,
            "features[3].strategy": "mean",
        }
    )
    parsed = yaml.safe_load(snippet)
    assert parsed == {
        "model": {"params": {"num_leaves": 63, "reg_alpha": 1e-3, "boosting": "dart"}},
        "cv": {"folds": 5},
    }
    comments = [line for line in snippet.splitlines() if line.startswith("# ")]
    assert comments[1:] == [
        "# model.params.estimators[0].params.alpha: 0.5",
        "# features[3].strategy: mean",
    ]
    only_lists = tsec.config_snippet({"features[0].strategy": "median"})
    assert yaml.safe_load(only_lists) is None  # nothing but comments
    assert only_lists.endswith("# features[0].strategy: median")


def test_every_figure_is_registered(run_factory):
    sections, figs = _plan(run_factory("binary", tuning=_tuning()))
    assert _tuning_figures(figs) == {
        "tuning_history.png",
        "tuning_importance.png",
        "tuning_slice_model_params_learning_rate.png",  # the two most important parameters
        "tuning_slice_model_params_num_leaves.png",
    }
    section = sections["tuning"]
    (row,) = _blocks(section, "row")
    assert [f.name for f in row["figures"]] == [
        "tuning_slice_model_params_learning_rate.png",
        "tuning_slice_model_params_num_leaves.png",
    ]
    assert "Score against the two most important parameters" in _texts(section)
    assert "logarithmic" in figs["tuning_slice_model_params_learning_rate.png"].caption
    assert "logarithmic" not in figs["tuning_slice_model_params_num_leaves.png"].caption


def test_without_importances_no_importance_figure_and_the_space_s_first_two(run_factory):
    _, figs = _plan(run_factory("binary", tuning=_tuning(param_importances={})))
    assert _tuning_figures(figs) == {
        "tuning_history.png",
        "tuning_slice_model_params_num_leaves.png",  # the space's order
        "tuning_slice_model_params_learning_rate.png",
    }


def test_a_single_parameter_has_one_slice(run_factory):
    tuning = _tuning(
        space={"model.params.learning_rate": {"float": [0.005, 0.3], "log": True}},
        param_importances={},
    )
    tuning["best_params"] = {"model.params.learning_rate": 0.05}
    for trial in tuning["trials"]:
        trial["params"] = {
            "model.params.learning_rate": trial["params"]["model.params.learning_rate"]
        }
    sections, figs = _plan(run_factory("binary", tuning=tuning))
    assert _tuning_figures(figs) == {
        "tuning_history.png",
        "tuning_slice_model_params_learning_rate.png",
    }
    assert "Score against the tuned parameter" in _texts(sections["tuning"])


def test_failed_trials_messages_deduplicated(run_factory):
    section = _plan(run_factory("binary", tuning=_tuning()))[0]["tuning"]
    (table,) = [t for t in _blocks(section, "table") if t["columns"][0] == "error"]
    assert table["rows"] == [
        [TUNING_ERRORS[0], "#4, #26", 2],
        [TUNING_ERRORS[1], "#19", 1],
    ]
    assert table["caption"].startswith("3 trials failed")


def test_at_most_five_failure_messages(run_factory):
    tuning = _tuning()
    for i, trial in enumerate(tuning["trials"][:8]):
        trial.update(state="fail", value=None, error=f"error number {i}\n  hint: try again")
    tuning["trials"][8].update(state="fail", value=None, error=None)
    tuning["counts"] = {}  # counted from the trials instead
    section = _plan(run_factory("binary", tuning=tuning))[0]["tuning"]
    (table,) = [t for t in _blocks(section, "table") if t["columns"][0] == "error"]
    assert len(table["rows"]) == 5
    # all once: in the order of their first trial; newlines and indentation collapsed
    assert [row[0] for row in table["rows"]] == [
        f"error number {i} hint: try again" for i in range(5)
    ]
    assert "most frequent of 11 distinct messages" in table["caption"]
    assert "11 failed" in _texts(section)


def test_no_failed_trials_no_failure_table(run_factory):
    tuning = _tuning()
    for trial in tuning["trials"]:
        if trial["state"] == "fail":
            trial.update(state="complete", value=0.8, error=None)
    tuning["counts"] = {"COMPLETE": 28, "PRUNED": 2}
    section = _plan(run_factory("binary", tuning=tuning))[0]["tuning"]
    assert not [t for t in _blocks(section, "table") if t["columns"][0] == "error"]
    assert "Failed trials" not in _texts(section)


def test_best_value_at_the_end_of_its_range_is_noted(run_factory):
    tuning = _tuning()
    tuning["best_params"]["model.params.num_leaves"] = 255
    text = _texts(_plan(run_factory("binary", tuning=tuning))[0]["tuning"])
    assert "model.params.num_leaves: the best value 255 is at the upper end" in text
    assert "learning_rate: the best value" not in text


def test_an_older_tuning_json_still_reports(run_factory):
    """Only best_params and trials without states (the first tuning.json): no numbers table,
    no importance, slices of the best parameters' paths only when trials set them."""
    older = {
        "best_params": {"model.params.num_leaves": 31},
        "trials": [{"number": i, "value": 0.8 + i / 1000} for i in range(10)],
    }
    sections, figs = _plan(run_factory("binary", tuning=older))
    section = sections["tuning"]
    assert _tuning_figures(figs) == {"tuning_history.png"}
    assert not _blocks(section, "verdict")
    assert "10 trials (10 complete)" in _texts(section)
    assert yaml.safe_load(_blocks(section, "code")[0]["text"]) == {
        "model": {"params": {"num_leaves": 31}}
    }


def test_the_report_draws_the_tuning_figures(run_factory, monkeypatch):
    drawn = {}
    real = render.draw_rgb

    def keep(fig):
        drawn[fig.axes[0].get_title()] = fig
        return real(fig)

    monkeypatch.setattr(render, "draw_rgb", keep)
    run_dir = run_factory("binary", tuning=_tuning())
    html = build_report(run_dir).read_text(encoding="utf-8")
    for name in (
        "tuning_history",
        "tuning_importance",
        "tuning_slice_model_params_learning_rate",
        "tuning_slice_model_params_num_leaves",
    ):
        assert (run_dir / "figures" / f"{name}.png").is_file()
        assert f'<figure id="fig-{name}">' in html
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    assert "Did tuning help?" in text and "0.8390" in text
    assert "num_leaves: 31" in text
    history = drawn["Optimisation history"]
    labels = history.axes[0].get_legend_handles_labels()[1]
    assert "pruned trial, at its last running mean (2)" in labels
    assert "complete trial (25)" in labels and "best trial #21" in labels
    assert "failed trial, no score (3)" in labels
    rate = drawn["model.params.learning_rate"]
    assert rate.axes[0].get_xscale() == "log"
    assert drawn["model.params.num_leaves"].axes[0].get_xscale() == "linear"
    # score ticks in the report's one format: 4 decimals
    ticks = [t.get_text() for t in history.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"0\.\d{4}", t) for t in ticks), ticks


def test_history_figure_pruned_and_best(run_factory):
    rows = tsec.trials(_tuning())
    fig = ptune.history_figure(rows, True, "accuracy", best_number=21)
    ax = fig.axes[0]
    offsets = {c.get_label(): c.get_offsets() for c in ax.collections}
    pruned = offsets["pruned trial, at its last running mean (2)"]
    assert sorted(pruned[:, 0].tolist()) == [7, 13]
    assert np.allclose(pruned[:, 1], VALID_MEAN - 0.08)
    best = offsets["best trial #21"]
    assert best.tolist() == [[21, pytest.approx(VALID_MEAN + 0.003)]]
    # best so far never gets worse, and ends at the best trial's score
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "best so far"]
    ys = line.get_ydata()
    assert np.all(np.diff(ys) >= 0) and ys[-1] == pytest.approx(VALID_MEAN + 0.003)
    assert to_png(fig)[:4] == b"\x89PNG"


def test_slice_figure_categorical_colour_and_best():
    tuning = _tuning()
    rows = tsec.trials(tuning)
    dist = tuning["space"]["features[1].strategy"]
    fig = ptune.slice_figure(rows, "features[1].strategy", dist, True, "accuracy", 21, 29)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["median", "mean"]
    dots = ax.collections[0]
    x = dots.get_offsets()[:, 0]
    assert np.all(np.abs(x - np.round(x)) <= ptune.JITTER)  # jittered around the categories
    numbers = dots.get_array()
    assert len(numbers) == 25 and sorted(numbers) == list(numbers)  # coloured by trial number
    assert to_png(fig)[:4] == b"\x89PNG"  # (drawing maps the numbers to colours)
    colours = dots.get_facecolors()
    # later trials darker: the last dot has a smaller brightness than the first
    assert colours[-1][:3].sum() < colours[0][:3].sum()
    assert any(c.get_label() == "best trial #21" for c in ax.collections)
    assert fig.axes[1].get_ylabel() == "trial number"  # the colour bar


def test_slice_kind_without_a_space():
    assert ptune.slice_kind(None, [1, 2.5]) == "numeric"
    assert ptune.slice_kind(None, ["a", 1]) == "categorical"
    assert ptune.slice_kind(None, [True, False]) == "categorical"
    assert ptune.slice_kind({"int": [1, 3]}, []) == "numeric"


def test_malformed_entries_are_skipped(run_factory):
    tuning = copy.deepcopy(_tuning())
    tuning["trials"] += [{"state": "complete", "value": 1.0}, "nonsense", {"number": "x"}]
    tuning["param_importances"] = {"model.params.num_leaves": None}
    sections, figs = _plan(run_factory("binary", tuning=tuning))
    assert "tuning" in sections
    assert "tuning_importance.png" not in figs
