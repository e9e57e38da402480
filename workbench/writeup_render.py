"""The write-up as Markdown (``competitions/<name>/WRITEUP.md``, for GitHub) and its HTML twin
(``competitions/<name>/writeup/WRITEUP.html``, the same Markdown rendered with the report's
style), with the final run's key figures copied to ``writeup/figures/``. Scores have 5
decimals, as ``leaderboard`` and ``compare`` show them."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench import leaderboard
from workbench.compare import Comparison, direction_word, score, signed, verdict
from workbench.configdiff import Change, diff, show
from workbench.io import write_bytes, write_text
from workbench.report import formats as fmt
from workbench.report import html as report_html
from workbench.report.run import Run, cv_text
from workbench.report.tuning_section import _counts_text, state_counts, trials
from workbench.writeup import Facts, Features

WRITEUP_FILE = "WRITEUP.md"
FOLDER = "writeup"  # beside WRITEUP.md: the HTML twin and figures/
MISSING_SHOWN = 10
RELATED_SHOWN = 5
CHANGES_SHOWN = 6
NO_SCORE = {"name", "description", "report", "tune", "threads"}  # config keys left out of diffs

# The final run's figures a write-up shows (file name under figures/, title), by task; then the
# first importance figure it has.
KEY_FIGURES = {
    "binary": [("roc.png", "ROC curve per fold"), ("confusion.png", "Confusion matrices")],
    "multiclass": [
        ("roc_per_class.png", "One-vs-rest ROC per class"),
        ("confusion.png", "Confusion matrix"),
    ],
    "regression": [
        ("pred_vs_actual.png", "Predicted vs actual (out of fold)"),
        ("residuals.png", "Residuals vs predicted"),
    ],
}
IMPORTANCE_FIGURES = [
    ("shap_importance.png", "Mean |SHAP| per feature"),
    ("importance_permutation.png", "Permutation importance"),
    ("importance_model.png", "The model's own feature importance"),
]
METRIC_WORDS = {
    "accuracy": "the share of test rows whose label is right",
    "roc_auc": "the area under the ROC curve of the predicted probabilities",
    "log_loss": "the mean negative log-likelihood of the true class",
    "rmse": "the root mean squared error",
    "rmse_log": "the root mean squared error between the logs of prediction and truth, so "
    "an error of 0.1 is about 10% whatever the price",
    "mae": "the mean absolute error",
}


@dataclass(frozen=True)
class Written:
    markdown: Path
    html: Path
    figures: list[Path]


def write_writeup(facts: Facts) -> Written:
    """Write WRITEUP.md, writeup/WRITEUP.html and writeup/figures/ (each file atomically;
    figures no longer shown are removed)."""
    directory = facts.competition.directory
    folder = directory / FOLDER
    facts.project.check_folders(directory, folder / "figures")  # before anything is written
    figures = copy_figures(facts.final, folder / "figures")
    markdown = render(facts, [(f"{FOLDER}/figures/{name}", title) for name, title in figures])
    twin = render(facts, [(f"figures/{name}", title) for name, title in figures])
    md_path = write_text(directory / WRITEUP_FILE, markdown)
    html_path = write_text(folder / "WRITEUP.html", to_html(twin, title_of(facts)))
    return Written(md_path, html_path, [folder / "figures" / name for name, _ in figures])


def copy_figures(run: Run, dest: Path) -> list[tuple[str, str]]:
    """Copy the final run's key figures to ``dest`` at the size the report shows them (its
    PNGs have twice the pixels); the (file name, title) of each."""
    from PIL import Image

    have = [f for f in IMPORTANCE_FIGURES if (run.path / "figures" / f[0]).is_file()]
    wanted = [*KEY_FIGURES.get(run.task, []), *have[:1]]
    chosen = [f for f in wanted if (run.path / "figures" / f[0]).is_file()]
    for name, _ in chosen:
        with Image.open(run.path / "figures" / name) as image:
            small = image.reduce(2)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        write_bytes(dest / name, out.getvalue())
    if dest.is_dir():
        for stale in dest.glob("*.png"):
            if stale.name not in {name for name, _ in chosen}:
                stale.unlink()
    return chosen


def title_of(facts: Facts) -> str:
    spec = facts.competition.spec
    return f"{spec.title or spec.name}: write-up"


def render(facts: Facts, figures: list[tuple[str, str]]) -> str:
    """The write-up in Markdown; ``figures`` are (path relative to the file, title)."""
    parts: list[Callable[[Facts], list[str]]] = [
        problem,
        data,
        feature_engineering,
        validation,
        experiments,
        tuning,
        final_model,
        lambda f: key_figures(figures),
        did_not_help,
        reproduce,
        notes,
    ]
    lines = header(facts)
    for part in parts:
        lines += ["", *part(facts)]
    return "\n".join(lines).rstrip() + "\n"


def code(value: Any) -> str:
    """An inline code span that holds any text (backticks included)."""
    text = str(value)
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]], right: set[int] = frozenset()) -> list[str]:
    """A GitHub Markdown table; the columns in ``right`` are right-aligned."""
    align = ["---:" if i in right else ":---" for i in range(len(header))]
    return [
        "| " + " | ".join(map(cell, header)) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(map(cell, row)) + " |" for row in rows),
    ]


def _direction(greater_is_better: bool) -> str:
    return "higher is better" if greater_is_better else "lower is better"


def header(f: Facts) -> list[str]:
    n = len(f.board.runs)
    return [
        f"# {title_of(f)}",
        "",
        f"Generated by {code(f'workbench writeup {f.competition.spec.name}')} from the {n} "
        f"finished run{'s' if n != 1 else ''} of the competition (runs/"
        f"{f.competition.spec.name}/ and the run index): every number below is read from the "
        f"run files. Final run: {code(f.final_row.run_id)}.",
    ]


def problem(f: Facts) -> list[str]:
    spec, record = f.competition.spec, f.final.record
    metric = record.metric
    words = METRIC_WORDS.get(metric.name)
    what = {"label": "the predicted label", "probability": "predicted probabilities"}
    return [
        "## The problem",
        "",
        f"Kaggle competition [{code(spec.slug)}](https://www.kaggle.com/competitions/{spec.slug}),"
        f" a {spec.task} task: predict {code(spec.target)} for every {code(spec.id_column)} "
        f"of the test set; the submission holds "
        f"{what.get(spec.submission.prediction, 'the predicted value')}.",
        "",
        f"Metric: **{metric.name}** ({_direction(metric.greater_is_better)})"
        + (f": {words}." if words else "."),
    ]


def data(f: Facts) -> list[str]:
    profile = f.final.profile
    lines = ["## The data", ""]
    if not isinstance(profile, dict):
        return [*lines, "The final run has no data_profile.json: nothing to say about the data."]
    lines.append(
        f"{fmt.count(profile.get('n_train'))} training rows and "
        f"{fmt.count(profile.get('n_test'))} test rows (the final run's data_profile.json)."
    )
    dist = profile.get("target_distribution")
    if isinstance(dist, dict):
        lines += ["", target_text(str(profile.get("target", "target")), dist)]
    missing = [m for m in profile.get("missing") or [] if isinstance(m, dict)]
    if missing:
        top = sorted(missing, key=lambda m: -max(m.get("train") or 0, m.get("test") or 0))
        lines += ["", f"Missing values in {len(missing)} columns (share of empty cells):", ""]
        rows = [
            [code(m.get("column")), fmt.percent(m.get("train")), fmt.percent(m.get("test"))]
            for m in top[:MISSING_SHOWN]
        ]
        lines += table(["column", "train", "test"], rows, right={1, 2})
        if len(missing) > MISSING_SHOWN:
            lines += ["", f"and {len(missing) - MISSING_SHOWN} more columns with fewer."]
    else:
        lines += ["", "No missing values in train or test."]
    related = [r for r in profile.get("related") or [] if isinstance(r, dict)]
    if related:
        method = str(related[0].get("method", "")).replace("_", " ")
        shown = ", ".join(
            f"{code(r.get('feature'))} {fmt.score(r.get('score'))}" for r in related[:RELATED_SHOWN]
        )
        lines += ["", f"Raw columns most related to the target ({method}): {shown}."]
    return lines


def target_text(target: str, dist: Mapping[str, Any]) -> str:
    """The target's distribution in one sentence."""
    counts = dist.get("counts")
    if dist.get("kind") == "classes" and isinstance(counts, Mapping):
        total = sum(counts.values()) or 1
        shares = ", ".join(
            f"{code(k)} {fmt.count(v)} ({fmt.percent(v / total)})" for k, v in counts.items()
        )
        return f"Target {code(target)}: {shares}."
    if dist.get("kind") == "values":
        import numpy as np

        values = np.asarray(dist.get("values") or [], dtype=float)
        summary = {"n": len(values), "mean": values.mean(), "median": np.median(values)}
        edges = [values.min(), values.max()] if len(values) else []
    else:
        summary = dist
        edges = list(dist.get("edges") or [])
    show_value = fmt.target_format([summary.get("mean"), summary.get("median")])
    text = (
        f"Target {code(target)}: {fmt.count(summary.get('n'))} values, mean "
        f"{show_value(summary.get('mean'))}, median {show_value(summary.get('median'))}"
    )
    if edges:
        text += f", from {show_value(edges[0])} to {show_value(edges[-1])}"
    log = dist.get("log")
    if isinstance(log, Mapping) and log.get("skew") is not None:
        text += (
            f"; skewed to the right (skewness {float(log['skew']):.2f}), which is why prices "
            "are modelled and scored in log space"
        )
    return text + "."


