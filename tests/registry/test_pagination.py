"""docs/protocol.md item 22 (Link pagination, followed verbatim; tags: null; bad entries dropped;
no-progress pages stop) and 23 (_catalog refused or missing)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from sitegen.config import Limits
from sitegen.errors import CatalogUnavailable, ProtocolError
from tests.registry.fakes import (
    TokenRegistry,
    fixture_bytes,
    fixture_header,
    fixture_headers,
    json_response,
    make_client,
    registry_config,
    run,
)

Pages = Callable[[httpx.Request], httpx.Response]


def open_registry(pages: Pages, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        seen.append(request)
        return pages(request)

    return httpx.MockTransport(handler)


def listing(transport: httpx.MockTransport, repository: str | None, **limits: int) -> list[str]:
    async def go() -> list[str]:
        async with make_client(transport, registry_config(), limits=Limits(**limits)) as client:
            if repository is None:
                return await client["reg"].catalog()
            return await client["reg"].tags(repository)

    return run(go())


def from_fixture(name: str, body: bytes) -> httpx.Response:
    status, headers = fixture_headers(name)
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
    return httpx.Response(status or 200, headers=kept, content=body)


@pytest.mark.parametrize(
    "fixture", ["quay/tags-list-link-2019.txt", "quay/tags-list-link-2021.txt"]
)
def test_quay_opaque_next_page_cursor_is_followed_verbatim(fixture: str) -> None:
    link = fixture_header(fixture, "link")
    target = link[link.index("<") + 1 : link.index(">")]
    repository = target[len("/v2/") : target.index("/tags/list")]
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        if "next_page" not in str(request.url):
            body = f'{{"name":"{repository}","tags":["v1","v2"]}}'.encode()
            return from_fixture(fixture, body)
        return json_response(200, {"name": repository, "tags": ["v3"]})

    assert listing(open_registry(pages, seen), repository) == ["v1", "v2", "v3"]
    first, second = seen
    assert first.url.raw_path == f"/v2/{repository}/tags/list?n=100".encode()
    assert second.url.raw_path == target.encode()  # %3D kept, never decoded or rebuilt


def test_quay_2024_last_form_is_followed_verbatim() -> None:
    link = fixture_header("quay/tags-list-link-2024.txt", "link")
    target = link[link.index("<") + 1 : link.index(">")]
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        if "last=" not in str(request.url):
            return json_response(200, {"tags": ["22.0.0", "23.0.4-0"]}, {"Link": link})
        return json_response(200, {"tags": ["24.0.0"]})

    assert listing(open_registry(pages, seen), "keycloak/keycloak") == [
        "22.0.0",
        "23.0.4-0",
        "24.0.0",
    ]
    assert seen[1].url.raw_path == target.encode()


def test_acr_empty_orderby_parameter_is_kept() -> None:
    seen: list[httpx.Request] = []
    first_body = fixture_bytes("acr/catalog-page-1.json")

    def pages(request: httpx.Request) -> httpx.Response:
        if "last=" not in str(request.url):
            return from_fixture("acr/catalog-page-1.txt", first_body)
        return json_response(200, {"repositories": ["hello-world", "node"]})

    assert listing(open_registry(pages, seen), None) == [
        "alpine",
        "contoso-marketing",
        "hello-world",
        "node",
    ]
    assert seen[1].url.raw_path == b"/v2/_catalog?last=contoso-marketing&n=2&orderby="


def test_acr_empty_orderby_on_tags_too() -> None:
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        if "last=" not in str(request.url):
            return from_fixture(
                "acr/tags-page-1.txt", b'{"name":"hello-world","tags":["latest","v1"]}'
            )
        return json_response(200, {"name": "hello-world", "tags": ["v2", "v3"]})

    assert listing(open_registry(pages, seen), "hello-world") == ["latest", "v1", "v2", "v3"]
    assert seen[1].url.raw_path == b"/v2/hello-world/tags/list?last=v1&n=2&orderby="


def test_fedora_percent_encoded_slash_is_neither_decoded_nor_double_encoded() -> None:
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        if "last=" not in str(request.url):
            return from_fixture(
                "other/fedora-catalog-200-link.txt", b'{"repositories":["f35/s2i-base"]}'
            )
        return json_response(200, {"repositories": ["f36/toolbox"]})

    assert listing(open_registry(pages, seen), None) == ["f35/s2i-base", "f36/toolbox"]
    assert seen[1].url.raw_path == b"/v2/_catalog?last=f35%2Fs2i-base&n=100"


def test_distribution_relative_link_resolves_against_the_request() -> None:
    link = fixture_header("distribution/tags-list-link.txt", "Link")
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        if "last=" not in str(request.url):
            return json_response(200, {"name": "test", "tags": ["a", "asj9e"]}, {"Link": link})
        return json_response(200, {"name": "test", "tags": ["b"]})

    assert listing(open_registry(pages, seen), "test") == ["a", "asj9e", "b"]
    assert str(seen[1].url) == "https://registry.test/v2/test/tags/list?last=asj9e&n=2"


def test_tags_null_means_no_tags() -> None:
    body = fixture_bytes("distribution/tags-list-null-2016.json")
    seen: list[httpx.Request] = []
    assert (
        listing(open_registry(lambda r: httpx.Response(200, content=body), seen), "busybox") == []
    )


def test_null_empty_and_digest_shaped_tags_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    digestish = "sha256:" + "a" * 64
    tags = ["v1", None, "", digestish, "../etc", "x" * 200, 5, "sha256-" + "a" * 64 + ".sig", "v2"]
    seen: list[httpx.Request] = []
    with caplog.at_level(logging.WARNING):
        found = listing(open_registry(lambda r: json_response(200, {"tags": tags}), seen), "a")
    assert found == ["v1", "sha256-" + "a" * 64 + ".sig", "v2"]
    assert "skipped 3 entries that are not valid names" in caplog.text


def test_a_page_that_makes_no_progress_stops_the_listing(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        # A broken registry: every page repeats the first and links to "another" page.
        n = len(seen)
        return json_response(
            200, {"tags": ["v1", "v2"]}, {"Link": f'</v2/a/tags/list?p={n}>; rel="next"'}
        )

    with caplog.at_level(logging.WARNING):
        assert listing(open_registry(pages, seen), "a") == ["v1", "v2"]
    assert len(seen) == 2
    assert "a page made no progress" in caplog.text


def test_a_link_to_itself_stops_the_listing() -> None:
    seen: list[httpx.Request] = []
    link = '</v2/a/tags/list?n=100>; rel="next"'
    assert listing(
        open_registry(lambda r: json_response(200, {"tags": ["v1"]}, {"Link": link}), seen), "a"
    ) == ["v1"]
    assert len(seen) == 1


def test_pages_are_bounded() -> None:
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        n = len(seen)
        return json_response(
            200, {"tags": [f"v{n}"]}, {"Link": f'</v2/a/tags/list?p={n}>; rel="next"'}
        )

    assert listing(open_registry(pages, seen), "a", pages=5) == [f"v{n}" for n in range(1, 6)]
    assert len(seen) == 5


def test_a_link_to_another_host_is_refused() -> None:
    seen: list[httpx.Request] = []
    link = '<https://elsewhere.test/v2/a/tags/list?last=v1>; rel="next"'
    with pytest.raises(ProtocolError, match="pagination link points to another host"):
        listing(
            open_registry(lambda r: json_response(200, {"tags": ["v1"]}, {"Link": link}), seen), "a"
        )
    assert len(seen) == 1


# -- 23: _catalog refused or missing ------------------------------------------------------------

HINT = (
    "list them under 'repositories' for this registry in the config "
    "(on ghcr.io, GitLab or Docker Hub, 'discover' can list them)"
)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, fixture_bytes("distribution/catalog-401-token-auth.json")),
        (401, fixture_bytes("harbor/catalog-401-unauthorized-ovh.json")),
        (
            403,
            b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
        ),
        (404, fixture_bytes("ecr/public-tags-list-404-2022.json")),
        (404, b"404 page not found\n"),
    ],
    ids=["401-token", "401-harbor", "403-denied", "404-not-found", "404-plain"],
)
def test_catalog_refused_or_missing_tells_the_user_what_to_do(status: int, body: bytes) -> None:
    fake = TokenRegistry()
    fake.routes["/v2/_catalog"] = lambda request: httpx.Response(status, content=body)

    async def go() -> CatalogUnavailable:
        async with make_client(fake, registry_config()) as client:
            with pytest.raises(CatalogUnavailable) as caught:
                await client["reg"].catalog()
            return caught.value

    error = run(go())
    assert error.status == status
    assert str(error) == (
        f"reg: the registry does not let us list its repositories (/v2/_catalog answered "
        f"HTTP {status}); {HINT} (https://registry.test/v2/_catalog?...)"
    )
