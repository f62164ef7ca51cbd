"""docs/protocol.md items 15-18 and 20: the Accept header, Content-Type parameters and sniffing,
digests of the exact bytes (schema1: of the JWS payload), and size caps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from sitegen.config import Limits
from sitegen.errors import DigestMismatch, NotFoundError, ProtocolError, TooLarge
from sitegen.oci import mediatypes
from sitegen.registry.client import RawManifest
from tests.registry.fakes import (
    fixture_bytes,
    fixture_header,
    fixture_json,
    json_response,
    make_client,
    registry_config,
    run,
)

# gcr/k8s-gcr-manifest-list-200-2021.txt: GCR serves 3-space-indented JSON; the digest
# covers those exact bytes. The body is rebuilt here in that style from a real index.
INDEX = json.dumps(fixture_json("dockerhub/index-mysql-latest-2024.json"), indent=3).encode()
INDEX_DIGEST = "sha256:" + hashlib.sha256(INDEX).hexdigest()
ALL_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
}


def serving(
    body: bytes, content_type: str, digest: str | None, seen: list[httpx.Request] | None = None
) -> httpx.MockTransport:
    """A registry without auth that answers every manifest request with ``body``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        if seen is not None:
            seen.append(request)
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        if digest is not None:
            headers["Docker-Content-Digest"] = digest
        return httpx.Response(
            200, headers=headers, content=b"" if request.method == "HEAD" else body
        )

    return httpx.MockTransport(handler)


def get(transport: httpx.AsyncBaseTransport, reference: str = "latest") -> RawManifest:
    async def go() -> RawManifest:
        async with make_client(transport, registry_config()) as client:
            return await client["reg"].manifest("team/app", reference)

    return run(go())


# -- 15: Accept ---------------------------------------------------------------------------------


def test_one_accept_header_with_every_manifest_type_and_no_q_values() -> None:
    seen: list[httpx.Request] = []
    transport = serving(INDEX, mediatypes.OCI_INDEX, INDEX_DIGEST, seen)

    async def go() -> None:
        async with make_client(transport, registry_config()) as client:
            await client["reg"].head_manifest("team/app", "latest")
            await client["reg"].manifest("team/app", "latest")

    run(go())
    assert [r.method for r in seen] == ["HEAD", "GET"]
    for request in seen:
        (accept,) = request.headers.get_list("accept")
        assert "q=" not in accept and ";" not in accept
        assert {part.strip() for part in accept.split(",")} == ALL_TYPES


def test_ghcr_answers_manifest_unknown_when_accept_lacks_oci_index() -> None:
    # ghcr/manifest-404-oci-index-not-accepted.json-style refusal for an incomplete Accept.
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        if mediatypes.OCI_INDEX not in request.headers.get("accept", ""):
            return json_response(
                404,
                {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "OCI index found, but..."}]},
            )
        return httpx.Response(200, headers={"Content-Type": mediatypes.OCI_INDEX}, content=INDEX)

    raw = get(httpx.MockTransport(handler))
    assert raw.digest == INDEX_DIGEST


# -- 16: Content-Type ---------------------------------------------------------------------------


def test_content_type_parameters_are_stripped() -> None:
    transport = serving(INDEX, mediatypes.OCI_INDEX + "; charset=utf-8", INDEX_DIGEST)
    assert get(transport).media_type == mediatypes.OCI_INDEX

    async def head() -> str:
        async with make_client(transport, registry_config()) as client:
            return (await client["reg"].head_manifest("team/app", "latest")).media_type

    assert run(head()) == mediatypes.OCI_INDEX


def test_body_media_type_must_agree_with_the_header() -> None:
    transport = serving(INDEX, mediatypes.DOCKER_MANIFEST, INDEX_DIGEST)
    with pytest.raises(ProtocolError, match="disagrees with the body's mediaType"):
        get(transport)


