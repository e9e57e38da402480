"""``workbench.kaggle_api``: the real ``kaggle`` client against the fake Kaggle server
(tests/kaggle_fake.py): credentials found the client's way, the requests it sends, paging,
and every failure as one :class:`KaggleError` without a credential in it."""

from __future__ import annotations

import base64
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
from kaggle_fake import FakeKaggle, closed_port_url, isolate_credentials

from workbench import kaggle_api
from workbench.errors import UserError
from workbench.kaggle_api import ENDPOINT_ENV, KaggleError

KEY = "PLANTED-KEY-3c9f0a71d2e4"
BASIC = base64.b64encode(f"tester:{KEY}".encode()).decode()
SLUG = "demo-comp"
FILES = {"train.csv": b"Id,x,label\n1,0.5,1\n2,0.1,0\n", "test.csv": b"Id,x\n3,0.2\n"}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A bare home folder and no KAGGLE_* variable: no credentials at all."""
    isolate_credentials(monkeypatch, tmp_path / "home")
    return tmp_path / "home"


@pytest.fixture
def fake(home, monkeypatch):
    """The fake server with one competition; the client uses KAGGLE_USERNAME/KAGGLE_KEY."""
    with FakeKaggle(username="tester", key=KEY, token="fake-token-91d7c0e5") as server:
        server.add_competition(SLUG, FILES)
        monkeypatch.setenv("KAGGLE_USERNAME", "tester")
        monkeypatch.setenv("KAGGLE_KEY", KEY)
        monkeypatch.setenv(ENDPOINT_ENV, server.url)
        yield server


def write_json(path: Path, obj: dict, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    path.chmod(mode)
    return path


# -- credentials ------------------------------------------------------------------------------


def test_no_credentials_says_where_to_put_them(home):
    assert kaggle_api.find_credentials() is None
    with pytest.raises(UserError) as info:
        kaggle_api.require_credentials()
    text = str(info.value)
    assert "no Kaggle credentials found" in text
    assert "https://www.kaggle.com/settings" in text and "Create New Token" in text
    assert f"{home}/.config/kaggle/kaggle.json" in text or f"{home}/.kaggle/kaggle.json" in text
    assert "chmod 600" in text and "KAGGLE_USERNAME" in text and "KAGGLE_KEY" in text


def test_credentials_are_found_in_the_clients_order(home, monkeypatch, tmp_path):
    oauth = write_json(home / ".kaggle/credentials.json", {"refresh_token": "refresh-abcdef"})
    found = kaggle_api.find_credentials()
    assert (found.kind, found.source) == ("OAuth login", str(oauth))

    config = write_json(home / ".kaggle/kaggle.json", {"username": "u", "key": "file-key-123"})
    found = kaggle_api.find_credentials()
    assert (found.kind, found.source) == ("API key", str(config))
    assert "file-key-123" in found.secrets and "refresh-abcdef" in found.secrets

    elsewhere = write_json(tmp_path / "cfg/kaggle.json", {"username": "v", "key": "other-key-9"})
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(elsewhere.parent))
    assert kaggle_api.find_credentials().source == str(elsewhere)

    monkeypatch.setenv("KAGGLE_KEY", "env-key-456")  # one variable overrides the file's key
    found = kaggle_api.find_credentials()
    assert found.source == f"KAGGLE_KEY and {elsewhere}"
    monkeypatch.setenv("KAGGLE_USERNAME", "w")
    assert kaggle_api.find_credentials().source == "KAGGLE_USERNAME and KAGGLE_KEY"

    (home / ".kaggle/access_token").write_text("file-token-789\n")
    found = kaggle_api.find_credentials()
    assert (found.kind, found.source) == ("API token", str(home / ".kaggle/access_token"))

    token_file = tmp_path / "token.txt"
    token_file.write_text("token-in-a-file-1\n")
    monkeypatch.setenv("KAGGLE_API_TOKEN", str(token_file))
    found = kaggle_api.find_credentials()
    assert found.source == f"KAGGLE_API_TOKEN (the file {token_file})"
    assert "token-in-a-file-1" in found.secrets

    monkeypatch.setenv("KAGGLE_API_TOKEN", "token-value-2")
    found = kaggle_api.find_credentials()
    assert (found.kind, found.source) == ("API token", "KAGGLE_API_TOKEN")
    # every credential present is hidden, whichever the client ends up using
    assert {"token-value-2", "other-key-9", "env-key-456", "refresh-abcdef"} <= set(found.secrets)
    assert "token-value-2" not in repr(found) and "env-key-456" not in repr(found)


def test_a_kaggle_json_others_can_read_is_noted_and_a_broken_one_is_one_message(home):
    config = write_json(home / ".kaggle/kaggle.json", {"username": "u", "key": "k-123456"}, 0o644)
    found = kaggle_api.find_credentials()
    assert found.notes and "chmod 600" in found.notes[0] and str(config) in found.notes[0]
    config.write_text("{not json")
    config.chmod(0o600)
    with pytest.raises(UserError) as info:
        kaggle_api.find_credentials()
    assert info.value.where == str(config) and "not valid JSON" in info.value.message


def test_scrub_hides_secrets_and_auth_headers():
    credentials = kaggle_api.Credentials("API key", "KAGGLE_KEY", (KEY, BASIC))
    text = credentials.scrub(f"key={KEY} Authorization: Basic {BASIC} Bearer abcdefghijkl")
    assert KEY not in text and BASIC not in text and "abcdefghijkl" not in text


def test_parse_score():
    assert kaggle_api.parse_score("") is None
    assert kaggle_api.parse_score(None) is None
    assert kaggle_api.parse_score("0.78900") == 0.789
    assert kaggle_api.parse_score("n/a") is None


@pytest.mark.parametrize("value", ["127.0.0.1:8080", "ftp://host", "http://h:1/path", "http://"])
def test_a_bad_endpoint_override_is_one_message(monkeypatch, value):
    monkeypatch.setenv(ENDPOINT_ENV, value)
    with pytest.raises(UserError) as info:
        kaggle_api.endpoint()
    assert info.value.where == ENDPOINT_ENV


# -- the calls against the fake ---------------------------------------------------------------


def test_download_writes_the_servers_zip(fake, tmp_path):
    archive = kaggle_api.download(SLUG, tmp_path / "dl")
    assert archive == tmp_path / "dl" / f"{SLUG}.zip"
    with zipfile.ZipFile(archive) as opened:
        assert {name: opened.read(name) for name in opened.namelist()} == FILES
    rpc = fake.rpcs("DownloadDataFiles")
    assert len(rpc) == 1 and rpc[0].json() == {"competitionName": SLUG}
    assert rpc[0].headers["Authorization"] == f"Basic {BASIC}"
    assert [r.path for r in fake.received if r.method == "GET"] == [f"/files/{SLUG}.zip"]


def test_submit_uploads_the_exact_bytes_without_auth(fake, tmp_path):
    file = tmp_path / "my-run.csv"
    file.write_bytes(b"Id,label\n3,1\n")
    ref = kaggle_api.submit(SLUG, file, "first try")
    start = fake.rpcs("StartSubmissionUpload")[0].json()
    assert start["competitionName"] == SLUG and start["fileName"] == "my-run.csv"
    assert start["contentLength"] == len(b"Id,label\n3,1\n")
    put = [r for r in fake.received if r.method == "PUT"]
    assert len(put) == 1 and put[0].body == b"Id,label\n3,1\n"
    assert "Authorization" not in put[0].headers
    create = fake.rpcs("CreateSubmission")[0].json()
    assert create["submissionDescription"] == "first try"
    assert create["blobFileTokens"] == put[0].path.rsplit("/", 1)[1]
    assert ref == fake.competitions[SLUG].submissions[0].ref


def test_a_failed_upload_is_an_error_not_ref_0(fake, tmp_path):
    file = tmp_path / "s.csv"
    file.write_bytes(b"Id,label\n3,1\n")
    fake.upload_status = 403
    with pytest.raises(KaggleError) as info:
        kaggle_api.submit(SLUG, file, "x")
    assert "upload of s.csv to Kaggle failed: nothing was submitted" in info.value.message
    assert not fake.rpcs("CreateSubmission") and not fake.competitions[SLUG].submissions


def test_list_submissions_reads_every_page(fake):
    for i in range(45):
        fake.add_submission(SLUG, description=f"s{i}", public=f"0.{i:02d}" if i % 2 else "")
    found = kaggle_api.list_submissions(SLUG)
    assert len(found) == 45 and len({s.ref for s in found}) == 45
    pages = [r.json() for r in fake.rpcs("ListSubmissions")]
    assert [(p.get("page"), p.get("pageSize")) for p in pages] == [(1, 20), (2, 20), (3, 20)]
    by_description = {s.description: s for s in found}
    assert by_description["s3"].public_score == 0.03 and by_description["s4"].public_score is None
    assert by_description["s3"].status == "complete"
    assert by_description["s3"].submitted_at.endswith("+00:00")
    assert [s.description for s in kaggle_api.list_submissions(SLUG, pages=1)][:1] == ["s44"]


def test_submission_limits(fake):
    fake.add_submission(SLUG)
    limits = kaggle_api.submission_limits(SLUG)
    assert (limits.made_today, limits.made_total, limits.left_today) == (1, 1, 4)


def test_an_api_token_is_checked_then_sent_as_bearer(fake, monkeypatch):
    kaggle_api._kaggle()  # imported first: its import-time sign-in must not go to kaggle.com
    monkeypatch.delenv("KAGGLE_USERNAME")
    monkeypatch.delenv("KAGGLE_KEY")
    monkeypatch.setenv("KAGGLE_API_TOKEN", "fake-token-91d7c0e5")
    kaggle_api.submission_limits(SLUG)
    introspect = [r for r in fake.received if r.rpc == "IntrospectToken"]
    assert introspect and introspect[0].json() == {"token": "fake-token-91d7c0e5"}
    assert fake.rpcs("GetSubmissionLimits")[0].headers["Authorization"] == (
        "Bearer fake-token-91d7c0e5"
    )
    monkeypatch.setenv("KAGGLE_API_TOKEN", "revoked-token-0000")  # introspection says inactive
    with pytest.raises(KaggleError) as info:
        kaggle_api.submission_limits(SLUG)
    assert "rejected the API token from KAGGLE_API_TOKEN" in info.value.message
    assert "revoked-token-0000" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "rejected the API key from KAGGLE_USERNAME and KAGGLE_KEY (HTTP 401)"),
        (403, "has not accepted its rules"),
        (404, f"Kaggle knows no competition '{SLUG}' (HTTP 404)"),
        (429, "rate limiting"),
        (500, "Kaggle answered HTTP 500"),
    ],
)
def test_status_codes_become_one_error(fake, status, expected):
    fake.fail("ListSubmissions", status)
    with pytest.raises(KaggleError) as info:
        kaggle_api.list_submissions(SLUG)
    assert expected in info.value.message and info.value.status == status
    assert KEY not in str(info.value) and BASIC not in str(info.value)
    if status == 403:
        assert f"https://www.kaggle.com/competitions/{SLUG}/rules" in info.value.hint


def test_an_answer_that_is_not_json_is_one_error(fake):
    fake.html_answers.add("GetSubmissionLimits")
    with pytest.raises(KaggleError) as info:
        kaggle_api.submission_limits(SLUG)
    assert "could not be read while reading the submission limits" in info.value.message


def test_a_closed_port_is_network_down(fake, monkeypatch):
    monkeypatch.setenv(ENDPOINT_ENV, closed_port_url())
    with pytest.raises(KaggleError) as info:
        kaggle_api.list_submissions(SLUG)
    assert "cannot reach the Kaggle API" in info.value.message
    assert "Connection refused" in info.value.message


def test_verbose_never_reaches_the_client(fake, monkeypatch, capfd):
    module = kaggle_api._kaggle()
    monkeypatch.setattr(module.KaggleApi, "args", ["--verbose"])  # as if VERBOSE=1 at import
    monkeypatch.setenv("VERBOSE", "1")
    api = kaggle_api._client(module, Path(os.environ["HOME"]) / ".kaggle/kaggle.json")
    assert api.args == []
    assert api.build_kaggle_client().http_client()._verbose is False
    monkeypatch.setattr(kaggle_api, "_session", None)
    kaggle_api.submission_limits(SLUG)
    out = capfd.readouterr()
    assert "Authorization" not in out.out + out.err and BASIC not in out.out + out.err


def test_importing_the_client_prints_nothing(home, capfd, monkeypatch):
    monkeypatch.setattr(kaggle_api, "_module", None)
    monkeypatch.setenv("VERBOSE", "1")
    for name in [m for m in list(sys.modules) if m.split(".")[0] == "kaggle"]:
        monkeypatch.delitem(sys.modules, name)  # imported afresh, put back afterwards
    kaggle_api._kaggle()  # no credentials: the client's authenticate() prints its help text
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""
    assert os.environ["VERBOSE"] == "1"  # put back once the client has read its settings
    assert "--verbose" not in kaggle_api._kaggle().KaggleApi.args
