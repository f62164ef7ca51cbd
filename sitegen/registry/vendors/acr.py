"""Azure Container Registry: ``GET /acr/v1/{repository}/_tags`` on the registry's host
(pure parsing).

One row per tag with its ``digest`` (the index digest for a multi-platform image, the one
a HEAD with our ``Accept`` returns); the repository name is percent-encoded as one path
segment. Pages through a path-relative ``Link: rel="next"`` that carries an empty
``orderby=`` and ``last=<tag>``, followed exactly as given. Push time: ``lastUpdateTime``
(when the tag last moved), else ``createdTime``; both have seven fractional digits.
First seen: ``createdTime``, which ACR's API specification documents as the tag's own
"Tag created time" beside "Tag last update time" (``TagAttributesBase``): the tag's
creation, which a later push of the same tag does not change. It is the only vendor
field that says when a tag (not a digest) first appeared.
Auth: the registry's own token, for the scope ``repository:{repository}:metadata_read``
(the scope ACR's challenge names for this API, not ``pull``). A tag ACR hides from
listings (``changeableAttributes.listEnabled: false``) is a doubt: whether ``tags/list``
shows it is not documented.
(Azure/azure-sdk-for-js recordings, 2023; tests/fixtures/real-world/vendor-apis/acr-*.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from sitegen.registry.pagination import next_link
from sitegen.registry.vendors.common import (
    PAGE_SIZE,
    Doubt,
    Entry,
    TagPage,
    load,
    object_list,
    rfc3339,
    tags_of,
)

SCOPE_ACTION = "metadata_read"


def default_url(registry_url: str) -> str:
    """ACR's API sits beside ``/v2/`` on the registry's host."""
    return f"{registry_url}/acr/v1"


def first_url(api_url: str, repository: str) -> str:
    """The first page of the repository's tags."""
    return f"{api_url}/{quote(repository, safe='')}/_tags?n={PAGE_SIZE}"


def parse(body: bytes, headers: httpx.Headers, url: str, what: str) -> TagPage:
    """One page of tags; the next one in ``Link``."""
    rows = object_list(load(body, what), what, "tags")
    found = tags_of(_entries(rows, what), what)
    return TagPage(found, next_link(headers.get_list("link"), url), len(rows))


def _entries(rows: list[dict[str, Any]], what: str) -> Iterator[Entry]:
    for row in rows:
        attributes = row.get("changeableAttributes")
        if isinstance(attributes, dict) and attributes.get("listEnabled") is False:
            raise Doubt(f"{what}: a tag is hidden from listings (listEnabled: false)")
        created = rfc3339(row.get("createdTime"))
        pushed = rfc3339(row.get("lastUpdateTime")) or created
        yield row.get("name"), row.get("digest"), pushed, created