def feature_engineering(f: Facts) -> list[str]:
    lines = ["## Feature engineering", ""]
    if f.blend is not None:
        lines += ["The final run is a blend of other runs: each member's feature steps follow."]
    for i, config in enumerate(f.features):
        if f.blend is not None:
            lines += [
                "",
                f"### Member {i + 1}: {code(config.name)} ({code(config.run_id)}, {config.model})",
                "",
            ]
        same = next((j for j in range(i) if f.features[j].steps == config.steps), None)
        if same is not None:
            lines.append(f"The same feature steps as member {same + 1}.")
        else:
            lines += steps_lines(config)
    return lines


def steps_lines(config: Features) -> list[str]:
    """One config's feature steps, numbered, each with its parameters and description."""
    intro = f"The config {code(config.name)}"
    lines = [intro + (f": {config.description}" if config.description else ".")]
    if not config.steps:
        return [*lines, "", "It has no feature steps: the model sees the raw columns."]
    lines += [
        "",
        "Its feature steps, in the order they run, each fitted on the training rows of the "
        "fold only (what a step learns never sees the rows it is scored on):",
        "",
    ]
    for i, step in enumerate(config.steps, 1):
        params = f" {code(show(step.params))}" if step.params else ""
        words = f" — {step.description}" if step.description else ""
        lines.append(f"{i}. {code(step.name)}{params}{words}")
    return lines


