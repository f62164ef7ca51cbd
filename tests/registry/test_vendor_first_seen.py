"""What each vendor listing says about when a tag first appeared, from the real captured
pages: ACR's tag ``createdTime`` (kept apart from its last push), and nothing from the
vendors whose times are the last push or belong to the digest (docs/configuration.md,
"Vendor APIs"). A value that is not a time, or ACR's "never", is no first seen."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sitegen.registry.vendors import acr, ghcr, harbor, hub, quay
from tests.registry.fakes import fixture_bytes, fixture_json

NO_HEADERS = httpx.Headers()
ACR_PAGE = "vendor-apis/acr-tags-page1-n1-2023.json"
URL = "https://myregistry.azurecr.io/acr/v1/library%2Fhello-world/_tags?n=100"


def acr_rows(**change: Any) -> bytes:
    document = fixture_json(ACR_PAGE)
    document["tags"][0].update(change)
    return json.dumps(document).encode()


def test_acr_first_seen_is_the_tag_s_created_time() -> None:
    page = acr.parse(fixture_bytes(ACR_PAGE), NO_HEADERS, URL, "list")
    assert [(t.name, t.pushed, t.first_seen) for t in page.items] == [
        ("latest", "2023-03-02T23:15:59Z", "2023-03-02T23:15:59Z")  # pushed once
    ]


def test_acr_a_tag_pushed_again_keeps_its_created_time() -> None:
    moved = acr_rows(lastUpdateTime="2024-01-05T10:00:00.1234567Z")
    [tag] = acr.parse(moved, NO_HEADERS, URL, "list").items
    assert (tag.pushed, tag.first_seen) == ("2024-01-05T10:00:00Z", "2023-03-02T23:15:59Z")


@pytest.mark.parametrize(
    "created",
    [
        "yesterday",
        "0001-01-01T00:00:00Z",  # "never"
        "0001-01-01T00:00:00.0000000Z",
        "2023-03-02 23:15:59",  # no offset
        "2023-13-45T99:00:00Z",
        12345,
        None,
        ["2023-03-02T23:15:59Z"],
        "9" * 10_000,
    ],
)
def test_acr_a_created_time_that_is_not_a_time_is_no_first_seen(created: object) -> None:
    [tag] = acr.parse(acr_rows(createdTime=created), NO_HEADERS, URL, "list").items
    assert tag.first_seen is None
    assert tag.pushed == "2023-03-02T23:15:59Z"  # lastUpdateTime still says when it was pushed


@pytest.mark.parametrize(
    ("parse", "name"),
    [
        (hub.parse, "vendor-apis/dockerhub-namespaces-tags-page1-oci-index-2024.json"),
        (hub.parse, "vendor-apis/dockerhub-repositories-tags-3-results-2024.json"),
        (quay.parse, "vendor-apis/quay-tag-list-page1-has-additional-2024-excerpt.json"),
        (quay.parse, "vendor-apis/quay-selfhosted-tag-list-page1-2020-excerpt.json"),
        (ghcr.parse, "vendor-apis/ghpkg-org-package-versions-untagged-2024.json"),
        (ghcr.parse, "vendor-apis/ghpkg-user-package-versions-2024.json"),
    ],
)
def test_other_vendors_say_when_a_tag_was_pushed_not_first_seen(parse: Any, name: str) -> None:
    url = "https://api.test/x?page=1"
    page = parse(fixture_bytes(name), NO_HEADERS, url, "list")
    assert page.items and all(t.pushed for t in page.items)
    assert all(t.first_seen is None for t in page.items)


def test_harbor_tag_and_artifact_push_times_are_no_first_seen() -> None:
    artifact = fixture_json("vendor-apis/harbor-artifacts-list-untagged-oci-artifact-2024.json")[0]
    tagged = dict(artifact, tags=[{"name": "1.0", "push_time": "2024-07-18T08:00:00.000Z"}])
    [tag] = harbor.parse(json.dumps([tagged]).encode(), NO_HEADERS, "https://h.test/x", "l").items
    assert (tag.pushed, tag.first_seen) == ("2024-07-18T08:00:00Z", None)
