"""Write the site into a temporary directory beside the target, then swap it into place.

A failed or killed build leaves the previous site untouched. The target is checked
before anything is written: never ``/``, the home directory, the current directory,
the config's directory or any parent of them, and never an existing directory that
sitegen did not create (we replace the whole directory, so it must be ours).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from sitegen.errors import OutputError

log = logging.getLogger("sitegen.output")

MARKER = ".sitegen-site"  # present in every directory sitegen built
_STAGING_PREFIX = ".sitegen-staging-"
_RETIRED_PREFIX = ".sitegen-retired-"


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
    if resolved.exists():
        if not resolved.is_dir():
            raise OutputError(f"refusing to build into {target}: it exists and is not a directory")
        if any(resolved.iterdir()) and not (resolved / MARKER).exists():
            raise OutputError(
                f"refusing to build into {target}: it is not empty and was not built by "
                f"sitegen (no {MARKER} file); the whole directory is replaced on every build"
            )
    return resolved


class Staging:
    """A temporary site directory; ``commit()`` swaps it into place."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(target.parent)
        self.root = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target.parent))
        (self.root / MARKER).write_text("built by sitegen; replaced on every build\n")
        self._root = str(self.root)
        self._made: set[str] = {self._root}

    def write(self, relative: str, content: str | bytes) -> None:
        """Write one file under the staging root (``relative`` uses ``/``)."""
        # A pure string check is enough: the staging tree holds no symlinks. Plain
        # ``os`` calls: a big site writes a quarter of a million files.
        normal = os.path.normpath(relative)
        if os.path.isabs(normal) or normal == ".." or normal.startswith("../") or "\0" in normal:
            raise OutputError(f"refusing to write outside the site: {relative!r}")
        path = os.path.join(self._root, normal)
        parent = os.path.dirname(path)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        data = content.encode("utf-8") if isinstance(content, str) else content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def copy_tree(self, source: Path, relative: str) -> None:
        """Copy a directory of static files into the site."""
        shutil.copytree(source, self.root / relative, dirs_exist_ok=True)

    def commit(self) -> None:
        """Swap the staged site into place and remove the old one."""
        # mkdtemp makes it 0700; a published site is meant to be read by everyone.
        self.root.chmod(0o755)
        retired = None
        if self.target.exists():
            retired = self.target.parent / f"{_RETIRED_PREFIX}{os.getpid()}-{self.target.name}"
            self.target.rename(retired)
        self.root.rename(self.target)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging directory (after a failure)."""
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def staging(target: Path) -> Iterator[Staging]:
    """Stage a site; commit on success, discard on any exception."""
    stage = Staging(target)
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
    stage.commit()


def _remove_leftovers(parent: Path) -> None:
    """Staging and retired directories of killed builds: ones sitegen marked, and empty
    ones (a build killed between creating its staging directory and marking it)."""
    for entry in parent.iterdir():
        if not entry.name.startswith((_STAGING_PREFIX, _RETIRED_PREFIX)) or not entry.is_dir():
            continue
        if (entry / MARKER).exists():
            log.debug("removing leftover %s", entry)
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.rmdir()  # only if empty: anything else may not be ours
