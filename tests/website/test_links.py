"""The whole built site: every page is valid HTML5 and every internal link resolves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest

from lab.registry import RunningRegistry
from tests.helpers import run_cli, write_config

_SRCSET_SPLIT = re.compile(r"\s*,\s*")


def _links(document: object) -> list[tuple[str, str]]:
    found = []
    for element in document.iter():  # type: ignore[attr-defined]
        tag = element.tag.rpartition("}")[2]
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value is not None:
                found.append((tag, value))
    return found


def test_every_page_parses_and_every_internal_link_resolves(built_site: Path) -> None:
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 50
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    checked = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        try:
            document = parser.parse(text)
        except html5lib.html5parser.ParseError as exc:  # pragma: no cover - failure path
            pytest.fail(f"{page.relative_to(built_site)}: not valid HTML5: {exc}")
        for tag, link in _links(document):
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                assert parts.scheme in ("http", "https", "mailto", "data"), (page, link)
                continue  # external: labels and descriptions may link anywhere
            if page.name == "404.html":
                continue  # served from any missing path: see test_404_page
            assert not link.startswith("/"), f"{page.relative_to(built_site)}: absolute {link}"
            if not parts.path:
                continue  # "#fragment" or "?query" on the same page
            target = (page.parent / unquote(parts.path)).resolve()
            assert built_site.resolve() in target.parents or target == built_site.resolve()
            assert target.is_file(), f"{page.relative_to(built_site)}: {tag} {link} is missing"
            checked += 1
    assert checked > 500


def test_every_page_has_its_json(built_site: Path) -> None:
    for page in built_site.rglob("index.html"):
        if "pagefind" in page.parts:
            continue
        data = json.loads((page.parent / "index.json").read_text())
        assert data["schema"] == 1 and data["kind"]


def test_no_cdn_everything_is_local(built_site: Path) -> None:
    for page in built_site.rglob("*.html"):
        text = page.read_text()
        for match in re.finditer(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text):
            assert not match.group(1).startswith(("http:", "https:", "//")), (page, match.group(0))


def test_nojekyll_and_no_sitemap_without_url(built_site: Path) -> None:
    assert (built_site / ".nojekyll").is_file()
    assert not (built_site / "sitemap.xml").exists()
    assert "canonical" not in (built_site / "index.html").read_text()


def test_sitemap_and_canonical_links_with_site_url(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    write_config(
        tmp_path,
        f"""
        site:
          url: https://example.github.io/catalog
        registries:
          - name: lab
            url: {plain_registry.url}
            repositories: [apps/web]
        """,
    )
    assert run_cli(["build"], tmp_path).exit_code == 0
    site = tmp_path / "site"
    sitemap = (site / "sitemap.xml").read_text()
    assert "<loc>https://example.github.io/catalog/lab/apps/web/</loc>" in sitemap
    assert "<loc>https://example.github.io/catalog/lab/apps/web/_tags/v1.2.0/</loc>" in sitemap
    html5lib.HTMLParser(strict=True).parse((site / "index.html").read_text())
    page = (site / "lab" / "apps" / "web" / "index.html").read_text()
    assert '<link rel="canonical" href="https://example.github.io/catalog/lab/apps/web/">' in page


def test_404_page(tmp_path: Path, plain_registry: RunningRegistry, built_site: Path) -> None:
    # Without site.url, links start at "/" and a script (allowed by its hash) finds the
    # catalog's root when it is deeper: see tests/website/test_publishing.py.
    text = (built_site / "404.html").read_text()
    assert "Page not found" in text
    assert 'href="/index.html"' in text and 'href="/search/index.html"' in text
    write_config(
        tmp_path,
        f"site:\n  url: https://example.github.io/catalog/\nregistries:\n"
        f"  - name: lab\n    url: {plain_registry.url}\n    repositories: [public/hello]\n",
    )
    assert run_cli(["build"], tmp_path).exit_code == 0
    text = (tmp_path / "site" / "404.html").read_text()
    assert 'href="https://example.github.io/catalog/index.html"' in text
    assert 'href="https://example.github.io/catalog/static/site.css"' in text


def test_big_repository_pages_stay_small(tmp_path: Path) -> None:
    """1,000 tags: no page over 200 KB of HTML; every tag still reachable without JS."""
    from lab.fakeregistry import FakeRegistry
    from lab.images import image, index
    from sitegen.build import build
    from sitegen.config import load_config

    fake = FakeRegistry()
    arm = image(architecture="arm64", variant="v8", files=({"/x": b"arm"},))
    for n in range(1000):
        amd = image(
            created=f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}Z", files=({"/x": str(n).encode()},)
        )
        fake.add("big/app", index([amd, arm]) if n % 5 == 0 else amd, [f"1.{n}.0"])
    config = write_config(tmp_path, "registries:\n  - name: fake\n    url: https://registry.test\n")
    result = build(
        load_config(config, environ={}), tmp_path / "site", cache_dir=None, transport=fake.transport
    )
    assert result.failures == ()
    site = tmp_path / "site"
    largest = max((p.stat().st_size, p) for p in site.rglob("*.html"))
    assert largest[0] < 200_000, largest
    repo = site / "fake" / "big" / "app"
    linked: set[str] = set()
    for page in [repo / "index.html", *sorted((repo / "_pages").glob("*/index.html"))]:
        linked.update(re.findall(r'/_tags/([^/"]+)/index\.html"', page.read_text()))
    assert len(linked) == 1000
    assert (repo / "_tags.js").read_text().count('"name":') == 1000
