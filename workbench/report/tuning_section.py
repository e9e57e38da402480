"""The Tuning section: what the study did, the honest comparison of the tuned and the untuned
parameters, the best parameters as a config snippet, and its figures (``tuning.json`` as
:func:`workbench.tune.tuning_record` writes it; older or partial files draw what they hold)."""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping
from typing import Any

import yaml

from workbench.report import formats as fmt
from workbench.report import plots_tuning as ptune
from workbench.report.html import Section
from workbench.report.render import Figures
from workbench.report.run import Run

STATES = ("complete", "pruned", "fail", "running")
STATE_WORDS = {"complete": "complete", "pruned": "pruned", "fail": "failed", "running": "running"}
ERRORS_SHOWN = 5
ERROR_CHARS = 400  # a longer message is cut here
SLICES = 2
EDGE = 0.02  # a best value this close to the end of its range (as a share of it) is "at" it


def trials(tuning: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The trials of ``tuning.json``, normalised: ``number``, ``state`` (complete, pruned, fail,
    running; a trial without one is complete when it has a value), ``value`` (finite float or
    ``None``), ``params``, ``seconds`` and ``error``. Entries without a number are dropped."""
    out = []
    for trial in tuning.get("trials") or []:
        if not isinstance(trial, Mapping) or fmt.as_number(trial.get("number")) is None:
            continue
        value = fmt.as_number(trial.get("value"))
        state = str(trial.get("state") or ("complete" if value is not None else "fail")).lower()
        params = trial.get("params")
        out.append(
            {
                "number": int(trial["number"]),
                "state": state,
                "value": value,
                "params": dict(params) if isinstance(params, Mapping) else {},
                "seconds": fmt.as_number(trial.get("seconds")),
                "error": trial.get("error"),
            }
        )
    return sorted(out, key=lambda t: t["number"])


def state_counts(tuning: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, int]:
    """Trials by lower-case state: ``counts`` of tuning.json, else counted from the trials."""
    counts = tuning.get("counts")
    if isinstance(counts, Mapping) and counts:
        return {str(k).lower(): int(v) for k, v in counts.items() if fmt.as_number(v) is not None}
    out: dict[str, int] = {}
    for trial in rows:
        out[trial["state"]] = out.get(trial["state"], 0) + 1
    return out


def _counts_text(counts: Mapping[str, int]) -> str:
    order = [*STATES, *sorted(set(counts) - set(STATES))]
    parts = [f"{counts[s]} {STATE_WORDS.get(s, s)}" for s in order if counts.get(s)]
    return ", ".join(parts) if parts else "none"


def _is_list_path(path: str) -> bool:
    return "[" in path


def config_snippet(params: Mapping[str, Any]) -> str:
    """The parameters as YAML to paste into a config: ``model.params.num_leaves`` becomes
    ``model: {params: {num_leaves: ...}}``. A path through a list item (``features[3].strategy``)
    cannot be written as nested YAML without the whole list, so it is a comment line."""
    nested: dict[str, Any] = {}
    commented: list[tuple[str, Any]] = []
    for path, value in params.items():
        path = str(path)
        parts = path.split(".")
        if _is_list_path(path) or not all(parts):
            commented.append((path, value))
            continue
        node = nested
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                node = None
                break
            node = child
        if node is None or isinstance(node.get(parts[-1]), dict):
            commented.append((path, value))  # a path inside another one's value
            continue
        node[parts[-1]] = value
    lines = []
    if nested:
        lines.append(yaml.safe_dump(nested, sort_keys=False, allow_unicode=True).rstrip("\n"))
    if commented:
        lines.append("# list items (YAML cannot address them by path): set them in the list")
        lines += [f"# {path}: {_inline(value)}" for path, value in commented]
    return "\n".join(lines)


def _inline(value: Any) -> str:
    """A value on one line, as YAML writes it in flow style."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9
    ).strip()
    return text.removesuffix("...").strip()


def set_options(params: Mapping[str, Any]) -> list[str]:
    """The parameters as ``--set`` options (values in YAML, as ``--set`` reads them)."""
    return [f"--set {shlex.quote(f'{path}={_inline(value)}')}" for path, value in params.items()]


def _keep_setting(run: Run) -> str | None:
    tune = run.config.get("tune") if isinstance(run.config, dict) else None
    keep = tune.get("keep") if isinstance(tune, dict) else None
    return keep if keep in ("better", "tuned", "untuned") else None