@pytest.mark.parametrize("generic", ["application/json", "text/plain", ""])
def test_a_generic_content_type_is_resolved_from_the_body(generic: str) -> None:
    document = json.loads(INDEX)
    del document["mediaType"]  # nothing but schemaVersion and manifests to go by
    body = json.dumps(document).encode()
    assert get(serving(body, generic, None)).media_type == mediatypes.OCI_INDEX


# -- 17: digests --------------------------------------------------------------------------------


def test_digest_is_of_the_exact_bytes_received() -> None:
    raw = get(serving(INDEX, mediatypes.OCI_INDEX, None))  # no Docker-Content-Digest
    assert raw.digest == INDEX_DIGEST
    assert raw.data == INDEX
    # Re-serialising would give another digest: the bytes are kept as they came.
    assert "sha256:" + hashlib.sha256(json.dumps(raw.document).encode()).hexdigest() != raw.digest


def test_a_byte_exact_docker_hub_manifest() -> None:
    # dockerhub/manifest-httpd-2.4.23-2016.json: 3-space indented, config typed
    # application/octet-stream; its digest is that of these very bytes.
    body = fixture_bytes("dockerhub/manifest-httpd-2.4.23-2016.json")
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    raw = get(serving(body, mediatypes.DOCKER_MANIFEST, digest))
    assert (raw.digest, raw.media_type) == (digest, mediatypes.DOCKER_MANIFEST)
    assert raw.document["config"]["mediaType"] == "application/octet-stream"


def test_wrong_docker_content_digest_is_rejected() -> None:
    wrong = "sha256:" + "0" * 64
    with pytest.raises(DigestMismatch, match="does not hash to Docker-Content-Digest"):
        get(serving(INDEX, mediatypes.OCI_INDEX, wrong))


def test_pulled_by_digest_the_bytes_must_match_the_digest() -> None:
    other = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(DigestMismatch, match="does not hash to the requested digest") as caught:
        get(serving(INDEX, mediatypes.OCI_INDEX, None), other)
    assert caught.value.url == f"https://registry.test/v2/team/app/manifests/{other}"
    assert get(serving(INDEX, mediatypes.OCI_INDEX, None), INDEX_DIGEST).digest == INDEX_DIGEST


def test_head_without_a_digest_header_says_so() -> None:
    async def go() -> tuple[str | None, str | None]:
        async with make_client(serving(INDEX, mediatypes.OCI_INDEX, None), registry_config()) as c:
            without = await c["reg"].head_manifest("team/app", "latest")
        with_digest = serving(INDEX, mediatypes.OCI_INDEX, INDEX_DIGEST)
        async with make_client(with_digest, registry_config()) as c:
            found = await c["reg"].head_manifest("team/app", "latest")
        return without.digest, found.digest

    assert run(go()) == (None, INDEX_DIGEST)


def test_blob_bytes_must_hash_to_the_requested_digest() -> None:
    config = fixture_bytes("dockerhub/config-httpd-2.4.23-2016.json")
    digest = "sha256:9ca4bda0a6b3727a6ffcc43e981cad0f24e2ec79d338f6ba325b4dfd0756fb8f"

    def handler(body: bytes) -> httpx.MockTransport:
        return httpx.MockTransport(
            lambda r: (
                json_response(200, {})
                if r.url.path == "/v2/"
                else httpx.Response(200, content=body)
            )
        )

    async def go(body: bytes) -> bytes:
        async with make_client(handler(body), registry_config()) as client:
            return await client["reg"].blob("team/app", digest)

    assert run(go(config)) == config  # the byte-exact fixture hashes to its digest
    with pytest.raises(DigestMismatch, match="get blob sha256:9ca4bda0a6b3"):
        run(go(config.replace(b"httpd", b"evild")))


# -- 20: schema1 ---------------------------------------------------------------------------------


