"""Whole builds through vendor listing APIs (``lab.fakevendor``, entries from real
captured responses): the same site as with a HEAD per tag, push times added; a warm
rebuild costs list pages and the sample HEADs; any doubt falls back to ``tags/list``
and HEADs, for the repository or, after a sample that disagrees, for the registry
(docs/protocol.md, "Vendor listing APIs")."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.fakeregistry import from_samples
from lab.fakevendor import FakeVendorAPI
from sitegen import modeljson
from sitegen.build import BuildResult, build
from sitegen.config import load_config
from sitegen.crawl.vendor import FAILURES_BEFORE_OFF, SAMPLE
from sitegen.model import Catalog, Registry, Repository, Tag
from tests.helpers import write_config

REPOSITORIES = ["apps/web", "apps/worker", "base/alpine", "charts/demo", "old/empty",
                "public/hello", "tools/cli"]  # fmt: skip
# vendor -> (registry url, extra config lines, the registry's host)
SETUPS = {
    "hub": ("docker.io", "", "registry-1.docker.io"),
    "quay": ("https://quay.io", "", "quay.io"),
    "harbor": ("https://registry.test", "api: harbor", "registry.test"),
    "ghcr": ("https://ghcr.io", "auth: {username: me, password: ghp_NotARealTokenJustAFixture00}",
             "ghcr.io"),
    "acr": ("https://myregistry.azurecr.io", "", "myregistry.azurecr.io"),
}  # fmt: skip
PUSHED = {"ghcr": "2024-03-28T17:52:59Z"}  # the captured version's created_at; else:
DEFAULT_PUSHED = "2024-05-21T18:05:32Z"
# Only ACR says when a tag was created (the captured row's createdTime); else a first
# build knows only that the tags are there, and says nothing.
FIRST_SEEN = {"acr": ("2023-03-02T23:15:59Z", "registry")}
LISTING_TIMES = {"pushed", "first_seen", "first_seen_source", "new"}  # what a listing adds


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717000000")


def fake(vendor: str, **settings: Any) -> FakeVendorAPI:
    return FakeVendorAPI(from_samples(), vendor, registry_host=SETUPS[vendor][2], **settings)


def build_with(
    tmp_path: Path,
    api: FakeVendorAPI,
    name: str = "site",
    api_setting: str | None = None,
    more: tuple[str, ...] = (),
) -> BuildResult:
    url, extra, _ = SETUPS[api.vendor]
    lines = [f"url: {url}", f"repositories: [{', '.join(REPOSITORIES)}]", *more]
    if api_setting is not None:
        lines.append(f"api: {api_setting}")
    elif extra:
        lines.append(extra)
    body = "\n    ".join(lines)
    config = write_config(tmp_path, f"registries:\n  - name: fake\n    {body}\n")
    return build(
        load_config(config, environ={}),
        tmp_path / name,
        cache_dir=tmp_path / f"cache-{name}",
        transport=api.transport,
    )


def pages(site: Path, *, drop_times: bool = True) -> dict[str, Any]:
    found = {}
    for path in sorted(site.rglob("index.json")):
        data = json.loads(path.read_text())
        found[str(path.relative_to(site))] = _without_times(data) if drop_times else data
    return found


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in LISTING_TIMES}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def kinds(api: FakeVendorAPI, since: int = 0) -> Counter[str]:
    counted: Counter[str] = Counter()
    for method, path in api.registry.requests[since:]:
        if method == "HEAD":
            counted["head"] += 1
        elif path.endswith("/tags/list"):
            counted["tags/list"] += 1
        elif "/manifests/" in path or "/blobs/" in path:
            counted["get"] += 1
    return counted


@pytest.mark.parametrize("vendor", sorted(SETUPS))
def test_the_same_site_as_a_head_per_tag_plus_push_times(tmp_path: Path, vendor: str) -> None:
    # Filters as people write them: they choose among the same tags either way.
    more = ('tags: {exclude: "^v1[.]0", latest: 4}', "platforms: [linux/amd64, linux/arm64]")
    plain = fake(vendor)
    assert build_with(tmp_path, plain, "plain", "none", more).failures == ()
    assert plain.requests == []  # api: none asks no API
    listed = fake(vendor)
    assert build_with(tmp_path, listed, "listed", more=more).failures == ()
    # Tags, digests, filters, cosign and referrers tags: all as with tags/list.
    assert pages(tmp_path / "listed") == pages(tmp_path / "plain")
    requests = kinds(listed)
    assert requests["tags/list"] == 0 and requests["head"] == SAMPLE
    tag = json.loads((tmp_path / "listed/fake/apps/web/_tags/v1.2.0/index.json").read_text())
    assert tag["pushed"] == PUSHED.get(vendor, DEFAULT_PUSHED)
    first_seen = FIRST_SEEN.get(vendor, ("", ""))
    assert (tag["first_seen"], tag["first_seen_source"], tag["new"]) == (*first_seen, False)
    html = (tmp_path / "listed/fake/apps/web/_tags/v1.2.0/index.html").read_text()
    assert "Pushed" in html
    plain_tag = json.loads((tmp_path / "plain/fake/apps/web/_tags/v1.2.0/index.json").read_text())
    assert plain_tag["pushed"] == ""
    assert (plain_tag["first_seen"], plain_tag["first_seen_source"]) == ("", "")


@pytest.mark.parametrize("vendor", sorted(SETUPS))
def test_warm_rebuild_costs_list_pages_and_the_sample_heads(tmp_path: Path, vendor: str) -> None:
    api = fake(vendor, page_size=2)  # several pages per repository
    assert build_with(tmp_path, api).failures == ()
    before, api_before = len(api.registry.requests), len(api.requests)
    warm = build_with(tmp_path, api)
    assert warm.failures == ()
    requests = kinds(api, before)
    assert requests == Counter({"head": SAMPLE})
    tags = {r: len(t) for r, t in from_samples().repositories.items()}
    rows = tags if vendor in ("hub", "quay", "acr") else {
        r: len(set(t.values())) for r, t in from_samples().repositories.items()
    }  # fmt: skip
    listing_pages = sum(max(1, -(-n // 2)) for n in rows.values())
    owners = len({r.split("/")[0] for r in REPOSITORIES}) if vendor == "ghcr" else 0
    assert len(api.requests) - api_before == listing_pages + owners
    assert sum(tags.values()) > listing_pages  # fewer requests than a HEAD per tag


def test_a_sample_that_disagrees_sends_the_registry_back_to_heads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain = fake("hub")
    build_with(tmp_path, plain, "plain", api_setting="none")
    wrong = "sha256:" + "0" * 64
    liar = fake("hub")
    liar.lie = {(r, t): wrong for r, tags in liar.registry.repositories.items() for t in tags}
    with caplog.at_level(logging.WARNING, logger="sitegen.crawl"):
        assert build_with(tmp_path, liar, "liar").failures == ()
    assert pages(tmp_path / "liar") == pages(tmp_path / "plain")
    warned = [r.getMessage() for r in caplog.records if "the API lists" in r.getMessage()]
    assert len(warned) == 1 and "a HEAD per tag for this registry" in warned[0]
    requests = kinds(liar)
    assert requests["tags/list"] == len(REPOSITORIES)
    total = sum(len(t) for t in liar.registry.repositories.values())
    assert total < requests["head"] <= total + SAMPLE  # stopped at the first mismatch
    assert all(d["pushed"] == "" for d in _tag_pages(tmp_path / "liar"))


def test_a_tag_without_digest_sends_its_repository_back_to_heads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = fake("hub")
    api.hide = {("apps/worker", "main")}
    with caplog.at_level(logging.INFO, logger="sitegen.crawl"):
        assert build_with(tmp_path, api).failures == ()
    requests = kinds(api)
    assert requests["tags/list"] == 1  # apps/worker only
    assert requests["head"] == len(api.registry.repositories["apps/worker"]) + SAMPLE
    assert any(
        "tag main is listed without a valid digest" in r.getMessage() for r in caplog.records
    )
    main = json.loads((tmp_path / "site/fake/apps/worker/_tags/main/index.json").read_text())
    assert main["pushed"] == ""


@pytest.mark.parametrize(
    ("status", "body", "whole_registry"),
    [
        (404, b'{"message":"httperror 404: not found","errinfo":{}}', False),
        (500, b"", False),
        (401, b'{"detail":"ghp_ThisLooksLikeAToken0123456789abcdefABCD"}', True),
        (403, b'{"message":"forbidden"}', True),
    ],
)
def test_api_errors_fall_back(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: bytes,
    whole_registry: bool,
) -> None:
    api = fake("hub")
    api.fail = {"apps/web": httpx.Response(status, content=body)}
    with caplog.at_level(logging.INFO):
        result = build_with(tmp_path, api)
    assert result.failures == ()
    requests = kinds(api)
    assert requests["tags/list"] >= 1
    heads_of_web = len(api.registry.repositories["apps/web"])
    assert requests["head"] >= heads_of_web
    log = caplog.text
    assert "ghp_ThisLooksLikeAToken" not in log
    if whole_registry:
        assert "refused our access" in log


def test_a_next_page_on_another_host_is_refused(tmp_path: Path) -> None:
    api = fake("hub", page_size=2, next_host="evil.test")
    assert build_with(tmp_path, api).failures == ()
    assert {r.url.host for r in api.requests} == {"hub.docker.com"}
    # Repositories of more than one page fall back; one-page repositories need no next.
    many = [r for r, t in api.registry.repositories.items() if len(t) > 2]
    assert kinds(api)["tags/list"] == len(many)


def test_stock_registry_sends_no_api_request(tmp_path: Path) -> None:
    api = fake("harbor")
    assert build_with(tmp_path, api, api_setting="auto").failures == ()
    assert api.requests == []  # not recognised: nothing but the registry API
    assert kinds(api)["tags/list"] == len(REPOSITORIES)


def _tag_pages(site: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in site.rglob("_tags/*/index.json")]


def test_push_and_first_seen_times_survive_a_shard_s_catalog_file() -> None:
    # sitegen crawl --shard writes the model as JSON; render reads it back.
    tags = (
        Tag("1.0", "sha256:" + "a" * 64, DEFAULT_PUSHED, DEFAULT_PUSHED, "registry", True),
        Tag("1.1", "sha256:" + "c" * 64, None, "2024-05-29T16:26:40Z", "catalog"),
        Tag("2.0", "sha256:" + "b" * 64),
    )
    repository = Repository(name="team/app", tags=tags)
    registry = Registry(name="r", url="", pull_host="r.example", repositories=(repository,))
    catalog = Catalog(title="t", registries=(registry,))
    back = modeljson.loads(modeljson.dumps(catalog))
    assert back.registries[0].repositories[0].tags == tags


def test_an_api_that_is_not_there_costs_three_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = fake("harbor")
    missing = httpx.Response(404, json={"errors": [{"code": "NOT_FOUND", "message": "no"}]})
    api.fail = dict.fromkeys(REPOSITORIES, missing)
    with caplog.at_level(logging.WARNING, logger="sitegen.crawl"):
        assert build_with(tmp_path, api).failures == ()
    assert len(api.requests) == FAILURES_BEFORE_OFF < len(REPOSITORIES)
    assert "failed for 3 repositories, none listed" in caplog.text
    assert kinds(api)["tags/list"] == len(REPOSITORIES)
