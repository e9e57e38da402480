"""Interrupts with real processes and real signals: SIGINT, SIGTERM, SIGHUP, two SIGINTs 5 ms
apart and kill -9, at several points of ``python -m workbench run``.

Whatever the moment, afterwards: a run's directory exists if and only if its published
submission does, no ``.partial`` is left (except by kill -9, which ``workbench clean`` then
removes, leaving a live run's alone), and the exit code and message tell the truth: a complete
run says so, names itself and exits 0; otherwise "nothing was written" and 128 + the signal.

The moments are found by polling the filesystem (and stderr for the first fold), not by hooks
in the code; the scenarios run concurrently to keep the file short. Only the kill -9 between
the rename and the publication needs a stand-in (a process whose publication never returns).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from synthetic import BASE_FEATURES, LOGISTIC_BINARY, SPECS, write_competition, write_config

from workbench import interrupts
from workbench.cli import main
from workbench.competition import Project
from workbench.errors import UserError
from workbench.rundir import SUBMISSION_FILE, RunDirectory
from workbench.runs import find_run, tidy

pytestmark = pytest.mark.timeout(240)

COMPETITION = "synth_binary"
SLOW_CV = {  # ten folds of a forest: the first fold is printed well before CV ends
    **LOGISTIC_BINARY,
    "features": BASE_FEATURES,
    "model": {"kind": "random_forest", "params": {"n_estimators": 100}},
    "cv": {"folds": 5, "repeats": 2},
}
WITH_REPORT = {**LOGISTIC_BINARY, "report": True}  # the report: a second-long step in .partial

# Where the signal lands: what the test waits for before sending it.
#   cv            the first fold line on stderr (CV goes on for seconds)
#   report        metrics.json in the .partial directory (the report is being built)
#   before_rename submission.csv in the .partial directory (the commit is imminent)
#   after_rename  the run directory under its final name (the commit has begun)
#   published     the submission under submissions/ (the commit is done)
SCENARIOS = [
    ("SIGINT", "cv"),
    ("SIGINT", "report"),
    ("SIGINT", "before_rename"),
    ("SIGINT", "after_rename"),
    ("SIGINT", "published"),
    ("SIGINT+SIGINT", "report"),
    ("SIGINT+SIGINT", "before_rename"),
    ("SIGINT+SIGINT", "after_rename"),
    ("SIGTERM", "cv"),
    ("SIGTERM", "report"),
    ("SIGTERM", "published"),
    ("SIGHUP", "cv"),
    ("SIGHUP", "before_rename"),
    ("SIGHUP", "after_rename"),
    ("SIGKILL", "cv"),
    ("SIGKILL", "report"),
    ("SIGKILL", "after_rename"),
]


@pytest.fixture(scope="module", autouse=True)
def signals_as_in_a_terminal():
    """The dispositions a command typed in a terminal starts with. A test session started in the
    background (``cmd &``, ``nohup``) inherits SIGINT and SIGHUP ignored, and an ignored signal
    stays ignored by design (for this process and the runs it starts): these tests are about a
    user's Ctrl-C, hangup and SIGTERM, so they restore the defaults for their duration."""
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL),
        signal.SIGHUP: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    }
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def scenario_name(signals: str, point: str) -> str:
    return f"{signals.lower().replace('+', '2x')}-{point}".replace("_", "")


@dataclass
class Outcome:
    name: str
    signals: str
    point: str
    alive_when_signalled: bool
    returncode: int
    stdout: str
    stderr: str
    seconds_to_exit: float


def env_for(root: Path) -> dict[str, str]:
    return {**os.environ, "WORKBENCH_ROOT": str(root), "PYTHONUNBUFFERED": "1"}


def files_of(root: Path, name: str) -> tuple[list[Path], list[Path], list[Path]]:
    """The final run directories, .partial directories and published submissions of config
    ``name`` (run ids are ``<time>-<name>-<4 hex>``)."""
    runs = root / "runs" / COMPETITION
    final = sorted(runs.glob(f"*-{name}-????")) if runs.is_dir() else []
    partial = sorted(runs.glob(f".*-{name}-????.partial")) if runs.is_dir() else []
    subs = root / "submissions" / COMPETITION
    published = sorted(subs.glob(f"*-{name}-????.csv")) if subs.is_dir() else []
    return final, partial, published