def test_schema1_digest_covers_the_jws_payload() -> None:
    body = fixture_bytes("distribution/schema1-signed-mitr-busybox-2016.json")
    # The payload, cut by hand: everything before the signatures block, closed again.
    cut = body.index(b',\n   "signatures"')
    payload = body[:cut] + b"\n}"
    expected = json.loads(body)
    del expected["signatures"]
    assert json.loads(payload) == expected
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    assert digest != "sha256:" + hashlib.sha256(body).hexdigest()

    raw = get(serving(body, mediatypes.DOCKER_SCHEMA1_SIGNED, digest))
    # Only the payload is kept (the signatures are not covered), typed as what it is.
    assert (raw.digest, raw.media_type) == (digest, mediatypes.DOCKER_SCHEMA1)
    assert raw.data == payload and raw.document == expected
    assert get(serving(body, mediatypes.DOCKER_SCHEMA1_SIGNED, None), digest).digest == digest
    assert get(serving(body, "application/json", None)).digest == digest  # sniffed


def test_schema1_head_from_docker_hub() -> None:
    header = "dockerhub/manifest-head-ratelimit-2020.txt"
    digest = fixture_header(header, "Docker-Content-Digest")
    content_type = fixture_header(header, "Content-Type")

    async def go() -> tuple[str | None, str]:
        transport = serving(b"", content_type, digest)
        async with make_client(transport, registry_config()) as client:
            head = await client["reg"].head_manifest("ratelimitpreview/test", "latest")
        return head.digest, head.media_type

    assert run(go()) == (digest, mediatypes.DOCKER_SCHEMA1_SIGNED)


# -- 18: size caps -------------------------------------------------------------------------------


class Body:
    """A streamed body that counts how much of it was read."""

    def __init__(self, chunk: int, chunks: int | None) -> None:
        self.chunk = chunk
        self.chunks = chunks  # None: endless
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.chunks is None or self.sent < self.chunks:
            self.sent += 1
            yield b"x" * self.chunk


def capped(body: Body, *, declared: int | None, status: int = 200) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        headers = {"Content-Type": mediatypes.OCI_MANIFEST}
        if declared is not None:
            headers["Content-Length"] = str(declared)
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(handler)


LIMITS = Limits(manifest_bytes=64 << 10, error_bytes=4 << 10)


async def fetch(transport: httpx.MockTransport) -> RawManifest:
    async with make_client(transport, registry_config(), limits=LIMITS) as client:
        return await client["reg"].manifest("team/app", "latest")


def test_content_length_over_the_cap_is_rejected_before_reading() -> None:
    body = Body(1 << 20, 5)
    with pytest.raises(TooLarge, match="larger than the 65536-byte limit"):
        run(fetch(capped(body, declared=5 << 20)))
    assert body.sent == 0


def test_an_endless_body_is_cut_at_the_cap() -> None:
    body = Body(8 << 10, None)
    with pytest.raises(TooLarge):
        run(fetch(capped(body, declared=None)))
    assert body.sent <= (64 << 10) // (8 << 10) + 1


def test_an_oversized_error_body_keeps_the_status_and_drops_the_text() -> None:
    body = Body(8 << 10, None)
    with pytest.raises(NotFoundError) as caught:
        run(fetch(capped(body, declared=None, status=404)))
    assert str(caught.value).startswith("reg/team/app: get manifest latest: HTTP 404 (")
    assert body.sent <= (4 << 10) // (8 << 10) + 1
    declared = Body(1 << 20, 3)
    with pytest.raises(NotFoundError):
        run(fetch(capped(declared, declared=3 << 20, status=404)))
    assert declared.sent == 0


def test_the_default_manifest_cap_is_4_mib() -> None:
    assert Limits().manifest_bytes == 4 << 20
    body = Body(1 << 20, 5)

    async def go() -> None:
        async with make_client(capped(body, declared=(4 << 20) + 1), registry_config()) as c:
            await c["reg"].manifest("team/app", "latest")

    with pytest.raises(TooLarge, match="4194304-byte"):
        run(go())
