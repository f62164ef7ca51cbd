"""Vulnerabilities as a reader sees them, at 1366 and 390 px: the sample apps/web v1.2.0
carries a real Trivy report and an OpenVEX document as referrers. Its tag page counts
the findings as reported and after VEX and lists them in a table filtered in place as
one types; the badge in the tag list (also in the rows drawn by script); an image
without a report says so. Screenshots go to test-artifacts/screenshots/."""

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
def test_findings_counted_filtered_and_fitting(
    browser: Browser, site_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    phone = viewport == PHONE
    with clean_page(browser, viewport, mobile=phone) as page:
        page.goto(site_url + "lab/apps/web/_tags/v1.2.0/index.html")
        section = page.locator("section[aria-labelledby=vulnerabilities-h]")
        expect(section.locator(".unverified")).to_contain_text("sitegen runs no scanner")
        counts = section.locator("table.severity-counts")
        expect(section.locator(".vex-effect")).to_have_text(
            "1 not affected per VEX, not counted after VEX."
        )
        expect(counts.locator("tbody tr").nth(1)).to_contain_text("After VEX")
        rows = section.locator("table.findings tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first.locator("a")).to_have_attribute(
            "href", "https://avd.aquasec.com/nvd/cve-2019-18224"
        )
        expect(rows.nth(1)).to_contain_text("not affected")
        expect(rows.nth(1)).to_contain_text("no fix")
        search = section.get_by_label("Filter findings")
        search.fill("bash not affected")
        expect(rows.locator("visible=true")).to_have_count(1)
        expect(rows.locator("visible=true")).to_contain_text("CVE-2019-18276")
        expect(section.locator("[role=status]")).to_have_text("1 of 2 findings match")
        search.fill("critical")
        expect(rows.locator("visible=true")).to_have_count(1)
        expect(rows.locator("visible=true")).to_contain_text("libidn2-0")
        search.fill("no-such-thing")
        expect(rows.locator("visible=true")).to_have_count(0)
        search.fill("")
        expect(rows.locator("visible=true")).to_have_count(2)
        expect(section.locator(".vex")).to_contain_text("1 of 1 apply to this image")
        fits(page, "section[aria-labelledby=vulnerabilities-h], .vulnerabilities, .vex")
        results: Any = Axe().run(page, context="section[aria-labelledby=vulnerabilities-h]")
        assert results.violations_count == 0, results.generate_report()
        section.screenshot(path=str(artifacts / f"vulnerabilities-{viewport['width']}.png"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_vulnerability_badge_in_the_tag_list_drawn_by_script(
    browser: Browser, site_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    with clean_page(browser, viewport, mobile=viewport == PHONE) as page:
        page.goto(site_url + "lab/apps/web/index.html")
        header = page.locator("section.recommended h2 .badge-vuln")
        expect(header).to_have_text("1 critical")
        expect(header).to_have_class("badge badge-vuln badge-vuln-critical")
        expect(header).to_be_in_viewport()
        table = page.locator("#tag-table")
        # Sorting redraws the rows from _tags.js: the badges come from the script.
        table.locator("thead th[data-sort=size] button").click()
        rows = table.locator("tbody tr")
        expect(rows.first).to_be_visible()
        expect(rows.locator(".badge-vuln")).to_have_count(2)  # v1.2.0 and latest
        expect(rows.locator(".badge-vuln").first).to_have_text("1 critical")
        fits(page, "section.recommended, #tag-table .badge-vuln")
        page.locator("section.recommended").screenshot(
            path=str(artifacts / f"vulnerability-badge-{viewport['width']}.png")
        )
        # An image without a report: no badge, and its page says so.
        page.goto(site_url + "lab/apps/worker/index.html")
        expect(page.locator("#tag-table tbody tr").first).to_be_visible()
        expect(page.locator(".badge-vuln")).to_have_count(0)
        page.goto(site_url + "lab/apps/worker/_tags/v2.0.0/index.html")
        expect(page.locator("section[aria-labelledby=vulnerabilities-h]")).to_contain_text(
            "No vulnerability report attached."
        )
