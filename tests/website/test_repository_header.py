"""The repository page as a reader sees it: the recommended tag's card, what the labels
answer, and the tags grouped by image (with and without JavaScript)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with clean_page(browser) as opened:
        yield opened


def card(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("region", name="Recommended: 3.20.1")


def test_the_header_card_recommends_a_tag_and_says_how_to_pull_it(
    page: Page, site_url: str, artifacts: Path
) -> None:
    page.goto(site_url + "lab/base/alpine/index.html")
    recommended = card(page)
    expect(recommended).to_be_visible()
    expect(recommended).to_contain_text("The newest stable version.")
    expect(recommended.locator(".alias")).to_have_text(["3.20", "3", "latest"])
    expect(recommended).to_contain_text("linux/amd64")
    expect(recommended).to_contain_text("total stored for all platforms")
    commands = recommended.locator("code.pull-cmd")
    expect(commands.nth(0)).to_have_text("docker pull registry.example.com/base/alpine:3.20.1")
    expect(commands.nth(1)).to_have_text(
        re.compile(r"^docker pull registry\.example\.com/base/alpine@sha256:[0-9a-f]{64}$")
    )
    # The labels answer where it comes from: the commit on GitHub, the licence.
    commit = page.get_by_role("link", name=re.compile(r"^[0-9a-f]{12}$"))
    expect(commit).to_have_attribute(
        "href", re.compile(r"^https://github\.com/example/alpine-base/commit/[0-9a-f]{40}$")
    )
    expect(page.locator("dl.about")).to_contain_text("MIT")
    page.screenshot(path=str(artifacts / "repository-header-wide.png"), full_page=True)


def test_latest_and_prereleases_are_marked_in_the_tag_table(page: Page, site_url: str) -> None:
    page.goto(site_url + "lab/base/alpine/index.html")
    latest = page.locator("#tag-table tbody tr", has_text="latest")
    expect(latest.locator(".points-to")).to_have_text("= 3.20.1")
    page.goto(site_url + "lab/apps/worker/index.html")
    rc = page.locator("#tag-table tbody tr", has=page.get_by_role("link", name="v2.0.0-rc1"))
    expect(rc.locator(".badge-pre")).to_have_text("pre-release")
    final = page.locator(
        "#tag-table tbody tr", has=page.get_by_role("link", name="v2.0.0", exact=True)
    )
    expect(final.locator(".badge-pre")).to_have_count(0)
    # The worker has a stable version: the rc is never the recommendation.
    expect(page.get_by_role("region", name="Recommended: v2.0.0")).to_be_visible()


def test_group_by_image_toggles_and_the_tag_table_still_sorts(
    page: Page, site_url: str, artifacts: Path
) -> None:
    page.goto(site_url + "lab/base/alpine/index.html")
    images = page.locator("#image-table")
    tags = page.locator("#tag-table")
    expect(images).to_be_hidden()
    page.get_by_role("button", name="Group by image").click()
    expect(images).to_be_visible()
    expect(tags).to_be_hidden()
    rows = images.locator("tbody tr")
    expect(rows).to_have_count(2)
    # Each tag's name first (its badges, such as provenance, follow it).
    expect(rows.nth(0).locator(".image-tags li")).to_have_text(
        [
            re.compile(rf"^{re.escape(name)}\b")
            for name in ("3.20.1", "3.20", "3", "latest = 3.20.1")
        ]
    )
    expect(rows.nth(1).locator(".image-tags li")).to_have_text([re.compile(r"^3\.19\.4\b")])
    page.screenshot(path=str(artifacts / "repository-by-image.png"), full_page=True)
    page.get_by_role("button", name="All tags, one per row").click()
    expect(tags).to_be_visible()
    expect(images).to_be_hidden()
    tags.locator("thead").get_by_role("button", name="Tag").click()  # oldest version first
    expect(tags.locator("tbody tr td:first-child a")).to_have_text(
        ["latest", "3", "3.19.4", "3.20", "3.20.1"]
    )
    # A link to #images opens the grouped view.
    page.goto(site_url + "lab/base/alpine/index.html#images")
    expect(images).to_be_visible()
    expect(tags).to_be_hidden()


def test_grouped_view_without_javascript(browser: Browser, site_url: str) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site_url + "lab/base/alpine/index.html")
        expect(page.locator("#tag-table tbody tr")).to_have_count(5)
        expect(page.locator("#image-table tbody tr")).to_have_count(2)
        page.get_by_role("link", name="Group by image").click()
        expect(page).to_have_url(re.compile(r"#images$"))
        expect(card(page)).to_be_visible()
    finally:
        context.close()


def test_the_header_card_fits_a_phone(browser: Browser, site_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(site_url + "lab/base/alpine/index.html")
        box = card(page).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        page.screenshot(path=str(artifacts / "repository-header-phone.png"), full_page=True)
    finally:
        context.close()
