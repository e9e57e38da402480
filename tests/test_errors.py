"""Every user mistake the workbench recognises, through the real command line.

One case per row of ``docs/errors.md`` (the case id is the table's test id). Each case builds
the synthetic project (the ``project`` fixture), breaks it in one way, runs the CLI and checks
what a user sees: exit code 2, one message on stderr that starts with ``error:``, names the
file and/or field and says what is wrong, no traceback, and nothing written (no run
directory, no ``.partial``, no submission, no other file in the project).
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from blend_runs import copy_run
from synthetic import BASE_FEATURES, LOGISTIC_BINARY

from workbench.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"

BASE = {**LOGISTIC_BINARY, "cv": {"folds": 3}}


@dataclass(frozen=True)
class Case:
    """``setup(project)`` breaks the project in one way and returns the CLI arguments."""

    setup: Callable[[Path], list[str]]
    words: tuple[str, ...]  # all must appear in the message
    where: str  # the file and/or field the first line must name
    subprocess: bool = False  # through ``python -m workbench`` instead of ``main``
    # a mistake only one fold's data shows may come after the lines of the folds before it
    after_folds: bool = False


# --- helpers -------------------------------------------------------------------------------


def write(project: Path, body: dict, name: str = "c") -> Path:
    path = project / "configs" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def run_with(body: dict, *extra: str) -> Callable[[Path], list[str]]:
    """A setup that writes ``body`` as configs/c.yaml and runs it."""

    def setup(project: Path) -> list[str]:
        return ["run", str(write(project, body)), *extra]

    return setup


def changed(**changes) -> dict:
    return {**BASE, **changes}


def data(project: Path, name: str, competition: str = "synth_binary") -> Path:
    return project / "competitions" / competition / "data" / name


def edit_csv(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    edit(pd.read_csv(path)).to_csv(path, index=False)


def edit_spec(project: Path, competition: str, **changes) -> None:
    path = project / "competitions" / competition / "competition.yaml"
    spec = yaml.safe_load(path.read_text())
    spec.update(changes)
    path.write_text(yaml.safe_dump(spec))


def then_run(body: dict, *extra: str) -> Callable[[Callable[[Path], None]], Callable]:
    """Decorator: the function breaks the project; the case then runs ``body``."""

    def wrap(breaker: Callable[[Path], None]) -> Callable[[Path], list[str]]:
        def setup(project: Path) -> list[str]:
            breaker(project)
            return run_with(body, *extra)(project)

        return setup

    return wrap


def raw_config(text: str | bytes) -> Callable[[Path], list[str]]:
    def setup(project: Path) -> list[str]:
        path = project / "configs" / "c.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return ["run", str(path)]

    return setup


REG = {"competition": "synth_reg", "features": BASE_FEATURES, "report": False, "cv": {"folds": 3}}
MULTI = {**REG, "competition": "synth_multi", "model": {"kind": "logistic"}}


def model(kind: str, **params) -> dict:
    return changed(model={"kind": kind, "params": params})


# --- the setups that need more than a config ----------------------------------------------


def extends_loop(project: Path) -> list[str]:
    write(project, {"extends": "b.yaml", **BASE}, "a")
    return ["run", str(write(project, {"extends": "a.yaml"}, "b"))]


def path_traversal(project: Path) -> list[str]:
    outside = project / "outside"
    (outside / "data").mkdir(parents=True)
    marker = project / "MARKER"
    spec = yaml.safe_load((project / "competitions/synth_binary/competition.yaml").read_text())
    (outside / "competition.yaml").write_text(yaml.safe_dump({**spec, "name": "outside"}))
    (outside / "features.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
        "from workbench.features import feature\n\n\n@feature\ndef mark(frame):\n"
        "    return frame\n"
    )
    return run_with(changed(competition="../outside", features=["../outside.mark"]))(project)


def spec_name_mismatch(project: Path) -> None:
    edit_spec(project, "synth_binary", name="synth_other")


RAISING_FEATURES = '''
from workbench.features import feature


@feature
def ratio(frame):
    """Divides by a column that is not there yet."""
    frame["ratio"] = frame["x1"] / int(frame["color"].iloc[0])
    return frame
'''

IMPORT_FAILS = """
from workbench.features import feature

