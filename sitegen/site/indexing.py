"""Pagefind at work: the binary run on a scratch site of documents, and an index kept
from the previous build when it was built from the same documents.

Pagefind's output is not reproducible: it writes its filter map in hash order, so two
runs on the same documents give different files once there are several registries.
So the index remembers what it was built from (``paths.SEARCH_INPUT_FILE``:
a hash of Pagefind's version, its options and every document, and a hash of every file
it wrote), and a build whose documents are unchanged links the previous index,
verified file by file, instead of running Pagefind: a rebuild with nothing changed
leaves the search index byte-identical too.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from sitegen.errors import FileRefused
from sitegen.files import read_limited
from sitegen.site import paths, searchorder

log = logging.getLogger("sitegen.site.search")

TIMEOUT = 600
MAX_INPUT_FILE_BYTES = 64 << 20  # the record of a previous index (a hash per file)
# Keep digests, platforms and versions whole words ("-" first would read as a flag).
OPTIONS = ("--silent", "--include-characters=-_.:/@")
# The scratch site of the documents Pagefind reads, in the staging directory.
SCRATCH_PREFIX = ".search-documents-"


def start(documents: list[tuple[str, str]], site: Path, previous: Path | None = None) -> Indexing:
    """Start writing ``site/pagefind/`` from ``documents`` ((path, HTML), in path
    order): Pagefind indexes them in its own process while the caller writes the rest
    of the site, and ``Indexing.wait`` finishes the index. When ``previous`` (the site
    in place) holds an index built from the same documents by the same Pagefind, that
    index is linked instead (see the module's docstring), and there is nothing to wait
    for."""
    if not documents:
        return Indexing(built=False)
    key = input_key(documents)
    if previous is not None and reuse(previous, site, key):
        log.debug("search: documents unchanged; the previous index is kept")
        return Indexing(built=True, site=site)
    return Indexing.started(documents, site, key)


class Indexing:
    """Pagefind at work on a site's documents, or its outcome when it had no work."""

    def __init__(
        self,
        *,
        built: bool,
        site: Path | None = None,
        key: str = "",
        scratch: tempfile.TemporaryDirectory[str] | None = None,
        process: subprocess.Popen[str] | None = None,
    ) -> None:
        self.built = built
        self._site = site
        self._key = key  # what the index is built from: ``input_key``
        self._scratch = scratch
        self._process = process

    @classmethod
    def started(cls, documents: list[tuple[str, str]], site: Path, key: str) -> Indexing:
        """Pagefind started on ``documents``, each written as a page of a scratch site:
        in ``site`` (a staging directory, the site once complete), where the rest of
        the site is written, and gone before the site is."""
        site.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=site)
        try:
            root = Path(scratch.name)
            for path, text in documents:
                target = root / path / paths.PAGE_HTML
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            output = site / paths.SEARCH_INDEX_DIR
            command = [str(pagefind_binary()), "--site", str(root)]
            process = subprocess.Popen(  # noqa: S603 - Pagefind's installed binary, our arguments
                [*command, "--output-path", str(output), *OPTIONS],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except OSError as exc:
            scratch.cleanup()
            log.warning("search: no index built: %s", exc)
            return cls(built=False)
        except BaseException:
            scratch.cleanup()
            raise
        return cls(built=False, site=site, key=key, scratch=scratch, process=process)

    def wait(self) -> bool:
        """Wait for Pagefind (``TIMEOUT`` at most), put its index in canonical order and
        record what it was built from. Whether there is an index."""
        process, self._process = self._process, None
        if process is None or self._site is None:
            return self.built
        output = self._site / paths.SEARCH_INDEX_DIR
        try:
            said, errors = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.communicate()
            log.warning("search: no index built: %s", exc)
            shutil.rmtree(output, ignore_errors=True)
            return False
        finally:
            self._clean()
        if process.returncode != 0:
            reason = (errors or said).strip().splitlines()
            log.warning("search: no index built: pagefind failed: %s", reason[-1] if reason else "")
            shutil.rmtree(output, ignore_errors=True)
            return False
        searchorder.canonical(output)
        record_input(self._site, self._key)
        self.built = True
        return True

    def stop(self, *, discard: bool = False) -> None:
        """Stop Pagefind, if it is still at work; ``discard``: remove what it wrote (or
        the previous index linked), for another index in its place."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.communicate()
        self._clean()
        if discard and self._site is not None:
            shutil.rmtree(self._site / paths.SEARCH_INDEX_DIR, ignore_errors=True)
            self.built = False

    def _clean(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


@functools.cache
def pagefind_binary() -> Path:
    """The Pagefind binary the ``pagefind`` package installed (or ``PAGEFIND_BINARY_PATH``),
    run directly: ``python -m pagefind`` would start an interpreter only to find it."""
    from pagefind.service import get_executable  # noqa: PLC0415 - only when indexing

    found = get_executable()
    if found is None:
        raise FileNotFoundError(
            "the pagefind binary is not installed (pip install 'pagefind[bin]')"
        )
    return found


def input_key(documents: list[tuple[str, str]]) -> str:
    """A hash of everything the index is made of: Pagefind's version, options, documents."""
    try:
        version = metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        version = ""
    digest = hashlib.sha256(json.dumps([version, OPTIONS]).encode())
    for path, text in documents:
        digest.update(json.dumps([path, text]).encode())
    return digest.hexdigest()


def _index_files(site: Path) -> dict[str, str]:
    """Relative path (from the site) -> sha256 of every file of the index but its record."""
    root = site / paths.SEARCH_INDEX_DIR
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if path.is_symlink():  # never written by Pagefind: not the index it recorded
            found[relative] = "symlink"
        elif path.is_file() and relative != paths.SEARCH_INPUT_FILE:
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def record_input(site: Path, key: str) -> None:
    """Record in ``site``'s index what it was built from (``key``) and what it holds."""
    record = {"input": key, "files": _index_files(site)}
    text = json.dumps(record, sort_keys=True, indent=1) + "\n"
    (site / paths.SEARCH_INPUT_FILE).write_text(text, encoding="utf-8")


def reuse(previous: Path, site: Path, key: str) -> bool:
    """Copy the previous index into ``site`` if it was built from ``key`` and every file
    is still the one it wrote (nothing missing, changed, added or a link)."""
    try:
        record: Any = json.loads(
            read_limited(previous / paths.SEARCH_INPUT_FILE, MAX_INPUT_FILE_BYTES)
        )
        if not isinstance(record, dict) or record.get("input") != key:
            return False
        if _index_files(previous) != record.get("files"):
            log.info("search: the previous index was changed on disk; indexing again")
            return False
        shutil.copytree(
            previous / paths.SEARCH_INDEX_DIR,
            site / paths.SEARCH_INDEX_DIR,
            dirs_exist_ok=True,
            copy_function=_link,
        )
    except (OSError, FileRefused, ValueError):
        shutil.rmtree(site / paths.SEARCH_INDEX_DIR, ignore_errors=True)
        return False
    return True


def _link(source: str, target: str) -> None:
    """A file of the previous index, linked rather than copied (ten times faster): the
    previous site is removed once this one is in place, and nothing writes to an index
    once built. Copied where the file system has no links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
