"""``workbench download``, ``submit`` and ``sync``: the Kaggle side of the loop.

- :func:`download_competition` fetches the competition's archive into a scratch folder inside
  ``competitions/<name>/``, unzips it there (refusing absolute and ``..`` member paths and
  links), checks that the files ``competition.yaml`` names are in it, and only then renames
  them into ``data/``: each file appears whole or not at all, and a failed download leaves
  ``data/`` as it was.
- :func:`submit_run` re-validates a finished run's ``submission.csv`` against the sample
  submission, refuses a file already submitted (sha256) unless forced, uploads it as
  ``<run_id>.csv``, and records the reference in the run's ``submissions.json`` (the one file a
  finished run may gain) at once; ``wait`` then polls until Kaggle has scored it.
- :func:`sync_competition` reads the whole submission history and attaches status and scores to
  the runs they came from: by the reference recorded on a run, else (a submission made outside
  the workbench, e.g. of ``submissions/<c>/<run_id>.csv`` on the website) by a file name
  ``<run_id>.csv`` or a description naming exactly one run, and only when the size Kaggle
  reports (if any) is that of the run's file. Kaggle gives no file hashes: such a submission is
  recorded with the sha256 of the run's file it claims to be.

Every Kaggle call goes through :mod:`workbench.kaggle_api`.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from workbench import kaggle_api
from workbench.competition import Competition, Project, load_competition
from workbench.errors import UserError
from workbench.io import file_sha256
from workbench.record import (
    RECORD_FILE,
    RunRecord,
    SubmissionEntry,
    read_record,
    read_submissions,
    record_submission,
)
from workbench.rundir import SUBMISSION_FILE
from workbench.runs import find_run

POLL_ENV = "WORKBENCH_KAGGLE_POLL_SECONDS"
DEFAULT_POLL_SECONDS = 10.0
DEFAULT_WAIT_SECONDS = 1800.0
KINDS = ("train", "test", "sample_submission")

Note = Callable[[str], None]


def _silent(_: str) -> None:
    pass


def _credentials(note: Note) -> kaggle_api.Credentials:
    credentials = kaggle_api.require_credentials()
    for text in credentials.notes:
        note(f"warning: {text}")
    return credentials


def _about_slug(exc: kaggle_api.KaggleError, competition: Competition) -> UserError:
    """A 404 is about the slug in ``competition.yaml``: say so there."""
    if exc.status != 404:
        return exc
    return UserError(
        exc.message,
        where=f"{competition.directory / 'competition.yaml'}: slug",
        hint="write the competition's slug, the last part of its URL "
        "(https://www.kaggle.com/competitions/<slug>)",
    )


def _update_index(project: Project, run_dir: Path, note: Note) -> None:
    """The run index follows the run's new ``submissions.json`` (it is only a cache)."""
    from workbench import runindex

    try:
        runindex.update_run(project, run_dir)
    except UserError as exc:
        note(f"warning: the run index was not updated ({exc.message}); it catches up when read")


# -- download ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Downloaded:
    """The competition's ``data/`` folder, the files it got, and whether anything was fetched."""

    data_dir: Path
    files: tuple[str, ...]
    fetched: bool


