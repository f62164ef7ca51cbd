"""Write the site into a temporary directory beside the target, then swap it into place.

What is guaranteed, and how:

- **Only a place that is ours.** The target is checked before anything is written:
  never ``/``, the home directory, the current directory, the config's directory or any
  parent of them, and never an existing directory that sitegen did not create (we
  replace the whole directory, so it must be ours). The cache directory must be neither
  the target nor inside it (``check_cache_dir``): the site is published, and replaced
  on every build.
- **One build per target at a time.** ``lock`` holds an ``flock`` on
  ``.sitegen-lock-<name>`` beside the target; a second build stops with ``BusyError``.
- **Always a whole site at the target path.** ``Staging.commit`` trades the staged
  directory and the old site with one ``renameat2(RENAME_EXCHANGE)`` system call
  (Linux 3.15, glibc 2.28): there is no instant at which the path is missing or holds
  half a site, whenever the build is killed. Where the C library or the file system
  cannot exchange, two renames are used (the old site to
  ``.sitegen-retired-<pid>-<name>``, then the new one into place); a build killed
  between them leaves no site at the path, and the next build's ``recover`` renames
  the old one back before doing anything else.
- **Leftovers are ours to remove, and only ours.** Staging and retired directories
  carry the target's name and the marker file; removing one deletes the marker last,
  so a build killed half-way through leaves a directory that is still recognisably
  ours (marked, or empty), and the next build into that target removes it.

The identity of a site (``site_identity``: device and inode of its directory, which
a rename or an exchange keeps) lets the crawl state be paired with the site it belongs
to (see ``sitegen.crawl.state``). An identifier written into the site would do the same, but
it would make two builds of the same registry state differ in a published file, and
every nightly build a new commit for sites published from a git branch.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sitegen.errors import OutputError
from sitegen.files import describe, exclusive

log = logging.getLogger("sitegen.site.output")

MARKER = ".sitegen-site"  # present in every directory sitegen built
_STAGING_PREFIX = ".sitegen-staging-"
_RETIRED_PREFIX = ".sitegen-retired-"
_LOCK_PREFIX = ".sitegen-lock-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 1 << 1
# renameat2 answers these when the file system (or an old kernel) cannot exchange.
_NO_EXCHANGE = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP})


def check_target(target: Path, protected: Iterable[Path]) -> Path:
    """The resolved target, or ``OutputError`` if writing there could destroy something."""
    resolved = target.expanduser().resolve()
    guarded = {Path("/").resolve(), Path.home().resolve(), Path.cwd().resolve()}
    guarded.update(p.expanduser().resolve() for p in protected)
    for place in guarded:
        if resolved == place or resolved in place.parents:
            raise OutputError(
                f"refusing to build into {target}: it is or contains {place}; "
                "choose a dedicated output directory such as ./site"
            )
    try:
        if resolved.exists():
            if not resolved.is_dir():
                raise OutputError(
                    f"refusing to build into {target}: it exists and is not a directory"
                )
            if any(resolved.iterdir()) and not (resolved / MARKER).exists():
                raise OutputError(
                    f"refusing to build into {target}: it is not empty and was not built by "
                    f"sitegen (no {MARKER} file); the whole directory is replaced on every build"
                )
    except OSError as exc:
        raise OutputError(f"cannot use {target} as the output directory: {describe(exc)}") from None
    return resolved


def check_cache_dir(cache_dir: Path, target: Path, shown: Path) -> None:
    """``OutputError`` if ``cache_dir`` is the (resolved) ``target`` or inside it.

    Symlinks and relative spellings are resolved first. Inside the site, the raw
    (unmasked) manifests and configs would be published, and deleted by every build.
    ``shown`` is the target as the user spelled it, for the message.
    """
    resolved = cache_dir.expanduser().resolve()
    if resolved == target or target in resolved.parents:
        where = (
            "is the output directory" if resolved == target else "is inside the output directory"
        )
        raise OutputError(
            f"refusing to keep the cache in {cache_dir}: it {where} {shown}, which is "
            "published and replaced on every build; choose a cache directory outside it"
        )


@contextlib.contextmanager
def lock(target: Path, shown: Path) -> Iterator[None]:
    """Create the target's parent and hold the target's lock for the ``with`` block.

    ``shown`` is the target as the user spelled it, for messages.
    """
    with contextlib.ExitStack() as held:
        try:
            _make_directory(target.parent)
            held.enter_context(
                exclusive(target.parent / f"{_LOCK_PREFIX}{target.name}", f"the output {shown}")
            )
        except OSError as exc:
            raise OutputError(f"cannot write the output {shown}: {describe(exc)}") from None
        yield


def _make_directory(path: Path) -> None:
    """``mkdir -p``; a file in the way is "Not a directory" (mkdir says "File exists")."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), exc.filename) from None


