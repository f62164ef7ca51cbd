"""``python -m lab.screenshots SITE [OUT]``: the pictures in docs/screenshots, from a site.

Run it on the demo's site (``bash scripts/demo`` builds ``site/``; its second build
gives the changes and diff pages something to show)::

    .venv/bin/python -m lab.screenshots site docs/screenshots

It serves SITE on 127.0.0.1 and opens each view in Debian's Chromium (through
Playwright) at a desktop width (1366 px) or a phone's (390 px), light or dark, and saves
the whole page. The set is the README's and docs/site.md's: the repository header, a
tag, a multi-platform tag in dark mode, a Helm chart, an emptied repository, the
registry table, the matrix, search, recent changes, the Rebuild and Bases pages, a diff,
and a phone's repository and tag pages.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.website import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, serve_directory
from sitegen.site import paths

DEMO_REGISTRY = "demo"  # the demo registry's name in registries.yaml


@dataclass(frozen=True)
class Shot:
    name: str  # the PNG's name in OUT
    path: str  # the page, relative to the site root ("" for home)
    phone: bool = False
    dark: bool = False
    query: str = ""  # typed into the search page's box


def shots(registry: str = DEMO_REGISTRY) -> list[Shot]:
    """What docs/screenshots shows, by the sample repositories (lab/samples.py) in
    ``registry``."""

    def tag(repository: str, name: str) -> str:
        return paths.tag_path(registry, repository, name)

    return [
        Shot("home", ""),
        Shot("registry", paths.registry_path(registry)),
        Shot("repository", paths.repository_path(registry, "base/alpine")),
        Shot("tag", tag("apps/web", "latest")),
        Shot("multi-platform", tag("tools/cli", "1.0"), dark=True),
        Shot("helm-chart", tag("charts/demo", "0.1.0")),
        Shot("empty-repository", paths.repository_path(registry, "old/empty")),
        Shot("matrix", paths.matrix_path(registry, "tools/cli")),
        Shot("search", paths.SEARCH_PATH, query="registry.example.com/base/alpine:3.20"),
        Shot("changes", paths.CHANGES_PATH),
        Shot("rebuild", paths.REBUILD_PATH),
        Shot("bases", paths.BASES_PATH),
        Shot("phone-repository", paths.repository_path(registry, "base/alpine"), phone=True),
        Shot("phone-tag", tag("apps/web", "latest"), phone=True),
        # The release before latest carries a Trivy report and an OpenVEX document.
        Shot("vulnerabilities", tag("apps/web", "v1.2.0")),
        Shot("phone-vulnerabilities", tag("apps/web", "v1.2.0"), phone=True),
    ]


def _first_diff(site: Path) -> str | None:
    """The first diff page the changes page links to (the demo's second build has one)."""
    changes = site / paths.CHANGES_PATH / "index.html"
    if not changes.is_file():
        return None
    found = re.search(r'href="((?:\.\./)*[^"]*/_diff/[^"]+/)index\.html"', changes.read_text())
    if found is None:
        return None
    return re.sub(r"^(?:\.\./)+", "", found.group(1))


def take(site: Path, out: Path, registry: str = DEMO_REGISTRY) -> list[Path]:
    """Save every shot of ``site`` into ``out``; returns the files written."""
    from playwright.sync_api import sync_playwright  # only this tool needs it

    wanted = shots(registry)
    diff = _first_diff(site)
    if diff is not None:
        wanted.append(Shot("diff", diff))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with serve_directory(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for shot in wanted:
                context = browser.new_context(
                    viewport=PHONE if shot.phone else DESKTOP,
                    color_scheme="dark" if shot.dark else "light",
                )
                page = context.new_page()
                page.goto(base + shot.path + "index.html")
                if shot.query:
                    page.fill("#search-input", shot.query)
                    page.wait_for_selector("ol.results li", timeout=10_000)
                target = out / f"{shot.name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
                context.close()
        finally:
            browser.close()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.screenshots", description=__doc__)
    parser.add_argument("site", type=Path, help="a built site (the demo's: site)")
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    parser.add_argument("--registry", default=DEMO_REGISTRY, help="the samples' registry name")
    args = parser.parse_args(argv)
    for path in take(args.site, args.out, args.registry):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
