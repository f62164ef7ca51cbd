"""Paginated listings: ``_catalog`` and ``tags/list`` (docs/protocol.md item 22).

Follow ``Link: <...>; rel="next"`` exactly as given (``pagination.next_link``), stop on
a page that makes no progress or a link seen before, keep to the registry's origin
(our credentials go with every page), and stop at the configured limits. ``tags: null``
(distribution after the last tag was deleted) is an empty list; null, empty and
invalid entries - digest-shaped "tags" among them - are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sitegen.errors import ProtocolError, RegistryError
from sitegen.oci import jsonload
from sitegen.registry.pagination import next_link
from sitegen.registry.transport import Reply, loggable, origin

log = logging.getLogger("sitegen.registry")


@dataclass(frozen=True, slots=True)
class Listing:
    """One listing to page through."""

    registry: str
    repository: str
    what: str  # "list tags", for messages
    key: str  # "tags" or "repositories"
    valid: Callable[[str], bool]
    limit: int  # entries
    pages: int  # requests
    origin: tuple[str, str]  # the registry's; links elsewhere are refused

    @property
    def label(self) -> str:
        """``registry/repository`` for log lines."""
        return f"{self.registry}/{self.repository}" if self.repository else self.registry


async def paginate(
    listing: Listing,
    url: str,
    get: Callable[[str], Awaitable[Reply]],
    error: Callable[[Reply], RegistryError],
) -> list[str]:
    """Every valid entry of ``listing``, in the registry's order, starting at ``url``."""
    found: list[str] = []
    seen: set[str] = set()
    visited: set[str] = set()
    dropped = 0
    next_url: str | None = url
    truncated = False
    while next_url is not None:
        if len(visited) >= listing.pages or len(found) >= listing.limit:
            truncated = True
            break
        visited.add(next_url)
        reply = await get(next_url)
        if reply.status != 200:
            raise error(reply)
        progress = 0
        for item in _items(reply, listing, next_url):
            if not isinstance(item, str) or not item:
                continue  # null and empty entries
            if not listing.valid(item):
                dropped += 1
                continue
            if item not in seen:
                seen.add(item)
                found.append(item)
                progress += 1
        next_url = next_link(reply.headers.get_list("link"), next_url)
        if next_url is not None and origin(next_url) != listing.origin:
            raise ProtocolError(
                "a pagination link points to another host",
                registry=listing.registry,
                repository=listing.repository,
                url=loggable(next_url),
            )
        if next_url is not None and (progress == 0 or next_url in visited):
            log.warning(
                "%s: %s: a page made no progress; stopped following its Link header",
                listing.label,
                listing.what,
            )
            break
    if dropped:
        log.warning(
            "%s: %s: skipped %d entries that are not valid names",
            listing.label,
            listing.what,
            dropped,
        )
    if truncated or len(found) > listing.limit:
        log.warning(
            "%s: %s stopped at its limit after %d entries",
            listing.label,
            listing.what,
            min(len(found), listing.limit),
        )
    return found[: listing.limit]


def _items(reply: Reply, listing: Listing, url: str) -> list[Any]:
    try:
        document = jsonload.load_object(reply.body)
    except jsonload.JSONRefused as exc:
        raise ProtocolError(
            f"{listing.what}: the answer is {exc}",
            registry=listing.registry,
            repository=listing.repository,
            url=loggable(url),
        ) from None
    items = document.get(listing.key)
    if items is None:
        return []  # distribution answers "tags": null for a repository with no tags
    if not isinstance(items, list):
        raise ProtocolError(
            f"{listing.what}: {listing.key!r} is not a list",
            registry=listing.registry,
            repository=listing.repository,
            url=loggable(url),
        )
    return items


async def referrer_pages(
    url: str,
    subject: str,
    get: Callable[[str], Awaitable[Reply]],
    error: Callable[[Reply], RegistryError],
    *,
    pages: int,
    registry_origin: tuple[str, str],
) -> list[dict[str, Any]] | None:
    """Descriptors from the referrers API (docs/protocol.md item 21), or None without the API.

    404/400/405/406 mean "not supported" (the caller falls back to the ``sha256-<hex>``
    tag); the answer must be an index; the subject is never one of its own referrers.
    """
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url and len(seen) < pages:
        seen.add(next_url)
        reply = await get(next_url)
        if reply.status in (400, 404, 405, 406):
            return found or None
        if reply.status != 200:
            raise error(reply)
        try:
            document = jsonload.load(reply.body)
        except jsonload.JSONRefused:
            return None
        if not isinstance(document, dict) or not isinstance(document.get("manifests"), list):
            return None
        found.extend(
            d for d in document["manifests"] if isinstance(d, dict) and d.get("digest") != subject
        )
        next_url = next_link(reply.headers.get_list("link"), next_url)
        if next_url is not None and origin(next_url) != registry_origin:
            break  # a referrers page on another host: our token must not go there
        if next_url in seen:
            break
    return found
