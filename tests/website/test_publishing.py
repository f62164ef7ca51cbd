"""What a reader sees of the build's freshness and of the 404 page, in Chromium, and
what ``sitegen serve`` answers for a missing path (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import re
import shutil
import threading
import urllib.error
import urllib.request
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from lab.fakeregistry import from_samples
from lab.website import DESKTOP, PHONE, running, serve_directory
from sitegen.build import build
from sitegen.cli import site_server
from sitegen.config import load_config
from tests.helpers import write_config

pytestmark = pytest.mark.browser

CONFIG = """
site:
  title: Fresh catalog
  stale_after: 2h
registries:
  - name: lab
    url: https://registry.test
"""


def build_site(directory: Path, epoch: str | None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Build the sample catalog, with ``SOURCE_DATE_EPOCH`` = ``epoch`` (None: now)."""
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    config = load_config(write_config(directory, CONFIG), environ={})

    def run() -> None:
        fake = from_samples()
        build(config, directory / "site", cache_dir=directory / "cache", transport=fake.transport)

    # In a thread of its own: Playwright's event loop runs in this one.
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert (directory / "site" / "index.html").is_file()
    return directory / "site"


def serving(root: Path) -> AbstractContextManager[str]:
    """``sitegen serve``'s server for ``root`` on a free port of 127.0.0.1."""
    return running(site_server(root, 0))


def test_an_old_catalog_warns_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Browser, artifacts: Path
) -> None:
    site = build_site(tmp_path, "1717200000", monkeypatch)  # 2024-06-01: long ago
    with serve_directory(site) as url:
        for size, name in ((DESKTOP, "wide"), (PHONE, "narrow")):
            page = browser.new_page(viewport=size)
            for path in ("index.html", "lab/apps/web/index.html", "health/index.html"):
                page.goto(url + path)
                warning = page.locator("#stale-warning")
                expect(warning).to_be_visible()
                expect(warning).to_contain_text("This catalog was built")
                expect(warning).to_contain_text("2024-06-01 00:00 UTC")
                expect(page.locator("footer")).to_contain_text("Catalog built 2024-06-01 00:00 UTC")
            cell = page.locator("td[data-last-success=lab]")
            expect(cell).to_have_text(re.compile(r"^2024-06-01 00:00 UTC \(took [0-9.]+ s\)$"))
            page.screenshot(path=str(artifacts / f"health-stale-{name}.png"), full_page=True)
            page.close()


def test_a_fresh_catalog_says_when_it_was_built_and_does_not_warn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Browser
) -> None:
    site = build_site(tmp_path, None, monkeypatch)
    page = browser.new_page(viewport=DESKTOP)
    page.goto((site / "index.html").as_uri())  # from disk: the stamp loads too
    expect(page.locator("footer")).to_contain_text("Catalog built 20")
    expect(page.locator("#stale-warning")).to_be_hidden()
    page.close()


def test_serve_answers_a_missing_path_with_the_404_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = build_site(tmp_path, "1717200000", monkeypatch)
    with serving(site) as url:
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "a/b/c/missing")
        assert missing.value.code == 404
        assert missing.value.headers["Content-Type"] == "text/html; charset=utf-8"
        assert missing.value.read() == (site / "404.html").read_bytes()
        with urllib.request.urlopen(url + "index.html") as found:
            assert found.status == 200


@pytest.mark.parametrize("prefix", ["", "catalog/"])
def test_the_404_page_links_home_and_to_search_from_any_depth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Browser, artifacts: Path, prefix: str
) -> None:
    site = build_site(tmp_path, "1717200000", monkeypatch)
    root = site
    if prefix:  # published under a sub-path without site.url, as a GitHub project page
        root = tmp_path / "published"
        shutil.copytree(site, root / prefix)
        shutil.copy(site / "404.html", root / "404.html")
    with serving(root) as url:
        for size, name in ((DESKTOP, "wide"), (PHONE, "narrow")):
            page = browser.new_page(viewport=size)
            page.goto(f"{url}{prefix}lab/a/b/c/missing")
            expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
            home = page.get_by_role("link", name="Go to the Fresh catalog home page")
            expect(home).to_have_attribute("href", f"/{prefix}index.html")
            # Styled like the site: its stylesheet applies.
            expect(page.locator("header.top")).to_have_css("display", "block")
            page.screenshot(path=str(artifacts / f"404-{prefix.strip('/') or 'root'}-{name}.png"))
            page.get_by_role("link", name="Search the catalog").click()
            expect(page).to_have_url(f"{url}{prefix}search/index.html")
            page.go_back()
            home = page.get_by_role("link", name="Go to the Fresh catalog home page")
            expect(home).to_have_attribute("href", f"/{prefix}index.html")
            home.click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Fresh catalog")
            page.close()
