"""``workbench download``, ``submit`` and ``sync`` through the real command line and the real
``kaggle`` client, against the fake Kaggle server (tests/kaggle_fake.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from kaggle_fake import FakeKaggle, closed_port_url, isolate_credentials
from quick_runs import built_once, copy_project, quick_run
from synthetic import LOGISTIC_BINARY, RIDGE_REGRESSION, write_config

from workbench import runindex
from workbench.cli import main
from workbench.competition import Project
from workbench.kaggle_api import ENDPOINT_ENV
from workbench.kaggle_loop import POLL_ENV

KEY = "PLANTED-KEY-3c9f5e1a7b2d"
BASIC = base64.b64encode(f"tester:{KEY}".encode()).decode()


def _make(root: Path) -> list[str]:
    """Three synth_reg runs whose submissions differ (ridge with three alphas)."""
    return [
        quick_run(root, f"model.params.alpha={alpha}", body=RIDGE_REGRESSION, name="reg")
        for alpha in (1000, 1, 0.01)
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_once(tmp_path_factory, "kaggle-loop", _make)


@pytest.fixture
def runs(built, tmp_path, monkeypatch) -> tuple[Path, list[str]]:
    """A project with three finished synth_reg runs (its own copy)."""
    return copy_project(built[0], tmp_path / "project", monkeypatch), built[1]


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """The fake Kaggle server; the client finds KAGGLE_USERNAME/KAGGLE_KEY and nothing else."""
    isolate_credentials(monkeypatch, tmp_path / "home")
    with FakeKaggle(username="tester", key=KEY) as server:
        monkeypatch.setenv("KAGGLE_USERNAME", "tester")
        monkeypatch.setenv("KAGGLE_KEY", KEY)
        monkeypatch.setenv(ENDPOINT_ENV, server.url)
        monkeypatch.setenv(POLL_ENV, "0.02")
        yield server


def serve(fake: FakeKaggle, root: Path) -> dict[str, dict[str, bytes]]:
    """Serve every competition of the project with its data files (by slug); the files."""
    served = {}
    for spec_path in sorted((root / "competitions").glob("*/competition.yaml")):
        spec = yaml.safe_load(spec_path.read_text())
        data = spec_path.parent / "data"
        files = {p.name: p.read_bytes() for p in sorted(data.glob("*"))} if data.is_dir() else {}
        fake.add_competition(spec["slug"], files)
        served[spec["name"]] = files
    return served


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_dir(root: Path, run_id: str) -> Path:
    return root / "runs" / "synth_reg" / run_id


def submissions(root: Path, run_id: str) -> list[dict]:
    path = run_dir(root, run_id) / "submissions.json"
    return json.loads(path.read_text())["submissions"] if path.is_file() else []


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- download ---------------------------------------------------------------------------------


def test_download_unzips_checks_and_moves_the_files_in(project, fake, capsys):
    files = serve(fake, project)["synth_binary"]
    fake.competitions["synth-binary"].files["data_description.txt"] = b"what the columns mean\n"
    data = project / "competitions/synth_binary/data"
    for path in data.iterdir():
        path.unlink()
    data.rmdir()

    code, out, err = cli(capsys, "download", "synth_binary")
    assert code == 0, err
    assert {p.name: p.read_bytes() for p in data.iterdir()} == {
        **files,
        "data_description.txt": b"what the columns mean\n",
    }
    assert out.startswith("downloaded 4 files into competitions/synth_binary/data/")
    assert [p.name for p in data.parent.iterdir() if p.name.startswith(".")] == []  # no scratch
    assert fake.rpcs("DownloadDataFiles")[0].json() == {"competitionName": "synth-binary"}


def test_files_already_there_are_left_alone_unless_forced(project, fake, capsys):
    serve(fake, project)
    code, out, _ = cli(capsys, "download", "synth_binary")
    assert code == 0 and out.startswith("already present in competitions/synth_binary/data/")
    assert "--force" in out and fake.received == []

    train = project / "competitions/synth_binary/data/train.csv"
    fake.competitions["synth-binary"].files["train.csv"] = b"Id,x1,label\n1,0.5,1\n"
    code, out, _ = cli(capsys, "download", "synth_binary", "--force")
    assert code == 0 and out.startswith("downloaded 3 files")
    assert train.read_bytes() == b"Id,x1,label\n1,0.5,1\n"
    assert len(fake.rpcs("DownloadDataFiles")) == 1


def test_a_run_without_its_data_names_the_download_command(project, capsys):
    (project / "competitions/synth_binary/data/train.csv").unlink()
    config = write_config(project, "nodata", LOGISTIC_BINARY)
    code, _, err = cli(capsys, "run", str(config))
    assert code == 2
    assert "data file missing" in err and "`workbench download synth_binary`" in err


def _zip(members: dict[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "link"),
    [
        ({"../evil.csv": b"x"}, None),
        ({"/tmp/evil.csv": b"x"}, None),
        ({"sub/../../evil.csv": b"x"}, None),
        ({}, "evil.csv"),
    ],
    ids=["dotdot", "absolute", "nested-dotdot", "symlink"],
)
def test_an_unsafe_archive_is_refused_and_nothing_is_written(project, fake, capsys, members, link):
    files = serve(fake, project)["synth_binary"]
    fake.competitions["synth-binary"].zip_bytes = _zip({**files, **members}, link)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    code, out, err = cli(capsys, "download", "synth_binary", "--force")
    assert code == 2 and out == ""
    assert "unsafe member" in err and "nothing was extracted" in err and "Traceback" not in err
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert not (project.parent / "evil.csv").exists()


def test_an_archive_without_a_file_the_spec_names_is_refused(project, fake, capsys):
    files = serve(fake, project)["synth_binary"]
    fake.competitions["synth-binary"].files = {"train.csv": files["train.csv"]}
    data = project / "competitions/synth_binary/data"
    (data / "test.csv").unlink()
    code, _, err = cli(capsys, "download", "synth_binary")
    assert code == 2
    assert "competition.yaml: files.test: the download of 'synth-binary' has no test.csv" in err
    assert "it holds: train.csv" in err
    assert sorted(p.name for p in data.iterdir()) == ["sample.csv", "train.csv"]


def test_a_download_that_is_not_a_zip_is_one_message(project, fake, capsys):
    serve(fake, project)
    fake.competitions["synth-binary"].zip_bytes = b"PK\x03\x04 this is not a zip"
    code, _, err = cli(capsys, "download", "synth_binary", "--force")
    assert code == 2 and "not a valid zip archive" in err and "Traceback" not in err


# -- submit -----------------------------------------------------------------------------------


def test_submit_uploads_the_runs_file_and_records_the_ref(runs, fake, capsys):
    root, ids = runs
    serve(fake, root)
    file = run_dir(root, ids[0]) / "submission.csv"
    code, out, err = cli(capsys, "submit", ids[0], "-m", "ridge, strong")
    assert code == 0, err
    ref = int(out.strip())
    start = fake.rpcs("StartSubmissionUpload")[0].json()
    assert start["fileName"] == f"{ids[0]}.csv" and start["competitionName"] == "synth-reg"
    (upload,) = [r for r in fake.received if r.method == "PUT"]
    assert upload.body == file.read_bytes() and "Authorization" not in upload.headers
    assert fake.rpcs("CreateSubmission")[0].json()["submissionDescription"] == "ridge, strong"
    (entry,) = submissions(root, ids[0])
    assert entry["ref"] == ref and entry["status"] == "pending"
    assert entry["file_sha256"] == sha256(file) and entry["message"] == "ridge, strong"
    assert f"ref {ref}" in err and "submissions left today: 4 (1 made today, 1 in all)" in err
    (indexed,) = [r for r in runindex.runs(Project(root), "synth_reg") if r.run_id == ids[0]]
    assert [s.ref for s in indexed.submissions] == [ref]


def test_the_same_file_twice_is_refused_unless_forced(runs, fake, capsys):
    root, ids = runs
    serve(fake, root)
    code, out, _ = cli(capsys, "submit", ids[1])
    assert code == 0
    first = int(out)
    assert ids[1] in fake.rpcs("CreateSubmission")[0].json()["submissionDescription"]
    code, out, err = cli(capsys, "submit", ids[1])
    assert code == 2 and out == ""
    assert f"this file was already submitted: ref {first}" in err and "--force" in err
    assert len(fake.rpcs("StartSubmissionUpload")) == 1
    code, out, _ = cli(capsys, "submit", ids[1], "--force")
    assert code == 0 and int(out) != first
    assert [e["ref"] for e in submissions(root, ids[1])] == [first, int(out)]


def test_wait_records_the_public_score(runs, fake, capsys):
    root, ids = runs
    serve(fake, root)
    fake.polls_before_scored = 2
    fake.scorer = lambda content: ("COMPLETE", "0.78900", "", "")
    code, out, err = cli(capsys, "submit", ids[2], "--wait")
    assert code == 0, err
    (entry,) = submissions(root, ids[2])
    assert (entry["ref"], entry["status"], entry["public_score"]) == (int(out), "complete", 0.789)
    assert entry["private_score"] is None and "public score 0.78900" in err
    assert len(fake.rpcs("ListSubmissions")) == 3  # pending, pending, scored
    (indexed,) = [r for r in runindex.runs(Project(root), "synth_reg") if r.run_id == ids[2]]
    assert indexed.public_score == 0.789


def test_wait_reports_a_scoring_error_and_a_timeout(runs, fake, capsys):
    root, ids = runs
    serve(fake, root)
    fake.scorer = lambda content: ("ERROR", "", "", "Submission has 59 rows, expected 60")
    code, _, err = cli(capsys, "submit", ids[0], "--wait")
    assert code == 1 and "Kaggle could not score it: Submission has 59 rows" in err
    (entry,) = submissions(root, ids[0])
    assert entry["status"] == "error" and entry["error"].startswith("Submission has 59 rows")

    fake.scorer = None  # never scored
    code, out, err = cli(capsys, "submit", ids[1], "--wait", "--timeout", "0.2")
    assert code == 0 and out.strip().isdigit()
    assert "not scored after 0.2 s: `workbench sync synth_reg` fetches the score later" in err
    assert submissions(root, ids[1])[0]["status"] == "pending"


def test_an_invalid_submission_or_incomplete_run_is_refused_before_any_request(
    runs, fake, capsys, monkeypatch
):
    root, ids = runs
    serve(fake, root)
    file = run_dir(root, ids[0]) / "submission.csv"
    lines = file.read_text().splitlines(keepends=True)
    file.write_text("".join(lines[:-1]))  # a row short
    code, _, err = cli(capsys, "submit", ids[0])
    assert code == 2 and "ids differ from the sample submission" in err
    (root / "runs/synth_reg/.20261130-000000-x-abcd.partial").mkdir()
    code, _, err = cli(capsys, "submit", "20261130-000000-x-abcd")
    assert code == 2 and "is an incomplete run" in err
    (run_dir(root, ids[1]) / "submission.csv").unlink()
    code, _, err = cli(capsys, "submit", ids[1])
    assert code == 2 and "the run has no submission.csv" in err
    monkeypatch.setenv(POLL_ENV, "0")
    code, _, err = cli(capsys, "submit", ids[2], "--wait")
    assert code == 2 and f"{POLL_ENV}: not a number of seconds > 0: '0'" in err
    (root / "competitions/synth_reg/data/sample.csv").unlink()
    code, _, err = cli(capsys, "submit", ids[2])
    assert code == 2 and "the sample submission is missing" in err
    assert "`workbench download synth_reg` fetches it" in err
    assert fake.received == [] and all(submissions(root, i) == [] for i in ids)


# -- sync -------------------------------------------------------------------------------------


def test_sync_pages_through_the_history_and_scores_the_right_runs(runs, fake, capsys):
    root, (a, b, c) = runs
    serve(fake, root)
    code, out, _ = cli(capsys, "submit", a)  # recorded by ref
    ref_a = int(out)
    fake.scorer = lambda content: ("COMPLETE", "0.30000", "", "")
    file_b = (run_dir(root, b) / "submission.csv").read_bytes()
    file_c = (run_dir(root, c) / "submission.csv").read_bytes()
    # made on the website from the published files: matched by file name / by description
    by_name = fake.add_submission(
        "synth-reg", file_name=f"{b}.csv", content=file_b, public="0.12345", private="0.2"
    )
    by_text = fake.add_submission(
        "synth-reg", description=f"again {c}, by hand", content=file_c, public="0.25"
    )
    wrong_size = fake.add_submission("synth-reg", file_name=f"{c}.csv", content=b"Id,label\n")
    for i in range(41):
        fake.add_submission("synth-reg", description=f"manual {i}", file_name="manual.csv")

    code, out, err = cli(capsys, "sync", "synth_reg")
    assert code == 0, err
    pages = [r.json() for r in fake.rpcs("ListSubmissions")]
    assert [(p.get("page"), p.get("pageSize")) for p in pages] == [(1, 20), (2, 20), (3, 20)]
    assert out.strip().splitlines()[-1] == (
        "45 submissions on Kaggle: 3 matched to runs, 42 not; 3 runs updated"
    )
    ((entry_a,), (entry_b,), (entry_c,)) = (submissions(root, r) for r in (a, b, c))
    assert (entry_a["ref"], entry_a["status"], entry_a["public_score"]) == (
        ref_a,
        "complete",
        0.3,
    )
    assert (entry_b["ref"], entry_b["public_score"], entry_b["private_score"]) == (
        by_name.ref,
        0.12345,
        0.2,
    )
    assert entry_b["file_sha256"] == sha256(run_dir(root, b) / "submission.csv")
    assert (entry_c["ref"], entry_c["public_score"]) == (by_text.ref, 0.25)
    assert f"-> {a} (by ref, updated)" in out and f"-> {b} (by file name, updated)" in out
    assert f"-> {c} (by description, updated)" in out
    assert f"ref {wrong_size.ref} " in out and "its size differs from the run's file" in out
    board = {r.run_id: r.public_score for r in runindex.runs(Project(root), "synth_reg")}
    assert board == {a: 0.3, b: 0.12345, c: 0.25}

    mtimes = [(run_dir(root, r) / "submissions.json").stat().st_mtime_ns for r in (a, b, c)]
    code, out, _ = cli(capsys, "sync", "synth_reg")
    assert code == 0 and out.strip().endswith("3 matched to runs, 42 not; 0 runs updated")
    assert [(run_dir(root, r) / "submissions.json").stat().st_mtime_ns for r in (a, b, c)] == (
        mtimes
    )


# -- every failure: one message, exit 2 -------------------------------------------------------


def _no_credentials(fake, monkeypatch, root):
    monkeypatch.delenv("KAGGLE_USERNAME")
    monkeypatch.delenv("KAGGLE_KEY")


def _wrong_key(fake, monkeypatch, root):
    fake.key = "another-key-entirely"


def _unknown_slug(fake, monkeypatch, root):
    spec_path = root / "competitions/synth_reg/competition.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec_path.write_text(yaml.safe_dump({**spec, "slug": "no-such-competition"}))


def _network_down(fake, monkeypatch, root):
    monkeypatch.setenv(ENDPOINT_ENV, closed_port_url())


CASES = {
    "no-credentials": (["sync"], _no_credentials, ["no Kaggle credentials found", "chmod 600"]),
    "401": (["sync"], _wrong_key, ["Kaggle rejected the API key", "(HTTP 401)"]),
    "403": (
        ["download"],
        lambda fake, mp, root: fake.fail("DownloadDataFiles", 403),
        ["(HTTP 403)", "https://www.kaggle.com/competitions/synth-reg/rules"],
    ),
    "404": (
        ["sync"],
        _unknown_slug,
        ["competition.yaml: slug: Kaggle knows no competition 'no-such-competition' (HTTP 404)"],
    ),
    "429": (
        ["submit"],
        lambda fake, mp, root: fake.fail("StartSubmissionUpload", 429),
        ["(HTTP 429: too many requests)", "wait a few minutes"],
    ),
    "network-down": (["sync"], _network_down, ["cannot reach the Kaggle API", "refused"]),
    "failed-upload": (
        ["submit"],
        lambda fake, mp, root: setattr(fake, "upload_status", 400),
        ["the upload of", "to Kaggle failed: nothing was submitted"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_kaggle_failure_is_one_message_and_exit_2(runs, fake, monkeypatch, capsys, case):
    root, ids = runs
    serve(fake, root)
    (command,), setup, expected = CASES[case]
    setup(fake, monkeypatch, root)
    args = {
        "sync": ["sync", "synth_reg"],
        "download": ["download", "synth_reg", "--force"],
        "submit": ["submit", ids[0]],
    }[command]
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert sum(line.startswith("error:") for line in err.splitlines()) == 1
    for text in expected:
        assert text in err
    assert "Traceback" not in err and KEY not in err and BASIC not in err
    assert submissions(root, ids[0]) == []
    assert list((root / "competitions/synth_reg/data").iterdir())  # data left as it was


# -- the real process: nothing from the client, no credential anywhere ------------------------


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def test_a_real_process_without_credentials_prints_one_message(runs, fake):
    root, _ = runs
    env = {k: v for k, v in _env().items() if k not in ("KAGGLE_USERNAME", "KAGGLE_KEY")}
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "download", "synth_reg", "--force"],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: Kaggle API: no Kaggle credentials found")
    assert "Authentication required" not in proc.stderr and "Traceback" not in proc.stderr


def test_verbose_does_not_make_the_client_print_headers(runs, fake):
    root, ids = runs
    serve(fake, root)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "submit", ids[0], "-m", "verbose"],
        capture_output=True,
        text=True,
        cwd=root,
        env=_env(VERBOSE="1", VERBOSE_OUTPUT="true"),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(fake.competitions["synth-reg"].submissions[0].ref)
    both = proc.stdout + proc.stderr
    assert "Authorization" not in both and "Request" not in both
    assert KEY not in both and BASIC not in both


def test_a_planted_key_is_written_nowhere(runs, fake, capfd):
    root, _ = runs
    serve(fake, root)
    fake.scorer = lambda content: ("COMPLETE", "0.5", "", "")
    run_id = quick_run(root, "model.params.alpha=3", body=RIDGE_REGRESSION, name="planted")
    assert main(["submit", run_id, "--wait"]) == 0
    fake.add_submission("synth-reg", file_name=f"{run_id}.csv", public="0.4")
    assert main(["sync", "synth_reg"]) == 0
    out = capfd.readouterr()
    secrets = [KEY.encode(), BASIC.encode(), KEY.lower().encode()]
    written = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "submissions.json" for p in written)
    assert any(p.name == "index.sqlite" for p in written)
    for path in written:
        data = path.read_bytes()
        assert not any(s in data for s in secrets), f"a credential in {path}"
    for text in (out.out, out.err):
        assert KEY not in text and BASIC not in text
    assert any(BASIC in r.headers.get("Authorization", "") for r in fake.received)  # it was used
