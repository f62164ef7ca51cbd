"""docs/protocol.md item 25: error bodies of every shape real registries send become typed errors
naming registry, repository and URL, with no secret in them; ``Warning: 299`` once."""

from __future__ import annotations

import logging

import httpx
import pytest

from sitegen.errors import (
    AuthError,
    NotFoundError,
    RateLimitedError,
    RegistryError,
    ServerError,
)
from tests.registry.fakes import (
    TokenRegistry,
    fixture_bytes,
    fixture_headers,
    json_response,
    make_client,
    registry_config,
    run,
)

URL = "https://registry.test/v2/team/app/manifests/latest"


def failing(
    status: int, body: bytes, headers: list[tuple[str, str]] | None = None
) -> type[RegistryError] | RegistryError:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        return httpx.Response(status, headers=headers or [], content=body)

    async def go() -> RegistryError:
        config = registry_config(retries=0)
        async with make_client(handler, config) as client:
            with pytest.raises(RegistryError) as caught:
                await client["reg"].manifest("team/app", "latest")
            return caught.value

    return run(go())


@pytest.mark.parametrize(
    ("status", "fixture", "kind", "text"),
    [
        (
            404,
            "dockerhub/manifest-404-manifest-unknown.json",
            NotFoundError,
            "HTTP 404 MANIFEST_UNKNOWN: manifest unknown",
        ),
        (
            404,
            "distribution/tags-list-404-name-unknown-v3.json",
            NotFoundError,
            "HTTP 404 NAME_UNKNOWN: repository name not known to registry",
        ),
        (
            404,
            "harbor/manifest-404-not-found-v2.10.2.json",
            NotFoundError,
            "HTTP 404 NOT_FOUND: artifact test/alpine:sha256-443205b0cfcc78444321d56a2fe273f06e27b2c72b5058f8d7e975997d45b015.sig not found",
        ),
        (
            404,
            "other/redhat-manifest-404-nonstandard-code.json",
            NotFoundError,
            "HTTP 404: Not Found",
        ),
        (
            401,
            "quay/catalog-invalid-bearer-format.json",
            AuthError,
            "HTTP 401: Invalid bearer token format",
        ),
        (
            400,
            "nexus/manifest-400-body-html-escaped.txt",
            AuthError,
            "HTTP 400 UNAUTHORIZED: [ERROR-400] DOCKER Either Authorization header is missing or invalid",
        ),
        (
            400,
            "nexus/manifest-400-unauthorized.json",
            AuthError,
            "HTTP 400 UNAUTHORIZED: [ERROR-400] DOCKER Either Authorization header is missing or invalid",
        ),
        (
            403,
            "ghcr/basic-auth-denied.json",
            AuthError,
            "HTTP 403 DENIED: invalid token",
        ),
        (
            401,
            "ghcr/manifest-401-unauthorized.json",
            AuthError,
            "HTTP 401 UNAUTHORIZED: authentication required",
        ),
        (
            429,
            "dockerhub/manifest-429-toomanyrequests.json",
            RateLimitedError,
            "HTTP 429 TOOMANYREQUESTS: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
        ),
        (
            400,
            "s3/only-one-auth-mechanism-400.xml",
            RegistryError,
            "HTTP 400 INVALIDARGUMENT",
        ),
    ],
)
def test_error_bodies_of_every_shape(
    status: int, fixture: str, kind: type[RegistryError], text: str
) -> None:
    error = failing(status, fixture_bytes(fixture))
    assert type(error) is kind
    assert str(error) == f"reg/team/app: get manifest latest: {text} ({URL})"
    assert (error.registry, error.repository, error.url, error.status) == (
        "reg",
        "team/app",
        URL,
        status,
    )


def test_akamai_plain_text_404() -> None:
    _, headers = fixture_headers("other/redhat-sig-404-akamai.txt")
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
    error = failing(404, b"Not found\n", kept)
    assert type(error) is NotFoundError
    assert str(error) == f"reg/team/app: get manifest latest: HTTP 404: Not found ({URL})"


