"""Vendor listing pages parsed from real captured responses (pure: no request), and
which vendor a registry is recognised as (docs/protocol.md, "Vendor listing APIs")."""

from __future__ import annotations

import json

import httpx
import pytest

from sitegen.registry.challenge import parse_challenges
from sitegen.registry.vendors import Doubt, common, detect, ghcr, harbor, hub, quay
from tests.registry.fakes import (
    fixture_bytes,
    fixture_header,
    fixture_json,
    fixture_variants,
    registry_config,
)

NO_HEADERS = httpx.Headers()


def test_docker_hub_page_has_index_digest_push_time_and_absolute_next() -> None:
    name = "vendor-apis/dockerhub-namespaces-tags-page1-oci-index-2024.json"
    url = "https://hub.docker.com/v2/namespaces/dukematsci/repositories/prod-app/tags?page_size=100"
    page = hub.parse(fixture_bytes(name), NO_HEADERS, url, "list")
    assert [(t.name, t.digest, t.pushed) for t in page.items] == [
        (
            "latest",
            # The index's digest, not images[0] (amd64) nor the attestation entry.
            "sha256:4a780299b2618050417000e84992ef14991c87c2ee659eda53c9e49f1b98cc05",
            "2024-05-21T18:05:32Z",  # tag_last_pushed, cut to whole seconds
        )
    ]
    assert page.next_url == fixture_json(name)["next"]


def test_docker_hub_last_page_and_single_arch_digests() -> None:
    name = "vendor-apis/dockerhub-repositories-tags-3-results-2024.json"
    page = hub.parse(fixture_bytes(name), NO_HEADERS, "https://hub.docker.com/x", "list")
    results = fixture_json(name)["results"]
    assert [t.name for t in page.items] == [r["name"] for r in results]
    assert [t.digest for t in page.items] == [r["images"][0]["digest"] for r in results]
    assert page.next_url is None and page.entries == 3


@pytest.mark.parametrize(
    "name",
    [
        "vendor-apis/dockerhub-repositories-tags-inactive-no-digest-2022.json",
        "vendor-apis/dockerhub-tag-detail-rust-1.44.0-slim-no-digest.json",
    ],
)
def test_docker_hub_tag_without_digest_is_a_doubt(name: str) -> None:
    document = fixture_json(name)
    if "results" not in document:  # a single tag's detail: as the only tag of a page
        document = {"count": 1, "next": None, "previous": None, "results": [document]}
    with pytest.raises(Doubt, match="without a valid digest"):
        hub.parse(json.dumps(document).encode(), NO_HEADERS, "https://hub.docker.com/x", "list")


def test_harbor_untagged_artifact_lists_no_tag_but_counts_as_an_entry() -> None:
    name = "vendor-apis/harbor-artifacts-list-untagged-oci-artifact-2024.json"
    page = harbor.parse(fixture_bytes(name), NO_HEADERS, "https://h.test/api/v2.0/x", "list")
    assert page.items == () and page.entries == 1 and page.next_url is None


def test_harbor_tags_nested_in_artifacts_and_link_variants() -> None:
    artifact = fixture_json("vendor-apis/harbor-artifacts-list-untagged-oci-artifact-2024.json")[0]
    tagged = dict(
        artifact,
        tags=[
            {"name": "1.0", "push_time": "2024-07-17T21:56:05.123Z"},
            {"name": "latest", "push_time": "0001-01-01T00:00:00.000Z"},
        ],
    )
    # Harbor's Links(): path-relative, several joined with " , ", query keys sorted.
    link = (
        '</api/v2.0/projects/p/repositories/r/artifacts?page=1&page_size=100>; rel="prev" , '
        '</api/v2.0/projects/p/repositories/r/artifacts?page=3&page_size=100>; rel="next"'
    )
    url = "https://h.test/api/v2.0/projects/p/repositories/r/artifacts?page=2&page_size=100"
    page = harbor.parse(json.dumps([tagged]).encode(), httpx.Headers({"Link": link}), url, "l")
    assert [(t.name, t.digest, t.pushed) for t in page.items] == [
        ("1.0", artifact["digest"], "2024-07-17T21:56:05Z"),
        ("latest", artifact["digest"], "2024-07-17T21:56:03Z"),  # "never" -> the artifact's
    ]
    assert page.next_url == (
        "https://h.test/api/v2.0/projects/p/repositories/r/artifacts?page=3&page_size=100"
    )


