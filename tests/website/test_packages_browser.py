"""The package index as a reader uses it, at 1366 and 390 px, on the demo catalog (its web
image ships syft's SPDX of alpine; base/alpine BuildKit's per-platform SPDX): the
Packages page filtered as one types, a package page that fits a phone and links to its
images, the SBOM download from a tag page, and search by package name and version.
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ViewportSize, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page, fits

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_packages_page_is_linked_from_the_header_and_filters_in_place(
    browser: Browser, site_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    with clean_page(browser, viewport, mobile=viewport == PHONE) as page:
        page.goto(site_url + "index.html")
        page.get_by_role("navigation", name="Site").get_by_role("link", name="Packages").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Packages")
        rows = page.locator("#package-list tbody tr")
        total = rows.count()
        assert total > 10
        musl = rows.filter(has_text="musl")
        expect(musl.first).to_contain_text("alpine")
        fits(page, "main, #package-list")
        page.screenshot(path=str(artifacts / f"packages-{viewport['width']}.png"), full_page=True)
        box = page.get_by_label("Filter packages")
        box.fill("musl")
        expect(rows.locator("visible=true")).to_have_count(2)  # musl, musl-utils
        expect(page.locator(".table-controls [role=status]")).to_have_text(
            f"2 of {total} packages match"
        )
        box.fill("no-such-package")
        expect(rows.locator("visible=true")).to_have_count(0)
        box.fill("")
        expect(rows.locator("visible=true")).to_have_count(total)
        results: Any = Axe().run(page, context="main")
        assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_package_page_fits_the_screen_and_leads_to_its_images(
    browser: Browser, site_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    with clean_page(browser, viewport, mobile=viewport == PHONE) as page:
        page.goto(site_url + "packages/index.html")
        page.locator("#package-list").get_by_role("link", name="libssl1.1", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("libssl1.1")
        version = page.locator("section.package-version").first
        expect(version.locator("h2")).to_contain_text("1.1.1q-r0")
        expect(version.locator("h2")).to_contain_text("alpine")
        fits(page, "main, section.package-version, ul.package-images li")
        page.screenshot(path=str(artifacts / f"package-{viewport['width']}.png"), full_page=True)
        results: Any = Axe().run(page, context="main")
        assert results.violations_count == 0, results.generate_report()
        version.locator("ul.package-images a").first.click()
        expect(page).to_have_url(f"{site_url}lab/apps/web/_tags/v1.2.0/index.html")
        expect(page.locator("section[aria-labelledby=sbom-h]")).to_contain_text("musl")


def test_the_sbom_document_downloads_from_its_tag_page(browser: Browser, site_url: str) -> None:
    with clean_page(browser) as page:
        page.goto(site_url + "lab/apps/web/_tags/v1.2.0/index.html")
        link = page.locator("section[aria-labelledby=sbom-h] a.sbom-download")
        expect(link).to_have_text("the SPDX-2.2 document")
        href = link.get_attribute("href")
        assert href is not None and href.endswith(".spdx.json")
        answer = page.request.get(urljoin(page.url, href))
        assert answer.status == 200
        document = json.loads(answer.body())
        assert document["spdxVersion"] == "SPDX-2.2"
        assert "musl" in {p["name"] for p in document["packages"]}
        with page.expect_download() as started:
            link.click()
        assert started.value.suggested_filename.endswith(".spdx.json")


@pytest.mark.parametrize(
    ("query", "found"),
    [("musl 1.2.3", "musl"), ("libssl1.1 1.1.1q", "libssl1.1"), ("libcrypto1.1", "libcrypto1.1")],
)
def test_search_finds_a_package_by_name_and_version(
    browser: Browser, site_url: str, query: str, found: str
) -> None:
    with clean_page(browser, console=()) as page:
        page.goto(f"{site_url}search/index.html?q={quote(query)}")
        results = page.locator("ol.results li")
        expect(results.first).to_be_visible()
        first = results.first
        expect(first.locator("a").first).to_have_text(found)
        expect(first).to_contain_text("package")
        first.locator("a").first.click()
        expect(page).to_have_url(f"{site_url}packages/{found}/index.html")
        expect(page.locator("section.package-version").first).to_contain_text("apps/web")
