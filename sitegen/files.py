"""File-system helpers every stage shares: reading files a user names, writing a file
whole or not at all, describing ``OSError`` in one line, and holding a lock.

- ``read_limited``: a path in the config (a description, a CA bundle), the config
  itself or an auth file may name a FIFO (reading it waits for a writer that never
  comes) or a device such as ``/dev/zero`` (reading it never ends). Only regular files
  are read, and never more than a bound.
- ``atomic_write``: a temporary file beside the target, then a rename, so that a
  reader (or the next build, after a kill) finds the old file or the new one, never
  part of one.
- ``exclusive``: an advisory ``flock`` on a small file. The kernel drops it when the
  holder's last descriptor closes, so a killed build never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sitegen.errors import BusyError, FileRefused

_PID_WIDTH = 16
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_limited(path: Path, limit: int) -> bytes:
    """The contents of the regular file at ``path`` (symlinks followed).

    Raises ``FileRefused`` for anything else or a file over ``limit`` bytes, and
    ``OSError`` (``FileNotFoundError`` included) when it cannot be opened or read.
    """
    # Looked at before opening: opening a device can have effects of its own.
    _check_regular(path.stat().st_mode)
    # O_NONBLOCK: should it have become a FIFO since, opening it still returns at once.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        _check_regular(info.st_mode)
        if info.st_size > limit:
            raise FileRefused(f"larger than {_size(limit)}")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while we read it
                raise FileRefused(f"larger than {_size(limit)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, prefix: str) -> None:
    """Put ``data`` at ``path`` in one rename; ``OSError`` when it cannot be written.

    The temporary file is named ``<prefix>...`` in the same directory (a rename does
    not cross file systems). One that a failed write leaves is removed; one that a
    killed process leaves is the caller's to sweep up by that prefix.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def require_regular(path: Path) -> None:
    """``FileRefused`` unless ``path`` is a regular file (symlinks followed); ``OSError``
    (``FileNotFoundError`` included) when it cannot be looked at."""
    _check_regular(path.stat().st_mode)


def describe(exc: OSError) -> str:
    """``PATH: reason`` for an ``OSError`` (the path it names, when it names one)."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        # copytree gathers (source, destination, reason) for every file it failed on.
        first = exc.args[0][0] if exc.args[0] else None
        if isinstance(first, tuple) and len(first) == 3:
            return f"{first[1]}: {first[2]}"
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def reason(exc: OSError | FileRefused) -> str:
    """Why reading a file failed, without the path (callers name it their way)."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.

    Never waits: another holder is a ``BusyError`` naming ``what`` and the holder's
    process id. ``OSError`` when the file cannot be created or opened.
    """
    # O_NOFOLLOW: a lock file replaced by a symlink must not make us truncate its target.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", str(path))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise BusyError(
                f"another sitegen build{who} is using {what}; try again when it has finished"
            ) from None
        # Only for the message above: the lock itself is the flock, not this number.
        # Written in place at a fixed width, so that rewriting it needs no new block
        # on a full disk (that is the build's own error to report, with its path).
        os.pwrite(fd, f"{os.getpid():<{_PID_WIDTH - 1}}\n".encode(), 0)
        os.ftruncate(fd, _PID_WIDTH)
        yield
    finally:
        os.close(fd)


def _check_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    raise FileRefused(f"not a regular file ({kind})")


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and limit % (1 << 20) == 0 else f"{limit} bytes"
