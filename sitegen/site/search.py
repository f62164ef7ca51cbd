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
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from sitegen.site import paths
from sitegen.site.pages.page import Page

log = logging.getLogger("sitegen.site.search")

# Images (one record each) above which only repositories are indexed: Pagefind needs
# about 100 kB of memory per record while indexing (2.2 GB for 20,000 images).
TAG_RECORD_LIMIT = 8_000
ALIASES_SHOWN = 5  # other tags of an image named in its result
TIMEOUT = 600


def searchable(pages: Iterable[Page]) -> list[Page]:
    """The pages that get a search record, honouring ``TAG_RECORD_LIMIT``.

    The tags of one image in one repository (``latest``, ``1``, ``1.2``, ``1.2.3``)
    share one record: one result per image, on the page of its first tag, with the
    other tags in its summary and findable by name.
    """
    found = _one_per_image(p for p in pages if p.search)
    tags = sum(1 for p in found if p.data.get("kind") == "tag")
    if tags > TAG_RECORD_LIMIT:
        log.info("search: %d images; indexing repositories only", tags)
        found = [p for p in found if p.data.get("kind") != "tag"]
    return found


def _one_per_image(pages: Iterable[Page]) -> list[Page]:
    found: list[Page] = []
    tags: dict[tuple[str, str], list[str]] = {}  # (registry, image) -> its tags
    for page in pages:
        image = page.search.get("image")
        if not image:
            found.append(page)
            continue
        key = (page.search["registry"], image)
        if key not in tags:
            tags[key] = []
            found.append(page)
        tags[key].append(page.search["tag"])
    return [_with_aliases(page, tags) for page in found]


def _with_aliases(page: Page, tags: dict[tuple[str, str], list[str]]) -> Page:
    record = page.search
    if not record.get("image"):
        return page
    others = tags[(record["registry"], record["image"])][1:]
    if not others:
        return page
    shown = ", ".join(others[:ALIASES_SHOWN]) + (" …" if len(others) > ALIASES_SHOWN else "")
    repository = record["image"].partition("@")[0]
    names = " ".join(f"{repository}:{tag} {tag}" for tag in others)
    return replace(
        page,
        search={
            **record,
            "summary": f"also tagged {shown} · {record['summary']}",
            "keywords": f"{record['keywords']} {names}",
        },
    )


def document(page: Page) -> str:
    """The tiny HTML document Pagefind indexes for ``page``.

    Results show the ``summary`` meta (not Pagefind's excerpt): keywords such as
    digests and label values make a page findable but would make a poor excerpt.
    """
    record = page.search
    esc = html.escape
    keywords = " ".join(_with_bare_digests(record["keywords"].split()))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(record['title'])}</title></head><body>"
        f'<main data-pagefind-body data-pagefind-filter="registry:{esc(record["registry"])}">'
        f'<h1 data-pagefind-meta="title">{esc(record["title"])}</h1>'
        f'<p data-pagefind-meta="kind">{esc(record["kind"])}</p>'
        f'<p data-pagefind-meta="summary">{esc(record["summary"])}</p>'
        f"<p>{esc(keywords)}</p></main></body></html>"
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


def build_index(pages: list[Page], site: Path) -> bool:
    """Write ``site/pagefind/``. Returns False (and logs why) when Pagefind is unavailable."""
    if not pages:
        return False
    with tempfile.TemporaryDirectory(prefix="sitegen-search-") as scratch:
        root = Path(scratch)
        for page in pages:
            target = root / page.path / paths.PAGE_HTML
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(document(page), encoding="utf-8")
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
