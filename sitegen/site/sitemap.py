"""``sitemap.xml`` (sitemaps.org) for a site whose URL is known: every page, split into
parts under an index above 50,000 pages. Written by the ``sitemap.xml`` and
``sitemap_index.xml`` templates."""

from __future__ import annotations

from sitegen.site import paths
from sitegen.site.render import Renderer

SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)


def sitemaps(renderer: Renderer, site_url: str, page_paths: list[str]) -> dict[str, str]:
    """``sitemap.xml`` (an index when there are more than 50,000 pages) and its parts,
    by their paths in the site."""
    urls = [f"{site_url}{path}" for path in page_paths]
    chunks = [urls[i : i + SITEMAP_LIMIT] for i in range(0, len(urls), SITEMAP_LIMIT)] or [[]]
    if len(chunks) == 1:
        return {paths.SITEMAP_FILE: renderer.xml("sitemap.xml", locations=chunks[0])}
    files = {
        paths.sitemap_part(n): renderer.xml("sitemap.xml", locations=chunk)
        for n, chunk in enumerate(chunks, 1)
    }
    index = [f"{site_url}{name}" for name in files]
    files[paths.SITEMAP_FILE] = renderer.xml("sitemap_index.xml", locations=index)
    return files
