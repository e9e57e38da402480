"""The Blend section of a ``workbench blend`` run: how its score was made, its members with
their own CV and weights, the comparison with the best member, and what each fold fitted
(``blend.json`` as :func:`workbench.blend.blend_record` writes it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.report import formats as fmt
from workbench.report.html import Section
from workbench.report.run import Run
from workbench.report.sections import _read_optional_json


def blend_section(run: Run) -> Section | None:
    """The section, or None for a run that is not a blend (no ``blend.json``)."""
    data, problem = _read_optional_json(run.path / "blend.json")
    if data is None and problem is None:
        return None
    section = Section("blend", "Blend")
    if not isinstance(data, Mapping):
        section.text(problem or "blend.json holds no blend.", "note")
        return section
    method = str(data.get("method", "?"))
    section.text(
        f"A {method} blend of finished runs' predictions ({data.get('space', 'predictions')}), "
        f"scored on the members' own folds: {data.get('procedure', '')}. For each fold, the "
        "blend was fitted on the other folds' out-of-fold predictions only and then predicted "
        "the fold, so no row's score comes from weights chosen on that row. The test "
        "predictions use the blend fitted on every out-of-fold row."
    )
    members = [m for m in data.get("members") or [] if isinstance(m, Mapping)]
    rows = [
        [
            m.get("run_id", "?"),
            m.get("config_name", "?"),
            m.get("model", "?"),
            fmt.score_pm(m.get("cv_mean"), m.get("cv_std")),
            "—" if m.get("weight") is None else f"{float(m['weight']):.3f}",
        ]
        for m in members
    ]
    section.table(
        ["run", "config", "model", f"its own CV {run.metric}", "final weight"],
        rows,
        caption=_weights_caption(data),
        css="text",
    )
    versus = data.get("versus_best")
    if isinstance(versus, Mapping):
        section.text(
            f"Against the best member ({versus.get('run_id')}, CV "
            f"{fmt.score(versus.get('cv_mean'))}): the blend's CV is "
            f"{fmt.score(versus.get('blend_cv_mean'))}, a difference of "
            f"{float(versus.get('difference', 0.0)):+.4f}; {versus.get('verdict', '')}."
        )
    _fold_weights(section, data, members)
    return section


def _weights_caption(data: Mapping[str, Any]) -> str:
    method = data.get("method")
    if method == "hill_climb":
        return (
            f"Greedy forward selection with replacement (Caruana et al. 2004), "
            f"{data.get('iterations')} picks, the best-scoring prefix kept: a member's weight "
            "is its share of the kept picks."
        )
    if method == "stack":
        final = data.get("final") if isinstance(data.get("final"), Mapping) else {}
        coef = final.get("coef")
        shown = f" Final coefficients: {coef}; intercept {final.get('intercept')}." if coef else ""
        return (
            f"A {data.get('meta')} meta-model on the members' predictions (logits or log "
            f"probabilities for classification, log values for a log metric).{shown}"
        )
    if method == "rank":
        return (
            "Each member's prediction is ranked among its own out-of-fold predictions; the mean "
            "rank is mapped back onto the scale of the members' average."
        )
    return "A plain average: every member weighs the same."


def _fold_weights(section: Section, data: Mapping[str, Any], members: list[Mapping]) -> None:
    """Hill climbing: the weights each fold's blend chose (how stable they are)."""
    folds = [f for f in data.get("folds") or [] if isinstance(f, Mapping) and "weights" in f]
    if not folds or not members:
        return
    repeats = len({f.get("repeat") for f in folds})
    rows = [
        [fmt.fold_label(f.get("repeat", 0), f.get("fold", 0), repeats)]
        + [f"{float(w):.3f}" for w in f["weights"]]
        for f in folds
    ]
    section.subheading("Weights per fold")
    section.table(
        ["fold", *[str(m.get("config_name", m.get("run_id", "?"))) for m in members]],
        rows,
        caption="The weights fitted on the other folds' out-of-fold rows, which then scored "
        "this fold. Weights that change from fold to fold are fitted to noise.",
    )
