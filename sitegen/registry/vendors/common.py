"""What every vendor listing adapter shares: the parsed page, the doubt that sends the
crawl back to ``tags/list``, and the checks on each entry (pure, no I/O).

An adapter's parser turns one page of its API into a :class:`Page`; anything it cannot
vouch for - a tagged entry without a valid digest, a tag listed twice with two
digests, a body that is not what the API documents - is a :class:`Doubt`, never a
guess (docs/protocol.md, "Vendor listing APIs").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx

from sitegen.dates import parse_rfc3339, utc_seconds
from sitegen.oci import jsonload
from sitegen.oci.references import is_digest, is_name, is_tag
from sitegen.registry.pagination import next_link

PAGE_SIZE = 100  # every vendor's maximum (Harbor answers 422 above it, Quay clamps)
# Harbor writes this for "never" (its swagger; goharbor/harbor#13567).
NEVER = "0001-01-01T00:00:00"


class Doubt(Exception):
    """The listing cannot be trusted as it stands; the message says why, in words
    without any registry string longer than a tag."""


@dataclass(frozen=True, slots=True)
class ListedTag:
    """One tag as the vendor API lists it."""

    name: str
    digest: str
    pushed: str | None = None  # RFC 3339 UTC, seconds: when the API says it was pushed
    # RFC 3339 UTC, seconds: when the API says the tag itself was created, kept while
    # it moves (only where a field documents that: each adapter says which, if any).
    first_seen: str | None = None


T = TypeVar("T")


@dataclass(frozen=True)  # no slots: a slotted generic dataclass cannot be built as Page[T]()
class Page(Generic[T]):
    """One page of a listing: its items (tags, untagged entries left out; or repository
    names) and the next page."""

    items: tuple[T, ...]
    next_url: str | None
    entries: int  # entries on the page, kept or not: a page of none makes no progress


def load(body: bytes, what: str) -> Any:
    """The JSON document of a page, through the one loader for registry JSON."""
    try:
        return jsonload.load(body)
    except jsonload.JSONRefused as exc:
        raise Doubt(f"{what}: the answer is {exc}") from None


def object_list(document: Any, what: str, key: str | None = None) -> list[dict[str, Any]]:
    """The entries of a page: ``document`` itself or ``document[key]``, a list of objects
    (``null`` is an empty page)."""
    items = document.get(key) if key is not None and isinstance(document, dict) else document
    if key is not None and not isinstance(document, dict):
        raise Doubt(f"{what}: the answer is not a JSON object")
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Doubt(f"{what}: the entries are not a list of objects")
    return items


TagPage = Page[ListedTag]  # a page of a repository's tags
# (name, digest, push time, first seen) as a page gives them
Entry = tuple[Any, Any, "str | None", "str | None"]


def linked_page(
    body: bytes,
    headers: httpx.Headers,
    url: str,
    what: str,
    items: Callable[[list[dict[str, Any]]], tuple[T, ...]],
) -> Page[T]:
    """A page that is a JSON list of rows, the next one in ``Link: rel="next"`` as given
    (Harbor, GitHub); ``items`` reads the rows."""
    rows = object_list(load(body, what), what)
    return Page(items(rows), next_link(headers.get_list("link"), url), len(rows))


def names_of(values: Iterable[Any]) -> tuple[str, ...]:
    """The valid repository names among ``values``; anything else is dropped, as
    ``_catalog`` drops it."""
    return tuple(v for v in values if isinstance(v, str) and is_name(v))


def tags_of(entries: Iterable[Entry], what: str) -> tuple[ListedTag, ...]:
    """The checked tags of a page's entries; a name that is not a tag is dropped."""
    found = (tag(name, digest, pushed, what, first) for name, digest, pushed, first in entries)
    return tuple(t for t in found if t is not None)


def tag(
    name: Any, digest: Any, pushed: str | None, what: str, first_seen: str | None = None
) -> ListedTag | None:
    """A checked tag; None for a name that is not a tag (dropped, as ``tags/list``
    drops it); ``Doubt`` for a tag without a valid digest."""
    if not isinstance(name, str) or not is_tag(name):
        return None
    if not isinstance(digest, str) or not is_digest(digest):
        raise Doubt(f"{what}: tag {name} is listed without a valid digest")
    return ListedTag(name=name, digest=digest, pushed=pushed, first_seen=first_seen)


def rfc3339(value: Any) -> str | None:
    """An RFC 3339 time as ``YYYY-MM-DDTHH:MM:SSZ``; None for "never" or anything else."""
    if isinstance(value, str) and value.startswith(NEVER):
        return None
    moment = parse_rfc3339(value)
    return None if moment is None else utc_seconds(moment)


def epoch(value: Any) -> str | None:
    """Seconds since the epoch (Quay's ``start_ts``) as RFC 3339; None if not a time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return utc_seconds(datetime.fromtimestamp(value, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def merged(pages: Iterable[tuple[ListedTag, ...]], what: str) -> dict[str, ListedTag]:
    """Tag -> entry over all pages, in the API's order; the same tag with two digests
    is a doubt (a listing that changed while it was read, or tag history)."""
    found: dict[str, ListedTag] = {}
    for page in pages:
        for entry in page:
            seen = found.get(entry.name)
            if seen is not None and seen.digest != entry.digest:
                raise Doubt(f"{what}: tag {entry.name} is listed with two digests")
            found.setdefault(entry.name, entry)
    return found
