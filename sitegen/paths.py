"""Where each page lives in the site. The one place that turns names into paths.

Layout (every directory holds ``index.html`` and ``index.json``)::

    <registry>/                                    registry
    <registry>/<repository>/                       repository, first page of its tags
    <registry>/<repository>/_tags.js               every tag row, for sorting and filtering
    <registry>/<repository>/_pages/<n>/            further pages of tags (without JavaScript)
    <registry>/<repository>/_platforms/[<n>/]      tag x platform matrix
    <registry>/<repository>/_tags/<tag>/           tag
    <registry>/<repository>/_digests/<alg>-<hex>/  a manifest by digest (permalink; also
                                                   each platform of a multi-platform tag)
    <registry>/<repository>/_diff/<old>..<new>/    what changed between two digests
    <registry>/<repository>/_changes.xml           Atom feed of the repository's changes
    search/, changes/, health/, feeds/changes.xml  search, recent changes, crawl health

Repository components never start with ``_`` (distribution-spec grammar), so ``_tags``,
``_pages``, ``_platforms`` and ``_digests`` cannot collide with a repository. Tags may
contain uppercase letters; on a case-insensitive checkout ``Latest`` and ``latest``
would share a directory, so each uppercase letter becomes ``~`` plus its lowercase form
(``~latest``): ``~`` is not allowed in tags, which keeps the mapping one-to-one.

Every name is validated by the crawl before it gets here; these functions validate
again and raise ``ValueError`` rather than build a path from anything else.
"""

from __future__ import annotations

import functools
import re

from sitegen.registry.references import is_digest, is_name, is_tag

TAGS_DIR = "_tags"
DIGESTS_DIR = "_digests"
DIFF_DIR = "_diff"
FEED_FILE = "_changes.xml"
PAGES_DIR = "_pages"
MATRIX_DIR = "_platforms"
TAG_DATA_FILE = "_tags.js"
SEARCH_PATH = "search/"


@functools.lru_cache(maxsize=1024)
def registry_path(registry: str) -> str:
    """``local/``"""
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", registry):
        raise ValueError(f"invalid registry slug {registry!r}")
    return f"{registry}/"


@functools.lru_cache(maxsize=8192)  # a site's repositories: each page links several
def repository_path(registry: str, repository: str) -> str:
    """``local/team/app/``"""
    if not is_name(repository):
        raise ValueError(f"invalid repository name {repository!r}")
    return f"{registry_path(registry)}{repository}/"


@functools.lru_cache(maxsize=65536)  # the same tags recur in every repository
def tag_slug(tag: str) -> str:
    """``Latest`` -> ``~latest``: distinct on case-insensitive file systems."""
    if not is_tag(tag):
        raise ValueError(f"invalid tag {tag!r}")
    return "".join(f"~{c.lower()}" if c.isupper() else c for c in tag)


def tag_path(registry: str, repository: str, tag: str) -> str:
    """``local/team/app/_tags/v1.2.0/``"""
    return f"{repository_path(registry, repository)}{TAGS_DIR}/{tag_slug(tag)}/"


def digest_path(registry: str, repository: str, digest: str) -> str:
    """``local/team/app/_digests/sha256-0123.../``: does not move when tags move."""
    if not is_digest(digest):
        raise ValueError(f"invalid digest {digest!r}")
    return f"{repository_path(registry, repository)}{DIGESTS_DIR}/{digest.replace(':', '-')}/"


def diff_path(registry: str, repository: str, old: str, new: str) -> str:
    """``local/team/app/_diff/sha256-<old>..sha256-<new>/``: what changed from old to new."""
    if not (is_digest(old) and is_digest(new)):
        raise ValueError(f"invalid digests {old!r}, {new!r}")
    pair = f"{old.replace(':', '-')}..{new.replace(':', '-')}"
    return f"{repository_path(registry, repository)}{DIFF_DIR}/{pair}/"


def tag_list_path(registry: str, repository: str, page: int) -> str:
    """Page ``page`` (1-based) of a repository's tag list."""
    base = repository_path(registry, repository)
    return base if page == 1 else f"{base}{PAGES_DIR}/{page}/"


def matrix_path(registry: str, repository: str, page: int = 1) -> str:
    """Page ``page`` of a repository's tag x platform matrix."""
    base = f"{repository_path(registry, repository)}{MATRIX_DIR}/"
    return base if page == 1 else f"{base}{page}/"


def relative_root(path: str) -> str:
    """The ``../`` prefix from the page at ``path`` back to the site root."""
    return "../" * path.count("/")
