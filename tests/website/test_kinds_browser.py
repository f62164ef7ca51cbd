"""What a reader sees of what is not a single image: a Helm chart, a multi-platform
image and a repository whose tags were all deleted. Screenshots go to
test-artifacts/screenshots/ at 1366 and 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from lab.website import DESKTOP, PHONE
from tests.website.conftest import clean_page

pytestmark = pytest.mark.browser


@pytest.fixture(params=[DESKTOP, PHONE], ids=["wide", "narrow"])
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    with clean_page(browser, request.param, console=()) as opened:
        yield opened


def shot(page: Page, artifacts: Path, name: str) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)


def commands(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".pulls .pull-cmd").all_inner_texts()]


def test_helm_chart_tag_page(page: Page, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "lab/charts/demo/_tags/0.1.0/index.html")
    expect(page.locator("h1 .badge")).to_have_text("Helm chart")
    assert commands(page) == [
        "helm pull oci://registry.example.com/charts/demo --version 0.1.0",
        "helm install demo oci://registry.example.com/charts/demo --version 0.1.0",
    ]
    # No docker pull, and so no docker/podman switch either.
    expect(page.get_by_text("docker pull")).to_have_count(0)
    expect(page.get_by_role("button", name="podman")).to_have_count(0)
    expect(page.locator("dl.facts").first).to_contain_text("demo version 0.1.0 · app version 1.2.0")
    expect(page.get_by_role("heading", name="Platforms")).to_have_count(0)
    shot(page, artifacts, "helm-chart-tag")
    # The repository's tag list says it is a chart, not a platform.
    page.goto(site_url + "lab/charts/demo/index.html")
    row = page.locator("#tag-table tbody tr").first
    expect(row.locator(".badge")).to_have_text("Helm chart")


def test_multi_platform_tag_page(page: Page, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "lab/base/alpine/_tags/3.20.1/index.html")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("(one platform: linux/amd64)")
    expect(facts).to_contain_text("(all platforms together)")
    # The default platform's image is shown inline.
    expect(page.get_by_role("heading", name="The linux/amd64 image")).to_be_visible()
    expect(page.locator(".inline-platform")).to_contain_text("Layers")
    # One pull-by-digest command per platform, switchable to podman.
    per_platform = page.locator(".platform-pulls .pull")
    expect(per_platform).to_have_count(3)
    arm64 = per_platform.filter(has_text="linux/arm64/v8").locator(".pull-cmd")
    expect(arm64).to_contain_text("docker pull registry.example.com/base/alpine@sha256:")
    shot(page, artifacts, "multi-platform-tag")
    # The switcher: the default platform is current, the others are links that work
    # without JavaScript.
    switcher = page.get_by_role("navigation", name="Platforms of this image")
    expect(switcher.locator("[aria-current]")).to_have_text("linux/amd64")
    switcher.get_by_role("link", name="linux/arm/v7").click()
    expect(page.locator("h1 .platform")).to_have_text("linux/arm/v7")


def test_emptied_repository_page(page: Page, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "lab/old/empty/index.html")
    expect(page.get_by_role("status")).to_contain_text("All tags deleted.")
    expect(page.locator(".pull-cmd")).to_have_count(0)
    expect(page.get_by_text("docker pull")).to_have_count(0)
    shot(page, artifacts, "emptied-repository")
