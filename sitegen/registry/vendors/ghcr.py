"""GitHub Packages for ghcr.io: ``GET /{orgs|users}/{owner}/packages/container/{pkg}/versions``
on api.github.com, and ``GET /{orgs|users}/{owner}/packages?package_type=container`` to
discover an owner's repositories (pure parsing).

One row per version: its ``name`` is the manifest digest and ``metadata.container.tags``
its tags (``[]`` for an untagged version, left out). Pages of 100 through
``Link: rel="next"``, followed exactly as given (they point at
``/organizations/{id}/...``). A ``/`` in the package name is encoded
(actions/delete-package-versions#115). Auth: the registry's token (a PAT with
``read:packages``) as ``Authorization: Bearer``; the API has no anonymous access.

A package's repository is ``{owner}/{name}`` with the owner in lower case, as ghcr.io
names it (a GitHub login keeps its capitals; an image name may not have any).

No first seen: ``created_at`` and ``updated_at`` belong to the version, that is to the
digest; a tag is only a label in its metadata, added to a version when it is pushed or
moved there, so when ``latest`` moves to a version made today, its ``created_at`` is
today. Nothing says when the tag first existed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from sitegen.registry.vendors.common import (
    PAGE_SIZE,
    Doubt,
    Entry,
    Page,
    TagPage,
    linked_page,
    names_of,
    rfc3339,
    tags_of,
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
    return linked_page(body, headers, url, what, lambda rows: tags_of(_entries(rows, what), what))


def packages_url(api_url: str, owner: str, kind: str) -> str:
    """The first page of an owner's container packages, for an owner of ``kind``."""
    return (
        f"{api_url}/{kind}/{quote(owner, safe='')}/packages"
        f"?package_type=container&per_page={PAGE_SIZE}"
    )


def packages(owner: str) -> Callable[[bytes, httpx.Headers, str, str], Page[str]]:
    """The parser of ``owner``'s (lower case) pages of packages -> repository names."""

    def parse_packages(body: bytes, headers: httpx.Headers, url: str, what: str) -> Page[str]:
        def names(rows: list[dict[str, Any]]) -> tuple[str, ...]:
            return names_of(
                f"{owner}/{row['name']}"
                for row in rows
                if isinstance(row.get("name"), str) and row.get("package_type") == "container"
            )

        return linked_page(body, headers, url, what, names)

    return parse_packages


def _entries(versions: list[dict[str, Any]], what: str) -> Iterator[Entry]:
    for version in versions:
        metadata = version.get("metadata")
        container = metadata.get("container") if isinstance(metadata, dict) else None
        names = container.get("tags") if isinstance(container, dict) else None
        if not isinstance(names, list):
            raise Doubt(f"{what}: a version without a list in metadata.container.tags")
        pushed = rfc3339(version.get("created_at"))
        yield from ((name, version.get("name"), pushed, None) for name in names)
