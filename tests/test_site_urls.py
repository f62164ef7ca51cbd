"""Where the site's pages and files are, as a reader finds them: a registry may take any
name, even one of the site's own top-level names, and still get its own pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab.fakeregistry import FakeRegistry
from lab.images import image
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import write_config

# The site's own top-level directories: docs/configuration.md and docs/site.md name them.
SITE_DIRECTORIES = [
    "api",
    "bases",
    "changes",
    "feeds",
    "health",
    "pagefind",
    "rebuild",
    "search",
    "static",
]
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _json(site: Path, path: str) -> Any:
    return json.loads((site / path).read_text())


def test_the_documented_top_level_names_are_the_sites_own() -> None:
    assert sorted(n for n in paths.TOP_LEVEL_NAMES if "." not in n) == SITE_DIRECTORIES


def test_a_registry_named_like_a_page_of_the_site_gets_its_own_pages(tmp_path: Path) -> None:
    fake = FakeRegistry()
    # A repository may be called like a top-level directory too: it lives below its registry.
    fake.add("search", image(files=({"/a": b"a"},)), ["1.0"])
    fake.add("team/app", image(files=({"/b": b"b"},)), ["latest"])
    registries = "".join(
        f"  - name: {name}\n    url: https://registry.test\n" for name in SITE_DIRECTORIES
    )
    config = write_config(
        tmp_path, f"site:\n  url: https://example.test/catalog/\nregistries:\n{registries}"
    )
    result = build(
        load_config(config, environ={}), tmp_path / "site", cache_dir=None, transport=fake.transport
    )
    assert result.failures == ()
    site = tmp_path / "site"

    catalog = _json(site, "api/catalog.json")
    assert [r["path"] for r in catalog["registries"]] == [f"{n}~/" for n in SITE_DIRECTORIES]
    home = (site / "index.html").read_text()
    for name in SITE_DIRECTORIES:
        registry = _json(site, f"{name}~/index.json")
        assert (registry["kind"], registry["name"]) == ("registry", name)
        assert f'href="{name}~/index.html">{name}</a>' in home
        search = _json(site, f"{name}~/search/index.json")
        assert (search["kind"], search["repository"]) == ("repository", "search")
        tag = _json(site, f"{name}~/search/_tags/1.0/index.json")
        assert (tag["kind"], tag["registry"]) == ("tag", name)
        assert (site / f"{name}~/team/app/_tags/latest/index.html").is_file()

    # The site's own pages and files are where they always are.
    assert _json(site, "search/index.json")["kind"] == "search"
    assert _json(site, "changes/index.json")["kind"] == "changes"
    assert _json(site, "health/index.json")["kind"] == "health"
    assert (site / "feeds/changes.xml").read_text().startswith("<?xml")
    assert (site / "static/site.css").is_file()
    sitemap = (site / "sitemap.xml").read_text()
    assert "<loc>https://example.test/catalog/search~/</loc>" in sitemap
    assert "<loc>https://example.test/catalog/search/</loc>" in sitemap


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.rglob("*.*")))
def test_templates_take_the_sites_paths_from_paths_py(template: str) -> None:
    """No template spells out a page or file of the site: ``urls`` and page data hold them."""
    text = next(TEMPLATES.rglob(template)).read_text()
    for name in paths.TOP_LEVEL_NAMES:
        spelled = name + "/" if "." not in name else name
        assert spelled not in text, f"{template} spells out {spelled!r}"
    for name in (
        f"{paths.TAGS_DIR}/",
        f"{paths.DIGESTS_DIR}/",
        paths.TAG_DATA_FILE,
        paths.FEED_FILE,
    ):
        assert name not in text, f"{template} spells out {name!r}"


def test_the_search_script_loads_the_index_where_the_build_writes_it() -> None:
    script = (TEMPLATES.parent / "static" / "site.js").read_text()
    assert f'"{paths.SEARCH_INDEX_DIR}pagefind.js"' in script
