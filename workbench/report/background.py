"""Build the report in two other processes while the run fits its folds.

Small data is fitted on one thread (:mod:`workbench.resources`), so a core sits idle during
cross-validation. A worker forked as the run starts uses it: it profiles the data
(``data_profile.json``), imports matplotlib and the report code, forks a helper that has all
that imported, and draws the data figures, all before the results exist. When the run has
written its files, :meth:`ReportWorker.finish` asks for the rest: the worker and the helper
take the remaining figures one at a time from a shared counter, and the worker writes the page.
The figures are the bytes a serial :func:`~workbench.report.build_report` draws. Where the worker
cannot help (:func:`usable`), :meth:`ReportWorker.start` returns None; if it fails,
:meth:`~ReportWorker.finish` does; the run then builds the report itself.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from workbench.resources import available_cores

log = logging.getLogger(__name__)

_BUILD = "build"


def usable() -> bool:
    """Whether a worker can help here: Linux (where ``fork`` is the norm; macOS system libraries
    are not fork-safe) and at least two usable cores."""
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and available_cores() >= 2
    )


def _fork() -> multiprocessing.context.ForkContext:
    return multiprocessing.get_context("fork")


class ReportWorker:
    """The run's handle on the forked report worker."""

    def __init__(self, process: BaseProcess, conn: Connection, go: Connection) -> None:
        self._process = process
        self._conn = conn  # to the worker: the build request; back: the reply
        self._go = go  # to the helper: the build request

    @classmethod
    def start(cls, run_dir: Path, prepare: Callable[[], None]) -> ReportWorker | None:
        """Fork the worker; it runs ``prepare()`` (which writes ``data_profile.json`` into
        ``run_dir``), gets ready as described above, then waits. None where it cannot help."""
        if not usable():
            return None
        conn, worker_conn = _fork().Pipe()
        helper_go, go = _fork().Pipe(duplex=False)
        # not a daemon: daemons may not start the helper. The run stops it in all cases
        # (stop() in a finally), and if the run dies, the closed pipes end both.
        process = _fork().Process(
            target=_serve,
            args=(worker_conn, helper_go, run_dir, prepare, (conn, go)),
            name="workbench-report",
        )
        # Objects the run's garbage collections would otherwise walk, writing to every page of
        # the heap the worker shares, each write then a copy-on-write fault (~0.15 s of CV on
        # Titanic). stop() lets the collector see them again.
        gc.freeze()
        try:
            process.start()
        except OSError as exc:
            log.info("report worker not started (%s): building the report in this process", exc)
            for end in (conn, worker_conn, helper_go, go):
                end.close()
            gc.unfreeze()
            return None
        worker_conn.close()
        helper_go.close()
        return cls(process, conn, go)

    def finish(self) -> Path | None:
        """Ask for the report now that the run's files are written and wait for it: the path of
        ``report.html``, or None if the worker failed (logged; build it in-process then)."""
        # if the worker is gone, its reason (when it sent one) is still in the pipe
        for pipe in (self._go, self._conn):
            with contextlib.suppress(OSError):
                pipe.send(_BUILD)
        try:
            status, detail = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(timeout=5)
            status, detail = "failed", f"it exited with code {self._process.exitcode}"
        gc.unfreeze()
        if status == "done":  # the worker exits by itself; stop() reaps it later
            return Path(detail)
        self.stop()
        log.warning("the report process failed (%s); building the report here instead", detail)
        return None

    def stop(self) -> None:
        """End the worker (if still running) and release the pipes; safe to call twice."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)
        self._conn.close()
        self._go.close()
        gc.unfreeze()


def _serve(
    conn: Connection,
    helper_go: Connection,
    run_dir: Path,
    prepare: Callable[[], None],
    run_ends: tuple[Connection, ...],
) -> None:
    """The worker: prepare, fork the helper, draw data figures until asked; then build, reply."""
    for end in run_ends:  # closed here, so that the pipes report the run's exit
        end.close()
    # Ctrl-C reaches the whole process group; the run decides what happens and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)  # where the cores are busy, the run's own work comes first
    # A short-lived process drawing figures: no garbage collections at all (10-20% of drawing
    # time, see build.collector_paused); the helper inherits this.
    gc.disable()
    helper = None
    try:
        prepare()
        from workbench.report.build import plan_data_figures, plan_report, write_report
        from workbench.report.run import load_profile, load_run

        counter = _fork().Value("i", 0)
        helper = _Helper.start(helper_go, run_dir, counter, close=(conn,))
        helper_go.close()
        data = plan_data_figures(load_profile(run_dir))
        drawn = data.render(_until_asked(conn, len(data.items)))
        if conn.recv() != _BUILD:
            return
        start = time.perf_counter()
        drawn |= data.render(itertools.count().__next__, drawn)  # the helper skips these
        run = load_run(run_dir)
        sections, figs = plan_report(run)
        drawn |= figs.render(_claimer(counter), drawn)
        theirs = helper.result() if helper is not None else {}
        figs.fill({**theirs, **drawn})  # anything the helper lost is drawn now
        path = write_report(run, sections, figs, start)
        conn.send(("done", str(path)))
    except EOFError:
        return  # the run ended without asking for the report
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("failed", traceback.format_exc(limit=-3).strip()))
    finally:
        if helper is not None:
            helper.stop()
        conn.close()


class _Helper:
    """A second renderer, forked from the worker once matplotlib and the report are imported;
    it starts on the run's request directly, while the worker may still be drawing."""

    def __init__(self, process: BaseProcess, results: Connection) -> None:
        self._process = process
        self._results = results

    @classmethod
    def start(
        cls, go: Connection, run_dir: Path, counter: Synchronized, close: tuple[Connection, ...]
    ) -> _Helper | None:
        results, helper_results = _fork().Pipe(duplex=False)
        process = _fork().Process(
            target=_help,
            args=(go, helper_results, run_dir, counter, (*close, results)),
            name="workbench-report-helper",
            daemon=True,
        )
        try:
            process.start()
        except OSError:
            results.close()
            helper_results.close()
            return None
        helper_results.close()
        return cls(process, results)

    def result(self) -> dict[str, bytes]:
        """The figures the helper drew; none if it failed (the worker draws them then)."""
        try:
            drawn = self._results.recv()
        except (EOFError, OSError):
            return {}
        return drawn if isinstance(drawn, dict) else {}

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)
        self._results.close()


