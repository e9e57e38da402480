"""A fake Kaggle API server on 127.0.0.1 for the tests of the Kaggle commands.

It speaks the protocol of ``../shared/docs/kaggle-api.md`` to the real ``kaggle`` client:
``POST .../competitions.CompetitionApiService/<Method>`` (under ``/v1/`` or ``/api/v1/``:
matched on the method name), a blob upload by ``PUT`` without auth, a download by a 302 to a
``.zip`` URL. It checks the credentials on every RPC, can be told to fail any RPC with a
status code (401/403/404/429...) or the upload with a 4xx, and records every request it
received (method, path, headers, body) so tests can check what the client sent.
"""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVICE = "competitions.CompetitionApiService"
RPC_PATH = re.compile(r"(?:/api)?/v1/([A-Za-z.]+)/([A-Za-z]+)")  # both prefixes the client uses


@dataclass(frozen=True)
class Received:
    """One request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def rpc(self) -> str | None:
        """The RPC's method name (``ListSubmissions``), None for uploads and downloads."""
        found = RPC_PATH.fullmatch(self.path.split("?")[0])
        return found.group(2) if found else None

    @property
    def service(self) -> str | None:
        found = RPC_PATH.fullmatch(self.path.split("?")[0])
        return found.group(1) if found else None

    def json(self) -> dict[str, Any]:
        return json.loads(self.body or b"{}")


@dataclass
class FakeSubmission:
    ref: int
    date: datetime
    description: str
    file_name: str
    status: str = "PENDING"
    public_score: str = ""
    private_score: str = ""
    error: str = ""
    content: bytes = b""
    polls: int = 0  # ListSubmissions answers that listed it while pending

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "ref": self.ref,
            "date": self.date.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "description": self.description,
            "fileName": self.file_name,
            "publicScore": self.public_score,
            "privateScore": self.private_score,
            "status": self.status,
            "totalBytes": len(self.content) if self.content else None,
        }
        if self.error:
            item["errorDescription"] = self.error
        return {k: v for k, v in item.items() if v is not None}


@dataclass
class FakeCompetition:
    files: dict[str, bytes]
    zip_bytes: bytes | None = None  # served instead of a zip of ``files`` (a crafted archive)
    submissions: list[FakeSubmission] = field(default_factory=list)

    def archive(self) -> bytes:
        if self.zip_bytes is not None:
            return self.zip_bytes
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.files.items():
                archive.writestr(name, data)
        return buffer.getvalue()


