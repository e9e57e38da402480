"""The run index: a cache of the run directories that every finished run updates."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from synthetic import LOGISTIC_BINARY, write_config

from workbench import runindex
from workbench.cli import main
from workbench.competition import Project
from workbench.record import SubmissionEntry, record_submission


def _run(project: Path, capsys, name: str = "ok", **changes) -> str:
    path = write_config(project, name, {**LOGISTIC_BINARY, **changes})
    assert main(["run", str(path), "--quiet"]) == 0
    return capsys.readouterr().out.strip()


def _rows(project: Path) -> dict[str, tuple]:
    """The runs table as the run left it: read directly, without the refresh a read does."""
    with sqlite3.connect(project / "runs" / runindex.INDEX_FILE) as db:
        return {row[0]: row for row in db.execute("SELECT run_id, cv_mean, folds_sha256 FROM runs")}


def test_a_finished_run_is_in_the_index_with_its_scores(project, capsys):
    run_id = _run(project, capsys)
    run_dir = project / "runs/synth_binary" / run_id
    metrics = json.loads((run_dir / "metrics.json").read_text())
    rows = _rows(project)
    assert list(rows) == [run_id]
    assert rows[run_id][1] == metrics["summary"]["valid_mean"]
    assert rows[run_id][2] == runindex.folds_digest(run_dir)
    [indexed] = runindex.runs(Project(project), "synth_binary")
    assert indexed.path == run_dir
    assert indexed.cv_std == metrics["summary"]["valid_std"]
    assert indexed.public_score is None and indexed.submitted_at is None


def test_the_run_directories_decide_what_exists(project, capsys):
    first = _run(project, capsys, "a")
    second = _run(project, capsys, "b", seed=7)
    (project / "runs" / runindex.INDEX_FILE).unlink()  # deleted index: made again on read
    assert [r.run_id for r in runindex.runs(Project(project))] == [first, second]

    import shutil

    shutil.rmtree(project / "runs/synth_binary" / first)  # a deleted run leaves the index
    assert [r.run_id for r in runindex.runs(Project(project), "synth_binary")] == [second]


def test_a_new_submission_file_is_read_on_the_next_refresh(project, capsys):
    run_id = _run(project, capsys)
    run_dir = project / "runs/synth_binary" / run_id
    record_submission(
        run_dir,
        SubmissionEntry(
            ref=11,
            submitted_at="2026-11-30T10:00:00+00:00",
            file_sha256="ab" * 32,
            status="complete",
            public_score=0.81,
        ),
    )
    [indexed] = runindex.runs(Project(project), "synth_binary")
    assert indexed.public_score == 0.81
    assert indexed.submitted_at == "2026-11-30T10:00:00+00:00"
    assert [s.ref for s in indexed.submissions] == [11]


def test_an_unreadable_index_file_is_made_again(project, capsys):
    run_id = _run(project, capsys)
    (project / "runs" / runindex.INDEX_FILE).write_bytes(b"this is not a database" * 100)
    assert [r.run_id for r in runindex.runs(Project(project))] == [run_id]


def test_index_rebuild_command(project, capsys):
    _run(project, capsys, "a")
    _run(project, capsys, "b", seed=3)
    assert main(["index", "--rebuild"]) == 0
    assert capsys.readouterr().out.strip() == "2 runs in runs/index.sqlite"
    assert len(_rows(project)) == 2


def test_two_runs_finishing_together_both_appear(project):
    """Two `workbench run` processes at once: each adds its own row (no refresh involved)."""
    configs = [write_config(project, f"p{i}", {**LOGISTIC_BINARY, "seed": i}) for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workbench", "run", str(c), "--quiet"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in configs
    ]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        ids.append(out.strip())
    assert sorted(_rows(project)) == sorted(ids)


def test_concurrent_writers_never_lose_a_row(project, capsys):
    """Many index updates from two processes at the same moment: every one lands."""
    run_id = _run(project, capsys)
    source = project / "runs/synth_binary" / run_id
    copies = []
    for i in range(40):  # copies of the run under other ids
        target = source.parent / f"{run_id}-copy{i}"
        target.mkdir()
        record = json.loads((source / "metrics.json").read_text())
        record["run_id"] = target.name
        (target / "metrics.json").write_text(json.dumps(record))
        copies.append(target)
    script = (
        "import sys; from pathlib import Path\n"
        "from workbench import runindex\nfrom workbench.competition import Project\n"
        "for p in sys.argv[2:]: runindex.update_run(Project(Path(sys.argv[1])), Path(p))\n"
    )
    halves = [copies[0::2], copies[1::2]]
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(project), *map(str, half)])
        for half in halves
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert set(_rows(project)) == {run_id} | {c.name for c in copies}


def test_an_index_that_cannot_be_made_is_one_message(project, capsys):
    (project / "runs" / runindex.INDEX_FILE).mkdir(parents=True)  # a folder in its place
    assert main(["index"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot open the run index" in err
    assert "Traceback" not in err
