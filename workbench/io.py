"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import UserError


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in blocks (input files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` on a temp file beside ``path``, then rename it into place."""
    path = Path(path)
    tmp_path: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600 files; honour the umask
        os.replace(tmp_path, path)
    except BaseException as exc:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in _FOLDER_ERRORS:
            raise UserError(
                f"cannot write {path.name}: {exc.strerror}",
                where=str(path.parent),
                hint="free some disk space or make the folder writable, then run again",
            ) from None
        raise
    return path


# Errors that are about the folder (full, read-only, not ours), not about the workbench.
_FOLDER_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def link_or_copy(source: str | Path, path: str | Path) -> Path:
    """Make ``path`` a second name of the finished file ``source``: a hard link (instant, no
    extra space), else (another filesystem, no hard links) an atomic copy. Either way ``path``
    appears whole or not at all; an existing ``path`` is replaced."""
    source, path = Path(source), Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, path)
        return path
    except FileExistsError:
        if os.path.samefile(source, path):
            return path
    except OSError:
        pass  # EXDEV, EPERM, ENOTSUP...: copy instead
    return atomic_write(path, lambda tmp: shutil.copyfile(source, tmp))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(
        path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"
    )


def write_yaml(path: str | Path, obj: Any) -> Path:
    return write_text(path, yaml.safe_dump(obj, sort_keys=False, allow_unicode=True))


def write_csv(path: str | Path, frame: Any, **kwargs: Any) -> Path:
    """Write a pandas DataFrame as CSV atomically (``index=False`` unless told otherwise)."""
    kwargs.setdefault("index", False)
    return atomic_write(path, lambda p: frame.to_csv(p, **kwargs))


def _json_default(value: Any) -> Any:
    """Make numpy scalars and arrays JSON-serialisable."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
