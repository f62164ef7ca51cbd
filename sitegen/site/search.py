"""The static search index, built by Pagefind at the end of the build.

The pages themselves are large; the index needs only names, digests, platforms and
label values. So for each searchable page a tiny HTML document is written into a
scratch directory under the page's own path, and the Pagefind binary indexes that
directory, writing ``pagefind/`` into the site. Results link to the real pages.

The tags of one image share one record (one result per image). Above
``TAG_RECORD_LIMIT`` such records, only repository pages are indexed (each repository's
document still lists its tags), which keeps the index small enough to publish.

Pagefind runs in ``sitegen.site.indexing``, which also keeps an unchanged index from
the previous build.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sitegen.oci import kinds
from sitegen.site import indexing
from sitegen.site.indexing import Indexing
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
# The facet of images with a tag first seen within the week before the build
# (``Tag.new``), and its one value; also the token of its badge among a result's badges.
NEW_FACET = "seen"
NEW_VALUE = "new"
# Hexadecimal digits a digest (or a commit hash) is indexed by: every distinct digest is a
# word of the index, and whole ones make Pagefind about a third slower and the index a
# third larger (``bench.searchindex``), where 16 digits (64 bits) already tell any two
# images of a catalog apart.
HEX_INDEXED = 16
DIGEST_ALGORITHMS = ("sha256", "sha512")
_HEX = re.compile(r"[0-9a-fA-F]+")


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
    keywords = " ".join(_indexed_words(record["keywords"].split()))
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


def _indexed_words(words: list[str]) -> list[str]:
    """The keywords as indexed: a digest or other long hexadecimal word (a commit hash)
    by its first ``HEX_INDEXED`` digits, and ``sha256:abc...`` also as ``abc...``, so a
    pasted short image ID finds it. The search page cuts what a reader types to the same
    length (``site.js``, ``indexedQuery``)."""
    found = []
    for word in words:
        algorithm, sep, encoded = word.rpartition(":")
        if sep and algorithm.lower() not in DIGEST_ALGORITHMS:
            algorithm, sep, encoded = "", "", word
        if len(encoded) > HEX_INDEXED and _HEX.fullmatch(encoded):
            encoded = encoded[:HEX_INDEXED]
        found.append(f"{algorithm}{sep}{encoded}")
        if sep and encoded:
            found.append(encoded)
    return found


def build_index(found: list[Entry], site: Path, previous: Path | None = None) -> bool:
    """Write ``site/pagefind/`` (``start_index``, then wait for it). Returns False (and
    logs why) when Pagefind is unavailable."""
    return start_index(found, site, previous).wait()


def start_index(found: list[Entry], site: Path, previous: Path | None = None) -> Indexing:
    """Start writing ``site/pagefind/`` from ``found``: see ``indexing.start``."""
    return indexing.start(documents_of(found), site, previous)


def documents_of(found: list[Entry]) -> list[tuple[str, str]]:
    """The (path, HTML) documents Pagefind indexes for ``found``, in path order."""
    return sorted((entry.path, document(entry)) for entry in found)
