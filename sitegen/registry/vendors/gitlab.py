"""GitLab: ``GET /projects/:id/registry/repositories`` and
``GET /groups/:id/registry/repositories`` of its REST API v4, to discover repositories
(pure parsing).

Only discovery: GitLab's tag list names tags without their digests (one more request
per tag, like a HEAD), so its tags stay on ``tags/list`` and HEADs. A row's ``path`` is
the repository's full name (the project's own repository has ``name: ""``). Pages of 100
through ``page``/``per_page``; the next page is the number in ``x-next-page`` (empty on
the last page), asked of the URL we already use: the ``link`` header may name the
instance's internal host (``http://gitlab-web/...``). Auth: the registry's password as
``PRIVATE-TOKEN`` (a token with ``read_api``), or as ``JOB-TOKEN`` for the user
``gitlab-ci-token`` (a CI job's token); a private project or group answers 404 without
one. (GitLab's doc/api/container_registry.md; the captures in
tests/fixtures/real-world/vendor-apis/gitlab-*.)
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx

from sitegen.registry.vendors.common import PAGE_SIZE, Doubt, Page, load, names_of, object_list

DEFAULT_URL = "https://gitlab.com/api/v4"  # for registry.gitlab.com
JOB_USER = "gitlab-ci-token"  # the user name of a CI job's token


def default_url(registry_url: str) -> str:
    """gitlab.com's API for its registry; a self-managed GitLab's must be configured
    (``api_url``: the config refuses ``discover`` without it), so this is a guess."""
    if urlsplit(registry_url).hostname == "registry.gitlab.com":
        return DEFAULT_URL
    return f"{registry_url}/api/v4"


def token_header(username: str | None) -> str:
    """The header GitLab's API takes the registry's password in."""
    return "JOB-TOKEN" if username == JOB_USER else "PRIVATE-TOKEN"


def repositories_url(api_url: str, kind: str, path: str) -> str:
    """The first page of the registry repositories of a group or project (``kind`` is
    ``groups`` or ``projects``; ``path`` a full path or an id, encoded as one segment)."""
    return (
        f"{api_url}/{kind}/{quote(path, safe='')}/registry/repositories?per_page={PAGE_SIZE}&page=1"
    )


def parse(body: bytes, headers: httpx.Headers, url: str, what: str) -> Page[str]:
    """One page of repositories -> their names."""
    rows = object_list(load(body, what), what)
    return Page(names_of(row.get("path") for row in rows), _next(headers, url, what), len(rows))


def _next(headers: httpx.Headers, url: str, what: str) -> str | None:
    following = headers.get("x-next-page", "").strip()
    if not following:
        return None
    asked = httpx.URL(url).params.get("page", "1")
    if not (following.isdigit() and asked.isdigit()) or int(following) <= int(asked):
        raise Doubt(f"{what}: after page {asked[:10]}, x-next-page names {following[:10]!r}")
    return str(httpx.URL(url).copy_set_param("page", following))