def reached(root: Path, name: str, point: str, stderr_path: Path) -> bool:
    """Whether the run of config ``name`` got to ``point`` (one listing per look: cheap)."""
    if point == "cv":
        return "fold 1 " in stderr_path.read_text(encoding="utf-8", errors="replace")
    if point == "published":
        folder, look_for = root / "submissions" / COMPETITION, f"-{name}-"
    else:
        folder, look_for = root / "runs" / COMPETITION, f"-{name}-"
    try:
        names = [n for n in os.listdir(folder) if look_for in n]
    except FileNotFoundError:
        return False
    final = [n for n in names if not n.startswith(".")]
    partial = [n for n in names if n.startswith(".") and n.endswith(".partial")]
    if point == "report":
        return any((folder / n / "metrics.json").exists() for n in partial)
    if point == "before_rename":
        return bool(final) or any((folder / n / SUBMISSION_FILE).exists() for n in partial)
    if point in ("after_rename", "published"):
        return bool(final)
    raise AssertionError(point)


def drive(root: Path, signals: str, point: str, tmp: Path) -> Outcome:
    """Start a run, wait for ``point``, send ``signals``; return what the process did."""
    name = scenario_name(signals, point)
    stderr_path = tmp / f"{name}.err"
    with open(stderr_path, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "run", f"configs/{name}.yaml"],
            cwd=root,
            env=env_for(root),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        deadline = time.monotonic() + 150
        while not reached(root, name, point, stderr_path) and proc.poll() is None:
            assert time.monotonic() < deadline, f"{name}: {point} never reached"
            time.sleep(0.002)
        alive = proc.poll() is None
        sent = time.monotonic()
        for i, sig in enumerate(signals.split("+")):
            if i:
                time.sleep(0.005)
            proc.send_signal(getattr(signal, sig))
        stdout, _ = proc.communicate(timeout=120)
        took = time.monotonic() - sent
    return Outcome(
        name,
        signals,
        point,
        alive,
        proc.returncode,
        stdout,
        stderr_path.read_text(encoding="utf-8"),
        took,
    )


def make_project(root: Path) -> Path:
    for competition in SPECS:
        write_competition(root, competition)
    for signals, point in SCENARIOS:
        body = {"cv": SLOW_CV, "report": WITH_REPORT}.get(point, LOGISTIC_BINARY)
        write_config(root, scenario_name(signals, point), body)
    write_config(root, "after", LOGISTIC_BINARY)
    return root


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Outcome]]:
    """Every scenario, run concurrently in one project."""
    root = make_project(tmp_path_factory.mktemp("interrupts"))
    logs = tmp_path_factory.mktemp("stderr")
    with ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = [pool.submit(drive, root, s, p, logs) for s, p in SCENARIOS]
        outcomes = [f.result() for f in futures]
    return root, {(o.signals, o.point): o for o in outcomes}


def assert_truthful(root: Path, o: Outcome) -> None:
    """The files and what the process said agree, and each run has its submission."""
    final, partial, published = files_of(root, o.name)
    context = f"{o.signals} at {o.point}: rc {o.returncode}\n{o.stderr[-1500:]}"
    assert o.alive_when_signalled, f"the run ended before {o.point} was seen: {context}"
    assert "Traceback" not in o.stderr, context
    assert not partial, context
    assert len(final) == len(published) <= 1, context  # a run if and only if its submission
    if final:
        run_dir, submission = final[0], published[0]
        assert submission.name == f"{run_dir.name}.csv"
        assert submission.read_bytes() == (run_dir / SUBMISSION_FILE).read_bytes()
        assert o.returncode == 0, context
        assert o.stdout.strip() == run_dir.name, context
        first = o.signals.split("+")[0]
        note = f"interrupted by {first} after the run was complete: {run_dir} and {submission}"
        # The note, unless the signal came after the summary was printed (a slow poll on a busy
        # machine): then the process was exiting with its outcome shown, and ignored it.
        last_line = o.stderr.rstrip().splitlines()[-1]
        assert note in o.stderr or last_line.startswith("time:"), context
    else:
        signum = getattr(signal, o.signals.split("+")[0])
        assert o.returncode == 128 + signum, context
        assert f"interrupted by {signal.Signals(signum).name}: nothing was written" in o.stderr
        assert o.stdout == "", context


