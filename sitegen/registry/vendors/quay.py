"""Quay (quay.io and Red Hat Quay): ``GET /api/v1/repository/{ns}/{repo}/tag/``
(pure parsing).

``onlyActiveTags=true`` - without it the endpoint returns tag history, dead tags
included; ``limit=100`` (Quay clamps above it silently). Pages are numbered and end when
``has_additional`` is false; there is no total. A tag's ``manifest_digest`` is the index
digest for a manifest list. Push time: ``start_ts`` (epoch seconds). Auth: anonymous
(the API wants an OAuth application token, which the registry's credentials are not:
a private repository answers 401/403 and the registry falls back to HEADs).

No first seen: with ``onlyActiveTags`` each tag is its current entry, and Quay starts a
new entry (a new ``start_ts``; ``last_modified`` is the same moment in RFC 1123) every
time the tag is pushed or moved, so both are the last push. The tag history (without
``onlyActiveTags``) is pruned after the namespace's time-machine window, so its oldest
entry is not the first either.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from sitegen.registry.vendors.common import (
    PAGE_SIZE,
    Doubt,
    TagPage,
    epoch,
    load,
    object_list,
    tags_of,
)


def default_url(registry_url: str) -> str:
    """Quay's API sits beside ``/v2/`` on the registry's host."""
    return f"{registry_url}/api/v1"


def first_url(api_url: str, repository: str) -> str:
    """The first page of the repository's active tags."""
    return (
        f"{api_url}/repository/{quote(repository, safe='/')}/tag/"
        f"?onlyActiveTags=true&limit={PAGE_SIZE}&page=1"
    )


def parse(body: bytes, headers: httpx.Headers, url: str, what: str) -> TagPage:
    """One page of tags; the next page is the one after the page this one says it is."""
    document = load(body, what)
    entries = object_list(document, what, "tags")
    found = tags_of(
        (
            (e.get("name"), e.get("manifest_digest"), epoch(e.get("start_ts")), None)
            for e in entries
        ),
        what,
    )
    asked = httpx.URL(url).params.get("page", "1")
    page = document.get("page", int(asked) if asked.isdigit() else None)
    if isinstance(page, bool) or not isinstance(page, int) or str(page) != asked:
        raise Doubt(f"{what}: asked for page {asked[:10]}, got another")
    more = document.get("has_additional")
    if not isinstance(more, bool):
        raise Doubt(f"{what}: 'has_additional' is not true or false")
    following = str(httpx.URL(url).copy_set_param("page", page + 1)) if more else None
    return TagPage(found, following, len(entries))
