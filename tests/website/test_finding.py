"""Finding things in the browser: pasted pull references, ranking, facets, empty
results, the header box, and the registry table. The site is built from two in-memory
registries: the samples (``lab``) and a Docker Hub-like one (``hub``, ``library/nginx``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from lab.fakeregistry import FakeRegistry, from_samples
from lab.images import image
from lab.website import serve_directory
from sitegen.build import build
from sitegen.config import load_config
from tests.helpers import write_config
from tests.website.conftest import clean_page, fits

pytestmark = pytest.mark.browser

NGINX = (("1.24.0", "2023-06-01T00:00:00Z"), ("1.25.3", "2024-01-01T00:00:00Z"))


@pytest.fixture(scope="module")
def finding_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("finding")
    lab = from_samples()
    hub = FakeRegistry()
    for version, created in NGINX:
        built = image(created=created, files=[{"/nginx": version.encode()}])
        hub.add("library/nginx", built, [version, version.rsplit(".", 1)[0]])
    # Its description label names another repository ("worker"): a name outranks it.
    reporter = image(
        created="2024-02-01T00:00:00Z",
        files=[{"/reporter": b"reporter"}],
        labels={"org.opencontainers.image.description": "Mails the worker report"},
    )
    hub.add("tools/reporter", reporter, ["1.0"])

    def handle(request: httpx.Request) -> httpx.Response:
        return (hub if request.url.host == "hub.test" else lab).handle(request)

    config = load_config(
        write_config(
            work,
            """
            registries:
              - name: lab
                url: https://registry.test
                pull_host: registry.example.com
              - name: hub
                url: https://hub.test
                pull_host: docker.io
            """,
        ),
        environ={},
    )
    build(config, work / "site", cache_dir=None, transport=httpx.MockTransport(handle))
    return work / "site"


@pytest.fixture(scope="module")
def finding_url(finding_site: Path) -> Iterator[str]:
    with serve_directory(finding_site) as url:
        yield url


@pytest.fixture
def page(finding_site: Path, browser: Browser) -> Iterator[Page]:
    # The site is built (with its own event loop) before Playwright's loop runs.
    with clean_page(browser, console=()) as opened:
        yield opened


def search(page: Page, url: str, text: str) -> list[str]:
    page.goto(f"{url}search/index.html?q={quote(text)}")
    expect(page.locator("#search-results [role=status]").first).to_be_visible()
    return page.locator("ol.results li > a").all_inner_texts()


@pytest.mark.parametrize(
    ("pasted", "first"),
    [
        ("registry.example.com/apps/web:v1.1.0", "apps/web:v1.1.0"),
        ("apps/web:v1.0.0", "apps/web:v1.0.0"),
        ("docker pull registry.example.com/apps/web:v1.1.0", "apps/web:v1.1.0"),
        (
            "podman pull --platform linux/arm64 registry.example.com/base/alpine:3.19.4",
            "base/alpine:3.19.4",
        ),
        ("FROM registry.example.com/base/alpine:3.20 AS build", "base/alpine:3.20.1"),
        ("helm pull oci://registry.example.com/charts/demo --version 0.1.0", "charts/demo:0.1.0"),
        ("nginx:1.24", "library/nginx:1.24.0"),
        ("docker.io/library/nginx:1.25", "library/nginx:1.25.3"),
        ("docker pull nginx:1.25.3", "library/nginx:1.25.3"),
    ],
)
def test_a_pasted_reference_finds_its_image(
    page: Page, finding_url: str, pasted: str, first: str
) -> None:
    assert search(page, finding_url, pasted)[0] == first


def test_a_reference_by_digest_finds_its_image(
    page: Page, finding_url: str, finding_site: Path
) -> None:
    data = json.loads((finding_site / "lab/apps/web/_tags/v1.0.0/index.json").read_text())
    digest = data["digest"]
    for pasted in (
        f"registry.example.com/apps/web@{digest}",
        f"docker pull registry.example.com/apps/web@{digest[:19]}",
    ):
        assert search(page, finding_url, pasted) == ["apps/web:v1.0.0"]


def test_a_long_pasted_reference_fits_a_narrow_screen(
    page: Page, finding_url: str, finding_site: Path
) -> None:
    data = json.loads((finding_site / "lab/apps/web/_tags/v1.0.0/index.json").read_text())
    page.set_viewport_size({"width": 390, "height": 800})
    for pasted in (f"docker pull registry.example.com/apps/web@{data['digest']}", "x" * 120):
        search(page, finding_url, pasted)
        fits(page, "#search-results, #search-results p, ol.results li")


def test_a_pasted_commit_hash_finds_the_image_built_from_it(
    page: Page, finding_url: str, finding_site: Path
) -> None:
    data = json.loads((finding_site / "lab/apps/web/_tags/v1.0.0/index.json").read_text())
    commit = data["image"]["config"]["labels"]["org.opencontainers.image.revision"]
    assert len(commit) == 40  # the index holds its first 16 digits; the page cuts it so
    for pasted in (commit, commit.upper(), commit[:7]):
        assert search(page, finding_url, pasted) == ["apps/web:v1.0.0"]


def test_a_missing_tag_shows_its_repository(page: Page, finding_url: str) -> None:
    found = search(page, finding_url, "registry.example.com/apps/web:v9.9")
    assert found[0] == "apps/web"
    expect(page.locator("#search-results [role=status]")).to_contain_text("(no v9.9 there)")


def test_names_rank_above_labels_and_versions_newest_first(page: Page, finding_url: str) -> None:
    found = search(page, finding_url, "worker")
    assert found[:5] == [
        "apps/worker",
        "apps/worker:v2.0.0",
        "apps/worker:v2.0.0-rc1",
        "apps/worker:v1.9.0",
        "apps/worker:main",
    ]
    assert "tools/reporter:1.0" in found[5:]  # found by its label, ranked below


def test_facets_narrow_the_results(page: Page, finding_url: str, artifacts: Path) -> None:
    found = search(page, finding_url, "a")
    assert "charts/demo:0.1.0" in found and "library/nginx:1.25.3" in found
    page.get_by_role("checkbox", name=re.compile("^helm chart")).check()
    expect(page.locator("ol.results li > a")).to_have_text(["charts/demo:0.1.0"])
    expect(page).to_have_url(re.compile(r"kind=helm\+chart"))
    page.get_by_role("checkbox", name=re.compile("^helm chart")).uncheck()
    page.get_by_role("checkbox", name=re.compile("^hub")).check()
    expect(page.locator("ol.results li > a").first).to_contain_text("library/nginx:")
    hub = page.locator("ol.results li > a").all_inner_texts()
    assert hub and all(t.startswith(("library/nginx", "tools/reporter")) for t in hub)
    page.get_by_role("checkbox", name=re.compile("^hub")).uncheck()
    page.get_by_role("checkbox", name=re.compile(r"^windows.amd64")).check()
    expect(page.locator("ol.results li > a")).to_have_text(["tools/cli:1.0"])
    page.screenshot(path=str(artifacts / "search-facets.png"), full_page=True)


def test_results_carry_supply_chain_badges_and_filter_by_them(page: Page, finding_url: str) -> None:
    search(page, finding_url, "apps/web")
    web = page.locator("ol.results li").filter(has=page.get_by_role("link", name="apps/web:v1.2.0"))
    expect(web.locator(".result-badges .badge")).to_have_text(["signed", "SBOM", "1 critical"])
    expect(web.locator(".badge-vuln-critical")).to_have_count(1)
    oldest = page.locator("ol.results li").filter(
        has=page.get_by_role("link", name="apps/web:v1.0.0")
    )
    expect(oldest.locator(".result-badges .badge")).to_have_count(0)
    search(page, finding_url, "a")
    page.get_by_role("checkbox", name=re.compile("^signed")).check()
    expect(page).to_have_url(re.compile(r"has=signed"))
    expect(page.locator("ol.results li > a")).to_have_count(5)
    assert sorted(page.locator("ol.results li > a").all_inner_texts()) == [
        "apps/web:v1.1.0",  # with a key
        "apps/web:v1.2.0",  # keyless, cosign
        "apps/worker:v1.9.0",  # a sigstore bundle
        "apps/worker:v2.0.0",  # notation
        "tools/cli:1.0",
    ]
    page.get_by_role("checkbox", name=re.compile("^signed")).uncheck()
    page.get_by_role("checkbox", name=re.compile("^vulnerability report")).check()
    expect(page.locator("ol.results li > a")).to_have_text(["apps/web:v1.2.0"])


def test_an_empty_result_says_what_to_try(page: Page, finding_url: str) -> None:
    page.goto(f"{finding_url}search/index.html?q=zebrafish")
    status = page.locator(".no-match")
    expect(status).to_contain_text("No match for zebrafish.")
    expect(status).to_contain_text("Try a repository name")


def test_the_header_box_from_a_tag_page(page: Page, finding_url: str) -> None:
    page.goto(finding_url + "lab/apps/web/_tags/v1.2.0/index.html")
    page.get_by_role("searchbox", name="Search the catalog").fill("docker pull nginx:1.24")
    page.keyboard.press("Enter")
    expect(page.locator("ol.results li > a").first).to_have_text("library/nginx:1.24.0")
    page.locator("ol.results li > a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("library/nginx:1.24.0")


def test_the_header_box_from_disk(page: Page, finding_site: Path) -> None:
    page.goto((finding_site / "lab/apps/web/_tags/v1.2.0/index.html").as_uri())
    page.get_by_role("searchbox", name="Search the catalog").fill("web")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.get_by_role("searchbox", name=re.compile("^Search repositories"))).to_have_value(
        "web"
    )
    expect(page.locator("#search-offline")).to_be_visible()


def rows(page: Page) -> list[str]:
    return page.locator(
        "#repository-table tbody tr:not([hidden]) td:first-child a"
    ).all_inner_texts()


def test_the_registry_table_sorts_and_filters(
    page: Page, finding_url: str, artifacts: Path
) -> None:
    page.goto(finding_url + "lab/index.html")
    everything = rows(page)
    assert everything == sorted(everything)  # by namespace and name without a click
    assert len(everything) == 7
    page.get_by_role("button", name="Last updated").click()
    assert rows(page)[:3] == ["base/alpine", "apps/worker", "apps/web"]
    assert rows(page)[-1] == "old/empty"  # never updated: last
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Last updated")
    page.get_by_role("button", name="Tags").click()
    assert rows(page)[0] == "base/alpine" and rows(page)[-1] == "old/empty"
    page.get_by_role("button", name="Tags").click()
    assert rows(page)[0] == "old/empty"
    page.get_by_role("searchbox", name="Filter repositories").fill("apps")
    assert sorted(rows(page)) == ["apps/web", "apps/worker"]
    expect(page.get_by_role("status")).to_have_text("2 of 7 repositories match")
    page.get_by_role("searchbox", name="Filter repositories").fill("front end")
    assert rows(page) == ["apps/web"]
    page.screenshot(path=str(artifacts / "registry-filtered.png"), full_page=True)
    page.get_by_role("searchbox", name="Filter repositories").fill("nothing-like-this")
    assert rows(page) == []
    expect(page.locator(".no-match")).to_contain_text("No repository matches")


def test_the_registry_table_without_javascript(finding_url: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(finding_url + "lab/index.html")
        assert page.locator("#repository-table tbody tr").count() == 7
        headers = page.locator("#repository-table thead th").all_inner_texts()
        assert headers == ["Repository", "Namespace", "Tags", "Last updated", "Description"]
    finally:
        context.close()