def test_html_page_as_error_body_is_not_quoted() -> None:
    error = failing(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    assert type(error) is ServerError
    assert str(error) == f"reg/team/app: get manifest latest: HTTP 502 ({URL})"


def test_an_echoed_authorization_header_is_redacted() -> None:
    # S3 echoes the offending Authorization header (s3/only-one-auth-mechanism-400-full.xml);
    # a registry could echo it in a JSON message too. Neither may reach a message.
    fake = TokenRegistry()
    xml = fixture_bytes("s3/only-one-auth-mechanism-400-full.xml").decode()

    def echo(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        if request.url.path.endswith("/manifests/latest"):
            message = f"bad header {auth}"
            return json_response(400, {"errors": [{"code": "BAD", "message": message}]})
        start, end = xml.index("<ArgumentValue>"), xml.index("</ArgumentValue>")
        return httpx.Response(
            400, content=(xml[:start] + f"<ArgumentValue>{auth}" + xml[end:]).encode()
        )

    fake.routes["/v2/team/app/manifests/latest"] = echo
    fake.routes["/v2/team/app/manifests/other"] = echo

    async def go() -> list[RegistryError]:
        errors = []
        async with make_client(fake, registry_config()) as client:
            for ref in ("latest", "other"):
                with pytest.raises(RegistryError) as caught:
                    await client["reg"].manifest("team/app", ref)
                errors.append(caught.value)
        return errors

    errors = run(go())
    assert str(errors[0]).startswith(
        "reg/team/app: get manifest latest: HTTP 400 BAD: bad header Bearer ***"
    )
    for error in errors:
        assert "tok-" not in str(error) and "tok-" not in repr(error)


def test_warning_299_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        warnings = [
            ("Warning", '299 - "this registry is deprecated; move to registry2.test"'),
            ("Warning", '110 - "Response is Stale"'),
        ]
        if request.url.path == "/v2/":
            return json_response(200, {})
        if request.url.path.startswith("/v2/b/"):
            warnings.append(("Warning", '299 - "repository b is read-only"'))
        return httpx.Response(200, headers=warnings, json={"tags": ["v1"]})

    async def go() -> None:
        async with make_client(handler, registry_config()) as client:
            for repo in ("a", "a", "b", "a", "b"):
                await client["reg"].tags(repo)

    with caplog.at_level(logging.WARNING, logger="sitegen.registry"):
        run(go())
    assert [r.getMessage() for r in caplog.records] == [
        "reg: registry warning: this registry is deprecated; move to registry2.test",
        "reg: registry warning: repository b is read-only",
    ]


def test_rate_limit_headers_are_read() -> None:
    # dockerhub/ratelimit-headers-2021.txt: "76;w=21600" style values.
    _, headers = fixture_headers("dockerhub/ratelimit-headers-2021.txt")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        return httpx.Response(200, headers=headers, json={"tags": ["v1"]})

    async def go() -> tuple[int | None, int | None]:
        async with make_client(handler, registry_config()) as client:
            await client["reg"].tags("a")
            return client.stats.rate_limit["reg"]

    assert run(go()) == (76, 100)


def test_rate_limit_headers_on_a_404_are_read_too() -> None:
    _, headers = fixture_headers("dockerhub/manifest-404-manifest-unknown.txt")
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
    body = fixture_bytes("dockerhub/manifest-404-manifest-unknown.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        return httpx.Response(404, headers=kept, content=body)

    async def go() -> tuple[int | None, int | None]:
        async with make_client(handler, registry_config()) as client:
            with pytest.raises(NotFoundError):
                await client["reg"].manifest("library/busybox", "this-does-not-exist")
            return client.stats.rate_limit["reg"]

    assert run(go()) == (100, 100)
