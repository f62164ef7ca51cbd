"""The built site in headless Chromium (Debian's, driven by Playwright).

Each test does what a reader does and saves screenshots to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # No script errors, warnings or Content-Security-Policy violations on any page opened.
    with clean_page(browser, console=("error", "warning")) as opened:
        yield opened


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_search_from_home_then_open_repository_and_tag(
    page: Page, site_url: str, artifacts: Path
) -> None:
    page.goto(site_url + "index.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sample catalog")
    shot(page, artifacts, "home-wide")
    page.get_by_role("searchbox", name="Search the catalog").fill("alpine")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"search/index\.html\?q=alpine$"))
    results = page.locator("ol.results li")
    expect(results.first).to_be_visible()
    shot(page, artifacts, "search-alpine")
    page.get_by_role("link", name="base/alpine", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("base/alpine")
    page.locator("#tag-table").get_by_role("link", name="3.20.1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("base/alpine:3.20.1")
    shot(page, artifacts, "tag-index-wide")


def test_search_finds_a_tag_by_short_digest(page: Page, site_url: str, built_site: Path) -> None:
    data = json.loads((built_site / "lab/apps/web/_tags/v1.0.0/index.json").read_text())
    digest = data["digest"]
    page.goto(f"{site_url}search/index.html?q={digest[7:19]}")
    expect(page.locator("ol.results li a").first).to_have_text("apps/web:v1.0.0")


def test_switch_platform(page: Page, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "lab/tools/cli/_tags/1.0/index.html")
    page.get_by_role("link", name="linux/arm64/v8").first.click()
    expect(page.locator("h1 .platform")).to_have_text("linux/arm64/v8")
    switcher = page.get_by_role("navigation", name="Platforms of this image")
    expect(switcher.locator("[aria-current=page]")).to_have_text("linux/arm64/v8")
    switcher.get_by_role("link", name="windows/amd64 10.0.20348.2527").click()
    expect(page.locator("h1 .platform")).to_have_text("windows/amd64 10.0.20348.2527")
    expect(page.get_by_text("Platform windows/amd64 10.0.20348.2527 of")).to_be_visible()
    shot(page, artifacts, "platform-windows")


def test_copy_pull_command_with_docker_and_podman(browser: Browser, site_url: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(site_url + "lab/apps/web/_tags/v1.2.0/index.html")
        by_tag = page.locator(".pull").filter(has_text="By tag")
        by_tag.get_by_role("button", name=re.compile("^Copy")).click()
        expect(by_tag.get_by_role("button")).to_have_text("Copied")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == "docker pull registry.example.com/apps/web:v1.2.0"
        page.get_by_role("button", name="podman").click()
        by_tag.get_by_role("button", name=re.compile("^Cop")).click()
        assert page.evaluate("() => navigator.clipboard.readText()") == (
            "podman pull registry.example.com/apps/web:v1.2.0"
        )
        # The choice is remembered on the next page.
        page.goto(site_url + "lab/apps/web/index.html")
        expect(page.locator(".pull-cmd").first).to_have_text(
            "podman pull registry.example.com/apps/web:v1.2.0"
        )
    finally:
        context.close()


def first_column(page: Page) -> list[str]:
    return page.locator("#tag-table tbody tr td:first-child > a").all_inner_texts()


def test_sort_and_filter_the_tag_table(page: Page, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "lab/apps/worker/index.html")
    assert first_column(page) == ["v2.0.0", "v2.0.0-rc1", "v1.9.0", "main"]
    page.get_by_role("button", name="Created").click()
    assert first_column(page) == ["main", "v1.9.0", "v2.0.0", "v2.0.0-rc1"]
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Created")
    page.get_by_role("button", name="Created").click()
    assert first_column(page) == ["v2.0.0-rc1", "v2.0.0", "v1.9.0", "main"]
    page.get_by_role("button", name="Tag").click()
    assert first_column(page) == ["v2.0.0", "v2.0.0-rc1", "v1.9.0", "main"]
    page.get_by_role("searchbox", name="Filter tags").fill("rc")
    assert first_column(page) == ["v2.0.0-rc1"]
    expect(page.get_by_role("status")).to_have_text("1 of 4 tags match")
    shot(page, artifacts, "repository-filtered")


def test_pages_work_without_javascript(browser: Browser, site_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site_url + "lab/base/alpine/index.html")
        assert page.locator("#tag-table tbody tr").count() == 5
        expect(page.locator("button.copy").first).to_be_hidden()
        page.get_by_role("link", name="Tag \u00d7 platform matrix").click()
        expect(page.get_by_role("columnheader", name="linux/arm/v7")).to_be_visible()
        shot(page, artifacts, "matrix-no-js")
    finally:
        context.close()


def test_site_opened_from_disk(page: Page, built_site: Path) -> None:
    page.goto((built_site / "index.html").as_uri())
    page.get_by_role("link", name="lab", exact=True).click()
    page.get_by_role("link", name="apps/web").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("apps/web")
    assert first_column(page)[0] == "v1.2.0"  # _tags.js loads from disk too


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "search/index.html?q=web",
        "lab/index.html",
        "lab/apps/web/index.html",
        "lab/apps/web/_tags/v1.2.0/index.html",
        "lab/base/alpine/_tags/latest/index.html",
        "lab/base/alpine/_platforms/index.html",
        "lab/charts/demo/_tags/0.1.0/index.html",
        "lab/old/empty/_platforms/index.html",
        "lab/tools/cli/_tags/1.0/index.html",
    ],
)
def test_no_serious_accessibility_violations(
    browser: Browser, site_url: str, artifacts: Path, path: str, scheme: str
) -> None:
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        results: Any = Axe().run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
        if path == "lab/apps/web/_tags/v1.2.0/index.html":
            shot(page, artifacts, f"tag-image-{scheme}")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("home", "index.html"),
        ("registry", "lab/index.html"),
        ("repository", "lab/base/alpine/index.html"),
        ("tag", "lab/apps/web/_tags/v1.2.0/index.html"),
        ("search", "search/index.html?q=apps"),
        ("tag-list", "lab/apps/worker/index.html"),
        ("multi-platform-tag", "lab/tools/cli/_tags/1.0/index.html"),
        (
            "digest",
            "lab/apps/web/_digests/"
            "sha256-d411e03eeef732f1b5ef9058a7a4a3598e84ef34f51d06ac24f5837f23b447e1/index.html",
        ),
        ("matrix", "lab/tools/cli/_platforms/index.html"),
        ("empty-matrix", "lab/old/empty/_platforms/index.html"),
        ("chart", "lab/charts/demo/_tags/0.1.0/index.html"),
        ("changes", "changes/index.html"),
        ("health", "health/index.html"),
        ("not-found", "404.html"),
    ],
)
def test_narrow_screen(
    browser: Browser, site_url: str, artifacts: Path, name: str, path: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        # Nothing but the scrolling table wrappers may be wider than the screen.
        overflow = page.evaluate(
            """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""
        )
        assert overflow <= 0
        # Pull commands wrap beside their Copy button: nothing of them is cut off.
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.pull, .pull-cmd')].filter(e =>
                e.getBoundingClientRect().right > innerWidth || e.scrollWidth > e.clientWidth
            ).map(e => e.textContent)"""
        )
        assert cut == []
        shot(page, artifacts, f"narrow-{name}")
    finally:
        context.close()


# Each key/value row of the tables, where its key and its value are on the screen.
ROWS = """() => [...document.querySelectorAll('table.kv tbody tr')].map(tr => {
    const key = tr.querySelector('th').getBoundingClientRect();
    const value = tr.querySelector('td').getBoundingClientRect();
    return {keyTop: key.top, keyBottom: key.bottom, valueTop: value.top};
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_key_value_tables_stack_on_a_phone(
    browser: Browser, site_url: str, artifacts: Path, scheme: str
) -> None:
    path = "lab/apps/web/_tags/v1.2.0/index.html"
    for viewport, stacked in ((PHONE, True), (DESKTOP, False)):
        context = browser.new_context(viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
        page = context.new_page()
        try:
            page.goto(site_url + path)
            rows = page.evaluate(ROWS)
            assert len(rows) >= 5  # the environment and the labels
            for row in rows:
                if stacked:  # the value under its key
                    assert row["valueTop"] >= row["keyBottom"] - 1
                else:  # side by side
                    assert abs(row["valueTop"] - row["keyTop"]) < 1
            expect(page.get_by_role("heading", name="Labels", exact=True)).to_be_visible()
            if stacked:
                shot(page, artifacts, f"narrow-tag-{scheme}")
        finally:
            context.close()


def test_label_keys_break_at_dots(page: Page, site_url: str) -> None:
    page.goto(site_url + "lab/apps/web/_tags/v1.2.0/index.html")
    # A column as narrow as a phone's leaves for keys.
    page.evaluate(
        """() => document.querySelectorAll('table.kv th[scope=row]').forEach(
            th => th.style.setProperty('width', '9rem', 'important'))"""
    )
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.kv th[scope=row] code')].map(code => {
            const tops = part => {
                const range = document.createRange();
                range.selectNodeContents(part);
                return [...range.getClientRects()].map(r => Math.round(r.top));
            };
            const parts = [...code.childNodes].filter(n => n.nodeType === Node.TEXT_NODE);
            return {
                key: code.textContent,
                partLines: parts.map(p => new Set(tops(p)).size),
                lines: new Set(tops(code)).size,
            };
        })"""
    )
    long_keys = [k for k in lines if k["key"].startswith("org.opencontainers.image.")]
    assert long_keys
    for key in long_keys:
        assert key["lines"] > 1, key  # the key did not fit on one line ...
        assert set(key["partLines"]) == {1}, key  # ... and broke only between its parts


def test_empty_matrix_and_unmatched_filter_say_what_is_going_on(
    page: Page, site_url: str, artifacts: Path
) -> None:
    page.goto(site_url + "lab/old/empty/_platforms/index.html")
    expect(page.locator("main")).to_contain_text(
        "This repository has no tags, so there are no platforms to lay out."
    )
    page.goto(site_url + "lab/charts/demo/_platforms/index.html")
    expect(page.locator("main")).to_contain_text("These tags are artifacts")

    page.goto(site_url + "lab/apps/worker/index.html")
    page.get_by_role("searchbox", name="Filter tags").fill("nothing-like-it")
    expect(page.locator("#tag-table td.no-match")).to_have_text(
        "No tag, digest or platform matches \u201cnothing-like-it\u201d. "
        "Clear the filter to see all 4 tags."
    )
    shot(page, artifacts, "repository-no-match")
    page.get_by_role("button", name="Clear the filter").click()
    assert first_column(page) == ["v2.0.0", "v2.0.0-rc1", "v1.9.0", "main"]