def _better(untuned: float | None, tuned: float | None, gib: bool) -> str | None:
    """Which parameters ``tune.keep: better`` keeps: the tuned ones unless the untuned ones
    score strictly better on the fresh split (as :func:`workbench.tune.finish`)."""
    if untuned is None or tuned is None:
        return None
    untuned_wins = untuned > tuned if gib else untuned < tuned
    return "untuned" if untuned_wins else "tuned"


def _kept_reason(kept: str, better: str | None, setting: str | None, tie: bool) -> str:
    """Why this run uses the ``kept`` parameters, in words."""
    if setting in ("tuned", "untuned") or (better is not None and better != kept):
        reason = f"the config's tune.keep is {kept!r}"
        if better is not None and better != kept:
            return f"{reason}, although the {better} parameters scored better on the fresh split"
        if better is not None and not tie:
            return f"{reason} (they also scored better on the fresh split)"
        return reason
    if tie:
        return "the two score the same on the fresh split, and a tie keeps the tuned parameters"
    if better == kept:
        return "they scored better on the fresh split"
    return "the study chose them"


def _overview(section: Section, run: Run, tuning: Mapping[str, Any], rows: list[dict]) -> None:
    counts = state_counts(tuning, rows)
    total = sum(counts.values())
    metric = str(tuning.get("metric") or run.metric)
    gib = _greater_is_better(run, tuning)
    direction = tuning.get("direction") or ("maximize" if gib else "minimize")
    space = tuning.get("space") if isinstance(tuning.get("space"), Mapping) else {}
    study = tuning.get("study")
    what = f"Optuna study {study!r}" if study else "An Optuna study"
    text = (
        f"{what} ran {total} trial{'s' if total != 1 else ''} ({_counts_text(counts)})"
        + (f" over {len(space)} parameter{'s' if len(space) != 1 else ''}" if space else "")
        + f". Each trial cross-validates the config with the trial's parameter values; the study "
        f"tries to {direction} {metric} ({'higher' if gib else 'lower'} is better)."
    )
    if counts.get("pruned"):
        text += (
            " Pruned trials were stopped after some folds because their running mean was "
            "worse than other trials' at the same fold."
        )
    seconds = [t["seconds"] for t in rows if t["seconds"] is not None]
    if seconds:
        text += f" The trials took {fmt.duration(sum(seconds))} in all."
    section.text(text)


def _greater_is_better(run: Run, tuning: Mapping[str, Any]) -> bool:
    direction = tuning.get("direction")
    if direction in ("maximize", "minimize"):
        return direction == "maximize"
    return run.greater_is_better


def _comparison(section: Section, run: Run, tuning: Mapping[str, Any]) -> None:
    """The three honest numbers, and which parameters this run kept and why."""
    best_value = fmt.as_number(tuning.get("best_value"))
    untuned = fmt.as_number(tuning.get("untuned_fresh"))
    tuned = fmt.as_number(tuning.get("tuned_fresh"))
    if best_value is None and untuned is None and tuned is None:
        return
    metric = str(tuning.get("metric") or run.metric)
    gib = _greater_is_better(run, tuning)
    kept = tuning.get("kept") if tuning.get("kept") in ("tuned", "untuned") else None
    seed = tuning.get("fresh_seed")
    fresh = f"a fresh fold split (seed {seed})" if seed is not None else "a fresh fold split"
    best_number = tuning.get("best_trial")
    best_label = f"Best trial (#{best_number})" if best_number is not None else "Best trial"

    def used(which: str) -> str:
        return "yes" if kept == which else ("no" if kept else "—")

    rows = [
        [
            best_label,
            fmt.score(best_value),
            "the tuning folds: optimistic, since the trial was chosen on the folds it is scored on",
            "",
        ],
        ["Untuned (the config as written)", fmt.score(untuned), fresh, used("untuned")],
        ["Tuned (the best trial's parameters)", fmt.score(tuned), fresh, used("tuned")],
    ]
    section.subheading("Did tuning help?")
    section.table(
        ["parameters", f"CV {metric}", "scored on", "used by this run"],
        rows,
        caption=(
            f"CV {metric}, {'higher' if gib else 'lower'} is better. The best trial won among "
            "all trials on the same folds, so part of its lead is luck of those folds; the "
            "untuned and the tuned parameters are therefore scored again on a fold split no "
            "trial has seen. Compare those two."
        ),
        css="text",
    )
    if untuned is not None and tuned is not None:
        change = tuned - untuned
        gain = change if gib else -change
        text = (
            f"On the fresh split the tuned parameters score {fmt.score(tuned)} against "
            f"{fmt.score(untuned)} untuned: "
            + (
                f"{fmt.score(abs(change))} {'better' if gain > 0 else 'worse'}."
                if change
                else "the same."
            )
        )
        if best_value is not None:
            drop = (best_value - tuned) if gib else (tuned - best_value)
            if drop > 0:
                text += (
                    f" The best trial scored {fmt.score(best_value)} on the tuning folds; "
                    f"{fmt.score(drop)} of that did not carry over to new folds."
                )
        section.text(text)
    if kept is not None:
        better = _better(untuned, tuned, gib)
        tie = untuned is not None and tuned is not None and untuned == tuned
        reason = _kept_reason(kept, better, _keep_setting(run), tie)
        level = "good" if better is None or better == kept else "warn"
        section.verdict(level, f"This run uses the {kept} parameters", f"Because {reason}.")


