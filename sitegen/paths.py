"""Where each page lives in the site. The one place that turns names into paths.

Layout (every directory holds ``index.html`` and ``index.json``)::

    <registry>/                                   registry
    <registry>/<repository>/                      repository (name components as dirs)
    <registry>/<repository>/_tags/<tag>/          tag
    <registry>/<repository>/_tags/<tag>/<platform>/   one platform of a multi-arch tag

Repository components never start with ``_`` (distribution-spec grammar), so ``_tags``
cannot collide with a repository. Tags may contain uppercase letters; on a
case-insensitive checkout ``Latest`` and ``latest`` would share a directory, so each
uppercase letter becomes ``~`` plus its lowercase form (``~latest``): ``~`` is not
allowed in tags, which keeps the mapping one-to-one.

Every name is validated by the crawl before it gets here; these functions validate
again and raise ``ValueError`` rather than build a path from anything else.
"""

from __future__ import annotations

import re

from sitegen.model import Platform
from sitegen.registry.references import is_name, is_tag

TAGS_DIR = "_tags"
_SLUG_PART_RE = re.compile(r"[^a-z0-9.]+")


def registry_path(registry: str) -> str:
    """``local/``"""
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", registry):
        raise ValueError(f"invalid registry slug {registry!r}")
    return f"{registry}/"


def repository_path(registry: str, repository: str) -> str:
    """``local/team/app/``"""
    if not is_name(repository):
        raise ValueError(f"invalid repository name {repository!r}")
    return f"{registry_path(registry)}{repository}/"


def tag_slug(tag: str) -> str:
    """``Latest`` -> ``~latest``: distinct on case-insensitive file systems."""
    if not is_tag(tag):
        raise ValueError(f"invalid tag {tag!r}")
    return "".join(f"~{c.lower()}" if c.isupper() else c for c in tag)


def tag_path(registry: str, repository: str, tag: str) -> str:
    """``local/team/app/_tags/v1.2.0/``"""
    return f"{repository_path(registry, repository)}{TAGS_DIR}/{tag_slug(tag)}/"


def platform_slug(platform: Platform | None, taken: set[str]) -> str:
    """``linux-arm64-v8``; made unique within one index by a ``-2``, ``-3`` suffix.

    Platform fields come from the registry: only ``[a-z0-9.]`` survive, and the slug
    always contains ``-``, so it can never be ``index.html`` or ``..``.
    """
    if platform is None:
        parts = ["unknown", "platform"]
    else:
        parts = [platform.os, platform.architecture, platform.variant, platform.os_version]
    cleaned = [_SLUG_PART_RE.sub("", p.lower()).strip(".")[:40] for p in parts if p]
    cleaned = [p for p in cleaned if p] or ["unknown"]
    if len(cleaned) == 1:
        cleaned.append("platform")
    base = "-".join(cleaned)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def relative_root(path: str) -> str:
    """The ``../`` prefix from the page at ``path`` back to the site root."""
    return "../" * path.count("/")
