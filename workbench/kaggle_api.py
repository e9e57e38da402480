"""The one place that talks to Kaggle: the official ``kaggle`` client, behind small typed calls.

``kaggle`` is imported here only, lazily, and never allowed to speak: its import runs
``authenticate()``, which prints a help text (and may make a network call); ``VERBOSE`` makes it
print every request *with its Authorization header*; a world-readable ``kaggle.json`` makes it
print a warning. So ``VERBOSE``/``VERBOSE_OUTPUT`` are removed from the environment while it is
imported, the client is built without its verbose flag, and stdout/stderr are swallowed around
the import and around every call. Whatever goes wrong becomes one :class:`KaggleError` (exit 2)
chosen on the HTTP status code, never on the client's wording, and no credential (key, token,
the Basic header made from them) ever appears in a message.

``WORKBENCH_KAGGLE_ENDPOINT`` (``http://127.0.0.1:8080``) sends every request to another base
URL than ``https://api.kaggle.com``: a proxy, or the fake Kaggle server of the tests.
Facts about the client: ``../shared/docs/kaggle-api.md``.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from workbench.errors import UserError

ENDPOINT_ENV = "WORKBENCH_KAGGLE_ENDPOINT"
KAGGLE_API_URL = "https://api.kaggle.com"
SETTINGS = "https://www.kaggle.com/settings -> API -> Create New Token"
PAGE_SIZE = 20  # ListSubmissions page size: Kaggle's default, and its usual maximum
UPLOAD_FAILED = "Could not submit to competition"  # what competition_submit says then
MAX_PAGES = 1000  # a server that never sends a short page cannot keep us paging forever
_VERBOSE_VARIABLES = ("VERBOSE", "VERBOSE_OUTPUT")  # read once by kaggle at import


class KaggleError(UserError):
    """A Kaggle call that failed in a way the user can act on; ``status`` is the HTTP code."""

    def __init__(
        self, message: str, *, where: str | None = None, hint: str | None = None, status: int = 0
    ):
        super().__init__(message, where=where, hint=hint)
        self.status = status


def competition_url(slug: str) -> str:
    return f"https://www.kaggle.com/competitions/{slug}"


# -- credentials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Which credentials the client will use and where they were found; ``secrets`` are every
    credential string present (kept out of ``repr``), all of which :meth:`scrub` hides."""

    kind: str  # "API token", "API key" or "OAuth login"
    source: str  # a path or environment variable names: never a secret
    secrets: tuple[str, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()  # warnings worth showing (a kaggle.json others can read)

    def scrub(self, text: str) -> str:
        """``text`` with every secret, and any Basic or Bearer header value, replaced by ***."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return re.sub(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}", r"\1 ***", text)


def config_dir() -> Path:
    """Where the client looks for ``kaggle.json``: ``$KAGGLE_CONFIG_DIR``, else ``~/.kaggle``,
    else (Linux, when ``~/.kaggle`` does not exist) ``$XDG_CONFIG_HOME/kaggle``."""
    configured = os.environ.get("KAGGLE_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    home = Path.home() / ".kaggle"
    if sys.platform.startswith("linux") and not home.exists():
        xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(xdg) / "kaggle"
    return home


def _read_token(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _token() -> tuple[str, str] | None:
    """An API token and where it is, as the client finds it: ``$KAGGLE_API_TOKEN`` (a value, or
    a file when such a path exists; an empty file means none), else ``~/.kaggle/access_token``."""
    variable = os.environ.get("KAGGLE_API_TOKEN")
    if variable:
        path = Path(variable)
        if not path.exists():
            return variable, "KAGGLE_API_TOKEN"
        value = _read_token(path)
        return (value, f"KAGGLE_API_TOKEN (the file {path})") if value else None
    for name in ("access_token", "access_token.txt"):
        path = Path.home() / ".kaggle" / name
        value = _read_token(path)
        if value:
            return value, str(path)
    return None


def find_credentials() -> Credentials | None:
    """The credentials the client would use, in its order: an API token (:func:`_token`), an
    API key (``KAGGLE_USERNAME`` and ``KAGGLE_KEY``, each overriding ``kaggle.json`` in
    :func:`config_dir`), an OAuth login (``~/.kaggle/credentials.json``); None if there are
    none. Reads files, sends nothing."""
    secrets: list[str] = []
    found: list[tuple[str, str]] = []  # (kind, source), in the client's order
    notes: list[str] = []
    token = _token()
    if token:
        secrets.append(token[0])
        found.append(("API token", token[1]))

    config = config_dir() / "kaggle.json"
    from_file: dict[str, Any] = {}
    broken: str | None = None
    if config.is_file():
        try:
            loaded = json.loads(config.read_text(encoding="utf-8") or "{}")
            from_file = loaded if isinstance(loaded, dict) else {}
        except OSError as exc:
            broken = f"cannot read it: {exc.strerror}"
        except (UnicodeDecodeError, ValueError):
            broken = "it is not valid JSON"
        if os.name != "nt" and config.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
            notes.append(f"{config} is readable by other users of this machine: chmod 600 it")
    username = os.environ.get("KAGGLE_USERNAME") or from_file.get("username")
    key = os.environ.get("KAGGLE_KEY") or from_file.get("key")
    secrets += [str(k) for k in (os.environ.get("KAGGLE_KEY"), from_file.get("key")) if k]
    if username and key:
        secrets.append(base64.b64encode(f"{username}:{key}".encode()).decode())
        places = [name for name in ("KAGGLE_USERNAME", "KAGGLE_KEY") if os.environ.get(name)]
        if len(places) < 2:
            places.append(str(config))
        found.append(("API key", " and ".join(places)))

    oauth = Path.home() / ".kaggle" / "credentials.json"
    try:
        data = json.loads(oauth.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        data = None
    if isinstance(data, dict):
        secrets += [str(data[k]) for k in ("refresh_token", "access_token") if data.get(k)]
        if data.get("refresh_token"):
            found.append(("OAuth login", str(oauth)))

    if not found:
        if broken:
            raise UserError(
                f"the Kaggle credentials file is unusable: {broken}",
                where=str(config),
                hint='it should hold {"username": "...", "key": "..."}: '
                f"download a new one from {SETTINGS}",
            )
        return None
    if broken:
        notes.append(f"{config} is ignored: {broken}")
    kind, source = found[0]
    return Credentials(kind, source, tuple(secrets), tuple(notes))


def require_credentials() -> Credentials:
    """:func:`find_credentials`, or a :class:`UserError` saying where to put them."""
    found = find_credentials()
    if found is None:
        path = config_dir() / "kaggle.json"
        raise UserError(
            "no Kaggle credentials found",
            where="Kaggle API",
            hint=f"create a token at {SETTINGS}, save the downloaded kaggle.json as {path} "
            f"and run chmod 600 {path}; or set KAGGLE_USERNAME and KAGGLE_KEY "
            "(or KAGGLE_API_TOKEN) in the environment",
        )
    return found


# -- the client -------------------------------------------------------------------------------


def endpoint() -> str:
    """The base URL requests go to: ``$WORKBENCH_KAGGLE_ENDPOINT`` or Kaggle's API."""
    return endpoint_override() or KAGGLE_API_URL


def endpoint_override() -> str | None:
    """``$WORKBENCH_KAGGLE_ENDPOINT`` as ``scheme://host[:port]``, None when unset."""
    raw = os.environ.get(ENDPOINT_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise UserError(
            f"not a base URL: {raw!r}",
            where=ENDPOINT_ENV,
            hint="give scheme, host and port only (e.g. http://127.0.0.1:8080), "
            "or unset it to talk to Kaggle",
        )
    return f"{parts.scheme}://{parts.netloc}"


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Swallow what the client prints (help texts, warnings, progress bars)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


_module: ModuleType | None = None


def _kaggle() -> ModuleType:
    """``kaggle.api.kaggle_api_extended``, imported once, silently, with ``VERBOSE`` off."""
    global _module
    if _module is None:
        saved = {name: os.environ.pop(name) for name in _VERBOSE_VARIABLES if name in os.environ}
        try:
            with _silenced():
                _module = importlib.import_module("kaggle.api.kaggle_api_extended")
        except (Exception, SystemExit) as exc:  # ImportError; OSError making its config folder
            detail = str(exc) if isinstance(exc, ImportError | OSError) else ""
            raise UserError(
                f"the kaggle package cannot be imported: {type(exc).__name__}"
                + (f": {detail}" if detail else ""),
                where="Kaggle API",
                hint="install it (pip install 'kaggle>=2.2.4,<3' six) and make sure its "
                f"config folder {config_dir()} can be created",
            ) from None
        finally:
            os.environ.update(saved)
    return _module


def _client(module: ModuleType, config: Path) -> Any:
    """A ``KaggleApi`` that reads ``config`` (the client fixes its path at import), never
    prints requests, and talks to :func:`endpoint`."""

    class Api(module.KaggleApi):  # type: ignore[name-defined,misc]
        def build_kaggle_client(self) -> Any:
            client = super().build_kaggle_client()
            override = endpoint_override()
            if override:
                # kagglesdk 0.1.x has no public setting for the base URL: KaggleHttpClient
                # keeps it in ``_endpoint`` and builds every request URL from it. The one
                # place the workbench touches a private attribute of the client.
                client.http_client()._endpoint = override
            return client

    api = Api()
    api.config_dir = str(config.parent)
    api.config = str(config)
    api.args = [arg for arg in api.args if arg not in ("--verbose", "-v")]
    return api


_session: tuple[tuple[Credentials, str, Path], Any] | None = None


def _signed_in() -> tuple[Any, Credentials]:
    """A signed-in client (reused while the credentials and endpoint stay the same)."""
    global _session
    credentials = require_credentials()
    key = (credentials, endpoint(), config_dir() / "kaggle.json")
    if _session is None or _session[0] != key:
        module = _kaggle()
        api = _client(module, key[2])
        with _calling(credentials, None, "signing in"):
            api.authenticate()
        _session = (key, api)
    return _session[1], credentials


@contextlib.contextmanager
def _calling(credentials: Credentials, slug: str | None, doing: str) -> Iterator[None]:
    """Run client code silently; turn its failures into one :class:`KaggleError`."""
    import requests

    try:
        with _silenced():
            yield
    except SystemExit:  # authenticate() accepted none of them (e.g. a rejected token)
        raise _rejected(credentials) from None
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        raise _http_error(status, exc, credentials, slug, doing) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise KaggleError(
            f"cannot reach the Kaggle API while {doing}: {_network_reason(exc)}",
            where=endpoint(),
            hint="check the network connection (and any proxy), then run the same command again",
        ) from None
    except requests.exceptions.RequestException as exc:
        detail = credentials.scrub(" ".join(str(exc).split()))[:300] or type(exc).__name__
        raise KaggleError(
            f"the Kaggle API request failed while {doing}: {detail}",
            where=endpoint(),
            hint="run the same command again later",
        ) from None
    except ValueError:  # an answer that is not the API's JSON (an HTML page from a proxy...)
        raise KaggleError(
            f"the answer to a Kaggle API request could not be read while {doing}",
            where=endpoint(),
            hint="if a proxy or captive portal is in the way, sign in to it; "
            "else run the same command again later",
        ) from None


def _rejected(credentials: Credentials, status: int = 0) -> KaggleError:
    code = f" (HTTP {status})" if status else ""
    return KaggleError(
        f"Kaggle rejected the {credentials.kind} from {credentials.source}{code}: "
        "a wrong username or key, or an expired or revoked token",
        where="Kaggle API",
        hint=f"create a new token at {SETTINGS} and put it in {credentials.source}",
        status=status or 401,
    )


def _http_error(
    status: int, exc: Exception, credentials: Credentials, slug: str | None, doing: str
) -> KaggleError:
    where = competition_url(slug) if slug else endpoint()
    if status == 401:
        return _rejected(credentials, status)
    if status == 403 and slug:
        return KaggleError(
            f"Kaggle refused access to competition '{slug}' (HTTP 403): this account has not "
            "accepted its rules",
            where=where,
            hint=f"accept them on the website, signed in with this account: "
            f"{competition_url(slug)}/rules, then run the same command again",
            status=status,
        )
    if status == 404 and slug:
        return KaggleError(
            f"Kaggle knows no competition '{slug}' (HTTP 404)",
            where=where,
            hint="check the slug: it is the last part of the competition's URL, "
            "https://www.kaggle.com/competitions/<slug>",
            status=status,
        )
    if status == 429:
        return KaggleError(
            f"Kaggle is rate limiting this account (HTTP 429: too many requests) while {doing}",
            where=where,
            hint="wait a few minutes, then run the same command again",
            status=status,
        )
    detail = credentials.scrub(" ".join(str(exc).split()))[:300]
    return KaggleError(
        f"Kaggle answered HTTP {status or '(no status)'} while {doing}"
        + (f": {detail}" if detail else ""),
        where=where,
        hint="run the same command again later",
        status=status,
    )


def _network_reason(exc: Exception) -> str:
    """The useful end of a requests connection error (``Connection refused``)."""
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    found = re.findall(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return found[-1].strip() if found else "the connection failed"


# -- the calls --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """One entry of a competition's submission history, as Kaggle lists it."""

    ref: int
    submitted_at: str | None  # ISO-8601, UTC
    description: str
    file_name: str
    status: str  # pending | complete | error
    public_score: float | None
    private_score: float | None
    error: str | None
    total_bytes: int | None


@dataclass(frozen=True)
class Limits:
    """Submissions made today and in all, and how many more are allowed today."""

    made_today: int
    made_total: int
    left_today: int
    limited_by_total: bool


def parse_score(text: Any) -> float | None:
    """A score as Kaggle sends it (a string, ``""`` when there is none) as a float or None."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def download(slug: str, dest_dir: Path, force: bool = False) -> Path:
    """Download the competition's files as one archive into ``dest_dir``; its path. Not unzipped:
    the caller checks and extracts it."""
    api, credentials = _signed_in()
    dest_dir.mkdir(parents=True, exist_ok=True)
    with _calling(credentials, slug, "downloading the competition files"):
        api.competition_download_files(slug, path=str(dest_dir), force=force, quiet=True)
    found = sorted(p for p in dest_dir.glob(f"{_glob_escape(slug)}.*") if p.is_file())
    archives = [p for p in found if not p.name.endswith(".kaggle-partial")]
    if not archives:
        raise KaggleError(
            f"Kaggle sent no file for competition '{slug}'",
            where=competition_url(slug),
            hint="run the same command again later",
        )
    return archives[0]


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def submit(slug: str, file: Path, message: str) -> int:
    """Upload ``file`` and submit it with ``message``; Kaggle's reference of the submission.

    The client reports a failed upload only by returning reference 0: that is an error here.
    """
    api, credentials = _signed_in()
    with _calling(credentials, slug, "submitting"):
        response = api.competition_submit(str(file), message, slug, quiet=True)
    ref = int(getattr(response, "ref", 0) or 0)
    if ref <= 0:
        said = credentials.scrub(str(getattr(response, "message", "") or "")).strip()
        if said == UPLOAD_FAILED:  # the client's own words for a failed upload: nothing new
            said = ""
        raise KaggleError(
            f"the upload of {file.name} to Kaggle failed: nothing was submitted"
            + (f" (Kaggle: {said})" if said else ""),
            where=competition_url(slug),
            hint="run the same command again; if it keeps failing, check the network "
            "(and any proxy)",
        )
    return ref


def _submission(item: Any) -> Submission:
    status = getattr(item.status, "name", str(item.status or "PENDING")).lower()
    date = item.date
    if isinstance(date, datetime):
        date = (date if date.tzinfo else date.replace(tzinfo=UTC)).astimezone(UTC)
        submitted_at: str | None = date.isoformat(timespec="seconds")
    else:
        submitted_at = str(date) if date else None
    return Submission(
        ref=int(item.ref or 0),
        submitted_at=submitted_at,
        description=item.description or "",
        file_name=item.file_name or "",
        status=status,
        public_score=parse_score(item.public_score),
        private_score=parse_score(item.private_score),
        error=item.error_description or None,
        total_bytes=item.total_bytes or None,
    )


def list_submissions(
    slug: str, page_size: int = PAGE_SIZE, pages: int | None = None
) -> list[Submission]:
    """This account's submission history of the competition, newest first: every page (the
    client gives one page a call), or the first ``pages``."""
    api, credentials = _signed_in()
    found: dict[int, Submission] = {}
    for page in range(1, min(pages or MAX_PAGES, MAX_PAGES) + 1):
        with _calling(credentials, slug, "listing the submissions"):
            items = api.competition_submissions(slug, page_size=page_size, page_number=page)
        items = [_submission(item) for item in items or [] if item is not None]
        new = [s for s in items if s.ref not in found]
        found.update((s.ref, s) for s in new)
        if len(items) < page_size or not new:  # the last page (or a server repeating itself)
            break
    return list(found.values())


def submission_limits(slug: str) -> Limits:
    """Submissions made today and in all, and how many more Kaggle allows today."""
    api, credentials = _signed_in()
    with _calling(credentials, slug, "reading the submission limits"):
        limits = api.competition_get_submission_limits(slug)
    return Limits(
        made_today=int(limits.num_today or 0),
        made_total=int(limits.num_total or 0),
        left_today=int(limits.num_allowed_now or 0),
        limited_by_total=bool(limits.limited_by_total),
    )
