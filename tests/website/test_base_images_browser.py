"""Base images as a reader sees them, at 1366 and 390 px: the demo's images built on
``base/alpine`` (``lab.basesamples``), built, then built again after the next night's
release moved ``base/alpine:3.20`` and ``3``. The Rebuild page, a stale tag page (its
alert and Base image section), the badge in the tag list drawn by script and in the
header card, and the Bases page; nothing wider than the screen. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ViewportSize, expect

from lab.basesamples import push_base_samples
from lab.registry import running_registry
from lab.samples import push_samples, release_update
from lab.website import DESKTOP, PHONE, serve_directory
from tests.helpers import run_cli, write_config
from tests.website.conftest import clean_page, fits

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def moved_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's catalog after ``base/alpine`` moved, served on loopback."""
    root = tmp_path_factory.mktemp("moved-base")
    with running_registry(root / "registry") as registry:
        push_samples(registry)
        push_base_samples(registry)
        write_config(
            root,
            f"registries:\n  - name: lab\n    url: {registry.url}\n"
            "    pull_host: registry.example.com\n",
        )
        # Built in a thread of its own: the browser's event loop may run in this one.
        with ThreadPoolExecutor(1) as worker:
            for step in ("first", "second"):
                if step == "second":
                    release_update(registry)
                result = worker.submit(run_cli, ["build"], root).result()
                assert result.exit_code == 0, result.output
    with serve_directory(root / "site") as url:
        yield url


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_rebuild_page_and_a_stale_tag_page_fit(
    browser: Browser, moved_url: str, artifacts: Path, viewport: ViewportSize
) -> None:
    with clean_page(browser, viewport, mobile=viewport == PHONE) as page:
        page.goto(moved_url + "index.html")
        page.locator(".home-nav").get_by_role("link", name="Rebuild").click()
        expect(page.locator("h1")).to_have_text("Rebuild")
        groups = page.locator("main section")
        expect(groups).to_have_count(2)
        expect(groups.first.locator("h2")).to_have_text("registry.example.com/base/alpine:3.20")
        # apps/api:1.4.0 and :latest are one image: a row per platform, naming both tags.
        rows = groups.first.locator("table.built-on tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("also tagged latest")
        page.screenshot(path=str(artifacts / f"rebuild-{viewport['width']}.png"), full_page=True)
        fits(page, "main section, .table-wrap, table.built-on")
        results: Any = Axe().run(page, context="main")
        assert results.violations_count == 0, results.generate_report()

        groups.first.locator("tbody a", has_text="apps/api:1.4.0").first.click()
        alert = page.locator("main > .base-moved")
        expect(alert).to_contain_text("Base image has moved: rebuild.")
        expect(alert).to_contain_text("2 of 2 platforms")
        section = page.locator("section[aria-labelledby=base-h]")
        expect(section.locator(".badge-stale-base")).to_have_count(2)
        fits(page, "main > .base-moved, section[aria-labelledby=base-h] table")
        section.screenshot(path=str(artifacts / f"base-section-{viewport['width']}.png"))

        section.locator("tbody td a").first.click()  # the amd64 platform's page
        expect(page.locator("main > .base-moved")).to_contain_text("now points to")
        single = page.locator("section[aria-labelledby=base-h] dl")
        expect(single).to_contain_text("annotations")
        expect(single).to_contain_text("moved since this image was built")
        fits(page, "main > .base-moved, section[aria-labelledby=base-h]")


def test_stale_base_badges_in_lists_and_on_the_bases_page(
    browser: Browser, moved_url: str, artifacts: Path
) -> None:
    with clean_page(browser) as page:
        page.goto(moved_url + "lab/apps/api/index.html")
        expect(page.locator("section.recommended h2 .badge-stale-base")).to_have_text("stale base")
        rows = page.locator("#tag-table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.locator(".badge-stale-base")).to_have_count(2)
        page.goto(moved_url + "lab/apps/cron/index.html")
        expect(page.locator("#tag-table tbody tr")).to_have_count(1)
        expect(page.locator(".badge-stale-base")).to_have_count(0)

        page.goto(moved_url + "bases/index.html")
        headings = page.locator("main section h2")
        expect(headings.first).to_have_text("registry.example.com/base/alpine:3.20")
        expect(page.locator("main")).to_contain_text("registry.example.com/base/alpine:3.20.1")
        expect(page.locator("#ambiguous-h")).to_be_visible()  # the real statement's stages
        page.screenshot(path=str(artifacts / "bases-1366.png"), full_page=True)
