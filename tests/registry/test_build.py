"""Whole builds against fake registries: content that fails its digest is never shown
(docs/protocol.md item 17), HEAD-then-GET (12), index attestations and a missing child (19), a
schema1 manifest (20), and Docker Hub names (11)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.fakeregistry import FakeRegistry, from_samples
from lab.images import image, index
from sitegen.build import BuildResult, build
from sitegen.config import load_config
from sitegen.oci import mediatypes
from tests.helpers import site_text, write_config
from tests.registry.fakes import (
    fixture_bytes,
    fixture_variants,
    json_response,
)

MARKER = "tampered-content-marker"


def build_fake(
    tmp_path: Path,
    transport: httpx.AsyncBaseTransport,
    registry: str = "url: https://registry.test",
    cache: bool = False,
) -> BuildResult:
    config = write_config(tmp_path, f"registries:\n  - name: fake\n    {registry}\n")
    return build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=tmp_path / "cache" if cache else None,
        transport=transport,
    )


def page(tmp_path: Path, *parts: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (tmp_path / "site" / "fake" / Path(*parts) / "index.json").read_text()
    )
    return data


def test_content_that_does_not_hash_to_its_digest_is_never_rendered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = image(labels={"purpose": "good"}, files=({"/a": b"a"},))
    bad_manifest = image(labels={"purpose": "manifest"}, files=({"/b": b"b"},))
    bad_config = image(labels={"purpose": "config"}, files=({"/c": b"c"},))
    fake = FakeRegistry()
    fake.add("team/app", good, ["good"])
    fake.add("team/app", bad_manifest, ["bad-manifest"])
    fake.add("team/app", bad_config, ["bad-config"])
    # The registry keeps announcing the right digests, but serves other bytes.
    media_type, body = fake.manifests[bad_manifest.digest]
    document = json.loads(body)
    document["annotations"] = {"org.opencontainers.image.title": MARKER}
    fake.manifests[bad_manifest.digest] = (media_type, json.dumps(document).encode())
    assert bad_config.config is not None
    config = json.loads(fake.blobs[bad_config.config.digest])
    config["config"]["Labels"]["purpose"] = MARKER
    fake.blobs[bad_config.config.digest] = json.dumps(config).encode()

    with caplog.at_level(logging.WARNING):
        build_fake(tmp_path, fake.transport)

    assert MARKER not in site_text(tmp_path / "site")
    repo = page(tmp_path, "team", "app")
    assert sorted(t["name"] for t in repo["tags"]) == ["bad-config", "good"]
    problems = "\n".join(repo["problems"])
    assert (
        "manifest could not be read: content does not hash to the requested digest "
        f"{bad_manifest.digest[:19]}... (tag bad-manifest)"
    ) in problems
    assert (
        "config blob could not be read: content does not hash to the requested digest "
        "(tag bad-config)"
    ) in problems
    # The manifest and the config blob that fail their digests are in the build log too.
    logged = [r.getMessage() for r in caplog.records if "does not hash" in r.getMessage()]
    assert [m.split(": ", 1)[0] for m in logged] == ["fake/team/app", "fake/team/app"]
    assert sum("get blob" in m for m in logged) == 1
    assert not (tmp_path / "site" / "fake" / "team" / "app" / "_tags" / "bad-manifest").exists()
    shown = page(tmp_path, "team", "app", "_tags", "bad-config")
    assert shown["digest"] == bad_config.digest and "purpose" not in json.dumps(shown["image"])


def test_a_warm_rebuild_sends_heads_and_no_manifest_or_blob_get(tmp_path: Path) -> None:
    fake = from_samples()
    build_fake(tmp_path, fake.transport, cache=True)
    cold = list(fake.requests)
    fake.requests.clear()
    build_fake(tmp_path, fake.transport, cache=True)
    warm = fake.requests
    # One HEAD per tag, cosign's sha256-<hex>.sig tags too (the signature a tag names
    # may have been replaced); what they point to comes from the cache.
    tags = sum(len(t) for t in fake.repositories.values())
    heads = [p for m, p in warm if m == "HEAD"]
    assert len(heads) == len(set(heads)) == tags
    gets = [p for m, p in warm if m == "GET" and ("/manifests/" in p or "/blobs/" in p)]
    assert gets == []
    # Cold: every manifest GET is by digest, after a HEAD told us the digest.
    cold_gets = [p for m, p in cold if m == "GET" and "/manifests/" in p]
    assert cold_gets and all("/manifests/sha256:" in p for p in cold_gets)
    assert len(cold_gets) == len(set(cold_gets))


def test_attestations_are_not_platforms_and_a_missing_child_greys_out_one(tmp_path: Path) -> None:
    amd64 = image(architecture="amd64", files=({"/x": b"amd64"},))
    arm64 = image(architecture="arm64", variant="v8", files=({"/x": b"arm64"},))
    built = index([amd64, arm64], attestations=True)
    fake = FakeRegistry()
    fake.add("team/multi", built, ["1.0"])
    del fake.manifests[arm64.digest]  # the registry lost one platform's manifest
    build_fake(tmp_path, fake.transport)
    tag = page(tmp_path, "team", "multi", "_tags", "1.0")
    platforms = {p["platform"]: p for p in tag["platform_list"]}
    assert sorted(platforms) == ["linux/amd64", "linux/arm64/v8"]  # no unknown/unknown
    assert platforms["linux/amd64"]["problem"] == ""
    assert "MANIFEST_UNKNOWN" in platforms["linux/arm64/v8"]["problem"]
    assert len(tag["attestations"]) == 2


def test_a_real_docker_hub_index_with_attestations(tmp_path: Path) -> None:
    # dockerhub/index-mysql-latest-2024.json: attestation entries interleaved with
    # platforms; the children are not available, so each platform is greyed out, and
    # the page is still built.
    body = fixture_bytes("dockerhub/index-mysql-latest-2024.json")
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    fake = FakeRegistry()
    fake.repositories["library/mysql"] = {"latest": digest}
    fake.manifests[digest] = (mediatypes.OCI_INDEX, body)
    build_fake(tmp_path, fake.transport)
    tag = page(tmp_path, "library", "mysql", "_tags", "latest")
    assert [p["platform"] for p in tag["platform_list"]] == ["linux/amd64", "linux/arm64/v8"]
    assert all(p["problem"] for p in tag["platform_list"])


def test_schema1_degrades_gracefully(tmp_path: Path) -> None:
    body = fixture_bytes("distribution/schema1-signed-mitr-busybox-2016.json")
    payload = body[: body.index(b',\n   "signatures"')] + b"\n}"
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    fake = FakeRegistry()
    fake.repositories["mitr/busybox"] = {"latest": digest}
    fake.manifests[digest] = (mediatypes.DOCKER_SCHEMA1_SIGNED, body)
    result = build_fake(tmp_path, fake.transport)
    assert result.failures == ()
    tag = page(tmp_path, "mitr", "busybox", "_tags", "latest")
    assert tag["digest"] == digest
    assert tag["media_type"] == mediatypes.DOCKER_SCHEMA1  # shown as its signed payload
    assert tag["created"].startswith("2016-")
    assert tag["created_source"]


def test_docker_hub_aliases_and_library_names(tmp_path: Path) -> None:
    # docker.io -> registry-1.docker.io; "alpine" -> "library/alpine"; the Hub's own
    # challenge (dockerhub/www-authenticate-variants.txt, first line) and token service.
    challenge = fixture_variants("dockerhub/www-authenticate-variants.txt")[0]
    built = image(files=({"/hub": b"hub"},))
    inner = FakeRegistry()
    inner.add("library/alpine", built, ["3"])
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "auth.docker.io":
            return json_response(200, {"token": "hub-token"})
        if request.headers.get("authorization") != "Bearer hub-token":
            return json_response(401, {}, {"WWW-Authenticate": challenge})
        return inner.handle(request)

    build_fake(
        tmp_path,
        httpx.MockTransport(handler),
        # Docker Hub's listing API (hub.docker.com) is tested in test_vendor_crawl.py.
        "url: docker.io\n    api: none\n    repositories: [alpine]",
    )
    hosts = {r.url.host for r in seen}
    assert hosts == {"registry-1.docker.io", "auth.docker.io"}
    token = next(r for r in seen if r.url.host == "auth.docker.io")
    assert token.url.params.get_list("scope") == ["repository:library/alpine:pull"]
    assert token.url.params["service"] == "registry.docker.io"
    tag = page(tmp_path, "library", "alpine", "_tags", "3")
    assert tag["digest"] == built.digest
    assert "docker.io/library/alpine" in json.dumps(tag["pull"])


def test_recently_updated_lists_each_image_once_with_its_other_tags(tmp_path: Path) -> None:
    build_fake(tmp_path, from_samples().transport)
    home = json.loads((tmp_path / "site" / "index.json").read_text())
    digests = [(r["repository"], r["digest"]) for r in home["recent"]]
    assert len(digests) == len(set(digests))
    alpine = next(r for r in home["recent"] if r["repository"] == "base/alpine")
    assert (alpine["tag"], alpine["aliases"]) == ("3.20.1", ["3.20", "3", "latest"])
    html = (tmp_path / "site" / "index.html").read_text()
    assert (
        'base/alpine:3.20.1</a></td>\n    <td><span class="alias">3.20</span> '
        '<span class="alias">3</span> <span class="alias">latest</span></td>'
    ) in html
    assert "base/alpine:latest</a>" not in html