CAUGHT = [(s, p) for s, p in SCENARIOS if s != "SIGKILL"]


@pytest.mark.parametrize("signals, point", CAUGHT, ids=[f"{s}-{p}" for s, p in CAUGHT])
def test_a_caught_signal_leaves_a_complete_run_or_nothing_and_says_which(matrix, signals, point):
    root, outcomes = matrix
    o = outcomes[(signals, point)]
    assert_truthful(root, o)
    final, _, _ = files_of(root, o.name)
    context = f"{signals} at {point}: rc {o.returncode}\n{o.stderr[-1500:]}"
    if point in ("cv", "report"):  # seconds before the commit: nothing is kept
        assert not final and o.returncode == 128 + getattr(signal, signals.split("+")[0]), context
    if point in ("after_rename", "published"):  # the commit had begun: the run stands
        assert final and o.returncode == 0, context


def test_ctrl_c_during_cv_stops_the_run_at_once(tmp_path):
    """Exit 130 with nothing kept; how fast is measured in docs/benchmarks.md, not here."""
    root = make_project(tmp_path / "project")
    o = drive(root, "SIGINT", "cv", tmp_path)
    assert_truthful(root, o)
    assert o.returncode == 130


def test_kill_9_leftovers_are_reported_refused_and_cleaned_but_never_a_live_run(matrix, tmp_path):
    root, outcomes = matrix
    for point in ("cv", "report", "after_rename"):
        assert outcomes[("SIGKILL", point)].returncode == -signal.SIGKILL
    assert files_of(root, scenario_name("SIGKILL", "cv")) == ([], [], [])
    _, (dead,), _ = files_of(root, scenario_name("SIGKILL", "report"))
    killed_after_rename = files_of(root, scenario_name("SIGKILL", "after_rename"))
    assert len(killed_after_rename[0]) == 1 and not killed_after_rename[1]

    # The report refuses the leftover, by path and by id (exit 2, one clear message).
    env = env_for(root)
    had_report = (dead / "report.html").exists()
    for ref in (str(dead), dead.name, dead.name[1 : -len(".partial")]):
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "report", ref],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert "is an incomplete run: its process was killed" in proc.stderr
        assert "workbench clean" in proc.stderr and "Traceback" not in proc.stderr
    assert (dead / "report.html").exists() == had_report  # nothing was built inside it

    # The next run warns about it, names the count and the command, and succeeds.
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "run", "configs/after.yaml"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning: 1 unfinished run folder left by killed runs" in proc.stderr
    assert "workbench clean synth_binary" in proc.stderr
    assert dead.is_dir()  # reported, not removed: only `clean` removes

    # A live run's .partial (this process holds its lock) survives `workbench clean`.
    live = RunDirectory(root / "runs" / COMPETITION, "live-run").create()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "clean", COMPETITION],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert f"removed runs/{COMPETITION}/{dead.name} (left by a killed run)" in proc.stdout
        assert f"kept runs/{COMPETITION}/{live.path.name}: its run is still in progress" in (
            proc.stdout
        )
        assert not dead.exists()
        assert live.path.is_dir()
    finally:
        live.abandon()
    assert not live.path.exists()
    for signals, point in SCENARIOS:
        final, partial, published = files_of(root, scenario_name(signals, point))
        assert not partial and len(final) == len(published)