def scheme_reason(run: Run) -> str:
    """Why the run's CV scheme suits its task, in words."""
    cv, config = run.record.cv, run.config.get("cv") or {}
    classification = run.task != "regression"
    reasons = {
        "stratified_kfold": (
            "stratified: every fold keeps the class shares of the training data, so no fold "
            "is short of the rarer class and fold scores are comparable"
            if classification
            else f"stratified on {config.get('bins', 10)} quantile bins of the target: every fold "
            "sees the whole range of the target, its rare large values included"
        ),
        "kfold": "plain k-fold: the rows are exchangeable (no groups, no time order)",
        "group_kfold": f"grouped by {code(config.get('group_column'))}: the rows of one group "
        "are never split between training and validation, so near-duplicates cannot inflate "
        "the score",
    }
    reasons["stratified_group_kfold"] = reasons["group_kfold"] + ", and stratified on the target"
    text = reasons.get(cv.scheme, f"scheme {cv.scheme}")
    if cv.repeats > 1:
        text += (
            f"; repeated {cv.repeats} times with different shuffles, so the mean over "
            f"{cv.folds * cv.repeats} folds moves less with the seed"
        )
    return text


def validation(f: Facts) -> list[str]:
    record = f.final.record
    summary = record.summary
    lines = [
        "## Validation",
        "",
        f"The final run's CV: {cv_text(record.cv)}, seed {record.seed}; "
        f"{scheme_reason(f.final)}. Every score below is the mean ± standard deviation over "
        "those folds of the metric on each fold's validation rows, rows the model never saw "
        f"while training. The final run's fold-to-fold spread is {score(summary.valid_std)}: a "
        "difference between two runs smaller than that is within noise unless the paired test "
        "under What did not help says otherwise.",
    ]
    for where, result in f.drift:
        lines += ["", drift_text(where, result)]
    return lines


def drift_text(where: str, drift: Mapping[str, Any]) -> str:
    """What adversarial validation (``workbench drift``, drift.json) found, in one paragraph."""
    return (
        f"Adversarial validation ({where}, {drift.get('compared', 'the data')}): a classifier "
        f"telling test rows from training rows scores a ROC AUC of {score(drift.get('auc'))} ± "
        f"{score(drift.get('auc_std'))} over {len(drift.get('fold_aucs') or [])} folds: "
        f"{drift.get('verdict', 'no verdict recorded')}."
    )


