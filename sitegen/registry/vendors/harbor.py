"""Harbor v2: ``GET /api/v2.0/projects/{p}/repositories/{r}/artifacts``, and a
project's repositories, ``GET /api/v2.0/projects/{p}/repositories`` (pure parsing).

One row per artifact (a digest) with its tags nested (``tags: null`` when untagged);
pages of at most 100 (Harbor answers 422 above), followed through ``Link: rel="next"``
exactly as given - path-relative, several links joined with " , " - and never computed
from ``X-Total-Count``, which counted accessories in Harbor 2.5 (goharbor/harbor#16816).
A repository name's ``/`` is encoded twice (goharbor/harbor#19788). Auth: HTTP Basic with
the registry's credentials, on the registry's own host.

No first seen: a tag's ``push_time`` is set when the tag is created and set again when
it moves to another artifact (Harbor's tag controller, ``Ensure``), so it is the last
push; the artifact's ``push_time`` is about the digest, which the tag may have reached
long after the tag itself appeared. Neither says when the tag first existed.
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
    object_list,
    rfc3339,
    tags_of,
)


def default_url(registry_url: str) -> str:
    """Harbor's API sits beside ``/v2/`` on the registry's host."""
    return f"{registry_url}/api/v2.0"


def first_url(api_url: str, repository: str) -> str:
    """The first page of ``project/repository``'s artifacts, with tags and accessories."""
    project, _, name = repository.partition("/")
    if not name:
        raise Doubt("a Harbor repository is named project/repository")
    encoded = quote(quote(name, safe=""), safe="")
    return (
        f"{api_url}/projects/{quote(project, safe='')}/repositories/{encoded}/artifacts"
        f"?with_tag=true&with_accessory=true&page=1&page_size={PAGE_SIZE}"
    )


def repositories_url(api_url: str, project: str) -> str:
    """The first page of a project's repositories (``discover: {projects: [...]}``)."""
    return f"{api_url}/projects/{quote(project, safe='')}/repositories?page=1&page_size={PAGE_SIZE}"


def repositories(project: str) -> Callable[[bytes, httpx.Headers, str, str], Page[str]]:
    """The parser of ``project``'s pages of repositories -> their names, which Harbor
    gives whole (``project/name``); a row of another project is left out."""

    def parse_repositories(body: bytes, headers: httpx.Headers, url: str, what: str) -> Page[str]:
        def names(rows: list[dict[str, Any]]) -> tuple[str, ...]:
            return names_of(
                row["name"]
                for row in rows
                if isinstance(row.get("name"), str) and row["name"].startswith(f"{project}/")
            )

        return linked_page(body, headers, url, what, names)

    return parse_repositories


def parse(body: bytes, headers: httpx.Headers, url: str, what: str) -> TagPage:
    """One page of artifacts -> their tags."""
    return linked_page(body, headers, url, what, lambda rows: tags_of(_entries(rows, what), what))


def _entries(artifacts: list[dict[str, Any]], what: str) -> Iterator[Entry]:
    for artifact in artifacts:
        if artifact.get("accessories"):
            # A cosign signature pushed to Harbor >= 2.5 is an accessory: its
            # sha256-<hex>.sig tag may be missing from this list but not from tags/list.
            raise Doubt(f"{what}: an artifact has accessories (signatures), listed apart")
        tags = artifact.get("tags")
        for entry in object_list(tags, what) if tags is not None else []:
            pushed = rfc3339(entry.get("push_time")) or rfc3339(artifact.get("push_time"))
            yield entry.get("name"), artifact.get("digest"), pushed, None
