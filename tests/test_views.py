"""What pages say in words that their data holds as numbers, where the golden site does
not show it: crawl problems, and counts of one."""

from __future__ import annotations

from sitegen.config import SiteConfig
from sitegen.model import Catalog, Registry, Repository
from sitegen.site.pages.catalog import build_pages
from sitegen.site.render import Renderer


def test_problems_and_counts_are_said_in_words() -> None:
    repositories = (
        Repository(name="one", problems=("tag a: manifest unknown",)),
        Repository(name="two", problems=("tag a: manifest unknown", "tag b: too large")),
    )
    catalog = Catalog(
        title="Words",
        registries=(
            Registry(
                name="many", url="https://r.test", pull_host="r.test", repositories=repositories
            ),
            Registry(
                name="single",
                url="https://s.test",
                pull_host="s.test",
                repositories=(Repository(name="x"),),
            ),
        ),
    )
    renderer = Renderer(SiteConfig())
    html = {page.path: renderer.html(page) for page in build_pages(catalog)}
    assert "<summary>1 problem while crawling</summary>" in html["many/one/"]
    assert "<summary>2 problems while crawling</summary>" in html["many/two/"]
    assert "<p>2 repositories · 0 tags</p>" in html[""]
    assert "<p>1 repository · 0 tags</p>" in html[""]
    assert '<p class="muted">1 repository · 0 tags</p>' in html["single/"]
