"""The XML files beside the pages, drawn by templates like the pages: Atom feeds whose
text comes from the config and the registries, and a sitemap in parts for a big site."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser

from sitegen.config import SiteConfig
from sitegen.model import Catalog, Change, Registry, Repository
from sitegen.site.feeds import feeds
from sitegen.site.pages.history import Timeline
from sitegen.site.render import Renderer
from sitegen.site.sitemap import SITEMAP_LIMIT, sitemaps

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAPS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
TITLE = 'Bob\'s <images> & "more"'


def test_feed_text_is_escaped_and_reads_back_as_written() -> None:
    change = Change("2024-06-01T00:00:00Z", "r", "team/app", "repository-added")
    catalog = Catalog(
        title=TITLE,
        registries=(Registry("r", "https://r.test", "r.test", (Repository("team/app"),)),),
        url="https://example.test/a&b/",
        changes=(change,),
    )
    written = dict(feeds(catalog, Timeline(catalog), Renderer(SiteConfig())))
    site_feed = written["feeds/changes.xml"]
    root = ET.fromstring(site_feed)
    assert root.findtext(f"{ATOM}title") == f"{TITLE}: changes"
    link = root.find(f"{ATOM}link[@rel='self']")
    assert link is not None and link.get("href") == "https://example.test/a&b/feeds/changes.xml"
    parsed = feedparser.parse(site_feed)
    assert not parsed.bozo and parsed.feed.title == f"{TITLE}: changes"
    assert [e.title for e in parsed.entries] == ["team/app: new repository"]
    assert "team/app/_changes.xml" in "".join(written)


def test_a_big_site_has_a_sitemap_in_parts_under_an_index() -> None:
    pages = [f"r/repo/_tags/t{n}/" for n in range(SITEMAP_LIMIT + 1)]
    files = sitemaps(Renderer(SiteConfig()), "https://example.test/", pages)
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]
    index = ET.fromstring(files["sitemap.xml"])
    assert [loc.text for loc in index.iter(f"{SITEMAPS}loc")] == [
        "https://example.test/sitemap-1.xml",
        "https://example.test/sitemap-2.xml",
    ]
    first, second = (ET.fromstring(files[f"sitemap-{n}.xml"]) for n in (1, 2))
    assert len(first.findall(f"{SITEMAPS}url")) == SITEMAP_LIMIT
    assert [loc.text for loc in second.iter(f"{SITEMAPS}loc")] == [
        f"https://example.test/r/repo/_tags/t{SITEMAP_LIMIT}/"
    ]
