"""A vendor listing API beside a ``lab.fakeregistry.FakeRegistry``, behind the same
``httpx.MockTransport``: Docker Hub, Harbor, Quay, GitHub Packages or Azure Container
Registry, paging as each one does; GitHub's packages, GitLab's registry repositories,
Docker Hub's namespaces and Harbor's projects list the registry's repositories
(discovery).

Every entry it serves (but a Harbor project's repository, see ``_HARBOR_REPOSITORY``)
is a real captured entry (tests/fixtures/real-world/vendor-apis)
with its name, digest and push time replaced, so the fields around them - the
attestation entry in a Hub index's ``images``, Harbor's ``null`` lists, Quay's
``size: null`` - are the vendor's own. ``lie`` makes the API list a different digest
for a tag than the registry serves; ``hide`` leaves a tag's digest out; ``fail`` answers
a repository's listing with a status. Requests are recorded like the registry's.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx

from lab.fakeregistry import FakeRegistry

FIXTURES = Path(__file__).resolve().parent.parent / "tests/fixtures/real-world/vendor-apis"
PUSHED = "2024-05-21T18:05:32.852009Z"
HOSTS = {"hub": "hub.docker.com", "ghcr": "api.github.com", "gitlab": "gitlab.com"}
# else the registry's host
_ROUTES = {
    "hub": re.compile(r"/v2/namespaces/(?P<ns>[^/]+)/repositories/(?P<repo>[^/]+)/tags"),
    "harbor": re.compile(
        r"/api/v2\.0/projects/(?P<ns>[^/]+)/repositories/(?P<repo>[^/]+)/artifacts"
    ),
    "quay": re.compile(r"/api/v1/repository/(?P<ns>[^/]+)/(?P<repo>[^/]+)/tag/"),
    "ghcr": re.compile(
        r"/(?:orgs|users)/(?P<ns>[^/]+)/packages/container/(?P<repo>[^/]+)/versions"
    ),
    "acr": re.compile(r"/acr/v1/(?P<ns>[^/]+)/(?P<repo>[^/]+)/_tags"),
}
_PACKAGES = re.compile(r"/(?:orgs|users)/(?P<owner>[^/]+)/packages")
_GITLAB = re.compile(r"/api/v4/(?P<kind>groups|projects)/(?P<path>.+)/registry/repositories")
_HUB_NAMESPACE = re.compile(r"/v2/repositories/(?P<owner>[^/]+)")
_HARBOR_PROJECT = re.compile(r"/api/v2\.0/projects/(?P<owner>[^/]+)/repositories")
# A row of a Harbor project's repositories: no capture was found; the fields are those of
# Harbor's API definition (api/v2.0/swagger.yaml, ``Repository``, goharbor/harbor at
# c50c7ddd), the name whole (``project/name``) as Harbor's own API tests compare it.
_HARBOR_REPOSITORY = {
    "artifact_count": 1,
    "creation_time": "2024-05-08T09:30:12.345Z",
    "id": 1,
    "project_id": 2,
    "pull_count": 0,
    "update_time": "2024-07-18T10:00:00.000Z",
}


def _template(name: str, pick: Callable[[Any], Any]) -> dict[str, Any]:
    found: dict[str, Any] = pick(json.loads((FIXTURES / name).read_text()))
    return found


@dataclass
class FakeVendorAPI:
    """``vendor``'s listing API for ``registry``'s repositories."""

    registry: FakeRegistry
    vendor: str  # hub | harbor | quay | ghcr | acr | gitlab (discovery only)
    registry_host: str = "registry.test"
    page_size: int = 100  # the largest page it serves
    lie: dict[tuple[str, str], str] = field(default_factory=dict)  # (repo, tag) -> digest
    hide: set[tuple[str, str]] = field(default_factory=set)  # listed without a digest
    fail: dict[str, httpx.Response] = field(default_factory=dict)  # repo -> answer
    next_host: str | None = None  # Hub's next pages on another host (a hostile API)
    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def host(self) -> str:
        """Where the API answers."""
        return HOSTS.get(self.vendor, self.registry_host)

    @property
    def transport(self) -> httpx.MockTransport:
        """The API and the registry behind one transport."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The API's answer, or the registry's."""
        path = request.url.path
        if request.url.host != self.host or (self.vendor != "hub" and path.startswith("/v2/")):
            return self.registry.handle(request)
        self.requests.append(request)
        if self.vendor == "ghcr" and re.fullmatch(r"/orgs/[^/]+", request.url.path):
            return httpx.Response(200, json={"login": request.url.path.rsplit("/", 1)[1]})
        found = (
            _HARBOR_PROJECT.fullmatch(path)
            if self.vendor == "harbor"
            else _PACKAGES.fullmatch(path)
            or _GITLAB.fullmatch(path)
            or _HUB_NAMESPACE.fullmatch(path)
        )
        if found is not None:
            return self._repositories(request, found)
        match = _ROUTES[self.vendor].fullmatch(request.url.path)
        if match is None:
            return httpx.Response(404, json={"message": "Not Found"})
        name = unquote(unquote(match["repo"]))
        repository = f"{match['ns']}/{name}"
        if repository in self.fail:
            return self.fail[repository]
        tags = self.registry.repositories.get(repository)
        if tags is None:
            return httpx.Response(404, json={"message": "httperror 404: not found"})
        params = request.url.params
        size = int(
            params.get("page_size") or params.get("limit") or params.get("per_page")
            or params.get("n") or 10
        )  # fmt: skip
        if self.vendor == "harbor" and size > 100:
            body = (FIXTURES / "harbor-artifacts-422-page-size-over-100.json").read_bytes()
            return httpx.Response(422, content=body)
        size = min(size, self.page_size)
        entries = self._entries(repository, tags)
        if self.vendor == "acr":  # ACR pages after the last tag of the previous page
            after = [e for e in entries if e["name"] > params.get("last", "")]
            return self._acr_page(request, after[:size], len(after) > size, size)
        page = int(params.get("page", "1"))
        chunk = entries[(page - 1) * size : page * size]
        more = page * size < len(entries)
        return self._page(request, chunk, page, more, len(entries))

    def _digest(self, repository: str, tag: str, digest: str) -> str | None:
        if (repository, tag) in self.hide:
            return None
        return self.lie.get((repository, tag), digest)

    def _entries(self, repository: str, tags: dict[str, str]) -> list[dict[str, Any]]:
        """The repository's rows: one per tag, or one per digest with its tags."""
        if self.vendor in ("hub", "quay", "acr"):
            rows = []
            for tag in sorted(tags):
                digest = self._digest(repository, tag, tags[tag])
                rows.append(self._tag_row(tag, digest))
            return rows
        by_digest: dict[str | None, list[str]] = {}
        for tag in sorted(tags):
            by_digest.setdefault(self._digest(repository, tag, tags[tag]), []).append(tag)
        return [self._digest_row(d, names) for d, names in by_digest.items()]

    def _tag_row(self, tag: str, digest: str | None) -> dict[str, Any]:
        if self.vendor == "hub":
            row = _template(
                "dockerhub-namespaces-tags-page1-oci-index-2024.json", lambda d: d["results"][0]
            )
            row.update(name=tag, tag_last_pushed=PUSHED, last_updated=PUSHED, digest=digest)
        elif self.vendor == "acr":
            row = _template("acr-tags-page1-n1-2023.json", lambda d: d["tags"][0])
            row.update(name=tag, digest=digest, lastUpdateTime=PUSHED)
        else:
            row = _template(
                "quay-tag-list-specific-tag-manifest-list-2024.json", lambda d: d["tags"][0]
            )
            row.update(name=tag, manifest_digest=digest, start_ts=1716314732)
        if digest is None:
            row.pop("digest", None)
            row.pop("manifest_digest", None)
        return row

    def _digest_row(self, digest: str | None, names: list[str]) -> dict[str, Any]:
        if self.vendor == "harbor":
            row = _template("harbor-artifacts-list-untagged-oci-artifact-2024.json", lambda d: d[0])
            row["tags"] = [{"name": n, "push_time": PUSHED} for n in names]
            row["digest"] = digest
            return row
        row = _template("ghpkg-user-package-versions-2024.json", lambda d: d[0])
        row = copy.deepcopy(row)
        row["name"] = digest
        row["metadata"]["container"]["tags"] = names
        return row

    def _page(
        self, request: httpx.Request, rows: list[dict[str, Any]], page: int, more: bool, total: int
    ) -> httpx.Response:
        url = request.url
        following = url.copy_set_param("page", page + 1)
        if self.vendor == "hub":
            if self.next_host is not None:
                following = following.copy_with(host=self.next_host)
            body: Any = {"count": total, "next": str(following) if more else None,
                         "previous": None, "results": rows}  # fmt: skip
            return httpx.Response(200, json=body)
        if self.vendor == "quay":
            return httpx.Response(200, json={"tags": rows, "page": page, "has_additional": more})
        headers = {}
        if more:
            relative = f"{quote(url.path)}?{following.query.decode()}"
            target = relative if self.vendor == "harbor" else str(following)
            headers["Link"] = f'<{target}>; rel="next"'
        if self.vendor == "harbor":
            headers["X-Total-Count"] = str(total)
        return httpx.Response(200, json=rows, headers=headers)

    def _acr_page(
        self, request: httpx.Request, rows: list[dict[str, Any]], more: bool, size: int
    ) -> httpx.Response:
        # As captured: a path-relative Link with ``last`` and an empty ``orderby``.
        headers = {}
        if more:
            last = quote(rows[-1]["name"], safe="")
            headers["Link"] = f'<{request.url.raw_path.decode().partition("?")[0]}' \
                f'?last={last}&n={size}&orderby=>; rel="next"'  # fmt: skip
        body = {"registry": self.host, "imageName": "", "tags": rows}
        return httpx.Response(200, json=body, headers=headers)

    def _repositories(self, request: httpx.Request, found: re.Match[str]) -> httpx.Response:
        """An owner's container packages (GitHub), a group's or project's repositories
        (GitLab) or a namespace's (Docker Hub), from the captured rows, paged as each does."""
        prefix = found.groupdict().get("owner") or found["path"]
        names = sorted(
            r for r in self.registry.repositories
            if r.partition("/")[0] == prefix.lower() or r == prefix or r.startswith(prefix + "/")
        )  # fmt: skip
        if self.vendor == "ghcr":
            row = _template("ghpkg-user-packages-container-2024.json", lambda d: d[0])
            rows = [dict(row, name=n.partition("/")[2]) for n in names]
        elif self.vendor == "hub":
            row = _template(
                "dockerhub-namespace-repositories-page1-2026.json", lambda d: d["results"][0]
            )
            rows = [dict(row, name=n.partition("/")[2], namespace=prefix) for n in names]
        elif self.vendor == "harbor":
            rows = [dict(_HARBOR_REPOSITORY, id=n, name=name) for n, name in enumerate(names, 1)]
        else:
            row = _template(
                "gitlab-project-registry-repositories-tags-count-2024.json", lambda d: d[1]
            )
            rows = [dict(row, name=n.rpartition("/")[2], path=n) for n in names]
        params = request.url.params
        size = min(int(params.get("per_page") or params.get("page_size") or 20), self.page_size)
        page = int(params.get("page", "1"))
        chunk, more = rows[(page - 1) * size : page * size], page * size < len(rows)
        following = request.url.copy_set_param("page", page + 1)
        if self.vendor == "ghcr":
            headers = {"link": f'<{following}>; rel="next"'} if more else {}
            return httpx.Response(200, json=chunk, headers=headers)
        if self.vendor == "hub":
            body = {"count": len(rows), "next": str(following) if more else None,
                    "previous": None, "results": chunk}  # fmt: skip
            return httpx.Response(200, json=body)
        if self.vendor == "harbor":  # as its artifact lists: a path-relative Link
            headers = {"X-Total-Count": str(len(rows))}
            if more:
                headers["Link"] = (
                    f'<{quote(following.path)}?{following.query.decode()}>; rel="next"'
                )
            return httpx.Response(200, json=chunk, headers=headers)
        # As captured: the page numbers, and links on the instance's internal host.
        internal = following.copy_with(scheme="http", host="gitlab-web")
        headers = {"x-page": str(page), "x-next-page": str(page + 1) if more else "",
                   "link": f'<{internal}>; rel="next"' if more else ""}  # fmt: skip
        return httpx.Response(200, json=chunk, headers=headers)
