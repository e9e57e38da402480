"""User-facing errors: one clear message, exit code 2, never a traceback."""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Iterable
from pathlib import Path


class UserError(Exception):
    """A mistake the user can fix: bad config, missing file, unknown column or name.

    ``where`` names the file and/or field (``configs/titanic.yaml: model.kind``);
    ``hint`` says what to do about it. The CLI prints both and exits with code 2.
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def located(self, where: str) -> UserError:
        """Return a copy whose location is prefixed with ``where`` (outer context first)."""
        inner = f"{where}: {self.where}" if self.where else where
        return UserError(self.message, where=inner, hint=self.hint)


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt ``name``, or a list of the valid choices."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not choices:
        return None
    shown = ", ".join(choices[:25]) + (", ..." if len(choices) > 25 else "")
    return f"valid choices: {shown}"


def user_code_error(exc: BaseException, where: str) -> UserError | None:
    """A :class:`UserError` for an exception raised in a competition's own ``features.py``,
    with the traceback trimmed to that file's lines; None if the exception came from elsewhere.
    """
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).name == "features.py"
        and Path(frame.filename).parent.parent.name == "competitions"
    ]
    if not frames:
        return None
    lines = [
        f"{f.filename}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames
    ]
    return UserError(
        f"your feature code raised {type(exc).__name__}: {exc}",
        where=where,
        hint="\n    ".join(["fix it at:", *lines]),
    )


def redact(url: str) -> str:
    """``scheme://user:***@host``: a password in a URL is never printed."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)