STUCK_COMMIT = """
import sys, time
from pathlib import Path
from workbench import rundir

root = Path(sys.argv[1])
run = rundir.RunDirectory(root / "runs" / "synth_binary", "20260101-000000-stuck-beef").create()
(run.path / "metrics.json").write_text("{}")
(run.path / "submission.csv").write_text("Id,label\\n1,0\\n")

def stuck(*args):  # kill -9 lands here: between the rename and the publication
    print("renamed", flush=True)
    time.sleep(120)

rundir.publish_submission = stuck
run.commit(submission=root / "submissions" / "synth_binary" / f"{run.run_id}.csv")
"""


def test_kill_9_between_rename_and_publication_is_repaired(project):
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(STUCK_COMMIT), str(project)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "renamed"
        run_dir = project / "runs" / COMPETITION / "20260101-000000-stuck-beef"
        published = project / "submissions" / COMPETITION / f"{run_dir.name}.csv"
        assert run_dir.is_dir() and not published.exists()
        # While its process lives (and holds the lock), nobody publishes in its place.
        found = tidy(Project.find(), [COMPETITION], remove=True)
        assert found.restored == [] and found.dead == [] and not published.exists()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert main(["clean"]) == 0
    assert published.read_bytes() == (run_dir / SUBMISSION_FILE).read_bytes()
    assert main(["clean", COMPETITION]) == 0  # idempotent: nothing left to do


# In process: the deferral itself, for library callers too (Python's default SIGINT handler).


@pytest.fixture(autouse=True)
def fresh_signal_state():
    interrupts.reset()  # an earlier test's interrupt must not leave its grace period behind
    yield
    interrupts.reset()


def test_a_signal_inside_a_deferred_block_is_raised_when_it_ends():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            signal.raise_signal(signal.SIGINT)
            steps.append("after the signal")
            time.sleep(0.01)
            steps.append("still running")
        steps.append("not reached")
    assert steps == ["after the signal", "still running"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_commit_interrupted_midway_completes_then_raises(project, monkeypatch):
    runs = project / "runs" / COMPETITION
    run = RunDirectory(runs, "20260101-000000-midway-0001").create()
    run.file(SUBMISSION_FILE).write_text("Id,label\n1,0\n")
    rename = os.rename

    def rename_then_ctrl_c(src, dst):
        signal.raise_signal(signal.SIGINT)  # arrives while the commit is deferring signals
        rename(src, dst)

    monkeypatch.setattr(os, "rename", rename_then_ctrl_c)
    published = project / "submissions" / COMPETITION / f"{run.run_id}.csv"
    with pytest.raises(KeyboardInterrupt):
        try:
            run.commit(submission=published)
        except BaseException:
            run.abandon()  # what write_run does: a no-op once committed
            raise
    assert (runs / run.run_id / SUBMISSION_FILE).is_file() and published.is_file()
    assert not list(runs.glob(".*"))


def test_find_run_refuses_a_live_partial(project):
    live = RunDirectory(project / "runs" / COMPETITION, "20260101-000000-live-0002").create()
    (live.path / "metrics.json").write_text("{}")
    try:
        with pytest.raises(UserError, match="still being written"):
            find_run(str(live.path), Project.find())
        with pytest.raises(UserError, match="still being written"):
            find_run(live.run_id, Project.find())
    finally:
        live.abandon()


def test_publication_falls_back_to_an_atomic_copy_across_filesystems(tmp_path, monkeypatch):
    import errno

    from workbench import io

    source = tmp_path / "run" / SUBMISSION_FILE
    source.parent.mkdir()
    source.write_text("Id,label\n1,0\n")
    target = tmp_path / "submissions" / "x.csv"
    assert io.link_or_copy(source, target).samefile(source)  # a hard link where possible
    assert io.link_or_copy(source, target).samefile(source)  # again: nothing to do

    def cross_device(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    other = tmp_path / "submissions" / "y.csv"
    io.link_or_copy(source, other)
    assert other.read_bytes() == source.read_bytes() and not other.samefile(source)
    assert sorted(p.name for p in other.parent.iterdir()) == ["x.csv", "y.csv"]  # no temp file