class FakeKaggle:
    """The fake server: ``with FakeKaggle(...) as fake:``, then point the client at ``fake.url``.

    ``username``/``key`` are the legacy credentials it accepts (HTTP Basic), ``token`` an API
    token (Bearer, also answered by ``IntrospectToken``). ``fail(rpc, status)`` makes an RPC
    (or ``"*"``: every RPC) answer ``status``; ``upload_status`` is the answer to the ``PUT``.
    A submission is scored after ``polls_before_scored`` listings by ``scorer(content)``, which
    returns ``(status, public, private, error)``.
    """

    def __init__(
        self,
        username: str = "tester",
        key: str = "fake-key",
        token: str | None = None,
        daily_limit: int = 5,
    ):
        self.username, self.key, self.token = username, key, token
        self.daily_limit = daily_limit
        self.competitions: dict[str, FakeCompetition] = {}
        self.failures: dict[str, int] = {}
        self.upload_status = 200
        self.html_answers: set[str] = set()  # RPCs answered by an HTML page (a proxy's, say)
        self.polls_before_scored = 0
        self.scorer: Callable[[bytes], tuple[str, str, str, str]] | None = None
        self.received: list[Received] = []
        self.uploads: dict[str, bytes] = {}
        self._upload_names: dict[str, str] = {}
        self._next_ref = 50_000_001
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- control ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeKaggle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_competition(self, slug: str, files: dict[str, bytes]) -> FakeCompetition:
        self.competitions[slug] = FakeCompetition(files=dict(files))
        return self.competitions[slug]

    def fail(self, rpc: str, status: int) -> None:
        self.failures[rpc] = status

    def add_submission(
        self,
        slug: str,
        *,
        description: str = "",
        file_name: str = "submission.csv",
        status: str = "COMPLETE",
        public: str = "",
        private: str = "",
        content: bytes = b"",
        date: datetime | None = None,
    ) -> FakeSubmission:
        """A submission already in the competition's history (made on the website, say)."""
        with self._lock:
            submission = FakeSubmission(
                ref=self._take_ref(),
                date=date or datetime.now(UTC),
                description=description,
                file_name=file_name,
                status=status,
                public_score=public,
                private_score=private,
                content=content,
            )
            self.competitions[slug].submissions.append(submission)
        return submission

    def rpcs(self, name: str | None = None) -> list[Received]:
        """The RPC requests received (only ``name``'s if given), in order."""
        return [r for r in self.received if r.rpc and (name is None or r.rpc == name)]

    def _take_ref(self) -> int:
        self._next_ref += 1
        return self._next_ref

    # -- the protocol -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._answer(self, "POST")

            def do_PUT(self) -> None:
                fake._answer(self, "PUT")

            def do_GET(self) -> None:
                fake._answer(self, "GET")

        return Handler

    def _read_body(self, handler: BaseHTTPRequestHandler) -> bytes:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    handler.rfile.readline()
                    return b"".join(chunks)
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        body = self._read_body(handler)
        request = Received(method, handler.path, dict(handler.headers.items()), body)
        with self._lock:
            self.received.append(request)
        try:
            status, headers, payload = self._route(request)
        except Exception as exc:  # a bug in the fake: say so to the client, loudly
            status, headers, payload = _json(500, {"code": 500, "message": repr(exc)})
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _route(self, request: Received) -> tuple[int, dict[str, str], bytes]:
        path = request.path.split("?")[0]
        if request.method == "PUT" and path.startswith("/upload/"):
            return self._upload(path.removeprefix("/upload/"), request.body)
        if request.method == "GET" and path.startswith("/files/") and path.endswith(".zip"):
            return self._zip(path.removeprefix("/files/").removesuffix(".zip"))
        rpc = request.rpc
        if request.method != "POST" or rpc is None:
            return _json(404, {"code": 404, "message": f"no such path: {path}"})
        if request.service == "security.OAuthService" and rpc == "IntrospectToken":
            token = request.json().get("token")
            active = self.token is not None and token == self.token
            return _json(200, {"active": active, "username": self.username if active else ""})
        if request.service != SERVICE:
            return _json(404, {"code": 404, "message": f"unknown service {request.service}"})
        if rpc in self.html_answers:
            return 200, {"Content-Type": "text/html"}, b"<html><body>Sign in</body></html>"
        failure = self.failures.get(rpc, self.failures.get("*"))
        if failure:
            return _json(failure, {"code": failure, "message": f"fake failure {failure}"})
        if not self._authorized(request):
            return _json(401, {"code": 401, "message": "Unauthenticated"})
        data = request.json()
        slug = data.get("competitionName", "")
        handler = getattr(self, f"_rpc_{rpc}", None)
        if handler is None:
            return _json(404, {"code": 404, "message": f"unknown method {rpc}"})
        if slug not in self.competitions:
            return _json(404, {"code": 404, "message": "Competition not found"})
        return handler(self.competitions[slug], slug, data)

    def _authorized(self, request: Received) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            expected = base64.b64encode(f"{self.username}:{self.key}".encode()).decode()
            return header.removeprefix("Basic ") == expected
        if header.startswith("Bearer ") and self.token:
            return header.removeprefix("Bearer ") == self.token
        return False

    # -- the RPCs -----------------------------------------------------------------------------

    def _rpc_StartSubmissionUpload(
        self, competition: FakeCompetition, slug: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            token = f"blob-{self._take_ref()}"
            self._upload_names[token] = data.get("fileName", "")
        return _json(200, {"token": token, "createUrl": f"{self.url}/upload/{token}"})

    def _upload(self, token: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.upload_status >= 300:
            return _json(self.upload_status, {"code": self.upload_status, "message": "refused"})
        if token not in self._upload_names:
            return _json(404, {"code": 404, "message": "unknown upload"})
        with self._lock:
            self.uploads[token] = body
        return 200, {}, b""

    def _rpc_CreateSubmission(
        self, competition: FakeCompetition, slug: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        token = data.get("blobFileTokens", "")
        if token not in self.uploads:
            return _json(400, {"code": 400, "message": "no such upload"})
        with self._lock:
            submission = FakeSubmission(
                ref=self._take_ref(),
                date=datetime.now(UTC),
                description=data.get("submissionDescription", ""),
                file_name=self._upload_names[token],
                content=self.uploads[token],
            )
            competition.submissions.append(submission)
        return _json(200, {"message": "Successfully submitted", "ref": submission.ref})

    def _rpc_ListSubmissions(
        self, competition: FakeCompetition, slug: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        size = int(data.get("pageSize") or 20)
        page = int(data.get("page") or 1)
        with self._lock:
            ordered = sorted(competition.submissions, key=lambda s: (s.date, s.ref), reverse=True)
            shown = ordered[(page - 1) * size : page * size]
            for submission in shown:
                self._maybe_score(submission)
            items = [s.as_json() for s in shown]
        return _json(200, {"submissions": items})

    def _maybe_score(self, submission: FakeSubmission) -> None:
        if submission.status != "PENDING" or self.scorer is None:
            return
        submission.polls += 1
        if submission.polls > self.polls_before_scored:
            status, public, private, error = self.scorer(submission.content)
            submission.status, submission.error = status, error
            submission.public_score, submission.private_score = public, private

    def _rpc_GetSubmissionLimits(
        self, competition: FakeCompetition, slug: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        today = datetime.now(UTC).date()
        made_today = sum(s.date.date() == today for s in competition.submissions)
        return _json(
            200,
            {
                "numToday": made_today,
                "numTotal": len(competition.submissions),
                "numAllowedNow": max(0, self.daily_limit - made_today),
            },
        )

    def _rpc_DownloadDataFiles(
        self, competition: FakeCompetition, slug: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": f"{self.url}/files/{slug}.zip"}, b""

    def _zip(self, slug: str) -> tuple[int, dict[str, str], bytes]:
        if slug not in self.competitions:
            return _json(404, {"code": 404, "message": "not found"})
        modified = datetime.now(UTC) - timedelta(days=1)
        headers = {
            "Content-Type": "application/zip",
            "Last-Modified": format_datetime(modified, usegmt=True),
        }
        return 200, headers, self.competitions[slug].archive()

    def _rpc_ListDataFiles(
        self, competition: FakeCompetition, slug: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        files = [
            {"name": name, "totalBytes": len(content), "creationDate": "2026-01-01T00:00:00Z"}
            for name, content in competition.files.items()
        ]
        return _json(200, {"files": files})


def _json(status: int, obj: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def isolate_credentials(monkeypatch: Any, home: Any) -> None:
    """No credential of the machine reaches a test: ``HOME`` is ``home`` (a temp folder), and
    every ``KAGGLE_*`` variable, ``VERBOSE`` and the workbench's Kaggle settings are unset."""
    import os

    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("KAGGLE_", "WORKBENCH_KAGGLE_")) or name in (
            "VERBOSE",
            "VERBOSE_OUTPUT",
            "XDG_CONFIG_HOME",
        ):
            monkeypatch.delenv(name)