def experiments(f: Facts) -> list[str]:
    board = f.board
    lines = [
        "## Experiments",
        "",
        leaderboard.title(board) + ". CV is the mean ± std over folds; public is Kaggle's "
        "public score where the submission was synced (`workbench sync`).",
        "",
        *leaderboard.to_markdown(board).rstrip("\n").splitlines(),
    ]
    if all(run.public_score is None for run in board.runs):
        lines += ["", "No run has a public score yet."]
    return lines


def tuning(f: Facts) -> list[str]:
    lines = ["## Tuning", ""]
    if not f.tuned:
        return [*lines, "No run came from a tuning study (`workbench tune`)."]
    for run, study in f.tuned:
        counts = _counts_text(state_counts(study, trials(study)))
        space = ", ".join(code(path) for path in study.get("space") or {})
        best = study.get("best_params") or {}
        lines += [
            f"- {code(run.run_id)} ({code(run.config_name)}): study {code(study.get('study'))}, "
            f"trials {counts}, searching {space or 'the default space'}. The best trial "
            f"(#{study.get('best_trial')}) scored {score(study.get('best_value'))} on the tuning "
            "folds, which is optimistic: it was chosen on those folds. On a fresh fold split "
            f"(seed {study.get('fresh_seed')}) the untuned config scored "
            f"{score(study.get('untuned_fresh'))} and the tuned one "
            f"{score(study.get('tuned_fresh'))}; the run kept the **{study.get('kept')}** "
            f"parameters. Best parameters: "
            + (", ".join(code(f"{k}={show(v)}") for k, v in best.items()) or "none")
            + "."
        ]
    return lines


def final_model(f: Facts) -> list[str]:
    record, row = f.final.record, f.final_row
    model = f.final.config.get("model") or {}
    lines = [
        "## The final model",
        "",
        f"The rule: the final run is the one with the best CV {record.metric.name} among the "
        "competition's runs scored with its metric (the first row of the experiments table; "
        "ties go to the older run).",
        "",
        f"- run {code(row.run_id)}, config {code(row.config_name)}, created {row.created_at}",
        f"- CV {record.metric.name} {score(record.summary.valid_mean)} ± "
        f"{score(record.summary.valid_std)} over {len(record.folds)} folds; out-of-fold "
        f"{score(record.summary.oof_score)}"
        + (f"; public score {score(row.public_score)}" if row.public_score is not None else ""),
    ]
    if record.threshold is not None:
        lines.append(
            f"- decision threshold of the submission: {fmt.threshold(record.threshold.used)}"
        )
    if f.blend is not None:
        return [*lines, "", *blend_lines(f.blend)]
    params = model.get("params") or {}
    members = params.get("estimators") if model.get("kind") == "voting" else None
    if members:
        weights = params.get("weights") or [1] * len(members)
        lines += ["", f"A {code('voting')} blend of {len(members)} models:", ""]
        rows = [
            [i, code(m.get("kind")), code(show(m.get("params") or {})), show(w)]
            for i, (m, w) in enumerate(zip(members, weights, strict=False), 1)
        ]
        lines += table(["#", "kind", "parameters", "weight"], rows, right={0, 3})
    else:
        lines.append(f"- model {code(model.get('kind', record.model))}: {code(show(params))}")
    if row in [run for run, _ in f.tuned]:
        lines += [
            "",
            "Its parameters come from a tuning study, and its CV is on the folds they were "
            "chosen on: the fresh-split scores under Tuning are the honest comparison.",
        ]
    return lines


def blend_lines(blend: Mapping[str, Any]) -> list[str]:
    """A blend run's method, how its score was made, its members and weights (blend.json)."""
    members = [m for m in blend.get("members") or [] if isinstance(m, Mapping)]
    rows = [
        [
            code(m.get("run_id")),
            code(m.get("config_name")),
            m.get("model", ""),
            f"{score(m.get('cv_mean'))} ± {score(m.get('cv_std'))}",
            "—" if m.get("weight") is None else score(m["weight"]),
        ]
        for m in members
    ]
    return [
        f"A {code(blend.get('method'))} blend of {len(members)} runs: "
        f"{blend.get('procedure', '')}.",
        "",
        *table(["member run", "config", "model", "its CV", "weight"], rows, right={3, 4}),
    ]


def key_figures(figures: list[tuple[str, str]]) -> list[str]:
    lines = ["## Key figures", ""]
    if not figures:
        return [*lines, "The final run has no figures (its report was off)."]
    for path, title in figures:
        lines += [f"![{title}]({path})", ""]
    lines.append("From the final run's report (report.html in its run directory).")
    return lines


