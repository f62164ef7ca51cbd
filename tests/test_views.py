"""What pages say in words that their data holds as numbers, where the golden site does
not show it: crawl problems, and counts of one."""

from __future__ import annotations

from sitegen.config import SiteConfig
from sitegen.model import Catalog, Change, Problem, Registry, Repository
from sitegen.site.pages.catalog import build_pages
from sitegen.site.render import Renderer


def test_problems_and_counts_are_said_in_words() -> None:
    repositories = (
        Repository(name="one", problems=(Problem("manifest unknown", tags=("a",)),)),
        Repository(
            name="two",
            problems=(
                Problem("manifest unknown", tags=("a", "c")),
                Problem("too large", tags=("b",), platforms=("linux/arm64",)),
            ),
        ),
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
    assert "<li>manifest unknown (tags a, c)</li>" in html["many/two/"]
    assert "<li>too large (tag b; platform linux/arm64)</li>" in html["many/two/"]
    assert "<p>2 repositories · 0 tags</p>" in html[""]
    assert "<p>1 repository · 0 tags</p>" in html[""]
    assert '<p class="muted">1 repository · 0 tags</p>' in html["single/"]


def test_the_changes_page_counts_its_changes() -> None:
    one = Change("2024-06-01T00:00:00Z", "r", "app", "repository-added")
    two = Change("2024-06-02T00:00:00Z", "r", "app", "tag-added", tag="1")
    registry = Registry(name="r", url="https://r.test", pull_host="r.test")
    renderer = Renderer(SiteConfig())
    for changes, caption in (((one,), "1 change"), ((two, one), "2 changes")):
        catalog = Catalog(title="Words", registries=(registry,), changes=changes)
        page = next(p for p in build_pages(catalog) if p.path == "changes/")
        assert f"<caption>{caption}, newest first</caption>" in renderer.html(page)
