"""The crawl address (a registry's ``url``, often an internal host) appears nowhere on
the site unless its config says ``show_url``: not in pages, JSON, feeds, the sitemap,
the search index or the error messages pages show. Pages show the pull host."""

from __future__ import annotations

from pathlib import Path

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from tests.helpers import file_text, read_page, write_config

CONFIG = """
site:
  title: Public catalog
  url: https://example.github.io/catalog/
registries:
  - name: internal
    url: https://crawl-only.corp.internal:8443
    pull_host: images.example.com
    repositories: [apps/web, base/alpine, gone/away]
"""


def build_site(tmp_path: Path, text: str) -> Path:
    config = load_config(write_config(tmp_path, text), environ={})
    build(config, tmp_path / "site", cache_dir=None, transport=from_samples().transport)
    return tmp_path / "site"


def every_file(site: Path) -> dict[str, str]:
    """Every file's text, gzip'd ones (Pagefind's index) unpacked."""
    return {str(p.relative_to(site)): file_text(p) for p in sorted(site.rglob("*")) if p.is_file()}


def test_the_crawl_address_is_in_no_file_of_the_site(tmp_path: Path) -> None:
    site = build_site(tmp_path, CONFIG)
    found = every_file(site)
    assert any(name.startswith("pagefind/fragment/") for name in found)  # the index is there
    assert [name for name, text in found.items() if "crawl-only" in text.lower()] == []
    # What would have named it: a repository that failed, with the request it failed on.
    html, data = read_page(site, "internal/gone/away/")
    assert data["error"] and "images.example.com/v2/gone/away" in data["error"]
    assert "images.example.com/v2/gone/away" in html
    health, health_data = read_page(site, "health/")
    assert health_data["registries"][0]["url"] == ""
    assert health_data["registries"][0]["pull_host"] == "images.example.com"
    assert "images.example.com" in health


def test_show_url_shows_it(tmp_path: Path) -> None:
    site = build_site(tmp_path, CONFIG.replace("pull_host:", "show_url: true\n    pull_host:"))
    health, data = read_page(site, "health/")
    assert data["registries"][0]["url"] == "https://crawl-only.corp.internal:8443"
    assert "https://crawl-only.corp.internal:8443" in health
    _, failed = read_page(site, "internal/gone/away/")
    assert "https://crawl-only.corp.internal:8443/v2/gone/away" in failed["error"]