def test_harbor_artifact_with_accessories_is_a_doubt() -> None:
    artifact = fixture_json("vendor-apis/harbor-artifacts-list-untagged-oci-artifact-2024.json")[0]
    signed = dict(
        artifact, accessories=[{"type": "signature.cosign", "digest": artifact["digest"]}]
    )
    with pytest.raises(Doubt, match="accessories"):
        harbor.parse(json.dumps([signed]).encode(), NO_HEADERS, "https://h.test/x", "list")


def test_harbor_urls_encode_the_repository_twice() -> None:
    url = harbor.first_url("https://h.test/api/v2.0", "proj/team/app")
    assert url.startswith("https://h.test/api/v2.0/projects/proj/repositories/team%252Fapp/")
    assert "page_size=100" in url and "with_tag=true" in url
    with pytest.raises(Doubt):
        harbor.first_url("https://h.test/api/v2.0", "no-project")


@pytest.mark.parametrize(
    "name",
    [
        "vendor-apis/quay-tag-list-page1-has-additional-2024-excerpt.json",
        "vendor-apis/quay-selfhosted-tag-list-page1-2020-excerpt.json",
    ],
)
def test_quay_has_additional_asks_for_the_next_page(name: str) -> None:
    url = quay.first_url("https://quay.io/api/v1", "keycloak/keycloak")
    page = quay.parse(fixture_bytes(name), NO_HEADERS, url, "list")
    tags = fixture_json(name)["tags"]
    assert [t.name for t in page.items] == [t["name"] for t in tags]
    assert [t.digest for t in page.items] == [t["manifest_digest"] for t in tags]
    assert page.items[0].pushed is not None and page.items[0].pushed.endswith("Z")
    assert page.next_url is not None
    assert httpx.URL(page.next_url).params["page"] == "2"
    assert httpx.URL(page.next_url).params["onlyActiveTags"] == "true"


def test_quay_last_page_and_manifest_list_digest() -> None:
    name = "vendor-apis/quay-tag-list-specific-tag-manifest-list-2024.json"
    page = quay.parse(
        fixture_bytes(name), NO_HEADERS, quay.first_url("https://q/api/v1", "a/b"), "l"
    )
    assert [(t.name, t.digest, t.pushed) for t in page.items] == [
        ("latest", fixture_json(name)["tags"][0]["manifest_digest"], "2024-06-14T23:04:00Z")
    ]
    assert page.next_url is None


def test_quay_page_other_than_asked_is_a_doubt() -> None:
    body = fixture_bytes("vendor-apis/quay-tag-list-page1-has-additional-2024-excerpt.json")
    url = "https://quay.io/api/v1/repository/a/b/tag/?onlyActiveTags=true&limit=100&page=3"
    with pytest.raises(Doubt, match="page"):
        quay.parse(body, NO_HEADERS, url, "list")


def test_github_versions_give_tags_per_digest_and_skip_untagged() -> None:
    name = "vendor-apis/ghpkg-org-package-versions-untagged-2024.json"
    versions = fixture_json(name)
    page = ghcr.parse(fixture_bytes(name), NO_HEADERS, "https://api.github.com/x", "list")
    expected = [(tag, v["name"]) for v in versions for tag in v["metadata"]["container"]["tags"]]
    assert [(t.name, t.digest) for t in page.items] == expected
    assert page.entries == len(versions) == 30
    assert sum(1 for v in versions if not v["metadata"]["container"]["tags"]) == 21


def test_github_link_variants_are_followed_verbatim() -> None:
    first, last = fixture_variants("vendor-apis/ghpkg-versions-link-header-variants.txt")
    body = fixture_bytes("vendor-apis/ghpkg-user-package-versions-2024.json")
    url = "https://api.github.com/orgs/vulsio/packages/container/vuls-data-db/versions"
    page = ghcr.parse(body, httpx.Headers({"link": first}), url, "list")
    assert page.next_url == (
        "https://api.github.com/organizations/54834211/packages/container/vuls-data-db/"
        "versions?page=2&per_page=100"
    )
    assert ghcr.parse(body, httpx.Headers({"link": last}), url, "list").next_url is None
    assert [t.name for t in page.items] == [
        "latest",
        "develop",
        "develop-40",
        "DEVELOP-39",
        "DEVELOP-38",
    ]


