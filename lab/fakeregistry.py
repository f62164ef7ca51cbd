"""An in-memory registry behind ``httpx.MockTransport``: fixed content, no process, no port.

It serves the distribution API subset a crawler reads (ping, ``_catalog``, tags/list,
manifest HEAD/GET, blob GET) for images built with ``lab.images``, answering like
distribution 2.8 (no referrers API, ``tags: null`` for an empty repository). The
golden-site test uses it so that the expected site cannot drift with a server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from lab.images import Built

_MANIFEST_RE = re.compile(r"/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)")
_BLOB_RE = re.compile(r"/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)")
_TAGS_RE = re.compile(r"/v2/(?P<name>.+)/tags/list")


@dataclass
class FakeRegistry:
    """Repositories of ``Built`` manifests, served from memory."""

    repositories: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> tag -> digest
    manifests: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # digest -> (type, body)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)

    def add(self, repository: str, built: Built, tags: Iterable[str] = ()) -> None:
        """Store ``built`` (with its children and blobs) and point ``tags`` at it."""
        for item in built.walk():
            self.manifests[item.digest] = (item.media_type, item.manifest)
            for blob in item.blobs:
                self.blobs[blob.digest] = blob.data
        tagged = self.repositories.setdefault(repository, {})
        for tag in tags:
            tagged[tag] = built.digest

    @property
    def transport(self) -> httpx.MockTransport:
        """A transport to hand to ``RegistryClient``."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        path = request.url.path
        self.requests.append((request.method, path))
        headers = {"Docker-Distribution-Api-Version": "registry/2.0"}
        if path == "/v2/":
            return httpx.Response(200, json={}, headers=headers)
        if path == "/v2/_catalog":
            return httpx.Response(
                200, json={"repositories": sorted(self.repositories)}, headers=headers
            )
        match = _TAGS_RE.fullmatch(path)
        if match:
            tags = self.repositories.get(match["name"])
            if tags is None:
                return _error(404, "NAME_UNKNOWN", "repository name not known to registry")
            body = {"name": match["name"], "tags": sorted(tags) or None}
            return httpx.Response(200, json=body, headers=headers)
        match = _MANIFEST_RE.fullmatch(path)
        if match:
            return self._manifest(request.method, match["name"], match["ref"], headers)
        match = _BLOB_RE.fullmatch(path)
        if match:
            data = self.blobs.get(match["digest"])
            if data is None:
                return _error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return httpx.Response(
                200,
                content=data,
                headers={
                    **headers,
                    "Content-Type": "application/octet-stream",
                    "Docker-Content-Digest": match["digest"],
                },
            )
        return _error(404, "NOT_FOUND", "not found")

    def _manifest(
        self, method: str, name: str, reference: str, headers: dict[str, str]
    ) -> httpx.Response:
        tags = self.repositories.get(name)
        if tags is None:
            return _error(404, "NAME_UNKNOWN", "repository name not known to registry")
        digest = tags.get(reference, reference)
        found = self.manifests.get(digest)
        if found is None:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        media_type, body = found
        response_headers = {
            **headers,
            "Content-Type": media_type,
            "Docker-Content-Digest": digest,
            "Content-Length": str(len(body)),
        }
        return httpx.Response(
            200, content=b"" if method == "HEAD" else body, headers=response_headers
        )


def _error(status: int, code: str, message: str) -> httpx.Response:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "application/json"}
    )


def from_samples() -> FakeRegistry:
    """A fake registry holding exactly ``lab.samples`` (deleted tags left out)."""
    from lab.samples import sample_repos

    fake = FakeRegistry()
    for repo in sample_repos():
        fake.repositories.setdefault(repo.name, {})
        for built, tags in repo.manifests():
            fake.add(repo.name, built, tags)
    return fake
