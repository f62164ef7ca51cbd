"""The signatures section as a reader sees it, at 1366 and 390 px: the claims of the
demo's keyless signature on a multi-platform image, the note that sitegen did not
verify them, a verify command that can be copied whole, the signed badge. Screenshots
go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page

pytestmark = pytest.mark.browser

IDENTITY = (
    "https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/"
    "release.yaml@refs/tags/v0.0.30"
)
ISSUER = "https://token.actions.githubusercontent.com"


@pytest.fixture(params=[DESKTOP, PHONE], ids=["wide", "narrow"])
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    with clean_page(browser, request.param, (), mobile=request.param is PHONE) as opened:
        yield opened


def test_signatures_section(page: Page, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "lab/tools/cli/_tags/1.0/index.html")
    page.wait_for_load_state("networkidle")
    section = page.locator("section[aria-labelledby=supply-h]")
    expect(section.locator(".unverified")).to_contain_text("Not verified by sitegen.")
    card = section.locator(".signature")
    expect(card).to_have_count(1)
    expect(card.locator("dd").filter(has_text=IDENTITY)).to_be_visible()
    expect(card.locator("dd").filter(has_text=ISSUER)).to_be_visible()
    expect(card).to_contain_text("Rekor bundle")
    expect(card.locator("time")).to_have_attribute("datetime", "2026-02-27T18:20:46Z")
    command = card.locator(".pull-cmd")
    expect(command).to_have_text(
        f"cosign verify --certificate-identity {IDENTITY} --certificate-oidc-issuer {ISSUER}"
        " registry.example.com/tools/cli@"
        "sha256:a4c65d53a1a3f30a8675a0c51e59f80ec8de822d0578778fbfe3971a332cd3f4"
    )
    # Nothing is wider than the screen, and the command is not cut off.
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.signature, .signature .pull-cmd')].filter(e =>
            e.getBoundingClientRect().right > innerWidth || e.scrollWidth > e.clientWidth
        ).length"""
    )
    assert cut == 0
    results: Any = Axe().run(page, context="section[aria-labelledby=supply-h]")
    assert results.violations_count == 0, results.generate_report()
    width = page.viewport_size["width"] if page.viewport_size else 0
    section.screenshot(path=str(artifacts / f"signatures-{width}.png"))


def test_signed_badge_in_the_tag_list_drawn_by_script(page: Page, site_url: str) -> None:
    page.goto(site_url + "lab/tools/cli/index.html")
    page.wait_for_load_state("networkidle")
    header = page.locator("section.recommended h2")
    expect(header.locator(".badge-signed")).to_have_text("signed")
    rows = page.locator("#tag-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator(".badge-signed")).to_have_count(2)
    # An unsigned repository's rows have none.
    page.goto(site_url + "lab/public/hello/index.html")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#tag-table tbody tr").first).to_be_visible()
    expect(page.locator(".badge-signed")).to_have_count(0)
