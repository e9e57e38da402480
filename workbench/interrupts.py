"""SIGINT, SIGTERM and SIGHUP: one exception, and short steps no signal can tear.

The command line sends the three signals to :func:`handler` (:func:`handling`). A signal then
raises :class:`Interrupted` (a ``KeyboardInterrupt``, so every ``except BaseException``
cleanup runs) in the main thread, except:

- inside a :class:`deferred` block (a run directory's creation, commit and removal): it is
  noted and raised when the block ends, so those steps happen whole or not at all;
- for :data:`GRACE` seconds after an :class:`Interrupted` was raised: the process is on its way
  out, and a second Ctrl-C (or a SIGTERM after the SIGINT) must not tear its cleanup;
- once the command's outcome is decided (:func:`settle`; ``workbench run`` settles when its run
  is committed): it is noted (:func:`received`) and never raised.

A signal that was ignored when the process started (``nohup``, a background job) stays
ignored. Library callers that installed nothing still get :class:`deferred` for SIGINT: the
block borrows Python's default SIGINT handler for its duration.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE = 2.0  # seconds after a raise during which further signals are only noted


class Interrupted(KeyboardInterrupt):
    """The process received SIGINT, SIGTERM or SIGHUP."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def signal_of(exc: BaseException) -> int:
    """The signal behind an interrupt (a plain ``KeyboardInterrupt`` is a SIGINT)."""
    return int(getattr(exc, "signum", signal.SIGINT))


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal number (130 for SIGINT)."""
    return 128 + int(signum)


class _State:
    def __init__(self) -> None:
        self.depth = 0  # nesting of deferred blocks
        self.pending: list[int] = []  # noted inside a deferred block, raised when it ends
        self.raised_at: float | None = None  # when an Interrupted was last raised
        self.settled = False  # the outcome is decided: note signals, never raise
        self.settle_on_commit = False
        self.received: list[int] = []  # every signal noted instead of raised
        self.process_wide = False  # installed by the process itself (entry point)


_state = _State()


def _unwinding() -> bool:
    return _state.raised_at is not None and time.monotonic() - _state.raised_at < GRACE


def handler(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler of the three signals (runs in the main thread)."""
    s = _state
    if s.settled or _unwinding():
        s.received.append(signum)
        return
    if s.depth:
        s.pending.append(signum)
        s.received.append(signum)
        return
    s.raised_at = time.monotonic()
    raise Interrupted(signum)


def install() -> dict[int, Any]:
    """Send the three signals to :func:`handler` (main thread only; an ignored signal stays
    ignored). Returns the previous handlers of those it changed, for :func:`restore`."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for signum in SIGNALS:
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN or current is handler:
            continue
        previous[signum] = signal.signal(signum, handler)
    return previous


def install_for_process() -> None:
    """The entry point's installation: for the whole life of the process."""
    install()
    _state.process_wide = True


def ignore() -> None:
    """Ignore the signals :func:`handler` receives (the process is exiting with its outcome)."""
    for signum in SIGNALS:
        if signal.getsignal(signum) is handler:
            signal.signal(signum, signal.SIG_IGN)


def restore(previous: dict[int, Any]) -> None:
    for signum, old in previous.items():
        signal.signal(signum, old)


@contextlib.contextmanager
def handling(*, settle_on_commit: bool = False) -> Iterator[None]:
    """One command: fresh state and :func:`handler` installed. Afterwards the process's own
    installation stays, settled (the command's outcome is decided); one made here is undone."""
    process_wide = _state.process_wide
    reset()
    _state.settle_on_commit = settle_on_commit
    previous = install()
    try:
        yield
    finally:
        if process_wide:
            _state.settled = True
        else:
            restore(previous)
            reset()


def reset() -> None:
    """Forget earlier signals (a new command, or a test, starts)."""
    global _state
    process_wide = _state.process_wide
    _state = _State()
    _state.process_wide = process_wide


class deferred:  # a context manager, named like contextlib's
    """A block no signal interrupts: one that arrives meanwhile is raised when it ends, unless
    the process is already unwinding from an earlier one or the outcome is settled."""

    def __enter__(self) -> None:
        self._borrowed = _borrow_sigint()
        _state.depth += 1  # last: a signal before this line is raised before the block

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        s = _state
        s.depth -= 1
        if s.depth:
            return
        if self._borrowed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if s.pending:
            signum = s.pending[0]
            s.pending.clear()
            if not s.settled and not _unwinding() and exc_type is None:
                s.raised_at = time.monotonic()
                raise Interrupted(signum)


def _borrow_sigint() -> bool:
    """Route SIGINT through :func:`handler` if it has Python's default handler (a library
    caller): that raises ``KeyboardInterrupt`` just the same, but can be deferred."""
    if (
        _state.depth == 0
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, handler)
        return True
    return False


def committed() -> None:
    """A run was committed: a command that asked for it (``workbench run``) settles."""
    if _state.settle_on_commit:
        settle()


def settle() -> None:
    """From now on signals are noted (:func:`received`), never raised."""
    _state.settled = True


def signalled() -> bool:
    """Whether a signal was raised or noted during the current command."""
    return _state.raised_at is not None or bool(_state.received)


def received() -> list[int]:
    """The signals noted instead of raised during this command, in order."""
    return list(_state.received)