def _help(
    go: Connection,
    results: Connection,
    run_dir: Path,
    counter: Synchronized,
    others: tuple[Connection, ...],
) -> None:
    """The helper: on the run's request, draw figures from the shared counter (never the data
    figures: the worker draws those) and send them to the worker."""
    for end in others:
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if go.recv() != _BUILD:
            return
        from workbench.report.build import plan_data_figures, plan_report
        from workbench.report.run import load_run

        run = load_run(run_dir)
        skip = {item.name for item in plan_data_figures(run.profile).items}
        _, figs = plan_report(run)
        results.send(figs.render(_claimer(counter), skip))
    except EOFError:
        return
    except BaseException:
        with contextlib.suppress(OSError):
            results.send(None)
    finally:
        results.close()


def _claimer(counter: Synchronized) -> Callable[[], int]:
    """Hand out 0, 1, 2, ... across every process sharing ``counter``."""

    def claim() -> int:
        with counter.get_lock():
            index = counter.value
            counter.value = index + 1
        return index

    return claim


def _until_asked(conn: Connection, n: int) -> Callable[[], int]:
    """Hand out 0 .. n-1, or n (stop) as soon as a message waits on ``conn``: the data figures
    are drawn early only while the run is still busy."""
    indices = iter(range(n))

    def claim() -> int:
        return n if conn.poll() else next(indices, n)

    return claim
