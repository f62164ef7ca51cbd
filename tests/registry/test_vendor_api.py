"""``VendorAPI``: pages through each vendor's API with the session's transport and
credentials, within the limits; errors are typed, retried where the transport retries,
and carry no secret (docs/protocol.md, "Vendor listing APIs")."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from sitegen.config import Limits
from sitegen.errors import AuthError, NotFoundError, RegistryError, TooLarge
from sitegen.registry.vendors import Doubt, VendorAPI
from tests.registry.fakes import (
    FakeTime,
    fixture_bytes,
    json_response,
    make_client,
    registry_config,
    run,
)

DIGEST = "sha256:" + "d" * 64
PASSWORD = "s3cret-Password-Value"


def hub_page(names: list[str], following: str | None) -> dict[str, Any]:
    results = json.loads(
        fixture_bytes("vendor-apis/dockerhub-namespaces-tags-page1-oci-index-2024.json")
    )["results"]
    rows = [dict(results[0], name=n, digest=DIGEST) for n in names]
    return {"count": len(names), "next": following, "previous": None, "results": rows}


def listing(
    handler: Any,
    vendor: str,
    repository: str = "team/app",
    *,
    url: str = "https://registry.test",
    time: FakeTime | None = None,
    limits: Limits | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    config = registry_config(url=url, api=vendor, username="me" if password else None,
                             password=password)  # fmt: skip
    client = make_client(handler, config, time=time, limits=limits)

    async def go() -> dict[str, Any]:
        async with client:
            api, _ = await VendorAPI.open(client[config.name])
            assert api is not None
            return dict(await api.tags(repository))

    return run(go())


def registry_ping(request: httpx.Request) -> httpx.Response | None:
    return httpx.Response(200, json={}) if request.url.path == "/v2/" else None


def test_docker_hub_pages_follow_next_on_its_own_origin() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        seen.append(str(request.url))
        page = int(request.url.params.get("page", "1"))
        following = str(request.url.copy_set_param("page", page + 1)) if page < 3 else None
        return json_response(200, hub_page([f"v{page}.0", f"v{page}.1"], following))

    found = listing(handler, "hub")
    assert list(found) == ["v1.0", "v1.1", "v2.0", "v2.1", "v3.0", "v3.1"]
    assert all(
        u.startswith("https://hub.docker.com/v2/namespaces/team/repositories/app/tags")
        for u in seen
    )
    assert "page_size=100" in seen[0] and len(seen) == 3


def test_docker_hub_next_on_another_host_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        assert request.url.host == "hub.docker.com"
        return json_response(200, hub_page(["1"], "https://evil.test/v2/next?page=2"))

    with pytest.raises(Doubt, match="another host"):
        listing(handler, "hub")


def test_docker_hub_logs_in_once_and_the_jwt_never_shows() -> None:
    logins: list[dict[str, str]] = []
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJl"

    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        if request.url.path == "/v2/users/login":
            assert request.method == "POST"
            logins.append(json.loads(request.content))
            return json_response(200, {"token": jwt})
        assert request.headers["authorization"] == f"Bearer {jwt}"
        return json_response(403, {"message": f"token {jwt} lacks access"})

    with pytest.raises(AuthError) as caught:
        listing(handler, "hub", password=PASSWORD)
    assert logins == [{"username": "me", "password": PASSWORD}]
    assert jwt not in str(caught.value) and "***" in str(caught.value)


def test_harbor_sends_basic_credentials_to_the_registry_host_only() -> None:
    artifact = json.loads(
        fixture_bytes("vendor-apis/harbor-artifacts-list-untagged-oci-artifact-2024.json")
    )[0]
    hosts: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        hosts.add(request.url.host)
        expected = "Basic " + base64.b64encode(f"me:{PASSWORD}".encode()).decode()
        assert request.headers["authorization"] == expected
        assert int(request.url.params["page_size"]) <= 100
        tagged = dict(artifact, tags=[{"name": "1.0", "push_time": None}])
        return json_response(200, [tagged, artifact])  # tagged, then untagged

    found = listing(handler, "harbor", password=PASSWORD)
    assert [(t.name, t.digest, t.pushed) for t in found.values()] == [
        ("1.0", artifact["digest"], "2024-07-17T21:56:03Z")
    ]
    assert hosts == {"registry.test"}


def test_harbor_page_size_over_100_is_a_typed_error() -> None:
    # What Harbor answers above 100 (we never ask for more): an error, not a doubt.
    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        body = fixture_bytes("vendor-apis/harbor-artifacts-422-page-size-over-100.json")
        return httpx.Response(422, content=body)

    with pytest.raises(RegistryError, match=r"HTTP 422 UNPROCESSABLE_ENTITY.*page_size") as caught:
        listing(handler, "harbor")
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("vendor", "status", "fixture", "error"),
    [
        ("quay", 403, "vendor-apis/quay-api-403-insufficient-scope.json", AuthError),
        ("quay", 404, "vendor-apis/quay-api-404-not-found.json", NotFoundError),
        ("hub", 404, "vendor-apis/dockerhub-tag-detail-404-httperror.json", NotFoundError),
        ("ghcr", 404, "vendor-apis/ghpkg-versions-404-package-not-found.json", NotFoundError),
        ("hub", 401, None, AuthError),
    ],
)
def test_refusals_are_typed(
    vendor: str, status: int, fixture: str | None, error: type[RegistryError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        if request.url.path.startswith("/orgs/") and request.url.path.count("/") == 2:
            return json_response(200, {})
        return httpx.Response(status, content=fixture_bytes(fixture) if fixture else b"")

    with pytest.raises(error):
        listing(handler, vendor, password=PASSWORD if vendor == "ghcr" else None)


def test_429_waits_as_retry_after_says_through_the_transport() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow"})
        return json_response(200, {"tags": [{"name": "1", "manifest_digest": DIGEST}],
                                   "page": 1, "has_additional": False})  # fmt: skip

    time = FakeTime()
    found = listing(handler, "quay", time=time)
    assert list(found) == ["1"] and len(calls) == 2
    assert time.sleeps and 7 <= time.sleeps[0] < 8


def test_github_owner_is_asked_once_and_users_are_found() -> None:
    versions = fixture_bytes("vendor-apis/ghpkg-user-package-versions-2024.json")
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        paths.append(request.url.path)
        assert request.url.host == "api.github.com"
        assert request.headers["authorization"] == f"Bearer {PASSWORD}"
        if request.url.path == "/orgs/shaneapowell":
            return json_response(404, {"message": "Not Found"})
        return httpx.Response(200, content=versions)

    found = listing(handler, "ghcr", "shaneapowell/ghaction-package-admin", url="https://ghcr.io",
                    password=PASSWORD)  # fmt: skip
    assert found["latest"].digest == found["develop"].digest
    assert paths == [
        "/orgs/shaneapowell",
        "/users/shaneapowell/packages/container/ghaction-package-admin/versions",
    ]


def test_pages_are_bounded_and_a_repeated_page_stops() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        page = int(request.url.params.get("page", "1"))
        return json_response(200, {"tags": [{"name": f"t{page}", "manifest_digest": DIGEST}],
                                   "page": page, "has_additional": True})  # fmt: skip

    with pytest.raises(Doubt, match="stopped at the limit"):
        listing(endless, "quay", limits=Limits(pages=5))

    def same(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        return json_response(200, hub_page(["1"], str(request.url)))

    with pytest.raises(Doubt, match="read before"):
        listing(same, "hub")

    def empty(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        return json_response(200, hub_page([], str(request.url.copy_set_param("page", 9))))

    with pytest.raises(Doubt, match="empty page"):
        listing(empty, "hub")


def test_a_huge_page_is_cut_at_the_listing_cap() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        return json_response(200, hub_page([f"t{i}" for i in range(2000)], None))

    with pytest.raises(TooLarge):
        listing(handler, "hub", limits=Limits(listing_bytes=64 << 10))


def test_more_tags_than_the_limit_is_a_doubt() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (ping := registry_ping(request)) is not None:
            return ping
        return json_response(200, hub_page([f"t{i}" for i in range(5)], None))

    with pytest.raises(Doubt, match="more than 3 tags"):
        listing(handler, "hub", limits=Limits(tags=3))
