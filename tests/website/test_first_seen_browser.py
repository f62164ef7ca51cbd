"""First seen and the new badge in a browser, on a phone and a desktop: two nights of the
real registry, so one tag is new and the others were there at the first build. The
rows the script draws again (sorted) say the same as the HTML."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from lab.images import image
from lab.registry import running_registry
from lab.website import DESKTOP, PHONE, serve_directory
from tests.helpers import run_cli, write_config
from tests.website.conftest import clean_page, fits

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built in a thread of its own: the browser's event loop may already run in this one.
    work = tmp_path_factory.mktemp("first-seen")
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(_two_nights, work).result()


def _two_nights(work: Path) -> Path:
    with running_registry(work / "registry") as registry:
        pusher = registry.pusher()
        pusher.push("team/web", image(files=({"/app": b"1.0"},)), ["1.0", "latest"])
        write_config(work, f"registries:\n  - name: lab\n    url: {registry.url}\n")
        assert run_cli(["build"], work, {"SOURCE_DATE_EPOCH": "1717200000"}).exit_code == 0
        pusher.push("team/web", image(files=({"/app": b"1.1"},)), ["1.1", "latest"])
        assert run_cli(["build"], work, {"SOURCE_DATE_EPOCH": "1717286400"}).exit_code == 0
    return work / "site"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_tag_list_and_tag_page_say_when_first_seen(
    browser: Browser, site: Path, artifacts: Path, viewport: dict[str, int]
) -> None:
    width = viewport["width"]
    with serve_directory(site) as url, clean_page(browser, viewport, mobile=width < 500) as page:  # type: ignore[arg-type]
        page.goto(url + "lab/team/web/index.html")
        table = page.locator("#tag-table")
        new = table.locator(".badge-new")
        expect(new).to_have_count(1)
        row = table.locator("tr", has=page.locator(".badge-new"))
        expect(row.get_by_role("link", name="1.1")).to_be_visible()
        # 1.0 was there at the first build: no first seen; 1.1 came the next night.
        expect(table.get_by_text("first seen", exact=False)).to_have_count(1)
        expect(table).to_contain_text("first seen 2024-06-02 00:00 UTC")
        fits(page, "#tag-table td .badge, .card")
        page.screenshot(path=str(artifacts / f"first-seen-tags-{width}.png"), full_page=True)
        # Sorted, the rows are drawn by the script: the same words and badge.
        page.get_by_role("button", name="Created").click()
        expect(table.locator(".badge-new")).to_have_count(1)
        expect(table.get_by_text("first seen", exact=False)).to_have_count(1)
        expect(
            table.locator("span[title='The first build of this catalog that listed the tag']")
        ).to_have_count(1)

        page.goto(url + "lab/team/web/_tags/1.1/index.html")
        facts = page.locator("dl.facts").first
        expect(facts).to_contain_text("First seen")
        expect(facts).to_contain_text("by this catalog: the first build that listed it")
        expect(facts.locator(".badge-new")).to_be_visible()
        fits(page, "dl.facts dd")
        page.screenshot(path=str(artifacts / f"first-seen-tag-{width}.png"), full_page=True)
        page.goto(url + "lab/team/web/_tags/1.0/index.html")
        expect(page.locator("dl.facts").first).not_to_contain_text("First seen")


def test_search_filters_to_images_with_a_new_tag(
    browser: Browser, site: Path, artifacts: Path
) -> None:
    with serve_directory(site) as url, clean_page(browser) as page:
        page.goto(url + "search/index.html?q=team%2Fweb")
        results = page.locator("ol.results li")
        # The repository, the image of 1.0, and the image of 1.1 and latest (moved to it:
        # latest is no new tag, 1.1 is, so the image is).
        expect(results).to_have_count(3)
        new = page.get_by_role("checkbox", name=re.compile(r"^new \(1\)$"))
        expect(page.locator("fieldset.facet", has=new).locator("legend")).to_have_text("First seen")
        new.check()
        expect(page).to_have_url(re.compile(r"seen=new"))
        expect(results).to_have_count(1)
        expect(results.locator("> a")).to_have_text("team/web:1.1")  # the record of 1.1 and latest
        expect(results.locator(".result-badges .badge-new")).to_have_text("new")
        expect(results).to_contain_text("also tagged")
        page.screenshot(path=str(artifacts / "first-seen-search.png"), full_page=True)
        # Kept in the URL: a reload filters the same.
        page.reload()
        expect(results).to_have_count(1)
        expect(page.get_by_role("checkbox", name=re.compile(r"^new"))).to_be_checked()


def test_every_change_is_on_a_narrow_screen(browser: Browser, site: Path) -> None:
    # The change history stacks its cells on a phone: no tag or digest is off to the
    # side, in a table that scrolls.
    with serve_directory(site) as url, clean_page(browser, PHONE, mobile=True) as page:  # type: ignore[arg-type]
        for path in ("changes/index.html", "lab/team/web/index.html"):
            page.goto(url + path)
            cells = page.evaluate(
                """() => [...document.querySelectorAll('table.history-table td')].map(td =>
                    td.getBoundingClientRect().right <= innerWidth)"""
            )
            assert cells and all(cells), path
