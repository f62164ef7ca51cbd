"""The static search index, built by Pagefind at the end of the build.

The pages themselves are large; the index needs only names, digests, platforms and
label values. So for each searchable page a tiny HTML document is written into a
scratch directory under the page's own path, and the Pagefind binary indexes that
directory once, writing ``pagefind/`` into the site. Results link to the real pages.

The tags of one image share one record (one result per image). Above
``TAG_RECORD_LIMIT`` such records, only repository pages are indexed (each repository's
document still lists its tags), which keeps the index small enough to publish.

Pagefind's output is not reproducible: it writes its filter map in hash order, so two
runs on the same documents give different files once there are several registries.
So the index remembers what it was built from (``paths.SEARCH_INPUT_FILE``: a hash of
Pagefind's version, its options and every document, and a hash of every file it
wrote), and a build whose documents are unchanged links the previous index, verified
file by file, instead of running Pagefind: a rebuild with nothing changed leaves the
search index byte-identical too.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from sitegen.errors import FileRefused
from sitegen.files import read_limited
from sitegen.oci import kinds
from sitegen.site import paths, searchorder
from sitegen.site.pages.page import Page
from sitegen.site.pages.searchrecord import SearchRecord, badge_facet

log = logging.getLogger("sitegen.site.search")

# Images (one record each) above which only repositories are indexed: Pagefind needs
# about 100 kB of memory per record while indexing (2.2 GB for 20,000 images).
TAG_RECORD_LIMIT = 8_000
# Package pages indexed at most (those in the most images first); the others are on the
# Packages list, and in api/packages/.
PACKAGE_RECORD_LIMIT = 8_000
ALIASES_SHOWN = 5  # other tags of an image named in its result
TIMEOUT = 600
MAX_INPUT_FILE_BYTES = 64 << 20  # the record of a previous index (a hash per file)
# The facet of images with a tag first seen within the week before the build
# (``Tag.new``), and its one value; also the token of its badge among a result's badges.
NEW_FACET = "seen"
NEW_VALUE = "new"
# Keep digests, platforms and versions whole words ("-" first would read as a flag).
OPTIONS = ("--silent", "--include-characters=-_.:/@")


@dataclass(frozen=True, slots=True)
class Entry:
    """A page the search index learns: where it is, and its record (not its data, which
    a render worker would otherwise send back for every tag page of the site)."""

    path: str
    record: SearchRecord


def entries(pages: Iterable[Page]) -> Iterator[Entry]:
    """The pages that have a search record, as entries."""
    for page in pages:
        if page.search is not None:
            yield Entry(page.path, page.search)


def searchable(found: Iterable[Entry]) -> list[Entry]:
    """The entries that get a search record, honouring ``TAG_RECORD_LIMIT``.

    The tags of one image in one repository (``latest``, ``1``, ``1.2``, ``1.2.3``)
    share one record: one result per image, on the page of its first tag, with the
    other tags in its summary and findable by name.
    """
    chosen = _one_per_image(found)
    tags = sum(1 for e in chosen if e.record["kind"] == "tag")
    if tags > TAG_RECORD_LIMIT:
        log.info("search: %d images; indexing repositories only", tags)
        chosen = [e for e in chosen if e.record["kind"] != "tag"]
    packages = [e for e in chosen if e.record["kind"] == "package"]
    if len(packages) > PACKAGE_RECORD_LIMIT:
        log.info(
            "search: %d packages; indexing the %d in most images",
            len(packages),
            PACKAGE_RECORD_LIMIT,
        )
        ranked = sorted(packages, key=lambda e: (-e.record.get("rank", 0), e.path))
        kept = {e.path for e in ranked[:PACKAGE_RECORD_LIMIT]}
        chosen = [e for e in chosen if e.record["kind"] != "package" or e.path in kept]
    return chosen


@dataclass(frozen=True, slots=True)
class _Tagged:
    """One tag of an image, as its own record has it."""

    tag: str
    rank: int
    new: bool


def _one_per_image(found: Iterable[Entry]) -> list[Entry]:
    chosen: list[Entry] = []
    tags: dict[tuple[str, str], list[_Tagged]] = {}  # (registry, image) -> its tags
    for entry in found:
        record = entry.record
        image = record.get("image")
        if not image:
            chosen.append(entry)
            continue
        key = (record["registry"], image)
        if key not in tags:
            tags[key] = []
            chosen.append(entry)
        tags[key].append(
            _Tagged(record.get("tag", ""), record.get("rank", 0), record.get("new", False))
        )
    return [_with_aliases(entry, tags) for entry in chosen]


def _with_aliases(entry: Entry, tags: dict[tuple[str, str], list[_Tagged]]) -> Entry:
    """The record of an image's first tag, naming its other tags; it ranks as the
    newest version among them (``3.20.1``, not ``latest``, decides where it sorts), and
    is new when any of them is (``1.1`` new, ``latest`` moved to it from ``1.0``)."""
    record = entry.record
    image = record.get("image")
    if not image:
        return entry
    tagged = tags[(record["registry"], image)]
    others = [t.tag for t in tagged[1:]]
    if not others:
        return entry
    shown = ", ".join(others[:ALIASES_SHOWN]) + (" …" if len(others) > ALIASES_SHOWN else "")
    names = " ".join(f"{record['repository']}:{tag} {tag}" for tag in others)
    return replace(
        entry,
        record={
            **record,
            "summary": f"also tagged {shown} · {record['summary']}",
            "names": f"{record['names']} {names}",
            "rank": max(t.rank for t in tagged),
            "tags": [t.tag for t in tagged],
            "new": any(t.new for t in tagged),
        },
    )


def kind_of(record: SearchRecord) -> str:
    """The kind a result shows and is filtered by: ``repository``, ``image`` (one or
    several platforms), ``helm chart``, ``signature``, ``attestation``, ``sbom`` or
    ``artifact``, or ``package`` (a package an SBOM lists): the manifest's kind
    (``sitegen.oci.kinds``) as a reader names it."""
    if record["kind"] in ("repository", "package"):
        return record["kind"]
    kind = record.get("manifest_kind", kinds.IMAGE)
    if kind == kinds.INDEX:
        return "image"
    return kinds.NAMES.get(kind, kinds.NAMES[kinds.ARTIFACT]).lower()


# Pagefind weights (0 to 10; text without one weighs 1): a name outranks what merely
# mentions it, such as a label or a description.
TITLE_WEIGHT = 10
NAMES_WEIGHT = 5
KEYWORDS_WEIGHT = 0.5


def document(entry: Entry) -> str:
    """The tiny HTML document Pagefind indexes for a page.

    Results show the ``summary`` meta (not Pagefind's excerpt): keywords such as
    digests and label values make a page findable but would make a poor excerpt.
    Filters (registry, kind, platform, supply-chain badges, new) and the metadata the
    results page sorts by and shows (repository, rank, badges) sit in an element that
    is not indexed as text.
    """
    record = entry.record
    esc = html.escape
    keywords = " ".join(_with_bare_digests(record["keywords"].split()))
    kind = kind_of(record)
    facets = [("registry", record["registry"])] if record["registry"] else []
    facets.append(("kind", kind))
    facets += [("platform", p) for p in sorted(set(record.get("platforms", [])))]
    badges = record.get("badges", [])
    facets += [("has", f) for f in sorted({badge_facet(b) for b in badges})]
    if record.get("new"):
        # On new images only: the facet's one value selects them, and an index with
        # nothing new has no such filter, so the search page shows no empty facet.
        facets.append((NEW_FACET, NEW_VALUE))
        badges = [*badges, NEW_VALUE]  # shown last, as the tag lists show it
    meta = [("repository", record["repository"]), ("kind", kind)]
    if badges:
        meta.append(("badges", "|".join(badges)))
    if "rank" in record:
        meta.append(("rank", str(record["rank"])))
    if "tag" in record:
        meta.append(("tags", " ".join(record.get("tags", [record["tag"]]))))
    hidden = "".join(
        f'<span data-pagefind-filter="{name}">{esc(value)}</span>' for name, value in facets
    ) + "".join(f'<span data-pagefind-meta="{name}">{esc(value)}</span>' for name, value in meta)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(record['title'])}</title></head><body>"
        "<main data-pagefind-body>"
        f'<h1 data-pagefind-meta="title" data-pagefind-weight="{TITLE_WEIGHT}">'
        f"{esc(record['title'])}</h1>"
        f'<p data-pagefind-weight="{NAMES_WEIGHT}">{esc(record["names"])}</p>'
        f'<p data-pagefind-meta="summary" data-pagefind-weight="{KEYWORDS_WEIGHT}">'
        f"{esc(record['summary'])}</p>"
        f'<p data-pagefind-weight="{KEYWORDS_WEIGHT}">{esc(keywords)}</p>'
        f'<div data-pagefind-ignore="index">{hidden}</div></main></body></html>'
    )


def _with_bare_digests(words: list[str]) -> list[str]:
    """``sha256:abc...`` also as ``abc...``, so a pasted short image ID finds it."""
    found = []
    for word in words:
        found.append(word)
        algorithm, sep, encoded = word.partition(":")
        if sep and algorithm in ("sha256", "sha512") and encoded:
            found.append(encoded)
    return found


def build_index(found: list[Entry], site: Path, previous: Path | None = None) -> bool:
    """Write ``site/pagefind/`` (``start_index``, then wait for it). Returns False (and
    logs why) when Pagefind is unavailable."""
    return start_index(found, site, previous).wait()


def start_index(found: list[Entry], site: Path, previous: Path | None = None) -> Indexing:
    """Start writing ``site/pagefind/``: Pagefind indexes the documents in its own
    process while the caller writes the rest of the site, and ``Indexing.wait`` finishes
    the index. When ``previous`` (the site in place) holds an index built from the same
    documents by the same Pagefind, that index is linked instead (see the module's
    docstring), and there is nothing to wait for."""
    if not found:
        return Indexing(built=False)
    documents = sorted((entry.path, document(entry)) for entry in found)
    key = _input_key(documents)
    if previous is not None and _reuse(previous, site, key):
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
        self._key = key
        self._scratch = scratch
        self._process = process

    @classmethod
    def started(cls, documents: list[tuple[str, str]], site: Path, key: str) -> Indexing:
        """Pagefind started on ``documents``, each written as a page of a scratch site."""
        scratch = tempfile.TemporaryDirectory(prefix="sitegen-search-")
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
        _record_input(self._site, self._key)
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


def _input_key(documents: list[tuple[str, str]]) -> str:
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


def _record_input(site: Path, key: str) -> None:
    record = {"input": key, "files": _index_files(site)}
    text = json.dumps(record, sort_keys=True, indent=1) + "\n"
    (site / paths.SEARCH_INPUT_FILE).write_text(text, encoding="utf-8")


def _reuse(previous: Path, site: Path, key: str) -> bool:
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
