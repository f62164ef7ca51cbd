"""docs/protocol.md items 3-5, 7, 8: token requests, token lifetimes, per-repository single-flight
tokens, anonymous exchange, and exactly one retry with a fresh token."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from sitegen.config import Secret
from sitegen.errors import AuthError, CredentialsRefused
from sitegen.registry.auth import Credentials
from tests.registry.fakes import (
    REALM,
    FakeTime,
    TokenRegistry,
    fixture_bytes,
    fixture_headers,
    fixture_json,
    fixture_variants,
    json_response,
    make_client,
    registry_config,
    run,
)

USER, PASSWORD = "crawler", "pa55-w0rd-for-tests"
IDENTITY = "identity-token-for-tests"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def tags(fake: TokenRegistry, *repos: str, time: FakeTime | None = None, **kw: Any) -> None:
    async with make_client(fake, registry_config(**kw), time=time) as client:
        for repo in repos:
            assert await client["reg"].tags(repo) == ["v1"]


# -- 3: the token request ---------------------------------------------------------------------


def test_token_request_has_service_and_scope_and_basic_goes_only_to_the_realm() -> None:
    fake = TokenRegistry()
    run(tags(fake, "team/app", username=USER, password=PASSWORD))
    (token,) = fake.token_requests
    assert token.method == "GET"
    assert token.url.params.get_list("service") == ["registry.test"]
    assert token.url.params.get_list("scope") == ["repository:team/app:pull"]
    assert token.headers["authorization"] == basic(USER, PASSWORD)
    for request in fake.registry_requests():
        assert not request.headers.get("authorization", "").startswith("Basic")


def test_one_scope_parameter_per_scope() -> None:
    # A registry asking for more (insufficient_scope) gets one token for both scopes,
    # each in its own ``scope`` parameter (the token spec's form; never space-joined).
    fake = TokenRegistry()
    both = "repository:team/app:pull repository:team/base:pull"

    def app(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        if "repository:team/base:pull" not in fake.tokens[token]:
            challenge = f'{fake.challenge},scope="{both}",error="insufficient_scope"'
            return json_response(401, {}, {"WWW-Authenticate": challenge})
        return json_response(200, {"name": "team/app", "tags": ["v1"]})

    fake.routes["/v2/team/app/tags/list"] = app
    run(tags(fake, "team/app"))
    first, second = fake.token_requests
    assert first.url.params.get_list("scope") == ["repository:team/app:pull"]
    assert second.url.params.get_list("scope") == [
        "repository:team/app:pull",
        "repository:team/base:pull",
    ]


def test_identity_token_uses_an_oauth2_refresh_post() -> None:
    fake = TokenRegistry()
    creds = Credentials(identity_token=Secret(IDENTITY), source="test")

    async def go() -> None:
        async with make_client(fake, registry_config(), credentials={"reg": creds}) as client:
            await client["reg"].tags("team/app")

    run(go())
    (token,) = fake.token_requests
    assert token.method == "POST"
    assert "authorization" not in token.headers
    form = parse_qs(token.content.decode())
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == [IDENTITY]
    assert form["service"] == ["registry.test"]
    assert form["scope"] == ["repository:team/app:pull"]  # one space-separated field


def test_oauth2_post_puts_all_scopes_in_one_space_separated_field() -> None:
    fake = TokenRegistry()
    creds = Credentials(identity_token=Secret(IDENTITY), source="test")
    both = "repository:team/app:pull repository:team/base:pull"

    def app(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        if "repository:team/base:pull" not in fake.tokens[token]:
            challenge = f'{fake.challenge},scope="{both}",error="insufficient_scope"'
            return json_response(401, {}, {"WWW-Authenticate": challenge})
        return json_response(200, {"name": "team/app", "tags": ["v1"]})

    fake.routes["/v2/team/app/tags/list"] = app

    async def go() -> None:
        async with make_client(fake, registry_config(), credentials={"reg": creds}) as client:
            await client["reg"].tags("team/app")

    run(go())
    assert parse_qs(fake.token_requests[1].content.decode())["scope"] == [both]


@pytest.mark.parametrize("status", [404, 405])
def test_identity_token_falls_back_to_get_when_the_realm_has_no_oauth2(status: int) -> None:
    fake = TokenRegistry()
    issue = fake.issue

    def no_post(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return json_response(status, {"error": "unsupported"})
        return issue(request)

    fake.issue = no_post  # type: ignore[method-assign]
    creds = Credentials(identity_token=Secret(IDENTITY), source="test")

    async def go() -> None:
        async with make_client(fake, registry_config(), credentials={"reg": creds}) as client:
            assert await client["reg"].tags("team/app") == ["v1"]

    run(go())
    post, get = fake.token_requests
    assert (post.method, get.method) == ("POST", "GET")
    assert get.headers["authorization"] == basic("<token>", IDENTITY)
    assert get.url.params.get_list("scope") == ["repository:team/app:pull"]


# -- 4: token responses and lifetimes ------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["acr/oauth2-token-response.json", "distribution/oauth-token-response-spec.json"]
)
def test_access_token_only(fixture: str) -> None:
    # ACR: only access_token, no token, no expires_in; the OAuth flavour adds
    # refresh_token and an empty scope.
    fake = TokenRegistry()
    shape = fixture_json(fixture)
    assert "token" not in shape
    fake.token_body = lambda n, scopes: {**shape, "access_token": f"acr-{n}"}
    run(tags(fake, "team/app"))
    assert fake.registry_requests("/v2/team/app/tags/list")[0].headers["authorization"] == (
        "Bearer acr-1"
    )


def _lifetime_probe(fake: TokenRegistry, time: FakeTime, after: list[float]) -> list[int]:
    """Token requests so far after each of ``after`` seconds (from the first fetch)."""
    counts = []

    async def go() -> None:
        async with make_client(fake, registry_config(), time=time) as client:
            await client["reg"].tags("team/app")
            start = time.now
            for moment in after:
                time.now = start + moment
                await client["reg"].tags("team/app")
                counts.append(len(fake.token_requests))

    run(go())
    return counts


@pytest.mark.parametrize(
    "body",
    [
        fixture_json("dockerhub/token-response-2016.json"),  # token only: no expires_in
        {"token": "x", "expires_in": 10},  # less than 60: raised to 60
        {"token": "x", "expires_in": "300"},  # not a number: the default
    ],
    ids=["missing", "ten-seconds", "not-a-number"],
)
def test_expires_in_defaults_to_60_and_is_never_less(body: dict[str, Any]) -> None:
    fake = TokenRegistry()
    fake.token_body = lambda n, scopes: {**body, "token": f"tok-{n}"}
    # Renewed a few seconds early: still used at 50 s, renewed at 56 s.
    assert _lifetime_probe(fake, FakeTime(), [50, 56]) == [1, 2]


def test_expires_in_is_honoured_and_the_token_renewed_after_expiry() -> None:
    fake = TokenRegistry()
    fake.token_body = lambda n, scopes: {"token": f"tok-{n}", "expires_in": 300}
    assert _lifetime_probe(fake, FakeTime(), [200, 290, 296, 400]) == [1, 1, 2, 2]
    renewed = fake.registry_requests("/v2/team/app/tags/list")
    assert [r.headers["authorization"] for r in renewed] == ["Bearer tok-1"] * 3 + [
        "Bearer tok-2"
    ] * 2


def test_issued_at_shortens_the_lifetime() -> None:
    # dockerhub/token-response-2019.json: expires_in 300 with a nanosecond issued_at.
    shape = fixture_json("dockerhub/token-response-2019.json")
    time = FakeTime()
    issued = datetime.fromtimestamp(time.wall() - 200, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fake = TokenRegistry()
    fake.token_body = lambda n, scopes: {
        **shape,
        "token": f"tok-{n}",
        "issued_at": issued + ".857363835Z",
    }
    # 300 s lifetime, 200 s already gone: about 100 s left, renewed 5 s early.
    assert _lifetime_probe(fake, time, [90, 96]) == [1, 2]


def test_issued_at_from_a_skewed_clock_does_not_expire_the_token_on_arrival() -> None:
    # distribution/token-response-spec.json: issued_at 2009 with expires_in 3600.
    shape = fixture_json("distribution/token-response-spec.json")
    fake = TokenRegistry()
    fake.token_body = lambda n, scopes: {**shape, "token": f"tok-{n}"}
    assert _lifetime_probe(fake, FakeTime(), [60, 3000, 3596]) == [1, 1, 2]


# -- 5: one token per repository scope, fetched once --------------------------------------------


def test_fifty_concurrent_requests_fetch_one_token() -> None:
    fake = TokenRegistry()

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            session = client["reg"]
            results = await asyncio.gather(*(session.tags("team/app") for _ in range(50)))
            assert results == [["v1"]] * 50

    run(go())
    assert len(fake.token_requests) == 1
    assert len(fake.registry_requests("/v2/")) == 1  # and one ping


def test_concurrent_requests_share_one_refusal_of_the_token_service() -> None:
    fake = TokenRegistry()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            fake.requests.append(request)
            await asyncio.sleep(0.01)  # the others arrive while it is under way
            return json_response(401, {"details": "incorrect username or password"})
        return await fake(request)

    async def go() -> list[BaseException | list[str]]:
        config = registry_config(username=USER, password=PASSWORD)
        async with make_client(handler, config) as client:
            session = client["reg"]
            return await asyncio.gather(
                *(session.tags("team/app") for _ in range(10)), return_exceptions=True
            )

    results = run(go())
    assert all(isinstance(r, CredentialsRefused) for r in results), results
    assert len(fake.token_requests) == 1


def test_a_request_that_gives_up_leaves_the_shared_token_fetch_to_the_others() -> None:
    fake = TokenRegistry()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            await asyncio.sleep(0.02)
        return await fake(request)

    async def go() -> list[str]:
        async with make_client(handler, registry_config()) as client:
            session = client["reg"]
            first = asyncio.ensure_future(session.tags("team/app"))
            await asyncio.sleep(0.01)  # its token request is under way
            second = asyncio.ensure_future(session.tags("team/app"))
            await asyncio.sleep(0)
            first.cancel()
            return await second

    assert run(go()) == ["v1"]
    assert len(fake.token_requests) == 1


def test_tokens_are_scoped_per_repository_and_reused() -> None:
    fake = TokenRegistry()

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            session = client["reg"]
            repos = [f"team/app{i}" for i in range(5)]
            await asyncio.gather(*(session.tags(r) for r in repos * 10))

    run(go())
    # One token per repository, each for that repository alone: never one token that
    # grows with every repository (proxies reject the header, GCR rejects the token).
    scopes = sorted(tuple(r.url.params.get_list("scope")) for r in fake.token_requests)
    assert scopes == [(f"repository:team/app{i}:pull",) for i in range(5)]


# -- 7: anonymous token exchange -----------------------------------------------------------------


def test_anonymous_token_with_our_own_scope_not_the_ping_placeholder() -> None:
    # GHCR's challenge names a scope for some other repository; the token must be for ours.
    ghcr = fixture_variants("ghcr/www-authenticate-variants.txt")[0]
    fake = TokenRegistry(challenge=ghcr.replace("https://ghcr.io/token", REALM))
    run(tags(fake, "team/app"))
    (token,) = fake.token_requests
    assert "authorization" not in token.headers
    assert token.url.params.get_list("scope") == ["repository:team/app:pull"]
    assert token.url.params.get_list("service") == ["ghcr.io"]


# -- 8: exactly one retry ----------------------------------------------------------------------


def test_exactly_one_retry_after_401_then_an_error() -> None:
    fake = TokenRegistry()
    fake.refused = _Everything()

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            with pytest.raises(AuthError) as caught:
                await client["reg"].tags("team/app")
            assert str(caught.value) == (
                "reg/team/app: list tags: HTTP 401 UNAUTHORIZED: authentication required "
                "(https://registry.test/v2/team/app/tags/list?...)"
            )

    run(go())
    assert len(fake.registry_requests("/v2/team/app/tags/list")) == 2
    assert len(fake.token_requests) == 2


def test_ecr_public_400_denied_for_an_expired_token_refreshes_once() -> None:
    # ECR Public answers an expired token with 400 DENIED and no challenge.
    fake = TokenRegistry()
    denied = fixture_bytes("ecr/public-basic-auth-denied-400.json")

    def app(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer tok-1":
            return httpx.Response(400, content=denied)
        return json_response(200, {"name": "team/app", "tags": ["v1"]})

    fake.routes["/v2/team/app/tags/list"] = app
    run(tags(fake, "team/app"))
    assert len(fake.token_requests) == 2
    assert [r.headers["authorization"] for r in fake.registry_requests()[1:]] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_400_denied_every_time_is_an_auth_error_after_one_refresh() -> None:
    fake = TokenRegistry()
    denied = fixture_bytes("ecr/public-basic-auth-denied-400.json")
    fake.routes["/v2/team/app/tags/list"] = lambda request: httpx.Response(400, content=denied)

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            with pytest.raises(AuthError, match="HTTP 400 DENIED: Your Authorization Token"):
                await client["reg"].tags("team/app")

    run(go())
    assert len(fake.registry_requests("/v2/team/app/tags/list")) == 2


def test_docker_hub_insufficient_scope_for_a_missing_repository_does_not_loop() -> None:
    # Docker Hub answers a repository that does not exist with 401 insufficient_scope
    # for the very scope the fresh token was requested with: no second token request.
    status, headers = _fixture_response("dockerhub/manifest-401-insufficient-scope.txt")
    body = fixture_bytes("dockerhub/manifest-401-insufficient-scope.json")
    fake = TokenRegistry()
    fake.routes["/v2/library/this-does-not-exist/tags/list"] = lambda request: httpx.Response(
        status, headers=headers, content=body
    )

    async def go() -> None:
        async with make_client(fake, registry_config()) as client:
            with pytest.raises(AuthError):
                await client["reg"].tags("library/this-does-not-exist")

    run(go())
    assert len(fake.token_requests) == 1
    assert len(fake.registry_requests("/v2/library/this-does-not-exist/tags/list")) == 1


class _Everything(set[str]):
    def __contains__(self, item: object) -> bool:
        return True


def _fixture_response(name: str) -> tuple[int, list[tuple[str, str]]]:
    status, headers = fixture_headers(name)
    keep = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
    return status or 200, keep