def _snippet(section: Section, tuning: Mapping[str, Any]) -> None:
    best = tuning.get("best_params")
    if not isinstance(best, Mapping) or not best:
        return
    kept = tuning.get("kept")
    section.subheading("The best parameters")
    if kept == "untuned":
        lead = (
            "This run kept the untuned parameters; the best trial's parameters, should you "
            "want to try them:"
        )
    else:
        lead = "The best trial's parameters, ready to paste into a config:"
    section.text(lead)
    caption = (
        "Merge it into the config's sections of the same name (a key already there takes the "
        "new value), or give the same values on the command line: "
        + " ".join(set_options(best))
        + "."
    )
    if any(_is_list_path(str(p)) for p in best):
        caption += (
            " A path through a list, such as a feature step's parameter, is a comment in the "
            "snippet: edit that item of the list, or use its --set."
        )
    section.code(config_snippet(best), caption=caption)
    notes = _edge_notes(tuning, best)
    for note in notes:
        section.text(note, "note")


def _edge_notes(tuning: Mapping[str, Any], best: Mapping[str, Any]) -> list[str]:
    """A note for each numeric parameter whose best value lies at an end of its range: the best
    may be beyond it."""
    space = tuning.get("space") if isinstance(tuning.get("space"), Mapping) else {}
    notes = []
    for path, dist in space.items():
        value = fmt.as_number(best.get(path))
        bounds = ptune.range_bounds(dist) if isinstance(dist, Mapping) else None
        if value is None or bounds is None or bounds[0] >= bounds[1]:
            continue
        lo, hi = bounds
        if dist.get("log") and lo > 0 and value > 0:
            lo, hi, value = math.log(lo), math.log(hi), math.log(value)
        share = (value - lo) / (hi - lo)
        if share <= EDGE or share >= 1 - EDGE:
            end = "lower" if share <= EDGE else "upper"
            shown = ptune.value_label(best.get(path))
            notes.append(
                f"{path}: the best value {shown} is at the {end} end of its search range "
                f"[{ptune.value_label(bounds[0])}, {ptune.value_label(bounds[1])}]; the best may "
                "lie beyond it, so consider widening the range."
            )
    return notes


