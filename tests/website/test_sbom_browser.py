"""SBOMs as a reader sees them, at 1366 and 390 px: the demo's base/alpine, whose BuildKit
attestations carry a real SPDX statement. The tag page has a row per platform and the
inline platform's package table, filtered in place as one types; a platform's page has
its own; the SBOM badge in the tag list. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ViewportSize, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page, fits

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_package_table_inline_filtered_and_on_a_platform_page(
    browser: Browser, site_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    with clean_page(browser, viewport) as page:
        page.goto(site_url + "lab/base/alpine/_tags/latest/index.html")
        section = page.locator("section[aria-labelledby=sbom-h]")
        expect(section.locator(".unverified")).to_contain_text("Not checked by sitegen.")
        expect(section.locator("table.sbom-platforms tbody tr")).to_have_count(3)
        inline = page.locator("section.inline-platform")
        rows = inline.locator("table.packages tbody tr")
        expect(rows).to_have_count(2)
        search = inline.get_by_label("Filter packages")
        search.fill("caarlos0 v11")
        expect(rows.locator("visible=true")).to_have_count(1)
        expect(rows.locator("visible=true")).to_contain_text("github.com/caarlos0/env/v11")
        expect(inline.locator("[role=status]")).to_have_text("1 of 2 packages match")
        search.fill("no-such-package")
        expect(rows.locator("visible=true")).to_have_count(0)
        search.fill("")
        expect(rows.locator("visible=true")).to_have_count(2)
        fits(page, "section.inline-platform .table-wrap, section[aria-labelledby=sbom-h]")
        results: Any = Axe().run(page, context="section.inline-platform .sbom")
        assert results.violations_count == 0, results.generate_report()
        inline.locator(".sbom").screenshot(
            path=str(artifacts / f"sbom-inline-{viewport['width']}.png")
        )

        section.locator("table.sbom-platforms td a").first.click()
        card = page.locator("section[aria-labelledby=sbom-h] .sbom")
        expect(card).to_have_count(1)
        expect(card.locator("dd").filter(has_text="SPDX-2.3 (BuildKit")).to_be_visible()
        expect(card.locator("a.sbom-download")).to_have_text("the SPDX-2.3 document")
        expect(card.locator("table.packages tbody tr")).to_have_count(2)
        expect(card.get_by_label("Filter packages")).to_be_visible()
        fits(page, ".sbom, .sbom .table-wrap")


def test_sbom_badge_in_the_tag_list_drawn_by_script(browser: Browser, site_url: str) -> None:
    with clean_page(browser) as page:
        page.goto(site_url + "lab/base/alpine/index.html")
        expect(page.locator("section.recommended h2 .badge-sbom")).to_have_text("SBOM")
        rows = page.locator("#tag-table tbody tr")
        expect(rows.first).to_be_visible()
        expect(rows.locator(".badge-sbom")).to_have_count(rows.count())
        page.goto(site_url + "lab/apps/worker/index.html")
        expect(page.locator("#tag-table tbody tr").first).to_be_visible()
        expect(page.locator(".badge-sbom")).to_have_count(0)
