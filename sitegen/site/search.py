"""The static search index, built by Pagefind at the end of the build.

The pages themselves are large; the index needs only names, digests, platforms and
label values. So for each searchable page a tiny HTML document is written into a
scratch directory under the page's own path, and the Pagefind binary indexes that
directory once, writing ``pagefind/`` into the site. Results link to the real pages.

The tags of one image share one record (one result per image). Above
``TAG_RECORD_LIMIT`` such records, only repository pages are indexed (each repository's
document still lists its tags), which keeps the index small enough to publish.
"""

from __future__ import annotations

import html
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sitegen.oci import kinds
from sitegen.site import paths
from sitegen.site.pages.page import Page
from sitegen.site.pages.shapes import SearchRecord

log = logging.getLogger("sitegen.site.search")

# Images (one record each) above which only repositories are indexed: Pagefind needs
# about 100 kB of memory per record while indexing (2.2 GB for 20,000 images).
TAG_RECORD_LIMIT = 8_000
ALIASES_SHOWN = 5  # other tags of an image named in its result
TIMEOUT = 600


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
    return chosen


def _one_per_image(found: Iterable[Entry]) -> list[Entry]:
    chosen: list[Entry] = []
    tags: dict[tuple[str, str], list[tuple[str, int]]] = {}  # (registry, image) -> its tags
    for entry in found:
        image = entry.record.get("image")
        if not image:
            chosen.append(entry)
            continue
        key = (entry.record["registry"], image)
        if key not in tags:
            tags[key] = []
            chosen.append(entry)
        tags[key].append((entry.record.get("tag", ""), entry.record.get("rank", 0)))
    return [_with_aliases(entry, tags) for entry in chosen]


def _with_aliases(entry: Entry, tags: dict[tuple[str, str], list[tuple[str, int]]]) -> Entry:
    """The record of an image's first tag, naming its other tags; it ranks as the
    newest version among them (``3.20.1``, not ``latest``, decides where it sorts)."""
    record = entry.record
    image = record.get("image")
    if not image:
        return entry
    tagged = tags[(record["registry"], image)]
    others = [tag for tag, _ in tagged[1:]]
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
            "rank": max(rank for _, rank in tagged),
            "tags": [tag for tag, _ in tagged],
        },
    )


def kind_of(record: SearchRecord) -> str:
    """The kind a result shows and is filtered by: ``repository``, ``image`` (one or
    several platforms), ``helm chart``, ``signature``, ``attestation``, ``sbom`` or
    ``artifact``: the manifest's kind (``sitegen.oci.kinds``) as a reader names it."""
    if record["kind"] == "repository":
        return "repository"
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
    Filters (registry, kind, platform) and the metadata the results page sorts by
    (repository, rank) sit in an element that is not indexed as text.
    """
    record = entry.record
    esc = html.escape
    keywords = " ".join(_with_bare_digests(record["keywords"].split()))
    kind = kind_of(record)
    facets = [("registry", record["registry"]), ("kind", kind)]
    facets += [("platform", p) for p in sorted(set(record.get("platforms", [])))]
    meta = [("repository", record["repository"]), ("kind", kind)]
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


def build_index(found: list[Entry], site: Path) -> bool:
    """Write ``site/pagefind/``. Returns False (and logs why) when Pagefind is unavailable."""
    if not found:
        return False
    with tempfile.TemporaryDirectory(prefix="sitegen-search-") as scratch:
        root = Path(scratch)
        for entry in found:
            target = root / entry.path / paths.PAGE_HTML
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(document(entry), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(root),
            "--output-path",
            str(site / paths.SEARCH_INDEX_DIR),
            "--silent",
            # Keep digests, platforms and versions whole words ("-" first would read as a flag).
            "--include-characters=-_.:/@",
        ]
        try:
            completed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                command,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("search: no index built: %s", exc)
            return False
    if completed.returncode != 0:
        reason = (completed.stderr or completed.stdout).strip().splitlines()
        log.warning("search: no index built: pagefind failed: %s", reason[-1] if reason else "")
        shutil.rmtree(site / paths.SEARCH_INDEX_DIR, ignore_errors=True)
        return False
    return True
