"""Docker Hub: ``GET /v2/namespaces/{ns}/repositories/{repo}/tags`` on hub.docker.com
(pure parsing).

Pages of 100 (the documented maximum); ``next`` is an absolute URL or null, followed
only on the API's own origin (as Renovate does). A tag's ``digest`` is the index digest
for a multi-platform image - the one a HEAD with our ``Accept`` returns, which the
crawl's sample check confirms - and is absent on some old or inactive tags: then the
listing is in doubt. Push time: ``tag_last_pushed``. Auth: anonymous for public
repositories; with credentials, a JWT from ``POST /v2/users/login`` (docker/hub-tool).

A namespace's repositories, to discover them: ``GET /v2/repositories/{namespace}``,
paged the same way (``count``, ``next``); a row names the repository in ``name`` and
its namespace apart (tests/fixtures/real-world/vendor-apis/dockerhub-namespace-*).

No first seen: a tag has ``tag_last_pushed`` and ``last_updated``, both the latest
moment, and no creation time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from sitegen.registry.vendors.common import (
    PAGE_SIZE,
    Doubt,
    Page,
    TagPage,
    load,
    names_of,
    object_list,
    rfc3339,
    tags_of,
)

DEFAULT_URL = "https://hub.docker.com"


def default_url(registry_url: str) -> str:
    """Docker Hub's API is not on the registry's host."""
    return DEFAULT_URL


def first_url(api_url: str, repository: str) -> str:
    """The first page of ``namespace/repository``'s tags."""
    namespace, _, name = repository.partition("/")
    if not name or "/" in name:
        raise Doubt("a Docker Hub repository is named namespace/repository")
    return (
        f"{api_url}/v2/namespaces/{quote(namespace, safe='')}/repositories/"
        f"{quote(name, safe='')}/tags?page_size={PAGE_SIZE}"
    )


def login_url(api_url: str) -> str:
    """Where credentials become a JWT for the API."""
    return f"{api_url}/v2/users/login"


def parse(body: bytes, headers: httpx.Headers, url: str, what: str) -> TagPage:
    """One page of tags."""
    document = load(body, what)
    results = object_list(document, what, "results")
    entries = (
        (
            entry.get("name"),
            entry.get("digest"),
            rfc3339(entry.get("tag_last_pushed")) or rfc3339(entry.get("last_updated")),
            None,
        )
        for entry in results
    )
    return TagPage(tags_of(entries, what), _next(document, what), len(results))


def repositories_url(api_url: str, namespace: str) -> str:
    """The first page of a namespace's repositories."""
    return f"{api_url}/v2/repositories/{quote(namespace, safe='')}?page_size={PAGE_SIZE}"


def repositories(namespace: str) -> Callable[[bytes, httpx.Headers, str, str], Page[str]]:
    """The parser of ``namespace``'s pages of repositories -> their names (a row of
    another namespace is left out)."""

    def parse_repositories(body: bytes, headers: httpx.Headers, url: str, what: str) -> Page[str]:
        document = load(body, what)
        results = object_list(document, what, "results")
        names = names_of(
            f"{namespace}/{row['name']}"
            for row in results
            if isinstance(row.get("name"), str) and row.get("namespace", namespace) == namespace
        )
        return Page(names, _next(document, what), len(results))

    return parse_repositories


def _next(document: dict[str, Any], what: str) -> str | None:
    following = document.get("next")
    if following is not None and not isinstance(following, str):
        raise Doubt(f"{what}: 'next' is not a URL")
    return following or None
