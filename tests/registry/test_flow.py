"""docs/protocol.md item 1 (one ping, remembered challenge) and 10 (credentials only to the
registry and its realm, https realms, no cookies, capped token bodies), plus Harbor's
per-endpoint challenges."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from sitegen.config import Limits
from sitegen.errors import AuthError, CatalogUnavailable, TooLarge
from tests.registry.fakes import (
    REALM,
    TokenRegistry,
    fixture_header,
    fixture_headers,
    json_response,
    make_client,
    registry_config,
    run,
)

USER, PASSWORD = "crawler", "pa55-w0rd-for-tests"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def test_ping_once_per_registry_and_the_challenge_is_remembered() -> None:
    fake = TokenRegistry()

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            session = client["reg"]
            ping = await session.ping()
            assert ping.status == 401 and ping.challenge is not None
            assert (ping.challenge.scheme, ping.challenge.realm) == ("bearer", REALM)
            await asyncio.gather(*(session.tags(f"team/app{i % 3}") for i in range(20)))

    run(go())
    assert len(fake.registry_requests("/v2/")) == 1
    # Proactive: every listing carried a token on its first try (no 401 round trips).
    listings = [r for r in fake.registry_requests() if r.url.path.endswith("/tags/list")]
    assert len(listings) == 20
    assert all(r.headers["authorization"].startswith("Bearer ") for r in listings)


def test_a_401_without_www_authenticate_reuses_the_ping_challenge() -> None:
    # gcr.io used to answer 401 with no challenge on real requests (containers/image).
    fake = TokenRegistry()

    def no_header(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer tok-1":
            return json_response(401, {"errors": [{"code": "UNAUTHORIZED"}]})  # no header
        return json_response(200, {"name": "team/app", "tags": ["v1"]})

    fake.routes["/v2/team/app/tags/list"] = no_header

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            assert await client["reg"].tags("team/app") == ["v1"]

    run(go())
    assert len(fake.token_requests) == 2  # a fresh token, from the ping's realm


def test_harbor_challenges_catalog_with_basic_and_the_rest_with_bearer() -> None:
    # harbor/catalog-401-bearer-2020.txt on /v2/ and everything but _catalog;
    # harbor/catalog-401-basic-2025.txt on _catalog (cache challenges per endpoint).
    bearer = fixture_header("harbor/catalog-401-bearer-2020.txt", "www-authenticate")
    bearer = bearer.replace("https://demo.goharbor.io/service/token", REALM)
    fake = TokenRegistry(challenge=bearer)
    basic_challenge = fixture_header("harbor/catalog-401-basic-2025.txt", "Www-Authenticate")

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/_catalog":
            fake.requests.append(request)
            if request.headers.get("authorization") != BASIC:
                return json_response(401, {}, {"WWW-Authenticate": basic_challenge})
            return json_response(200, {"repositories": ["team/app"]})
        return await fake(request)

    async def go() -> None:
        async with make_client(
            handler, registry_config(username=USER, password=PASSWORD)
        ) as client:
            session = client["reg"]
            assert await session.catalog() == ["team/app"]
            assert await session.catalog() == ["team/app"]
            assert await session.tags("team/app") == ["v1"]

    run(go())
    catalogs = fake.registry_requests("/v2/_catalog")
    # First a token (the ping said Bearer), refused with Basic; then Basic, remembered.
    assert [r.headers.get("authorization", "")[:6] for r in catalogs] == [
        "Bearer",
        "Basic ",
        "Basic ",
    ]
    (listing,) = fake.registry_requests("/v2/team/app/tags/list")
    assert listing.headers["authorization"].startswith("Bearer ")


def test_harbor_basic_catalog_without_credentials_is_unavailable() -> None:
    basic_challenge = fixture_header("harbor/catalog-401-basic-2025.txt", "Www-Authenticate")
    fake = TokenRegistry()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/_catalog":
            fake.requests.append(request)
            return json_response(401, {}, {"WWW-Authenticate": basic_challenge})
        return await fake(request)

    async def go() -> None:
        async with make_client(handler, registry_config()) as client:
            with pytest.raises(CatalogUnavailable):
                await client["reg"].catalog()

    run(go())
    # Anonymous and Basic: nothing to retry with, so no second request.
    assert len(fake.registry_requests("/v2/_catalog")) == 1


def test_basic_registry_gets_credentials_proactively_and_no_pointless_retry() -> None:
    challenge = fixture_header("distribution/v2-401-htpasswd.txt", "Www-Authenticate")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("authorization") == BASIC and request.url.path != "/v2/":
            return json_response(200, {"name": "team/app", "tags": ["v1"]})
        return json_response(401, {}, {"WWW-Authenticate": challenge})

    async def go(password: str) -> None:
        config = registry_config(username=USER, password=password)
        async with make_client(handler, config) as client:
            await client["reg"].tags("team/app")

    run(go(PASSWORD))
    assert [r.headers.get("authorization") for r in seen] == [None, BASIC]
    seen.clear()
    with pytest.raises(AuthError):
        run(go("wrong"))
    # Wrong password: one try; the same Basic credentials again would get the same 401.
    assert [r.url.path for r in seen] == ["/v2/", "/v2/team/app/tags/list"]


def test_plain_http_realm_for_an_https_registry_gets_no_credentials() -> None:
    fake = TokenRegistry(challenge='Bearer realm="http://auth.test/token",service="x"')

    async def go() -> None:
        async with make_client(fake, registry_config(username=USER, password=PASSWORD)) as client:
            with pytest.raises(AuthError, match="realm is plain http while the registry is https"):
                await client["reg"].tags("team/app")

    run(go())
    assert fake.token_requests == []


def test_plain_http_realm_is_fine_for_a_plain_http_registry() -> None:
    fake = TokenRegistry(challenge='Bearer realm="http://auth.test/token",service="x"')

    async def go() -> None:
        config = registry_config(url="http://registry.test")
        async with make_client(fake, config) as client:
            assert await client["reg"].tags("team/app") == ["v1"]

    run(go())
    assert len(fake.token_requests) == 1


def test_cookies_are_refused() -> None:
    # Harbor sets session and CSRF cookies on registry and token responses.
    _, token_headers = fixture_headers("harbor/token-200-v1.9.2.txt")
    cookies = [(k, v) for k, v in token_headers if k.lower() == "set-cookie"]
    _, manifest_headers = fixture_headers("harbor/manifest-404-not-found-v2.10.2.txt")
    cookies += [(k, v) for k, v in manifest_headers if k.lower() == "set-cookie"]
    assert cookies
    fake = TokenRegistry()

    async def handler(request: httpx.Request) -> httpx.Response:
        response = await fake(request)
        return httpx.Response(
            response.status_code,
            headers=[*response.headers.multi_items(), *cookies],
            content=response.content,
        )

    async def go() -> None:
        async with make_client(handler, registry_config(url="https://registry.test")) as client:
            await client["reg"].tags("team/app")
            await client["reg"].tags("team/app")

    run(go())
    assert len(fake.requests) == 4
    assert all("cookie" not in r.headers for r in fake.requests)


def test_token_body_is_capped() -> None:
    fake = TokenRegistry()
    fake.token_body = lambda n, scopes: {"token": f"tok-{n}", "padding": "x" * 5000}

    async def go() -> None:
        async with make_client(fake, registry_config(), limits=Limits(token_bytes=1024)) as client:
            with pytest.raises(TooLarge, match="larger than the 1024-byte limit"):
                await client["reg"].tags("team/app")

    run(go())
