"""Azure Container Registry's ``/acr/v1/{repository}/_tags`` listing, from the captured
pages of the Azure SDK's recordings: path-relative ``Link`` paging, the registry's own
token for the ``metadata_read`` scope, refusals and hostile values
(docs/configuration.md#vendor-apis)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sitegen.errors import AuthError
from sitegen.registry.challenge import parse_challenges
from sitegen.registry.vendors import Doubt, VendorAPI, acr, detect
from tests.registry.fakes import (
    fixture_bytes,
    fixture_header,
    fixture_json,
    json_response,
    make_client,
    registry_config,
    run,
)

HOST = "myregistry.azurecr.io"
URL = f"https://{HOST}"
REPOSITORY = "library/hello-world"
PAGE1 = "vendor-apis/acr-tags-page1-n1-2023"
PAGE2 = "vendor-apis/acr-tags-page2-n1-2023"
REFUSED = "vendor-apis/acr-manifests-401-metadata-read"
CHALLENGE = f'Bearer realm="{URL}/oauth2/token",service="{HOST}"'
PASSWORD = "acr-Password-Value-123"


def test_tags_page_gives_digest_push_time_and_the_relative_next_link() -> None:
    url = acr.first_url(f"{URL}/acr/v1", REPOSITORY)
    assert url == f"{URL}/acr/v1/library%2Fhello-world/_tags?n=100"
    headers = httpx.Headers({"Link": fixture_header(f"{PAGE1}.txt", "link")})
    page = acr.parse(fixture_bytes(f"{PAGE1}.json"), headers, url, "list")
    row = fixture_json(f"{PAGE1}.json")["tags"][0]
    assert [(t.name, t.digest, t.pushed) for t in page.items] == [
        ("latest", row["digest"], "2023-03-02T23:15:59Z")  # seven fractional digits, cut
    ]
    # Kept verbatim: the encoded slash, ``last`` and the empty ``orderby``.
    assert page.next_url == f"{URL}/acr/v1/library%2Fhello-world/_tags?last=latest&n=1&orderby="


def test_a_tag_hidden_from_listings_is_a_doubt() -> None:
    document = fixture_json(f"{PAGE2}.json")
    document["tags"][0]["changeableAttributes"]["listEnabled"] = False
    with pytest.raises(Doubt, match="listEnabled"):
        acr.parse(json.dumps(document).encode(), httpx.Headers(), URL, "list")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"digest": None}, "without a valid digest"),
        ({"digest": "sha256:../../etc"}, "without a valid digest"),
        ({"digest": ["sha256:" + "a" * 64]}, "without a valid digest"),
    ],
)
def test_hostile_rows(change: dict[str, Any], problem: str) -> None:
    document = fixture_json(f"{PAGE1}.json")
    document["tags"][0].update(change)
    with pytest.raises(Doubt, match=problem):
        acr.parse(json.dumps(document).encode(), httpx.Headers(), URL, "list")


def test_names_that_are_not_tags_are_dropped_and_wrong_shapes_doubted() -> None:
    document = fixture_json(f"{PAGE1}.json")
    row = document["tags"][0]
    document["tags"] = [dict(row, name="<script>x</script>"), dict(row, name=".."), row]
    page = acr.parse(json.dumps(document).encode(), httpx.Headers(), URL, "list")
    assert [t.name for t in page.items] == ["latest"] and page.entries == 3
    with pytest.raises(Doubt, match="not a list of objects"):
        acr.parse(b'{"tags": "latest"}', httpx.Headers(), URL, "list")
    with pytest.raises(Doubt, match="not a JSON object"):
        acr.parse(b"[]", httpx.Headers(), URL, "list")


def test_detected_by_its_host() -> None:
    assert detect(registry_config(url=URL), None)[0] == "acr"
    assert detect(registry_config(url="https://azurecr.io.evil.test"), None)[0] is None
    assert detect(registry_config(url=URL, api="none"), None)[0] is None
    assert detect(registry_config(url="https://r.azurecr.cn", api="acr"), None)[0] == "acr"


class FakeACR:
    """ACR as recorded: a token for ``metadata_read`` opens ``/acr/v1``; pages 1 and 2
    are the captured ones, the third and last has no ``Link``."""

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.pages: list[str] = []
        self.basic: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v2/":
            return json_response(401, {}, {"WWW-Authenticate": CHALLENGE})
        if path == "/oauth2/token":
            self.scopes.extend(request.url.params.get_list("scope"))
            self.basic.append(request.headers.get("authorization", ""))
            return json_response(200, {"access_token": "acr-token-" + "x" * 20})
        assert path.startswith("/acr/v1/"), path
        if request.headers.get("authorization") != "Bearer acr-token-" + "x" * 20:
            return self.refusal()
        self.pages.append(str(request.url))
        last = request.url.params.get("last")
        name = {None: PAGE1, "latest": PAGE2}.get(last)
        if name is None:
            return json_response(200, {"registry": HOST, "imageName": REPOSITORY, "tags": []})
        link = fixture_header(f"{name}.txt", "link")
        return httpx.Response(200, content=fixture_bytes(f"{name}.json"), headers={"Link": link})

    @staticmethod
    def refusal() -> httpx.Response:
        challenge = fixture_header(f"{REFUSED}.txt", "www-authenticate")
        return httpx.Response(
            401, content=fixture_bytes(f"{REFUSED}.json"), headers={"WWW-Authenticate": challenge}
        )


def listing(handler: Any, password: str | None = PASSWORD) -> dict[str, Any]:
    config = registry_config(url=URL, username="me" if password else None, password=password)
    client = make_client(handler, config)

    async def go() -> dict[str, Any]:
        async with client:
            api, why = await VendorAPI.open(client[config.name])
            assert api is not None and api.vendor == "acr", why
            return dict(await api.tags(REPOSITORY))

    return run(go())


def test_pages_with_the_registry_token_for_metadata_read() -> None:
    fake = FakeACR()
    found = listing(fake)
    # Two tags, one index: each with its own push time.
    assert {t.name: (t.digest, t.pushed) for t in found.values()} == {
        "latest": (fixture_json(f"{PAGE1}.json")["tags"][0]["digest"], "2023-03-02T23:15:59Z"),
        "test-delete": (fixture_json(f"{PAGE2}.json")["tags"][0]["digest"], "2023-03-02T23:15:35Z"),
    }
    assert f"repository:{REPOSITORY}:metadata_read" in fake.scopes
    assert fake.pages[1].endswith("_tags?last=latest&n=1&orderby=")
    assert len(fake.pages) == 3 and all(p.startswith(f"{URL}/acr/v1/") for p in fake.pages)


def test_refused_access_is_an_auth_error_without_the_password() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(401, {}, {"WWW-Authenticate": CHALLENGE})
        if request.url.path == "/oauth2/token":
            return json_response(200, {"access_token": "not-good-enough-token"})
        return FakeACR.refusal()

    with pytest.raises(AuthError) as caught:
        listing(refusing)
    assert caught.value.status == 401 and PASSWORD not in str(caught.value)


def test_the_captured_refusal_asks_for_metadata_read() -> None:
    challenge = parse_challenges([fixture_header(f"{REFUSED}.txt", "www-authenticate")])[0]
    assert challenge.scopes == (f"repository:{REPOSITORY}:metadata_read",)


def test_an_api_url_on_another_host_is_not_used() -> None:
    # The registry's token would go with every page: it goes to the registry only.
    config = registry_config(url=URL, api="acr", api_url="https://elsewhere.test/acr/v1",
                             username="me", password=PASSWORD)  # fmt: skip
    client = make_client(FakeACR(), config)

    async def go() -> tuple[object, str]:
        async with client:
            return await VendorAPI.open(client[config.name])

    api, why = run(go())
    assert api is None and "on the registry's host" in why