THRESHOLD = 1 / 0
"""


def own_code(text: str) -> Callable[[Path], list[str]]:
    def setup(project: Path) -> list[str]:
        (project / "competitions/synth_binary/features.py").write_text(text)
        sys.modules.pop("workbench_competitions.synth_binary.features", None)
        return run_with(changed(features=["synth_binary.ratio", *BASE_FEATURES]))(project)

    return setup


def gzip_train(project: Path) -> None:
    path = data(project, "train.csv")
    path.write_bytes(gzip.compress(path.read_bytes()))


def header_only(kind: str) -> Callable[[Path], None]:
    def breaker(project: Path) -> None:
        path = data(project, kind)
        path.write_text(path.read_text().splitlines()[0] + "\n")

    return breaker


def duplicate_ids(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.assign(Id=[1, 1, *f["Id"][2:]]))


def sample_ids_differ(project: Path) -> None:
    edit_csv(data(project, "sample.csv"), lambda f: f.assign(Id=[999_999, *f["Id"][1:]]))


def three_classes(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.assign(label=[2, *f["label"][1:]]))


def two_classes(project: Path) -> None:
    path = data(project, "train.csv", "synth_multi")
    edit_csv(path, lambda f: f.assign(label=f["label"].replace("mid", "low")))


def single_class(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.assign(label=1))


def target_missing(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.assign(label=[None, *f["label"][1:]]))


def text_target(project: Path) -> None:
    path = data(project, "train.csv", "synth_reg")
    edit_csv(path, lambda f: f.assign(label=["high", *f["label"][1:]]))


def test_lacks_column(project: Path) -> None:
    edit_csv(data(project, "test.csv"), lambda f: f.drop(columns=["noise"]))


def id_column_missing(project: Path) -> None:
    edit_csv(data(project, "test.csv"), lambda f: f.rename(columns={"Id": "id"}))


def target_column_missing(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.rename(columns={"label": "Label"}))


def not_utf8_train(project: Path) -> None:
    path = data(project, "train.csv")
    path.write_bytes(path.read_bytes().replace(b"red", b"r\xe9d", 1))


def rare_class(project: Path) -> None:
    path = data(project, "train.csv", "synth_multi")
    edit_csv(path, lambda f: f.assign(label=["rare", "rare", *f["label"][2:]]))


def rare_rows(count: int) -> Callable[[Path], None]:
    def breaker(project: Path) -> None:
        path = data(project, "train.csv", "synth_multi")
        edit_csv(path, lambda f: f.assign(label=["rare"] * count + list(f["label"][count:])))

    return breaker


def extreme_test_rows(project: Path) -> None:
    path = data(project, "test.csv", "synth_reg")
    edit_csv(path, lambda f: f.assign(x1=[-1e6, *f["x1"][1:]]))


def negative_target(project: Path) -> None:
    path = data(project, "train.csv", "synth_reg")
    edit_csv(path, lambda f: f.assign(label=[-5.0, *f["label"][1:]]))


def file_where_folder(folder: str) -> Callable[[Path], None]:
    def breaker(project: Path) -> None:
        (project / folder).write_text("a file where the folder should be\n")

    return breaker


def ragged_row(project: Path) -> None:
    path = data(project, "train.csv")
    path.write_text(path.read_text() + "999,1,2,red,3,1,EXTRA\n")


def repeated_header(project: Path) -> None:
    path = data(project, "train.csv")
    header, rest = path.read_text().split("\n", 1)
    path.write_text(header.replace("x2", "x1") + "\n" + rest)


def text_in_numbers(project: Path) -> None:
    edit_csv(data(project, "test.csv"), lambda f: f.assign(x2=["abc", *f["x2"][1:]]))


def text_in_empty(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.assign(note=None))
    edit_csv(data(project, "test.csv"), lambda f: f.assign(note=["abc", *[None] * (len(f) - 1)]))


def empty_id(project: Path) -> None:
    edit_csv(data(project, "train.csv"), lambda f: f.assign(Id=[None, *f["Id"][1:]]))


def train_file_named(name: str, content: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def breaker(project: Path) -> None:
        data(project, name).write_bytes(content(data(project, "train.csv").read_bytes()))
        edit_spec(
            project,
            "synth_binary",
            files={"train": name, "test": "test.csv", "sample_submission": "sample.csv"},
        )

    return breaker


def with_blank_columns(project: Path) -> None:
    """Add an all-missing text column, an all-missing and a constant numeric column (Parquet:
    a CSV would read the blank text column as numbers)."""
    files = {}
    for kind, name in (("train", "train"), ("test", "test"), ("sample_submission", "sample")):
        frame = pd.read_csv(data(project, f"{name}.csv"))
        if kind != "sample_submission":
            frame = frame.assign(note=pd.Series([None] * len(frame), dtype=object))
            frame = frame.assign(empty=float("nan"), one=1.0)
        frame.to_parquet(data(project, f"{name}.parquet"), index=False)
        files[kind] = f"{name}.parquet"
    edit_spec(project, "synth_binary", files=files)


def read_only_runs(project: Path) -> list[str]:
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions (runs-folder-is-a-file fails for root too)")
    (project / "runs").mkdir()
    (project / "runs").chmod(0o500)
    return run_with(BASE)(project)


def blend_of(*names: str, extra: tuple[str, ...] = (), breaker=None):
    """A setup that copies finished runs ``names`` (tests/blend_runs.py) to project/elsewhere/
    (so runs/ stays empty), optionally breaks the project, and blends them by path."""

    def setup(project: Path) -> list[str]:
        paths = [str(copy_run(project, name, indexed=False)) for name in names]
        if breaker is not None:
            breaker(project)
        return ["blend", *paths, *extra]

    return setup


def killed_run(project: Path) -> None:
    (project / "elsewhere" / ".20261130-000000-c-0000.partial").mkdir(parents=True)


def reg_target_changed(project: Path) -> None:
    path = data(project, "train.csv", "synth_reg")
    edit_csv(path, lambda f: f.assign(label=[1.0, *f["label"][1:]]))


def report_of(ref: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    return lambda project: ["report", ref(project)]


def drift_of(body: dict | None = None, breaker: Callable[[Path], object] = lambda p: None):
    """A setup that breaks the project, then runs ``workbench drift synth_binary`` (with
    ``body`` as configs/c.yaml when given)."""

    def setup(project: Path) -> list[str]:
        breaker(project)
        return ["drift", "synth_binary", *([str(write(project, body))] if body else [])]

    return setup


def one_test_row(project: Path) -> None:
    for name in ("test.csv", "sample.csv"):
        edit_csv(data(project, name), lambda f: f.head(1))


def only_constant_columns(project: Path) -> None:
    for name in ("train.csv", "test.csv"):
        edit_csv(data(project, name), lambda f: f.drop(columns=["x1", "x2", "color", "noise"]))
        edit_csv(data(project, name), lambda f: f.assign(one=1))


def read_only_runs_for_drift(project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    (project / "runs").mkdir()
    (project / "runs").chmod(0o500)


# --- the cases: one per row of docs/errors.md ------------------------------------------------

C = "configs/c.yaml"
SPEC = "competitions/synth_binary/competition.yaml"
TRAIN = "synth_binary/data/train.csv"
TEST = "synth_binary/data/test.csv"

CASES: dict[str, Case] = {
    # the config file
    "config-missing": Case(
        lambda p: ["run", "configs/nope.yaml"], ("file not found",), "configs/nope.yaml"
    ),
    "config-missing-subprocess": Case(
        lambda p: ["run", "configs/nope.yaml"],
        ("file not found",),
        "configs/nope.yaml",
        subprocess=True,
    ),
    "config-is-directory": Case(
        lambda p: (p / "configs").mkdir() or ["run", "configs"], ("is a directory",), "configs"
    ),
    "config-yaml-syntax": Case(
        raw_config("competition: synth_binary\nmodel: {kind: logistic\nreport: false\n"),
        ("YAML syntax error", "started on line 2"),
        C + ":3",
    ),
    "config-not-utf8": Case(
        raw_config(b"competition: synth_binary\nname: caf\xe9\nmodel: {kind: logistic}\n"),
        ("not UTF-8", "0xe9"),
        C,
        subprocess=True,
    ),
    "config-not-mapping": Case(raw_config("- a\n- b\n"), ("YAML mapping",), C),
    "config-unknown-key": Case(
        run_with({**BASE, "modle": {"kind": "logistic"}}),
        ("unknown key 'modle'", "did you mean 'model'"),
        C + ": modle",
    ),
    "config-unknown-nested-key": Case(
        run_with(changed(cv={"fold": 3})), ("unknown key 'fold'", "'folds'"), C + ": cv.fold"
    ),
    "config-wrong-type": Case(
        run_with(changed(cv={"folds": "five"})), ("integer", "'five'"), C + ": cv.folds"
    ),
    "config-wrong-type-list": Case(
        run_with(changed(features={"step": "impute"})), ("list",), C + ": features"
    ),
    "config-missing-required": Case(
        run_with({"competition": "synth_binary", "report": False}),
        ("required key is missing",),
        C + ": model",
    ),
    "config-extends-loop": Case(extends_loop, ("'extends' loop", "a.yaml -> b.yaml"), "a.yaml"),
    "config-extends-missing": Case(
        run_with({**BASE, "extends": "base.yaml"}), ("not found", "base.yaml"), C + ": extends"
    ),
    "config-extends-not-a-path": Case(
        run_with({**BASE, "extends": 3}), ("'extends' must be a path",), C + ": extends"
    ),
    # --set
    "set-malformed": Case(run_with(BASE, "--set", "cv.folds"), ("bad --set", "cv.folds"), "--set"),
    "set-bad-path": Case(
        run_with(BASE, "--set", "features[9].columns=[x1]"), ("no item [9]",), "--set"
    ),
    "set-bad-key": Case(run_with(BASE, "--set", "cv..folds=3"), ("bad key",), "--set"),
    "set-broken-yaml": Case(
        run_with(BASE, "--set", "features[0]={step: drop"), ("not valid YAML",), "--set"
    ),
    "set-into-a-value": Case(
        run_with(BASE, "--set", "model.kind.name=x"), ("'kind' is not a dict",), "--set"
    ),
    "set-wrong-type": Case(
        run_with(BASE, "--set", "cv.folds=many"), ("integer", "'many'"), C + ": cv.folds"
    ),
    # the competition
    "competition-unknown": Case(
        run_with(changed(competition="synth_binari")),
        ("unknown competition 'synth_binari'", "did you mean 'synth_binary'"),
        C + ": competition",
    ),
    "competition-path-traversal": Case(
        path_traversal, ("must be a plain name", "'../outside'"), C + ": competition"
    ),
    "competition-spec-name": Case(
        then_run(BASE)(spec_name_mismatch), ("differs from its folder",), SPEC + ": name"
    ),
    "competition-spec-bad-task": Case(
        then_run(BASE)(lambda p: edit_spec(p, "synth_binary", task="binar")),
        ("'binary'", "'binar'", "did you mean 'binary'"),
        SPEC + ": task",
    ),
    "competition-spec-unknown-key": Case(
        then_run(BASE)(lambda p: edit_spec(p, "synth_binary", traget="label")),
        ("unknown key 'traget'", "did you mean 'target'"),
        SPEC + ": traget",
    ),
    "competition-files-absolute": Case(
        then_run(BASE)(lambda p: edit_spec(p, "synth_binary", files={"train": "/etc/passwd"})),
        ("plain file name", "'/etc/passwd'"),
        SPEC + ": files.train",
    ),
    "competition-files-parent": Case(
        then_run(BASE)(lambda p: edit_spec(p, "synth_binary", files={"train": "../x.csv"})),
        ("plain file name", "'../x.csv'"),
        SPEC + ": files.train",
    ),
    "competition-metric-unknown": Case(
        then_run(BASE)(lambda p: edit_spec(p, "synth_binary", metric="acuracy")),
        ("unknown metric 'acuracy'", "did you mean 'accuracy'"),
        SPEC + ": metric",
    ),
    # the data files
    "data-missing": Case(
        then_run(BASE)(lambda p: data(p, "train.csv").unlink()),
        ("data file missing", "competitions/synth_binary/data/", "kaggle competitions download"),
        TRAIN,
    ),
    "data-is-directory": Case(
        then_run(BASE)(lambda p: data(p, "train.csv").unlink() or data(p, "train.csv").mkdir()),
        ("is a directory",),
        TRAIN,
    ),
    "data-gzip": Case(then_run(BASE)(gzip_train), ("gzip-compressed", "decompress"), TRAIN),
    "data-empty-file": Case(
        then_run(BASE)(lambda p: data(p, "train.csv").write_bytes(b"")),
        ("the file is empty",),
        TRAIN,
    ),
    "data-not-utf8": Case(then_run(BASE)(not_utf8_train), ("not UTF-8", "0xe9"), TRAIN),
    "data-ragged-row": Case(
        then_run(BASE)(ragged_row),
        ("cannot read the file", "Expected 6 fields in line 242, saw 7"),
        TRAIN,
    ),
    "data-repeated-header": Case(
        then_run(BASE)(repeated_header), ("repeats column name(s) ['x1']",), TRAIN
    ),
    "data-unknown-file-type": Case(
        then_run(BASE)(train_file_named("train.xlsx", lambda raw: b"PK\x03\x04" + raw)),
        ("cannot read a .xlsx file", "Parquet"),
        "synth_binary/data/train.xlsx",
    ),
    "data-named-compressed-but-plain": Case(
        then_run(BASE)(train_file_named("train.csv.gz", lambda raw: raw)),
        ("the name says .gz but the file is not compressed", "name it train.csv"),
        "synth_binary/data/train.csv.gz",
    ),
    "data-train-header-only": Case(
        then_run(BASE)(header_only("train.csv")), ("header but no rows",), TRAIN
    ),
    "data-test-header-only": Case(
        then_run(BASE)(header_only("test.csv")), ("header but no rows",), TEST
    ),
    "data-id-column-missing": Case(
        then_run(BASE)(id_column_missing), ("column 'Id' not found",), TEST
    ),
    "data-target-column-missing": Case(
        then_run(BASE)(target_column_missing), ("column 'label' not found",), TRAIN
    ),
    "data-id-empty": Case(
        then_run(BASE)(empty_id), ("id column 'Id' is empty in 1 row(s)", "data row 1"), TRAIN
    ),
    "data-duplicate-ids": Case(
        then_run(BASE)(duplicate_ids), ("duplicate id 1 in column 'Id'",), TRAIN
    ),
    "data-sample-ids-differ": Case(
        then_run(BASE)(sample_ids_differ),
        ("sample submission's ids differ", "999999", "10001"),
        "synth_binary/data/sample.csv",
        subprocess=True,  # a real process: nothing on stderr before it, no fold line
    ),
    "data-target-missing": Case(
        then_run(BASE)(target_missing), ("'label' is missing in 1 row(s)", "id 1"), TRAIN
    ),
    "data-binary-three-classes": Case(
        then_run(BASE)(three_classes),
        ("binary", "3 classes (0, 1, 2)", "multiclass"),
        SPEC + ": task",
    ),
    "data-multiclass-two-classes": Case(
        then_run({**MULTI, "metric": "roc_auc"})(two_classes),
        ("task is multiclass but the target 'label' has 2 classes ('high', 'low')", "binary"),
        "competitions/synth_multi/competition.yaml: task",
    ),
    "data-single-class": Case(then_run(BASE)(single_class), ("single class",), TRAIN),
    "data-regression-target-text": Case(
        then_run({**REG, "model": {"kind": "ridge"}})(text_target),
        ("regression target 'label' is not numeric",),
        "synth_reg/data/train.csv",
    ),
    "data-test-text-in-numbers": Case(
        then_run(changed(features=[*BASE_FEATURES, {"step": "scale", "columns": ["x2"]}]))(
            text_in_numbers
        ),
        ("column 'x2' holds numbers in the training file but text in the test file", "'abc'"),
        TEST,
    ),
    "data-test-text-in-empty": Case(
        then_run(changed(features=[*BASE_FEATURES, {"step": "pca", "columns": "numeric"}]))(
            text_in_empty
        ),
        ("column 'note' is empty in the training file but text in the test file", "drop"),
        TEST,
    ),
    "data-test-lacks-column": Case(
        then_run(BASE)(test_lacks_column), ("lacks training column", "noise"), TEST
    ),
    # feature steps
    "step-unknown": Case(
        run_with(changed(features=[{"step": "imptue", "columns": ["x1"]}])),
        ("unknown feature step 'imptue'", "did you mean 'impute'"),
        C + ": features[0]",
    ),
    "step-no-name": Case(
        run_with(changed(features=[{"columns": ["x1"]}])), ("needs a 'step'",), C + ": features[0]"
    ),
    "step-unknown-parameter": Case(
        run_with(changed(features=[{"step": "impute", "colums": ["x1"]}])),
        ("unknown parameter 'colums'", "did you mean 'columns'"),
        C + ": features[0]",
    ),
    "step-bad-value": Case(
        run_with(changed(features=[{"step": "impute", "strategy": "medain"}, *BASE_FEATURES[1:]])),
        ("unknown strategy 'medain'", "median"),
        C + ": features[0]",
    ),
    "step-column-missing": Case(
        run_with(changed(features=[{"step": "impute", "columns": ["x9"]}, *BASE_FEATURES])),
        ("column 'x9' not found", "x1"),
        C + ": features[0]",
    ),
    "step-competition-unknown": Case(
        run_with(changed(features=["synth_binary.nope", *BASE_FEATURES])),
        ("unknown feature step 'synth_binary.nope'", "there is no ", "binary/features.py"),
        C + ": features[0]",
    ),
    "step-by-not-names": Case(
        run_with(changed(features=[{"step": "group_aggregate", "by": [["color"]]}])),
        ("'by' must be a column name or a list of column names",),
        C + ": features[0]",
    ),
    "step-text-fill-for-numbers": Case(
        run_with(
            changed(
                features=[
                    {
                        "step": "impute",
                        "columns": "numeric",
                        "strategy": "constant",
                        "fill_value": "z",
                    }
                ]
            )
        ),
        ("fill_value 'z' is text", "numeric"),
        C + ": features[0]",
    ),
    "step-ordinal-code-not-a-number": Case(
        run_with(
            changed(
                features=[
                    BASE_FEATURES[0],
                    {"step": "ordinal", "columns": ["color"], "mapping": {"red": "x"}},
                ]
            )
        ),
        ("the code of 'red' must be a number, got 'x'",),
        C + ": features[1]",
    ),
    "step-target-type-mismatch": Case(
        run_with(
            changed(
                features=[
                    BASE_FEATURES[0],
                    {"step": "target_encode", "columns": ["color"], "target_type": "multiclass"},
                ]
            )
        ),
        ("target_type 'multiclass', but the fold's training rows have 2 classes", "auto"),
        C + ": features[1]",
    ),
    "step-drops-every-column": Case(
        run_with(changed(features=[{"step": "drop", "columns": "all"}])),
        ("no columns are left for the model",),
        C + ": features",
    ),
    "step-removes-every-row": Case(
        run_with(
            {
                **REG,
                "model": {"kind": "ridge"},
                "features": [
                    *BASE_FEATURES,
                    {
                        "step": "outliers",
                        "column": "x2",
                        "min": 100,
                        "max": 200,
                        "target_min": 0,
                        "target_max": 1,
                    },
                ],
            }
        ),
        ("removed every training row",),
        C + ": features",
    ),
    "step-text-left": Case(
        run_with(changed(features=[BASE_FEATURES[0]])),
        ("still not numeric", "color", "onehot"),
        C + ": features",
    ),
    "step-own-code-raises": Case(
        own_code(RAISING_FEATURES),
        ("your feature code raised ValueError", "features.py, line 8, in ratio"),
        C + ": features[0]",
    ),
    "step-own-code-import-fails": Case(
        own_code(IMPORT_FAILS),
        ("your feature code raised ZeroDivisionError", "features.py, line 4"),
        "synth_binary/features.py",
    ),
    # the model
    "model-unknown-kind": Case(
        run_with(changed(model={"kind": "lightgbn"})),
        ("unknown model kind 'lightgbn'", "did you mean 'lightgbm'"),
        C + ": model.kind",
    ),
    "model-kind-task": Case(
        run_with(changed(model={"kind": "lasso"})),
        ("does not support binary", "logistic"),
        C + ": model.kind",
    ),
    "model-unknown-parameter": Case(
        run_with(model("logistic", CC=1)),
        ("unknown parameter 'CC'", "did you mean 'C'"),
        C + ": model.params.CC",
    ),
    "model-owned-seed": Case(
        run_with(model("random_forest", random_state=1)),
        ("set by the workbench", "seed"),
        C + ": model.params.random_state",
    ),
    "model-owned-threads": Case(
        run_with(model("lightgbm", num_threads=4)),
        ("set by the workbench", "threads"),
        C + ": model.params.num_threads",
    ),
    "model-all-missing-column": Case(
        then_run(
            changed(
                model={"kind": "hist_gb", "params": {"max_iter": 5}},
                features=[*BASE_FEATURES, {"step": "drop", "columns": ["note"]}],
            )
        )(with_blank_columns),
        ("no value at all in: empty", "drop them"),
        C + ": features",
    ),
    "model-params-not-mapping": Case(
        run_with(changed(model={"kind": "logistic", "params": [1]})),
        ("dictionary",),
        C + ": model.params",
    ),
    "voting-no-estimators": Case(
        run_with(model("voting")), ("needs 'estimators'",), C + ": model.params.estimators"
    ),
    "voting-bad-weights": Case(
        run_with(model("voting", estimators=[{"kind": "logistic"}], weights=[1, 2])),
        ("'weights' must list 1 non-negative number(s)", "(got 2)"),
        C + ": model.params.weights",
    ),
    "voting-member-unknown-kind": Case(
        run_with(model("voting", estimators=[{"kind": "logistc"}])),
        ("unknown model kind 'logistc'", "did you mean 'logistic'"),
        C + ": model.params.estimators[0].kind",
    ),
    "voting-member-bad-parameter": Case(
        run_with(
            model(
                "voting",
                estimators=[{"kind": "logistic"}, {"kind": "lightgbm", "params": {"num_leafs": 3}}],
            )
        ),
        ("unknown parameter 'num_leafs'", "did you mean 'num_leaves'"),
        C + ": model.params.estimators[1].params.num_leafs",
    ),
    "voting-member-bad-value": Case(
        run_with(model("voting", estimators=[{"kind": "lightgbm", "params": {"num_leaves": 1}}])),
        ("num_leaves",),
        C + ": model.params.estimators[0].params.num_leaves",
    ),
    "xgboost-learning-rate-negative": Case(
        run_with(model("xgboost", learning_rate=-1)),
        ("rejected", "learning_rate"),
        C + ": model.params.learning_rate",
    ),
    "xgboost-subsample-5": Case(
        run_with(model("xgboost", subsample=5)),
        ("rejected", "subsample"),
        C + ": model.params.subsample",
    ),
    "xgboost-n-estimators-text": Case(
        run_with(model("xgboost", n_estimators="abc")),
        ("rejected", "n_estimators"),
        C + ": model.params.n_estimators",
    ),
    "random-forest-max-depth-0": Case(
        run_with(model("random_forest", max_depth=0)),
        ("rejected", "max_depth"),
        C + ": model.params.max_depth",
    ),
    "lightgbm-num-leaves-1": Case(
        run_with(model("lightgbm", num_leaves=1)),
        ("rejected", "num_leaves"),
        C + ": model.params.num_leaves",
    ),
    "knn-more-neighbours-than-rows": Case(
        run_with(model("knn", n_neighbors=200)),
        ("n_neighbors is 200", "only 160 training rows", "at most 160"),
        C + ": model.params.n_neighbors",
    ),
    "voting-member-fails-in-a-fold": Case(
        run_with(model("voting", estimators=[{"kind": "knn", "params": {"n_neighbors": 200}}])),
        ("n_neighbors is 200", "only 160 training rows"),
        C + ": model.params.estimators[0].params.n_neighbors",
    ),
    "svm-class-too-rare-to-calibrate": Case(
        then_run({**MULTI, "model": {"kind": "svm"}, "cv": {"folds": 2, "scheme": "kfold"}})(
            rare_rows(1)
        ),
        ("svm calibrates its class probabilities", "a class has 1 in this fold"),
        C + ": model.kind",
        after_folds=True,
    ),
    "model-class-weight-by-label": Case(
        run_with(model("lightgbm", n_estimators=5, class_weight={"a": 2})),
        ("lightgbm rejected the value: no such key 'a'", "class indices"),
        C + ": model.params.class_weight",
    ),
    "seed-negative": Case(
        run_with(changed(seed=-1)), ("greater than or equal to 0", "-1"), C + ": seed"
    ),
    "seed-too-large": Case(run_with(changed(seed=2**70)), ("less than or equal",), C + ": seed"),
    "threshold-out-of-range": Case(
        run_with(changed(predict={"threshold": 5})),
        ("less than or equal to 1", "'optimize'"),
        C + ": predict.threshold",
    ),
    "logistic-missing-values": Case(
        run_with(changed(features=BASE_FEATURES[1:])),
        ("cannot take missing values", "x1", "impute"),
        C + ": features",
    ),
    "rmse-log-non-positive-prediction": Case(
        then_run({**REG, "model": {"kind": "linear"}})(extreme_test_rows),
        ("<= 0", "(ids ", "rmse_log", "log1p"),
        C + ": model.target_transform",
    ),
    "rmse-log-non-positive-target": Case(
        then_run({**REG, "model": {"kind": "ridge"}})(negative_target),
        ("'rmse_log' takes the log", "1 training row(s)", "ids 1;", "smallest -5", "rmse"),
        "synth_reg/data/train.csv",
    ),
    "target-transform-classification": Case(
        run_with(changed(model={"kind": "logistic", "target_transform": "log1p"})),
        ("for regression targets",),
        C + ": model.target_transform",
    ),
    "target-transform-log1p-below-minus-1": Case(
        then_run(
            {**REG, "metric": "rmse", "model": {"kind": "ridge", "target_transform": "log1p"}}
        )(negative_target),
        ("target > -1",),
        C + ": model.target_transform",
    ),
    # cross-validation
    "cv-stratified-rare-class": Case(
        then_run(MULTI)(rare_class),
        ("class 'rare' has only 2 row(s)", "3 folds", "at most 2 folds"),
        C + ": cv.folds",
    ),
    "cv-grouped-without-column": Case(
        run_with(changed(cv={"scheme": "group_kfold"})),
        ("needs cv.group_column",),
        C + ": cv.group_column",
    ),
    "cv-group-column-missing": Case(
        run_with(changed(cv={"scheme": "group_kfold", "group_column": "shop"})),
        ("group column 'shop' not in the training data",),
        C + ": cv.group_column",
    ),
    "cv-group-column-has-missing": Case(
        run_with(changed(cv={"scheme": "group_kfold", "group_column": "x1"})),
        ("group column 'x1' is missing in", "each row needs a group"),
        C + ": cv.group_column",
    ),
    "cv-too-few-groups": Case(
        run_with(changed(cv={"scheme": "group_kfold", "group_column": "color", "folds": 5})),
        ("only 3 distinct groups for 5 folds",),
        C + ": cv.folds",
    ),
    "cv-more-folds-than-rows": Case(
        run_with(changed(cv={"folds": 1000, "scheme": "kfold"})),
        ("1000 folds but only 240 training rows",),
        C + ": cv.folds",
    ),
    "cv-one-fold": Case(
        run_with(changed(cv={"folds": 1})), ("greater than or equal to 2",), C + ": cv.folds"
    ),
    "cv-repeats-without-shuffle": Case(
        run_with(changed(cv={"folds": 3, "repeats": 2, "shuffle": False})),
        ("without shuffling", "cv.shuffle"),
        C + ": cv.repeats",
    ),
    "cv-unknown-scheme": Case(
        run_with(changed(cv={"scheme": "stratified"})),
        ("'stratified'", "stratified_kfold"),
        C + ": cv.scheme",
    ),
    # metric
    "metric-unknown": Case(
        run_with(changed(metric="acuracy")),
        ("unknown metric 'acuracy'", "did you mean 'accuracy'"),
        C + ": metric",
    ),
    "metric-wrong-task": Case(
        run_with(changed(metric="rmse")), ("'rmse'", "binary"), C + ": metric"
    ),
    # where the run is written
    "runs-folder-is-a-file": Case(
        then_run(BASE)(file_where_folder("runs")), ("runs is a file",), "runs/synth_binary"
    ),
    "runs-folder-read-only": Case(
        read_only_runs, ("cannot write here", "Permission denied"), "runs/synth_binary"
    ),
    "submissions-folder-is-a-file": Case(
        then_run(BASE)(file_where_folder("submissions")),
        ("submissions is a file",),
        "submissions/synth_binary",
    ),
    # workbench report
    "report-unknown-run": Case(report_of(lambda p: "no-such-run"), ("no run",), "no-such-run"),
    "report-not-a-run": Case(
        report_of(lambda p: str(p / "competitions" / "synth_binary")),
        ("no run",),
        "competitions/synth_binary",
    ),
    # workbench blend
    "blend-one-run": Case(blend_of("logistic"), ("at least 2 runs, got 1",), "RUN"),
    "blend-unknown-method": Case(
        blend_of("logistic", "forest", extra=("--method", "hill-climb")),
        ("unknown blend method 'hill-climb'", "did you mean 'hill_climb'"),
        "--method",
    ),
    "blend-unknown-run": Case(
        lambda p: [*blend_of("logistic")(p), "no-such-run"], ("no run 'no-such-run'",), "no run"
    ),
    "blend-run-named-twice": Case(
        lambda p: [*blend_of("logistic")(p), str(p / "elsewhere" / "logistic")],
        ("named twice",),
        "run ",
    ),
    "blend-incomplete-run": Case(
        lambda p: [
            *blend_of("logistic", breaker=killed_run)(p),
            str(p / "elsewhere" / ".20261130-000000-c-0000.partial"),
        ],
        ("incomplete run", "killed before it finished", "workbench clean"),
        ".20261130-000000-c-0000.partial",
    ),
    "blend-different-competitions": Case(
        blend_of("logistic", "ridge"),
        ("synth_binary", "synth_reg", "one competition"),
        "cannot blend runs with different competitions",
    ),
    "blend-different-folds": Case(
        blend_of("logistic", "logistic-seed-7"),
        ("sha256 of folds.csv", "seed 42", "seed 7", "--set seed="),
        "cannot blend runs with different folds",
    ),
    "blend-different-metrics": Case(
        blend_of("logistic", "logistic-roc-auc"),
        ("accuracy", "roc_auc", "--set metric=accuracy"),
        "cannot blend runs with different metrics",
    ),
    "blend-data-changed": Case(
        blend_of("ridge", "ridge-strong", breaker=reg_target_changed),
        ("targets differ", "the data changed since the runs", "run the configs again"),
        "targets differ",
    ),
    "blend-rank-multiclass": Case(
        blend_of("multi-logistic", "multi-forest", extra=("--method", "rank")),
        ("one per class", "hill_climb"),
        "--method",
    ),
    "blend-meta-without-stack": Case(
        blend_of("logistic", "forest", extra=("--meta", "ridge")),
        ("--method stack",),
        "--meta",
    ),
    "blend-meta-unknown-kind": Case(
        blend_of("logistic", "forest", extra=("--method", "stack", "--meta", "logistik")),
        ("unknown model kind 'logistik'", "did you mean 'logistic'"),
        "--meta",
    ),
    "blend-meta-wrong-task": Case(
        blend_of("logistic", "forest", extra=("--method", "stack", "--meta", "ridge")),
        ("'ridge' does not support binary tasks", "logistic"),
        "--meta",
    ),
    # workbench drift
    "drift-unknown-competition": Case(
        lambda p: ["drift", "synth_binari"],
        ("unknown competition 'synth_binari'", "did you mean 'synth_binary'"),
        "competition",
    ),
    "drift-data-missing": Case(
        drift_of(breaker=lambda p: data(p, "test.csv").unlink()),
        ("data file missing", "workbench download synth_binary"),
        TEST,
    ),
    "drift-config-other-competition": Case(
        drift_of({**REG, "model": {"kind": "ridge"}}),
        ("the config is for competition 'synth_reg', not 'synth_binary'", "drift synth_reg"),
        C + ": competition",
    ),
    "drift-config-unknown-step": Case(
        drift_of(changed(features=[{"step": "imptue", "columns": ["x1"]}])),
        ("unknown feature step 'imptue'", "did you mean 'impute'"),
        C + ": features[0]",
    ),
    "drift-too-few-rows": Case(
        drift_of(breaker=one_test_row),
        ("too few rows to tell train from test", "1 test row(s)", "at least 2"),
        TEST,
    ),
    "drift-no-columns": Case(
        drift_of(breaker=only_constant_columns),
        ("no column left to compare train and test on", "constant"),
        TEST,
    ),
    "drift-config-drops-every-column": Case(
        drift_of(changed(features=[{"step": "drop", "columns": "all"}])),
        ("after the feature steps no columns are left",),
        C + ": features",
    ),
    "drift-runs-folder-is-a-file": Case(
        drift_of(breaker=file_where_folder("runs")),
        ("runs is a file",),
        "runs/synth_binary/drift/raw",
    ),
    "drift-runs-folder-read-only": Case(
        drift_of(breaker=read_only_runs_for_drift),
        ("cannot write here", "Permission denied"),
        "runs/synth_binary/drift/raw",
    ),
    # workbench writeup
    "writeup-unknown-competition": Case(
        lambda p: ["writeup", "synth_binaryy"],
        ("unknown competition 'synth_binaryy'", "did you mean 'synth_binary'"),
        "competition",
    ),
    "writeup-not-a-plain-name": Case(
        lambda p: ["writeup", "."], ("competition '.' is not a plain name",), "competition"
    ),
    "writeup-no-runs": Case(
        lambda p: ["writeup", "synth_multi"],
        ("no finished runs of 'synth_multi' yet", "`workbench run CONFIG` makes one"),
        "runs/synth_multi",
    ),
}

NUMPY_REPR = re.compile(r"np\.(int|float|str|bool)\w*\(")


def files_of(project: Path) -> set[Path]:
    """Every file in the project (bytecode caches aside)."""
    return {p for p in project.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def run_cli(project: Path, argv: list[str], use_subprocess: bool, capfd) -> tuple[int, str, str]:
    if use_subprocess:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", *argv],
            capture_output=True,
            text=True,
            cwd=project,
            timeout=120,
        )
        return proc.returncode, proc.stdout, proc.stderr
    code = main(argv)
    out = capfd.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("case_id", list(CASES))
def test_user_error(project, capfd, case_id):
    case = CASES[case_id]
    argv = case.setup(project)
    capfd.readouterr()
    before = files_of(project)
    code, out, err = run_cli(project, argv, case.subprocess, capfd)

    assert code == 2, err
    assert out == ""
    if case.after_folds:
        err = re.sub(r"^  fold \d+ \(repeat \d+\) .*\n", "", err, flags=re.M)
    assert err.startswith("error: "), err  # nothing before it: no fold line, no warning
    lines = err.splitlines()
    assert all(line.startswith(" ") for line in lines[1:]), err  # one message: hints indented
    assert "Traceback" not in err and not NUMPY_REPR.search(err), err
    first = lines[0]
    assert case.where in first, f"{case.where!r} not named in: {first}"
    for word in case.words:
        assert word in err, f"{word!r} not in: {err}"
    # nothing written: no run directory, no .partial, no submission, no stray file
    assert files_of(project) == before
    for folder in ("runs", "submissions"):
        if (project / folder).is_dir():
            assert not list((project / folder).glob("*/*")), list((project / folder).rglob("*"))
    assert not (project / "MARKER").exists()  # nothing outside competitions/ was run


def test_catalogue_lists_every_case():
    """docs/errors.md has a row for each case, under its pytest id."""
    listed = re.findall(r"test_errors\.py::test_user_error\[([a-z0-9-]+)\]", DOCS.read_text())
    assert sorted(set(CASES) - set(listed)) == [], "cases without a row in docs/errors.md"
    assert sorted(set(listed) - set(CASES)) == [], "rows of docs/errors.md without a case"
    assert len(listed) == len(set(listed)), "a case listed twice"


# Valid configs the workbench once refused or crashed on (found by tests/test_fuzz.py).


ACCEPTED: dict[str, Callable[[Path], list[str]]] = {
    # the tiny pre-check fit on 40 rows refused any n_neighbors above 40
    "knn-many-neighbours": run_with(model("knn", n_neighbors=50)),
    "voting-knn-many-neighbours": run_with(
        model(
            "voting",
            estimators=[{"kind": "knn", "params": {"n_neighbors": 60}}, {"kind": "logistic"}],
        )
    ),
    # groups are codes now (np.unique on text mixed with NaN raised TypeError)
    "group-column-of-text": run_with(
        changed(cv={"scheme": "group_kfold", "group_column": "color", "folds": 3})
    ),
    # a group column only matters to a grouped scheme: its missing values do not stop kfold
    "group-column-unused": run_with(
        changed(cv={"scheme": "kfold", "group_column": "x1", "folds": 3})
    ),
    # a compressed CSV named so is read (the hint for a .csv one said `.gzip`, which was not)
    "data-compressed-and-named-so": then_run(BASE)(train_file_named("train.csv.gz", gzip.compress)),
    # XGBoost's float32 probabilities sum to 1 only to ~1e-7: log loss warned on the terminal
    "xgboost-multiclass-log-loss": run_with(
        {**MULTI, "metric": "log_loss", "model": {"kind": "xgboost", "params": {"n_estimators": 5}}}
    ),
    # svm's calibration ran a 5-fold CV inside each fold: a class of 2-4 training rows failed
    "svm-small-class": then_run({**MULTI, "model": {"kind": "svm"}, "cv": {"folds": 2}})(
        rare_rows(4)
    ),
    # a key listed twice: "cannot insert color, already exists"
    "group-key-twice": run_with(
        changed(
            features=[
                {"step": "group_aggregate", "by": ["color", "color"], "column": "x2"},
                {"step": "impute", "columns": ["x1"], "by": ["color", "color"]},
                BASE_FEATURES[1],
            ]
        )
    ),
    # an all-missing key column is float in the statistics table: the lookup merge refused it;
    # power: scipy cannot fit a lambda to an all-missing or constant column
    "blank-columns": then_run(
        changed(
            features=[
                {"step": "group_aggregate", "by": "note", "column": "x2", "agg": "mean"},
                {"step": "impute", "columns": ["x1"], "by": "note"},
                {"step": "power", "columns": ["x1", "empty", "one"]},
                {"step": "power", "columns": ["one"], "method": "box-cox"},
                {"step": "drop", "columns": ["note", "empty"]},
                BASE_FEATURES[1],
            ]
        )
    )(with_blank_columns),
}


@pytest.mark.parametrize("case_id", list(ACCEPTED))
def test_valid_config_runs(project, capfd, case_id):
    argv = ACCEPTED[case_id](project)
    assert main([*argv, "--quiet"]) == 0, capfd.readouterr().err
    captured = capfd.readouterr()
    assert captured.err == ""  # --quiet: the run id only (library warnings go to run.log)
    run_id = captured.out.strip()
    assert len(list(project.glob(f"runs/*/{run_id}/metrics.json"))) == 1
    assert len(list(project.glob(f"submissions/*/{run_id}.csv"))) == 1


def test_library_warnings_go_to_the_run_log(project, capfd):
    """A model that does not converge warns in run.log; the terminal keeps to the run."""
    body = model("mlp", max_iter=2, hidden_layer_sizes=[3])
    assert main(["run", str(write(project, body)), "--quiet"]) == 0
    captured = capfd.readouterr()
    assert "Warning" not in captured.err, captured.err
    log = (project / "runs" / "synth_binary" / captured.out.strip() / "run.log").read_text()
    assert "ConvergenceWarning" in log
