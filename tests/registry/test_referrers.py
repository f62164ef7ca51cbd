"""docs/protocol.md item 21: the referrers API (OCI index, Link pagination, fallback on
404/400/405/406, never the subject itself) and cosign tags found without a request."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.model import Index, Manifest
from sitegen.oci import mediatypes
from sitegen.site import paths
from tests.helpers import read_page, write_config
from tests.registry.fakes import json_response, make_client, registry_config, run

SUBJECT = "sha256:" + hashlib.sha256(b"subject").hexdigest()
PATH = f"/v2/team/app/referrers/{SUBJECT}"


def descriptor(name: str, artifact_type: str) -> dict[str, Any]:
    return {
        "mediaType": mediatypes.OCI_MANIFEST,
        "digest": "sha256:" + hashlib.sha256(name.encode()).hexdigest(),
        "size": 100,
        "artifactType": artifact_type,
    }


SIGNATURE = descriptor("sig", "application/vnd.dev.cosign.artifact.sig.v1+json")
SBOM = descriptor("sbom", "application/spdx+json")


def ask(handler: Any) -> list[dict[str, Any]] | None:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        seen.append(request)
        return handler(request)

    async def go() -> list[dict[str, Any]] | None:
        async with make_client(recording, registry_config()) as client:
            return await client["reg"].referrers("team/app", SUBJECT)

    result = run(go())
    for request in seen:
        assert request.headers["accept"] == mediatypes.OCI_INDEX
    return result


def index(*manifests: dict[str, Any]) -> dict[str, Any]:
    return {"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": list(manifests)}


def test_referrers_follow_link_and_never_include_the_subject() -> None:
    subject = {"mediaType": mediatypes.OCI_MANIFEST, "digest": SUBJECT, "size": 10}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return json_response(200, index(SBOM))
        link = f'<{PATH}?page=2>; rel="next"'
        return json_response(200, index(subject, SIGNATURE), {"Link": link})

    assert ask(handler) == [SIGNATURE, SBOM]


@pytest.mark.parametrize("status", [400, 404, 405, 406])
def test_no_referrers_api_means_fall_back(status: int) -> None:
    assert ask(lambda request: json_response(status, {"errors": [{"code": "UNSUPPORTED"}]})) is None


def test_an_answer_that_is_not_an_index_is_ignored() -> None:
    assert ask(lambda request: json_response(200, {"schemaVersion": 2, "layers": []})) is None
    assert ask(lambda request: httpx.Response(200, content=b"<html>portal</html>")) is None


def test_cosign_tags_are_resolved_with_one_head_each_and_read_by_digest(tmp_path: Path) -> None:
    fake = from_samples()  # apps/web (twice) and tools/cli carry cosign sha256-<hex>.sig tags
    signature_tags = {
        (repository, t)
        for repository, tags in fake.repositories.items()
        for t in tags
        if t.endswith(".sig")
    }
    assert len(signature_tags) == 3
    config = write_config(tmp_path, "registries:\n  - name: f\n    url: https://registry.test\n")
    build(
        load_config(config, environ={}), tmp_path / "site", cache_dir=None, transport=fake.transport
    )
    by_tag = [(m, p) for m, p in fake.requests if p.endswith(".sig")]
    assert sorted(by_tag) == sorted(
        ("HEAD", f"/v2/{repository}/manifests/{tag}") for repository, tag in signature_tags
    )
    page = json.loads(
        (tmp_path / "site" / "f" / "apps" / "web" / "_tags" / "v1.2.0" / "index.json").read_text()
    )
    (signature,) = [r for r in page["referrers"] if r["kind"] == "signature"]
    tag = signature["tag"]
    digest = fake.repositories["apps/web"][tag]
    assert signature["digest"] == digest and signature["source"] == "cosign tag"
    # Fetched once, by the digest the HEAD gave.
    assert [p for _, p in fake.requests].count(f"/v2/apps/web/manifests/{digest}") == 1


@pytest.mark.parametrize("supported", [True, False])
def test_the_first_referrers_request_tells_whether_to_send_more(
    tmp_path: Path, supported: bool
) -> None:
    fake = from_samples()
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if "/referrers/" not in request.url.path:
            return fake.handle(request)
        asked.append(request.url.path)
        if supported:
            return json_response(200, index(SBOM))
        return json_response(404, {"errors": [{"code": "NOT_FOUND"}]})

    config = write_config(tmp_path, "registries:\n  - name: f\n    url: https://registry.test\n")
    result = build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=None,
        transport=httpx.MockTransport(handler),
    )
    shown = {
        (repository.name, digest)
        for repository in result.catalog.registries[0].repositories
        for manifest in repository.manifests.values()
        for digest in [manifest.digest, *platform_digests(manifest)]
    }
    assert any(
        platform_digests(m)
        for r in result.catalog.registries[0].repositories
        for m in r.manifests.values()
    )
    # With the API, every manifest shown (a multi-platform tag's platforms too) is asked
    # about once; without it, only the first request is sent, whatever else was waiting
    # for its answer.
    expected = len(shown) if supported else 1
    assert len(asked) == expected and len(set(asked)) == expected
    assert len(shown) > 1


def platform_digests(manifest: Manifest) -> list[str]:
    return [e.descriptor.digest for e in manifest.entries] if isinstance(manifest, Index) else []


def test_a_referrer_of_one_platform_is_found_and_shown_on_that_platform(tmp_path: Path) -> None:
    fake = from_samples()
    config = write_config(tmp_path, "registries:\n  - name: f\n    url: https://registry.test\n")
    first = build(
        load_config(config, environ={}),
        tmp_path / "first",
        cache_dir=None,
        transport=fake.transport,
    )
    repository, index_ = next(
        (r, m)
        for r in first.catalog.registries[0].repositories
        for m in r.manifests.values()
        if isinstance(m, Index) and len(m.entries) > 1
    )
    platform = index_.entries[-1].descriptor.digest

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v2/{repository.name}/referrers/{platform}":
            return json_response(200, index(SBOM))
        if "/referrers/" in request.url.path:
            return json_response(200, index())
        return fake.handle(request)

    build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=None,
        transport=httpx.MockTransport(handler),
    )
    _, page = read_page(tmp_path / "site", paths.digest_path("f", repository.name, platform))
    assert [r["digest"] for r in page["referrers"]] == [SBOM["digest"]]
    _, whole = read_page(tmp_path / "site", paths.digest_path("f", repository.name, index_.digest))
    assert SBOM["digest"] not in json.dumps(whole["referrers"])
