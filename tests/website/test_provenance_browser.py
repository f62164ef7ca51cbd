"""Provenance as a reader sees it, at 1366 and 390 px: the demo's base/alpine, whose
BuildKit attestations carry real SLSA v0.2 statements. The tag page has a row per
platform; a platform's page shows its own statement (builder, source and commit linked,
build args, materials with their digests); the provenance badge in the tag list.
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ViewportSize, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page, fits

pytestmark = pytest.mark.browser

SOURCE = "https://github.com/example/alpine-base"
BUILDER = f"{SOURCE}/actions/runs/14008088422/attempts/1"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_provenance_per_platform_and_on_a_platform_page(
    browser: Browser, site_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    with clean_page(browser, viewport) as page:
        page.goto(site_url + "lab/base/alpine/_tags/latest/index.html")
        section = page.locator("section[aria-labelledby=provenance-h]")
        expect(section.locator(".unverified")).to_contain_text("Not verified by sitegen.")
        rows = section.locator("table.provenance-platforms tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text(BUILDER)
        expect(rows.first.locator(f'a[href="{SOURCE}"]')).to_be_visible()
        fits(page, "section[aria-labelledby=provenance-h] .table-wrap")
        results: Any = Axe().run(page, context="section[aria-labelledby=provenance-h]")
        assert results.violations_count == 0, results.generate_report()
        section.screenshot(path=str(artifacts / f"provenance-index-{viewport['width']}.png"))

        rows.first.locator("td a").first.click()
        card = page.locator("section[aria-labelledby=provenance-h] .provenance")
        expect(card).to_have_count(1)
        expect(card.locator("dd").filter(has_text=BUILDER)).to_be_visible()
        commit = card.locator(f'a[href^="{SOURCE}/commit/"]')
        expect(commit).to_be_visible()
        expect(card.locator("table.kv")).to_contain_text("ALPINE_VERSION")
        materials = card.locator("table.materials tbody tr")
        expect(materials).to_have_count(3)
        expect(materials.nth(1)).to_contain_text(
            "sha256:c5adecdb7b3f8c5ca3c88648a861882849cc8b02fed68ece31e25de88ad13418"
        )
        fits(page, ".provenance, .provenance .table-wrap")
        results = Axe().run(page, context="section[aria-labelledby=provenance-h]")
        assert results.violations_count == 0, results.generate_report()
        card.screenshot(path=str(artifacts / f"provenance-platform-{viewport['width']}.png"))


def test_provenance_badge_in_the_tag_list_drawn_by_script(browser: Browser, site_url: str) -> None:
    with clean_page(browser) as page:
        page.goto(site_url + "lab/base/alpine/index.html")
        header = page.locator("section.recommended h2")
        expect(header.locator(".badge-provenance")).to_have_text("provenance")
        rows = page.locator("#tag-table tbody tr")
        expect(rows.first).to_be_visible()
        expect(rows.locator(".badge-provenance")).to_have_count(rows.count())
        # A repository without provenance has no badge.
        page.goto(site_url + "lab/apps/worker/index.html")
        expect(page.locator("#tag-table tbody tr").first).to_be_visible()
        expect(page.locator(".badge-provenance")).to_have_count(0)