def test_github_version_named_other_than_a_digest_is_a_doubt() -> None:
    versions = fixture_json("vendor-apis/ghpkg-user-package-versions-2024.json")
    versions[1]["name"] = "<script>alert(1)</script>"
    with pytest.raises(Doubt, match="tag DEVELOP-39 is listed without a valid digest"):
        ghcr.parse(json.dumps(versions).encode(), NO_HEADERS, "https://api.github.com/x", "l")


def test_gitlab_tag_list_has_no_digest_to_use() -> None:
    # Why api: gitlab is used to discover repositories only: the list names tags, nothing more.
    tags = fixture_json("vendor-apis/gitlab-registry-repository-tags-list-2024.json")
    assert all("digest" not in t for t in tags)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'{"results": {}}', "not a list of objects"),
        (b"{" * 100_000, "answer is"),
        (b'{"results": [], "next": 7}', "not a URL"),
    ],
)
def test_malformed_pages_are_doubts(body: bytes, problem: str) -> None:
    with pytest.raises(Doubt, match=problem):
        hub.parse(body, NO_HEADERS, "https://hub.docker.com/x", "list")


def test_hostile_names_are_dropped_not_kept() -> None:
    digest = "sha256:" + "a" * 64
    body = json.dumps(
        {
            "results": [{"name": "<b>x</b>", "digest": digest}, {"name": "1.0", "digest": digest}],
            "next": None,
        }
    ).encode()
    page = hub.parse(body, NO_HEADERS, "https://hub.docker.com/x", "list")
    assert [t.name for t in page.items] == ["1.0"]


def test_times() -> None:
    assert common.rfc3339("2024-05-21T18:07:30.626647123Z") == "2024-05-21T18:07:30Z"
    assert common.rfc3339("2024-02-27T04:54:35.725+02:00") == "2024-02-27T02:54:35Z"
    assert common.rfc3339("0001-01-01T00:00:00.000Z") is None
    assert common.rfc3339("Sat, 30 May 2020 06:46:18 -0000") is None
    assert common.epoch(1590821178) == "2020-05-30T06:46:18Z"
    assert common.epoch(True) is None and common.epoch(1e300) is None


def test_same_tag_with_two_digests_over_pages_is_a_doubt() -> None:
    one = common.ListedTag("1.0", "sha256:" + "a" * 64)
    two = common.ListedTag("1.0", "sha256:" + "b" * 64)
    assert list(common.merged([(one,), (one,)], "l")) == ["1.0"]
    with pytest.raises(Doubt, match="two digests"):
        common.merged([(one,), (two,)], "l")


def test_detect_by_host_and_by_the_ping_challenge() -> None:
    def challenge(header: str):  # type: ignore[no-untyped-def]
        return parse_challenges([header])[0]

    hub_config = registry_config(url="https://registry-1.docker.io")
    assert detect(hub_config, None)[0] == "hub"
    assert detect(registry_config(url="https://ghcr.io"), None)[0] == "ghcr"
    assert detect(registry_config(url="https://quay.io"), None)[0] == "quay"
    harbor_bearer = challenge(
        fixture_header("harbor/catalog-401-bearer-2020.txt", "www-authenticate")
    )
    harbor_basic = challenge(
        fixture_header("harbor/catalog-401-basic-2025.txt", "www-authenticate")
    )
    plain = registry_config(url="https://registry.example")
    assert detect(plain, harbor_bearer)[0] == "harbor"
    assert detect(plain, harbor_basic)[0] == "harbor"
    for value in fixture_variants("gitlab/www-authenticate-variants.txt"):
        vendor, why = detect(plain, challenge(value))
        assert vendor is None and "GitLab" in why
    assert detect(plain, None) == (None, "no vendor recognised (anonymous ping)")
    assert detect(registry_config(url="https://quay.io", api="none"), None)[0] is None
    assert detect(registry_config(url="https://r.test", api="quay"), None)[0] == "quay"