def slice_paths(tuning: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """The parameters to draw slices of: the two most important, else the first two of the
    space (else of the best parameters), among those some complete trial set."""
    importances = _importances(tuning)
    if importances:
        candidates = sorted(importances, key=lambda p: -importances[p])
    else:
        space = tuning.get("space")
        best = tuning.get("best_params")
        source = space if isinstance(space, Mapping) and space else best
        candidates = [str(p) for p in source] if isinstance(source, Mapping) else []
    complete = [t for t in rows if t["state"] == "complete" and t["value"] is not None]
    present = {p for t in complete for p in t["params"]}
    return [p for p in candidates if p in present][:SLICES]


def _importances(tuning: Mapping[str, Any]) -> dict[str, float]:
    raw = tuning.get("param_importances")
    if not isinstance(raw, Mapping):
        return {}
    out = {str(k): fmt.as_number(v) for k, v in raw.items()}
    return {k: v for k, v in out.items() if v is not None}


def _file_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_").lower() or "parameter"


def _figures(
    section: Section, run: Run, tuning: Mapping[str, Any], rows: list[dict], figs: Figures
) -> None:
    gib = _greater_is_better(run, tuning)
    metric = str(tuning.get("metric") or run.metric)
    best_number = tuning.get("best_trial")
    best_number = int(best_number) if fmt.as_number(best_number) is not None else None
    if any(t["value"] is not None for t in rows) or any(t["state"] == "fail" for t in rows):
        section.figure(
            figs.make(
                "tuning_history",
                "Optimisation history",
                "each blue dot is one complete trial's CV score on the tuning folds, in the "
                "order the trials ran; the red line is the best score so far and the yellow star "
                "the best trial. Hollow grey circles are pruned trials, drawn at their running "
                "mean when they were stopped (fewer folds, so noisier); faint dashed vertical "
                "lines are failed trials. A line that has stopped improving means more trials "
                "are unlikely to help.",
                lambda: ptune.history_figure(rows, gib, metric, best_number),
            )
        )
    importances = _importances(tuning)
    if importances:
        section.figure(
            figs.make(
                "tuning_importance",
                "Parameter importance",
                "how much of the variation of the score across the complete trials each "
                "parameter explains (Optuna's parameter importance; the shares add up to 100%). "
                "A parameter near 0% barely mattered in this range: fix it and tune the others.",
                lambda: ptune.importance_figure(importances),
            )
        )
    paths = slice_paths(tuning, rows)
    if paths:
        space = tuning.get("space") if isinstance(tuning.get("space"), Mapping) else {}
        last = max((t["number"] for t in rows), default=None)
        items = []
        for path in paths:
            dist = space.get(path)
            log = isinstance(dist, Mapping) and bool(dist.get("log"))
            items.append(
                figs.make(
                    f"tuning_slice_{_file_name(path)}",
                    f"Score vs {path}",
                    f"each dot is one complete trial: its value of {path} and its CV score; "
                    "darker dots are later trials, the star is the best trial. "
                    + ("The x axis is logarithmic, as the search samples it. " if log else "")
                    + (
                        "Categories are spread a little sideways so that dots do not hide each "
                        "other. "
                        if ptune.slice_kind(dist, ptune.slice_points(rows, path)[0])
                        == "categorical"
                        else "The dotted lines are the ends of the search range. "
                    )
                    + "Dots that crowd to one side show where the sampler found good scores; "
                    "a flat cloud means this parameter matters little.",
                    lambda path=path, dist=dist: ptune.slice_figure(
                        rows, path, dist, gib, metric, best_number, last
                    ),
                )
            )
        if importances:
            which = (
                "the most important parameter"
                if len(paths) == 1
                else ("the two most important parameters")
            )
        else:
            which = (
                "the tuned parameter"
                if len(paths) == 1
                else ("the first two parameters of the search space")
            )
        section.subheading(f"Score against {which}")
        section.figures_row(items)


def _failures(section: Section, rows: list[dict[str, Any]]) -> None:
    failed = [t for t in rows if t["state"] == "fail"]
    if not failed:
        return
    by_message: dict[str, list[int]] = {}
    for trial in failed:
        message = " ".join(str(trial["error"] or "").split()) or (
            "no message (the trial was interrupted or its worker stopped)"
        )
        if len(message) > ERROR_CHARS:
            message = message[: ERROR_CHARS - 1] + "…"
        by_message.setdefault(message, []).append(trial["number"])
    ranked = sorted(by_message.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))
    shown = ranked[:ERRORS_SHOWN]

    def numbers(found: list[int]) -> str:
        listed = ", ".join(f"#{n}" for n in found[:8])
        return listed + (f" and {len(found) - 8} more" if len(found) > 8 else "")

    section.subheading("Failed trials")
    caption = (
        f"{len(failed)} trial{'s' if len(failed) != 1 else ''} failed: the model or a step "
        "rejected the trial's values. The study went on without them."
    )
    if len(ranked) > ERRORS_SHOWN:
        caption += f" The {ERRORS_SHOWN} most frequent of {len(ranked)} distinct messages."
    section.table(
        ["error", "trials", "how many"],
        [[message, numbers(found), len(found)] for message, found in shown],
        caption=caption,
        css="text",
    )


def tuning_section(run: Run, figs: Figures) -> Section | None:
    """The Tuning section of a run made by ``workbench tune``; ``None`` without tuning.json."""
    tuning = run.tuning
    if not isinstance(tuning, Mapping):
        return None
    section = Section(
        "tuning",
        "Tuning",
        "This run is the final run of a tuning study: its parameters were searched by trying "
        "many values, each scored by cross-validation.",
    )
    rows = trials(tuning)
    _overview(section, run, tuning, rows)
    _comparison(section, run, tuning)
    _snippet(section, tuning)
    _figures(section, run, tuning, rows, figs)
    _failures(section, rows)
    return section