def download_competition(
    project: Project, name: str, *, force: bool = False, note: Note = _silent
) -> Downloaded:
    """Fetch the competition's files into ``competitions/<name>/data/`` (see the module doc);
    nothing is fetched when the files ``competition.yaml`` names are there, unless ``force``."""
    competition = load_competition(name, project)
    spec = competition.spec
    wanted = [getattr(spec.files, kind) for kind in KINDS]
    if not force and all(competition.file(kind).is_file() for kind in KINDS):
        return Downloaded(competition.data_dir, tuple(wanted), fetched=False)
    _credentials(note)
    try:
        scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=competition.directory))
    except OSError as exc:
        raise UserError(
            f"cannot write here: {exc.strerror or exc}",
            where=str(competition.directory),
            hint="make the folder writable (or free some disk space) and run again",
        ) from None
    try:
        note(f"downloading the files of Kaggle competition '{spec.slug}' ...")
        try:
            archive = kaggle_api.download(spec.slug, scratch / "archive", force=True)
        except kaggle_api.KaggleError as exc:
            raise _about_slug(exc, competition) from None
        extracted = scratch / "files"
        members = extract_zip(archive, extracted)
        names = {str(member) for member in members}
        missing = [(kind, getattr(spec.files, kind)) for kind in KINDS]
        missing = [(kind, file) for kind, file in missing if file not in names]
        if missing:
            kind, file = missing[0]
            listed = ", ".join(sorted(names)[:12]) or "nothing"
            raise UserError(
                f"the download of '{spec.slug}' has no {file} (the {kind} file); it holds: "
                f"{listed}",
                where=f"{competition.directory / 'competition.yaml'}: files.{kind}",
                hint="name the files as the download does, in competition.yaml's files:; "
                "nothing was written to data/",
            )
        last = set(wanted)  # the files a run checks for go in last: present means complete
        order = sorted(members, key=lambda m: (str(m) in last, str(m)))
        _move_into(extracted, order, competition.data_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Downloaded(competition.data_dir, tuple(sorted(names)), fetched=True)


def _member_path(info: zipfile.ZipInfo, where: str) -> PurePosixPath | None:
    """The relative path of an archive member, None for a folder entry; an absolute path, a
    ``..``, or a link is refused (it could write outside the folder)."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    unsafe = (
        name.startswith("/")
        or re.match(r"[A-Za-z]:", name) is not None
        or ".." in path.parts
        or stat.S_ISLNK(info.external_attr >> 16)
    )
    if unsafe:
        raise UserError(
            f"the downloaded archive holds an unsafe member {info.filename!r} (an absolute "
            "path, a '..' or a link): nothing was extracted",
            where=where,
            hint="the archive was deleted; report it to the competition's hosts",
        )
    if info.is_dir() or not path.parts:
        return None
    return path


def extract_zip(archive: Path, dest: Path) -> list[PurePosixPath]:
    """Extract ``archive`` into ``dest`` after checking every member path; the files' paths."""
    where = f"{archive.name} (downloaded from Kaggle)"
    try:
        with zipfile.ZipFile(archive) as opened:
            members = [(info, _member_path(info, where)) for info in opened.infolist()]
            files = [(info, path) for info, path in members if path is not None]
            for info, path in files:
                target = dest.joinpath(*path.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with opened.open(info) as source, open(target, "xb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise UserError(
            f"the download is not a valid zip archive: {exc}",
            where=where,
            hint="run the same command again (add --force if the files are there)",
        ) from None
    except FileExistsError as exc:
        raise UserError(
            f"the downloaded archive holds {Path(exc.filename).name!r} twice",
            where=where,
            hint="nothing was written to data/",
        ) from None
    except OSError as exc:
        raise UserError(
            f"cannot extract the download: {exc.strerror or exc}",
            where=str(dest.parent.parent),
            hint="free some disk space or make the folder writable, then run again",
        ) from None
    return [path for _, path in files]


def _move_into(source: Path, members: Iterable[PurePosixPath], data_dir: Path) -> None:
    """Rename each extracted file into ``data_dir`` (same file system: atomic per file)."""
    try:
        for member in members:
            target = data_dir.joinpath(*member.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source.joinpath(*member.parts), target)
    except OSError as exc:
        raise UserError(
            f"cannot write the downloaded files: {exc.strerror or exc}",
            where=str(data_dir),
            hint="make it a writable folder (move away a file or folder in the way), "
            "then run again with --force",
        ) from None


# -- submit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """The run submitted, its entry in ``submissions.json`` (as last recorded), the daily
    limits after it (None if Kaggle did not say), and whether ``wait`` saw it scored."""

    run_dir: Path
    slug: str
    entry: SubmissionEntry
    limits: kaggle_api.Limits | None
    scored: bool = False


def poll_seconds() -> float:
    """Seconds between two looks at a submission being scored (``$WORKBENCH_KAGGLE_POLL_SECONDS``:
    tests make it short)."""
    raw = os.environ.get(POLL_ENV, "").strip()
    if not raw:
        return DEFAULT_POLL_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise UserError(
            f"not a number of seconds > 0: {raw!r}", where=POLL_ENV, hint="e.g. 10, or unset it"
        )
    return value


def check_submission(file: Path, competition: Competition) -> None:
    """Raise :class:`UserError` unless ``file`` matches the competition's sample submission."""
    from workbench.data import read_table
    from workbench.submission import validate_submission

    sample = competition.file("sample_submission")
    if not sample.is_file():
        raise UserError(
            "the sample submission is missing: the submission cannot be checked against it",
            where=str(sample),
            hint=f"`workbench download {competition.spec.name}` fetches it",
        )
    validate_submission(read_table(file), read_table(sample), competition.spec, where=str(file))


def finished_runs(project: Project, competition: str) -> dict[str, Path]:
    """The competition's finished runs by id (``runs/<competition>/<run_id>/metrics.json``)."""
    base = project.runs_dir(competition)
    if not base.is_dir():
        return {}
    return {
        path.parent.name: path.parent
        for path in sorted(base.glob(f"*/{RECORD_FILE}"))
        if not path.parent.name.startswith(".")
    }


def _earlier(project: Project, competition: str, digest: str) -> tuple[str, SubmissionEntry] | None:
    """The earliest submission of a file with this sha256 by any run of the competition, and
    that run's id."""
    found = [
        (entry.submitted_at, run_id, entry)
        for run_id, run_dir in finished_runs(project, competition).items()
        for entry in read_submissions(run_dir).submissions
        if entry.file_sha256 == digest
    ]
    if not found:
        return None
    _, run_id, entry = min(found, key=lambda item: (item[0], item[1]))
    return run_id, entry


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def submit_run(
    project: Project,
    run: str,
    *,
    message: str | None = None,
    wait: bool = False,
    timeout: float = DEFAULT_WAIT_SECONDS,
    force: bool = False,
    note: Note = _silent,
) -> Submitted:
    """Submit a finished run's ``submission.csv`` to Kaggle and record it (module doc)."""
    run_dir = find_run(run, project)
    record = read_record(run_dir)
    competition = load_competition(record.competition, project)
    slug = competition.spec.slug
    file = run_dir / SUBMISSION_FILE
    if not file.is_file():
        raise UserError(
            f"the run has no {SUBMISSION_FILE}",
            where=str(run_dir),
            hint="submit a run that wrote a submission (every complete `workbench run` does)",
        )
    check_submission(file, competition)
    digest = file_sha256(file)
    earlier = _earlier(project, record.competition, digest)
    if earlier is not None and not force:
        other, entry = earlier
        by = "" if other == record.run_id else f" by run {other}"
        raise UserError(
            f"this file was already submitted{by}: ref {entry.ref} on {entry.submitted_at}",
            where=str(file),
            hint="every submission counts against Kaggle's daily limit; "
            "add --force to submit it again",
        )
    interval = poll_seconds() if wait else DEFAULT_POLL_SECONDS
    _credentials(note)
    text = message if message is not None else default_message(record)

    with tempfile.TemporaryDirectory(prefix="workbench-submit-") as scratch:
        upload = Path(scratch) / f"{record.run_id}.csv"  # Kaggle lists the file by this name
        shutil.copyfile(file, upload)
        note(f"submitting {project.shown(file)} to Kaggle competition '{slug}' ...")
        try:
            ref = kaggle_api.submit(slug, upload, text)
        except kaggle_api.KaggleError as exc:
            raise _about_slug(exc, competition) from None

    entry = SubmissionEntry(
        ref=ref, submitted_at=_now(), message=text, file_sha256=digest, status="pending"
    )
    try:
        record_submission(run_dir, entry)
    except UserError as exc:
        raise UserError(
            f"Kaggle took the submission (ref {ref}), but it could not be recorded on the run: "
            f"{exc.message}",
            where=exc.where,
            hint=f"fix that, then `workbench sync {record.competition}` records it",
        ) from None
    _update_index(project, run_dir, note)
    note(f"submitted: ref {ref}, recorded in {project.shown(run_dir / 'submissions.json')}")
    limits: kaggle_api.Limits | None = None
    try:
        limits = kaggle_api.submission_limits(slug)
        note(limits_text(limits))
    except kaggle_api.KaggleError as exc:
        note(f"note: Kaggle did not say how many submissions are left today ({exc.message})")
    if not wait:
        return Submitted(run_dir, slug, entry, limits)
    return _wait(project, run_dir, slug, entry, limits, interval, timeout, note)


def default_message(record: RunRecord) -> str:
    """The run id (so the submission can be traced back), its config and its CV score."""
    summary = record.summary
    return (
        f"{record.run_id}: {record.config_name} ({record.model}), CV {record.metric.name} "
        f"{summary.valid_mean:.5f} ± {summary.valid_std:.5f}"
    )


def _wait(
    project: Project,
    run_dir: Path,
    slug: str,
    entry: SubmissionEntry,
    limits: kaggle_api.Limits | None,
    interval: float,
    timeout: float,
    note: Note,
) -> Submitted:
    """Poll the submission history until Kaggle has scored ``entry`` (or ``timeout`` passes)."""
    note(f"waiting for Kaggle to score it (a look every {interval:g} s, for at most {timeout:g} s)")
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = _find(slug, entry.ref)
        except kaggle_api.KaggleError as exc:
            later = (
                f"the submission itself is made and recorded (ref {entry.ref}): "
                f"`workbench sync {run_dir.parent.name}` fetches its score later"
            )
            raise kaggle_api.KaggleError(
                exc.message,
                where=exc.where,
                hint=f"{exc.hint}; {later}" if exc.hint else later,
                status=exc.status,
            ) from None
        if found is not None and found.status in ("complete", "error"):
            scored = entry.model_copy(
                update={
                    "status": found.status,
                    "public_score": found.public_score,
                    "private_score": found.private_score,
                    "error": found.error,
                }
            )
            record_submission(run_dir, scored)
            _update_index(project, run_dir, note)
            return Submitted(run_dir, slug, scored, limits, scored=True)
        if time.monotonic() + interval > deadline:
            return Submitted(run_dir, slug, entry, limits)
        time.sleep(interval)


def _find(slug: str, ref: int) -> kaggle_api.Submission | None:
    """The submission ``ref``: on the first page of the history (newest first), else anywhere."""
    for pages in (1, None):
        for submission in kaggle_api.list_submissions(slug, pages=pages):
            if submission.ref == ref:
                return submission
    return None


# -- sync -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One submission of Kaggle's history: the run it came from (None if none) and how it was
    matched, or why it was not; ``changed``: its run's ``submissions.json`` was updated."""

    submission: kaggle_api.Submission
    run_id: str | None
    how: str
    changed: bool = False


@dataclass
class Synced:
    history: list[Match] = field(default_factory=list)
    not_listed: list[tuple[str, int]] = field(default_factory=list)  # (run id, ref) unknown
    updated: list[str] = field(default_factory=list)  # run ids whose submissions.json changed


def _named_runs(
    submission: kaggle_api.Submission, runs: dict[str, Path]
) -> tuple[set[str], set[str]]:
    """The runs the submission's file name (``<run_id>.csv``) and description name."""
    by_name = {run_id for run_id in runs if submission.file_name == f"{run_id}.csv"}
    by_text = {
        run_id
        for run_id in runs
        if re.search(rf"(?<![\w.-]){re.escape(run_id)}(?![\w-])", submission.description)
    }
    return by_name, by_text


def _match(submission: kaggle_api.Submission, runs: dict[str, Path]) -> tuple[str | None, str]:
    """The run a submission made outside the workbench came from, and how it was decided."""
    by_name, by_text = _named_runs(submission, runs)
    if len(by_name) == 1:
        run_id, how = next(iter(by_name)), "by file name"
    elif len(by_text) == 1:
        run_id, how = next(iter(by_text)), "by description"
    elif len(by_text) > 1:
        return None, f"its description names {len(by_text)} runs"
    else:
        return None, "from no run of this competition"
    file = runs[run_id] / SUBMISSION_FILE
    if not file.is_file():
        return None, f"names run {run_id}, which has no {SUBMISSION_FILE}"
    if submission.total_bytes and submission.total_bytes != file.stat().st_size:
        return None, f"names run {run_id}, but its size differs from the run's file"
    return run_id, how


def sync_competition(project: Project, name: str, *, note: Note = _silent) -> Synced:
    """Attach Kaggle's status and scores of every submission to the runs they came from."""
    competition = load_competition(name, project)
    slug = competition.spec.slug
    runs = finished_runs(project, name)
    _credentials(note)
    note(f"reading the submission history of Kaggle competition '{slug}' ...")
    try:
        history = kaggle_api.list_submissions(slug)
    except kaggle_api.KaggleError as exc:
        raise _about_slug(exc, competition) from None

    recorded: dict[int, tuple[str, SubmissionEntry]] = {
        entry.ref: (run_id, entry)
        for run_id, run_dir in runs.items()
        for entry in read_submissions(run_dir).submissions
    }
    result = Synced()
    for submission in history:
        scores = {
            "status": submission.status,
            "public_score": submission.public_score,
            "private_score": submission.private_score,
            "error": submission.error,
        }
        old: SubmissionEntry | None = None
        if submission.ref in recorded:
            run_id, old = recorded[submission.ref]
            entry = old.model_copy(update=scores)
            how = "by ref"
        else:
            found, how = _match(submission, runs)
            if found is None:
                result.history.append(Match(submission, None, how))
                continue
            run_id = found
            entry = SubmissionEntry(
                ref=submission.ref,
                submitted_at=submission.submitted_at or _now(),
                message=submission.description,
                file_sha256=file_sha256(runs[run_id] / SUBMISSION_FILE),
                **scores,
            )
        changed = entry != old
        if changed:
            record_submission(runs[run_id], entry)
            if run_id not in result.updated:
                result.updated.append(run_id)
        result.history.append(Match(submission, run_id, how, changed))
    listed = {submission.ref for submission in history}
    result.not_listed = sorted(
        (run_id, ref) for ref, (run_id, _) in recorded.items() if ref not in listed
    )
    for run_id in result.updated:
        _update_index(project, runs[run_id], note)
    return result


# -- what the commands print ------------------------------------------------------------------


def score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.5f}"


def limits_text(limits: kaggle_api.Limits) -> str:
    cap = ", limited by the competition's total cap" if limits.limited_by_total else ""
    return (
        f"submissions left today: {limits.left_today} "
        f"({limits.made_today} made today, {limits.made_total} in all{cap})"
    )


def sync_lines(result: Synced) -> list[str]:
    """One line per submission of the history (matched or not, and why), then a summary."""
    lines = []
    for match in result.history:
        s = match.submission
        state = s.status + (f" ({s.error})" if s.status == "error" and s.error else "")
        head = (
            f"ref {s.ref} {(s.submitted_at or '')[:16].replace('T', ' ')}: {state}, "
            f"public {score_text(s.public_score)}, private {score_text(s.private_score)}"
        )
        if match.run_id:
            updated = ", updated" if match.changed else ""
            lines.append(f"{head} -> {match.run_id} ({match.how}{updated})")
        else:
            text = s.description if len(s.description) <= 60 else s.description[:57] + "..."
            lines.append(
                f"{head} -> no run: {match.how} (file {s.file_name!r}, description {text!r})"
            )
    for run_id, ref in result.not_listed:
        lines.append(f"ref {ref} of run {run_id} is not in this account's Kaggle history")
    total = len(result.history)
    matched = sum(match.run_id is not None for match in result.history)
    lines.append(
        f"{total} submission{'s' if total != 1 else ''} on Kaggle: {matched} matched to runs, "
        f"{total - matched} not; {len(result.updated)} run{'s' if len(result.updated) != 1 else ''}"
        " updated"
    )
    return lines
