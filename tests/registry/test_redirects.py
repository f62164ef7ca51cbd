"""docs/protocol.md item 14: blob redirects to storage hosts - Authorization only where it belongs,
a CDN's 401 is not a challenge, no https->http downgrade, at most 10 hops, no caching."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from sitegen.errors import AuthError, ProtocolError
from tests.registry.fakes import (
    TokenRegistry,
    fixture_bytes,
    fixture_header,
    fixture_headers,
    make_client,
    registry_config,
    run,
)

BLOB = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
BLOB_PATH = f"/v2/team/app/blobs/{DIGEST}"
# dockerhub/blob-307-redirect.txt: Docker Hub sends blobs to Cloudflare with a signature.
CDN_URL = fixture_header("dockerhub/blob-307-redirect.txt", "location")


def redirecting(location: str, code: int = 307) -> httpx.Response:
    status, headers = fixture_headers("dockerhub/blob-307-redirect.txt")
    assert status == 307
    kept = [(k, v) for k, v in headers if k.lower() != "location"]
    return httpx.Response(code, headers=[*kept, ("location", location)])


def world(cdn: httpx.Response | None = None, location: str = CDN_URL) -> TokenRegistry:
    """A token registry whose blob GET redirects to the CDN, which serves ``BLOB``."""
    fake = TokenRegistry()
    fake.routes[BLOB_PATH] = lambda request: redirecting(location)
    inner = fake.__call__

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host not in ("registry.test", "auth.test"):
            fake.requests.append(request)
            return cdn or httpx.Response(200, content=BLOB)
        return await inner(request)

    fake.handler = handler  # type: ignore[attr-defined]
    return fake


async def get_blob(fake: TokenRegistry, times: int = 1) -> bytes:
    async with make_client(fake.handler, registry_config()) as client:  # type: ignore[attr-defined]
        data = b""
        for _ in range(times):
            data = await client["reg"].blob("team/app", DIGEST)
        return data


def test_cross_origin_redirect_never_carries_authorization() -> None:
    fake = world()
    assert run(get_blob(fake)) == BLOB
    registry_hop, cdn_hop = fake.requests[-2:]
    assert registry_hop.url.path == BLOB_PATH
    assert registry_hop.headers["authorization"] == "Bearer tok-1"
    assert cdn_hop.url.host == "production.cloudflare.docker.com"
    assert "authorization" not in cdn_hop.headers
    assert cdn_hop.url == httpx.URL(CDN_URL)  # the signed query is followed exactly


def test_same_origin_redirect_keeps_authorization() -> None:
    fake = world(location=f"https://registry.test/v2/team/app/blobs/{DIGEST}?mirror=1")

    def serve_mirror(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("mirror"):
            return httpx.Response(200, content=BLOB)
        return redirecting(f"/v2/team/app/blobs/{DIGEST}?mirror=1")

    fake.routes[BLOB_PATH] = serve_mirror
    assert run(get_blob(fake)) == BLOB
    hops = fake.registry_requests(BLOB_PATH)
    assert [h.headers.get("authorization") for h in hops] == ["Bearer tok-1"] * 2


def test_a_401_from_the_cdn_is_not_a_registry_challenge() -> None:
    cdn = httpx.Response(
        401, headers={"WWW-Authenticate": 'Bearer realm="https://evil.test/token"'}, content=b""
    )
    fake = world(cdn=cdn)
    with pytest.raises(AuthError, match="at the storage host the registry redirected to"):
        run(get_blob(fake))
    assert len(fake.token_requests) == 1  # no token for the CDN's "realm"
    assert len(fake.registry_requests(BLOB_PATH)) == 1  # no auth retry
    assert all(r.url.host != "evil.test" for r in fake.requests)


def test_s3_rejecting_a_second_auth_mechanism_is_reported_not_retried() -> None:
    cdn = httpx.Response(400, content=_s3_error())
    fake = world(cdn=cdn)
    with pytest.raises(Exception, match="HTTP 400 INVALIDARGUMENT") as caught:
        run(get_blob(fake))
    assert "storage host" in str(caught.value)
    assert len(fake.registry_requests(BLOB_PATH)) == 1


def test_https_to_http_downgrade_is_refused() -> None:
    fake = world(location="http://cdn.test/blob?sig=1")
    with pytest.raises(ProtocolError, match="refused a redirect from https to plain http"):
        run(get_blob(fake))
    assert all(r.url.host != "cdn.test" for r in fake.requests)


def test_at_most_ten_hops() -> None:
    fake = TokenRegistry()
    hops: list[str] = []

    def loop(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("hop", "0"))
        hops.append(str(n))
        return redirecting(f"{BLOB_PATH}?hop={n + 1}")

    fake.routes[BLOB_PATH] = loop

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            with pytest.raises(ProtocolError, match="more than 10 redirects"):
                await client["reg"].blob("team/app", DIGEST)

    run(go())
    assert len(hops) == 11  # the request and ten hops, then it stops


def test_ten_hops_are_followed() -> None:
    fake = TokenRegistry()

    def chain(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("hop", "0"))
        if n == 10:
            return httpx.Response(200, content=BLOB)
        return redirecting(f"{BLOB_PATH}?hop={n + 1}", code=302 if n % 2 else 307)

    fake.routes[BLOB_PATH] = chain

    async def go() -> bytes:
        async with make_client(fake, registry_config()) as client:
            return await client["reg"].blob("team/app", DIGEST)

    assert run(go()) == BLOB


def test_location_is_never_cached() -> None:
    fake = world()
    assert run(get_blob(fake, times=2)) == BLOB
    assert len(fake.registry_requests(BLOB_PATH)) == 2


def _s3_error() -> bytes:
    return fixture_bytes("s3/only-one-auth-mechanism-400.xml")
