"""docs/protocol.md item 13: retries with Retry-After (seconds and HTTP-date), capped, jittered,
exponential backoff, per-host throttling; never other 4xx. All on fake time."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from sitegen.config import Secret
from sitegen.errors import RateLimitedError, ServerError, TransportError
from sitegen.registry.auth import Credentials
from tests.registry.fakes import (
    FakeTime,
    TokenRegistry,
    fixture_bytes,
    json_response,
    make_client,
    registry_config,
    run,
)

TAGS = "/v2/team/app/tags/list"
OK = {"name": "team/app", "tags": ["v1"]}
TOO_MANY = fixture_bytes("dockerhub/manifest-429-toomanyrequests.json")


def scripted(
    *answers: Callable[[httpx.Request], httpx.Response],
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    """A registry without auth whose tag listing answers ``answers`` in turn, then 200."""
    sent: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        sent.append(request)
        if queue:
            return queue.pop(0)(request)
        return json_response(200, OK)

    return handler, sent


def status(code: int, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    body = TOO_MANY if code == 429 else b'{"errors":[{"code":"UNAVAILABLE"}]}'
    return lambda request: httpx.Response(code, headers=headers, content=body)


def list_tags(
    handler: Callable[[httpx.Request], httpx.Response], time: FakeTime, **kw: object
) -> list[str]:
    async def go() -> list[str]:
        async with make_client(handler, registry_config(**kw), time=time) as client:
            return await client["reg"].tags("team/app")

    return run(go())


def test_429_retry_after_in_seconds() -> None:
    time = FakeTime()
    handler, sent = scripted(status(429, **{"Retry-After": "7"}))
    assert list_tags(handler, time) == ["v1"]
    assert time.sleeps == [7.0]
    assert len(sent) == 2


def test_429_retry_after_as_an_http_date() -> None:
    time = FakeTime()
    when = datetime.fromtimestamp(time.wall() + 30, UTC)
    handler, sent = scripted(
        status(429, **{"Retry-After": email.utils.format_datetime(when, usegmt=True)})
    )
    assert list_tags(handler, time) == ["v1"]
    assert time.sleeps == [30.0]
    assert len(sent) == 2


def test_retry_after_is_capped_and_jittered() -> None:
    time = FakeTime()
    handler, _ = scripted(status(429, **{"Retry-After": "86400"}))

    async def go() -> None:
        async with make_client(handler, registry_config(), time=time, jitter=lambda: 1.0) as client:
            await client["reg"].tags("team/app")

    run(go())
    # 120 s cap (RetryPolicy.max_retry_after), plus up to half a second of jitter.
    assert time.sleeps == [120.5]


def test_429_that_never_ends_is_a_rate_limited_error_after_the_allowed_tries() -> None:
    time = FakeTime()
    handler, sent = scripted(*[status(429, **{"Retry-After": "1"})] * 10)
    with pytest.raises(RateLimitedError) as caught:
        list_tags(handler, time, retries=2)
    assert len(sent) == 3
    assert "HTTP 429 TOOMANYREQUESTS: You have reached your pull rate limit" in str(caught.value)


@pytest.mark.parametrize("code", [408, 500, 502, 503, 504])
def test_server_errors_are_retried_with_exponential_backoff(code: int) -> None:
    time = FakeTime()
    handler, sent = scripted(status(code), status(code), status(code))
    assert list_tags(handler, time) == ["v1"]
    # base 0.5 s doubling, "full jitter" in [d/2, d] with the jitter at 0.
    assert time.sleeps == [0.25, 0.5, 1.0]
    assert len(sent) == 4


def test_persistent_5xx_is_a_server_error() -> None:
    handler, sent = scripted(*[status(502)] * 10)
    with pytest.raises(ServerError, match="HTTP 502"):
        list_tags(handler, FakeTime(), retries=1)
    assert len(sent) == 2


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 406, 409, 413, 422])
def test_other_4xx_are_never_retried(code: int) -> None:
    time = FakeTime()
    handler, sent = scripted(status(code))
    with pytest.raises(Exception, match=f"HTTP {code}"):
        list_tags(handler, time)
    assert len(sent) == 1
    assert time.sleeps == []


@pytest.mark.parametrize(
    "error",
    [httpx.ReadError("connection reset by peer"), httpx.RemoteProtocolError("EOF")],
    ids=["reset", "eof"],
)
def test_resets_and_eof_are_retried_for_gets(error: Exception) -> None:
    time = FakeTime()

    def broken(request: httpx.Request) -> httpx.Response:
        raise error

    handler, sent = scripted(broken, broken)
    assert list_tags(handler, time) == ["v1"]
    assert len(sent) == 3 and time.sleeps == [0.25, 0.5]


def test_a_reset_during_a_token_post_is_not_retried() -> None:
    # POST is not idempotent: a broken OAuth2 refresh is reported, not repeated.
    fake = TokenRegistry()

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer")

    fake.issue = broken  # type: ignore[method-assign]
    creds = Credentials(identity_token=Secret("identity-token-value"), source="test")

    async def go() -> None:
        async with make_client(fake, registry_config(), credentials={"reg": creds}) as client:
            with pytest.raises(
                TransportError, match="token request failed: the connection was reset"
            ):
                await client["reg"].tags("team/app")

    run(go())
    assert len(fake.token_requests) == 1


def test_a_throttled_registry_slows_only_itself() -> None:
    # Registry "a" says 429 Retry-After: 30 for one request; while that request waits,
    # every other request to "a" waits too, and registry "b" is served at once.
    release = asyncio.Event()
    waits: list[tuple[str, float]] = []
    order: list[str] = []
    throttled = {"first": True}

    async def sleep(seconds: float) -> None:
        waits.append((asyncio.current_task().get_name(), seconds))  # type: ignore[union-attr]
        until = time.now + seconds
        await release.wait()
        time.now = max(time.now, until)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        order.append(f"{request.url.host}{request.url.path}")
        if request.url.host == "a.test" and throttled.pop("first", False):
            return httpx.Response(429, headers={"Retry-After": "30"}, content=TOO_MANY)
        return json_response(200, OK)

    time = FakeTime()

    async def go() -> None:
        time.sleep = sleep  # type: ignore[method-assign]
        configs = (registry_config("a", "https://a.test"), registry_config("b", "https://b.test"))
        async with make_client(handler, *configs, time=time) as client:
            await client["a"].ping()
            await client["b"].ping()
            first = asyncio.create_task(client["a"].tags("one"), name="a-one")
            while not waits:
                await asyncio.sleep(0)
            second = asyncio.create_task(client["a"].tags("two"), name="a-two")
            other = asyncio.create_task(client["b"].tags("three"), name="b-three")
            assert await other == ["v1"]
            assert not first.done() and not second.done()
            release.set()
            assert await first == ["v1"] and await second == ["v1"]

    run(go())
    assert waits == [("a-one", 30.0), ("a-two", 30.0)]
    assert order == [
        "a.test/v2/one/tags/list",
        "b.test/v2/three/tags/list",
        "a.test/v2/one/tags/list",
        "a.test/v2/two/tags/list",
    ]