def site_identity(path: Path) -> str | None:
    """``device:inode`` of the directory at ``path``, or None when there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    return f"{info.st_dev}:{info.st_ino}"


def recover(target: Path) -> None:
    """Before a build (holding the lock): put back a site that a swap killed between
    its two renames left aside, then remove the leftovers of killed builds."""
    parent = target.parent
    try:
        leftovers = [p for p in parent.iterdir() if _ours(p.name, target.name)]
        if not os.path.lexists(target):
            retired = [
                p for p in leftovers if p.name.startswith(_RETIRED_PREFIX) and (p / MARKER).exists()
            ]
            if retired:
                newest = max(retired, key=lambda p: p.stat().st_mtime)
                newest.rename(target)
                leftovers.remove(newest)
                log.warning("restored the previous site, which an interrupted build had moved")
    except OSError as exc:
        raise OutputError(f"cannot use the output {target}: {describe(exc)}") from None
    for entry in leftovers:
        if not entry.is_dir() or entry.is_symlink():
            continue
        if (entry / MARKER).exists():
            log.debug("removing leftover %s", entry)
            remove_site(entry)
        else:
            with contextlib.suppress(OSError):
                entry.rmdir()  # only if empty: anything else may not be ours


class Staging:
    """A temporary site directory; ``commit()`` swaps it into place."""

    def __init__(self, target: Path) -> None:
        self.target = target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.root = Path(
                tempfile.mkdtemp(
                    prefix=_STAGING_PREFIX, suffix=f"-{target.name}", dir=target.parent
                )
            )
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(target)) from None
        try:
            (self.root / MARKER).write_text("built by sitegen; replaced on every build\n")
        except BaseException as exc:
            shutil.rmtree(self.root, ignore_errors=True)
            if isinstance(exc, OSError):  # named by the site, not the staging directory
                raise OSError(exc.errno, exc.strerror, str(target)) from None
            raise
        self._root = str(self.root)
        self._made: set[str] = {self._root}

    @classmethod
    def at(cls, root: Path, target: Path) -> Staging:
        """The staging directory ``root`` another process made for ``target`` (a render
        process writes into it)."""
        stage = cls.__new__(cls)
        stage.target, stage.root, stage._root = target, root, str(root)
        stage._made = {stage._root}
        return stage

    def forget(self, directory: str) -> None:
        """``directory`` was removed: make it again before writing into it."""
        self._made.discard(directory)

    @property
    def identity(self) -> str | None:
        """The staged site's ``site_identity``: it stays the same once swapped in."""
        return site_identity(self.root)

    def write(self, relative: str, content: str | bytes) -> None:
        """Write one file under the staging root (``relative`` uses ``/``).

        An ``OSError`` names the file by its place in the site.
        """
        # A pure string check is enough: the staging tree holds no symlinks. Plain
        # ``os`` calls: a big site writes a quarter of a million files.
        normal = os.path.normpath(relative)
        if os.path.isabs(normal) or normal == ".." or normal.startswith("../") or "\0" in normal:
            raise OutputError(f"refusing to write outside the site: {relative!r}")
        path = os.path.join(self._root, normal)
        parent = os.path.dirname(path)
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            if parent not in self._made:
                os.makedirs(parent, exist_ok=True)
                self._made.add(parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except OSError as exc:
            # os.write names no file; the user needs to know which file system filled up.
            raise OSError(exc.errno, exc.strerror, os.path.join(self.target, normal)) from None

    def copy_tree(self, source: Path, relative: str) -> None:
        """Copy a directory of static files into the site."""
        shutil.copytree(source, self.root / relative, dirs_exist_ok=True)

    def commit(self) -> None:
        """Swap the staged site into place, then remove the old one."""
        old = self.swap()
        if old is not None:
            remove_site(old)

    def swap(self) -> Path | None:
        """Swap the staged site into place; return where the old one is now, for
        :func:`remove_site` (a leftover the next build removes, if nothing does)."""
        # mkdtemp makes it 0700; a published site is meant to be read by everyone.
        self.root.chmod(0o755)
        if not os.path.lexists(self.target):
            self.root.rename(self.target)
            return None
        if _exchange(self.root, self.target):
            return self.root  # the old site is where the new one was staged
        retired = self.target.parent / f"{_RETIRED_PREFIX}{os.getpid()}-{self.target.name}"
        self.target.rename(retired)
        try:
            self.root.rename(self.target)
        except BaseException:
            retired.rename(self.target)
            raise
        return retired

    def discard(self) -> None:
        """Remove the staging directory (after a failure)."""
        remove_site(self.root)


@contextlib.contextmanager
def staging(
    target: Path, before_commit: Callable[[Staging], None] | None = None
) -> Iterator[Staging]:
    """Stage a site; on success call ``before_commit`` and commit; discard on any error."""
    stage = Staging(target)
    try:
        yield stage
        if before_commit is not None:
            before_commit(stage)
        stage.commit()
    except BaseException:
        stage.discard()
        raise


def _ours(name: str, target_name: str) -> bool:
    """A staging or retired directory of builds into ``target_name``.

    ``.sitegen-staging-<random>-<name>`` and ``.sitegen-retired-<pid>-<name>``: neither
    the random part nor the pid holds a ``-``. Older releases named staging directories
    without the target (no ``-`` after the prefix); those count as ours too.
    """
    for prefix in (_STAGING_PREFIX, _RETIRED_PREFIX):
        if name.startswith(prefix):
            _, sep, rest = name[len(prefix) :].partition("-")
            return rest == target_name or not sep
    return False


def remove_site(path: Path) -> None:
    """Delete a directory sitegen built, its marker last: killed half-way, it is still
    marked (or empty), so the next build still knows it may remove it. Most of a large
    site is removed by ``rm`` processes, one per CPU (see ``_remove_in_processes``)."""
    with contextlib.suppress(OSError):
        _remove_in_processes(path)
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return
    except OSError:
        entries = []
    for entry in entries:
        if entry.name == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        os.unlink(path / MARKER)
    with contextlib.suppress(OSError):
        os.rmdir(path)


# Below this many entries (files and directories two levels down), one process.
PARALLEL_REMOVE_MIN = 256
REMOVE_BATCH_MAX = 1024  # paths per ``rm``: far below any limit on a command's length


def _remove_in_processes(path: Path) -> None:
    """Remove what is under ``path`` (its marker aside) with ``rm -rf``, one process per
    CPU at a time over batches of its entries two levels down. Removing tens of
    thousands of files is mostly the kernel's work, and a process per CPU does it about
    twice as fast as one (``rm`` does not follow links either). Nothing is done with
    one CPU, without ``rm`` or for a small site; what is left, the caller removes."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    rm = shutil.which("rm")
    if cpus < 2 or rm is None:
        return
    found = [name for name in _entries(path, depth=2) if name != MARKER]
    if len(found) < PARALLEL_REMOVE_MIN:
        return
    size = min(REMOVE_BATCH_MAX, len(found) // (cpus * 8) + 1)
    batches = [found[start : start + size] for start in range(0, len(found), size)]
    running: list[subprocess.Popen[bytes]] = []
    try:
        while batches or running:
            while batches and len(running) < cpus:
                command = [rm, "-rf", "--", *batches.pop()]
                running.append(subprocess.Popen(command, cwd=path, stderr=subprocess.DEVNULL))  # noqa: S603
            running.pop(0).wait()
    finally:
        for process in running:
            process.wait()


def _entries(root: Path, depth: int, prefix: str = "") -> list[str]:
    """The paths under ``root``, relative to it: directories descended ``depth`` levels,
    what is there (files, links, deeper directories) listed."""
    found = []
    with os.scandir(root / prefix if prefix else root) as entries:
        for entry in entries:
            name = f"{prefix}{entry.name}"
            if depth > 0 and entry.is_dir(follow_symlinks=False):
                found.extend(_entries(root, depth - 1, f"{name}/"))
            else:
                found.append(name)
    return found


def _exchange(first: Path, second: Path) -> bool:
    """Atomically trade two paths; False when this system cannot (nothing changed)."""
    rename = _renameat2()
    if rename is None:
        return False
    if rename(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE):
        error = ctypes.get_errno()
        if error in _NO_EXCHANGE:
            return False
        raise OSError(error, os.strerror(error), str(second))
    return True


@functools.cache
def _renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    """glibc's ``renameat2`` (2.28 and later), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    function = getattr(libc, "renameat2", None)
    if function is None:
        return None
    function.argtypes = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    )
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]
