"""GitHub Packages for ghcr.io: ``GET /{orgs|users}/{owner}/packages/container/{pkg}/versions``
on api.github.com (pure parsing).

One row per version: its ``name`` is the manifest digest and ``metadata.container.tags``
its tags (``[]`` for an untagged version, left out). Pages of 100 through
``Link: rel="next"``, followed exactly as given (they point at
``/organizations/{id}/...``). A ``/`` in the package name is encoded
(actions/delete-package-versions#115). Auth: the registry's token (a PAT with
``read:packages``) as ``Authorization: Bearer``; the API has no anonymous access.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from sitegen.registry.vendors.common import (
    PAGE_SIZE,
    Doubt,
    Entry,
    TagPage,
    linked_page,
    rfc3339,
)

DEFAULT_URL = "https://api.github.com"
OWNER_KINDS = ("orgs", "users")  # tried in this order, the answer kept per owner
ACCEPT = "application/vnd.github+json"


def default_url(registry_url: str) -> str:
    """GitHub's API is not on the registry's host."""
    return DEFAULT_URL


def owner(repository: str) -> str:
    """The organisation or user a package belongs to."""
    name, _, package = repository.partition("/")
    if not package:
        raise Doubt("a ghcr.io repository is named owner/package")
    return name


def first_url(api_url: str, repository: str, kind: str = "orgs") -> str:
    """The first page of the package's versions, for an owner of ``kind``."""
    package = repository.partition("/")[2]
    return (
        f"{api_url}/{kind}/{quote(owner(repository), safe='')}/packages/container/"
        f"{quote(package, safe='')}/versions?per_page={PAGE_SIZE}"
    )


def parse(body: bytes, headers: httpx.Headers, url: str, what: str) -> TagPage:
    """One page of versions -> their tags."""
    return linked_page(body, headers, url, what, lambda rows: _entries(rows, what))


def _entries(versions: list[dict[str, Any]], what: str) -> Iterator[Entry]:
    for version in versions:
        metadata = version.get("metadata")
        container = metadata.get("container") if isinstance(metadata, dict) else None
        names = container.get("tags") if isinstance(container, dict) else None
        if not isinstance(names, list):
            raise Doubt(f"{what}: a version without a list in metadata.container.tags")
        pushed = rfc3339(version.get("created_at"))
        yield from ((name, version.get("name"), pushed) for name in names)