def did_not_help(f: Facts) -> list[str]:
    lines = ["## What did not help", ""]
    metric = f.final.record.metric
    if not f.worse:
        return [*lines, "No run scored worse than the final one."]
    shown = f"the {len(f.worse)} best of them below" if f.worse_total > len(f.worse) else "below"
    lines += [
        f"{f.worse_total} runs scored a worse CV {metric.name} than the final run ({shown}). "
        "For each: what its config changes from the final one's (for a blend: from its closest "
        "member's), the CV difference, and the "
        "corrected resampled t-test (Nadeau & Bengio) over the folds both were scored on.",
        "",
    ]
    weights = {
        str(m.get("run_id")): m.get("weight")
        for m in (f.blend or {}).get("members") or []
        if isinstance(m, Mapping)
    }
    for c in f.worse:
        lines += worse_lines(c, weights, reference(f, c))
    return lines


def reference(f: Facts, c: Comparison) -> tuple[str, list[Change] | None]:
    """What a worse run's config is compared with: the final config, or for a blend the
    member config closest to it; its name and the changes that can move scores."""
    if c.b.config is None:
        return "the final config", None
    candidates = [("the final config", c.changes or [])]
    if f.blend is not None:
        candidates = [
            (f"member {i}'s config", diff(m.config, c.b.config))
            for i, m in enumerate(f.features, 1)
        ] or candidates
    scored = [
        (name, [ch for ch in ch_ if ch.key.split(".")[0] not in NO_SCORE])
        for name, ch_ in candidates
    ]
    return min(scored, key=lambda item: len(item[1]))


def worse_lines(
    c: Comparison, members: Mapping[str, Any], ref: tuple[str, list[Change] | None]
) -> list[str]:
    """One run that scored worse than the final one; ``members``: the final blend's members
    and their weights; ``ref``: what its config is compared with (:func:`reference`)."""
    final, run = c.a.record, c.b.record
    metric = final.metric
    delta = run.summary.valid_mean - final.summary.valid_mean
    word = direction_word(delta, metric.greater_is_better)
    lines = [
        f"- {code(run.config_name)} ({code(run.run_id)}, {run.model}): CV "
        f"{score(run.summary.valid_mean)} ± {score(run.summary.valid_std)}, "
        f"{signed(delta)} ({word})."
    ]
    if run.run_id in members:
        weight = members[run.run_id]
        lines.append(
            "  A member of the final blend"
            + (f" (weight {score(weight)})." if weight is not None else ".")
        )
    elif ref[1] is None:
        lines.append("  Its config changes: unknown (no readable config.yaml).")
    elif not ref[1]:
        lines.append(f"  Its config matches {ref[0]} in everything that can move scores.")
    else:
        texts = [code(change.text()) for change in ref[1][:CHANGES_SHOWN]]
        more = len(ref[1]) - CHANGES_SHOWN
        lines.append(
            f"  Changed from {ref[0]}: "
            + "; ".join(texts)
            + (f"; and {more} more" if more > 0 else "")
            + "."
        )
    if c.test is None:
        lines.append("  Not paired: " + "; ".join(c.why_not_paired) + ".")
    else:
        lines.append(f"  Paired over {c.test.n} folds: {verdict(c.test, metric.name)}.")
    return lines


def reproduce(f: Facts) -> list[str]:
    made = (
        "This runs each member again (their configs resolve to the members' own), then blends "
        "the new runs the same way"
        if f.blend is not None
        else "This makes a new run whose config resolves to the final run's"
    )
    return [
        "## Reproduce the final submission",
        "",
        "```sh",
        *f.reproduce,
        "```",
        "",
        f"{made}: same seed, same folds, hence the same CV scores, and a submission under "
        f"submissions/{f.competition.spec.name}/, given the data files whose sha256 are in the "
        "final run's fingerprint.json.",
    ]


def notes(f: Facts) -> list[str]:
    if f.notes is None:
        return []
    return ["## Notes", "", f.notes]


def to_html(markdown: str, title: str) -> str:
    """The Markdown as one HTML page in the report's style (raw HTML in it is escaped)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    style = re.search(r"<style>.*?</style>", report_html.TEMPLATE, re.S)
    css = style.group(0) if style else ""
    extra = "<style>main img { max-width: 100%; } code { font-size: 13px; }</style>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{css}\n{extra}\n</head>\n<body>\n<main>\n"
        f"{body}</main>\n</body>\n</html>\n"
    )
