"""Where a page's CPU goes: ``write_site`` in one process, each part timed on its own.

``python -m bench.split --tags 10000``
    Renders the benchmark catalog of that many tags (crawled from memory, as
    ``bench.profile render`` does) three times in one process, no render workers, into
    ``--workdir`` (default: tmpfs):

    1. plain: CPU time of ``write_site`` per page, nothing added;
    2. split: the same with each part timed (thread CPU time, exclusive: a shared body
       rendered inside a page counts for the body, not the page);
    3. the frame alone: every page's ``base.html`` with an empty content block.

    Then the floor: a plain Python loop that creates, per page, a directory and two
    files of the site's average page sizes (``bench.measure.file_creation_rate``'s
    loop), in CPU and wall time.

Numbers vary with the machine and whatever else runs on it; the load average is printed
with them. The split's own timers cost about a microsecond a call; their estimated
total is printed and left out of the parts.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import scale, snapshot
from bench.run import default_workdir
from sitegen.config import load_config
from sitegen.site import search, write
from sitegen.site.output import Staging
from sitegen.site.pages.catalog import PageUnit, page_units
from sitegen.site.pages.page import Page
from sitegen.site.paths import relative_root
from sitegen.site.render import PageJson, Renderer

# The parts, in the order printed; "site-wide" is what no part claims.
PARTS = (
    ("data", "page data (built lazily, unit by unit; search records included)"),
    ("page html", "Jinja2: the frame and the page's own parts"),
    ("shared html", "Jinja2: shared bodies (manifest_body, image_section), once each"),
    ("json", "page JSON (index.json text)"),
    ("page files", "page file writes (encode, mkdir, open, write, close)"),
    ("search", "search records collected (search.entries)"),
    ("site-wide", "site-wide: feeds, sitemaps, catalog.json, static files, search index"),
)


class Clock:
    """Exclusive thread CPU time by part: time goes to the innermost part running."""

    def __init__(self) -> None:
        self.spent: defaultdict[str, float] = defaultdict(float)
        self.calls = 0
        self._stack = ["site-wide"]
        self._mark = time.thread_time()

    def _switch(self) -> None:
        now = time.thread_time()
        self.spent[self._stack[-1]] += now - self._mark
        self._mark = now
        self.calls += 1

    def timed(self, part: str | Callable[[], str], call: Callable[..., Any]) -> Callable[..., Any]:
        """``call``, its time counted for ``part`` (or for what ``part()`` names)."""

        def run(*args: Any, **kwargs: Any) -> Any:
            self._switch()
            self._stack.append(part if isinstance(part, str) else part())
            try:
                return call(*args, **kwargs)
            finally:
                self._switch()
                self._stack.pop()

        return run

    def start(self) -> None:
        """Count from now, for "site-wide" unless a part is running."""
        self._mark = time.thread_time()

    def stop(self) -> None:
        """Count up to now."""
        self._switch()

    def inside(self, part: str) -> bool:
        """Whether ``part`` is running (at any depth)."""
        return part in self._stack


def _timer_cost(rounds: int = 200_000) -> float:
    """Seconds of CPU one ``time.thread_time()`` call costs."""
    started = time.thread_time()
    for _ in range(rounds):
        time.thread_time()
    return (time.thread_time() - started) / rounds


def _cpu() -> float:
    return time.process_time()


def _split(config: Any, catalog: Any, site: Path) -> tuple[int, defaultdict[str, float], float]:
    """One ``write_site`` with every part timed: pages, seconds by part, timer cost."""
    clock = Clock()
    entries = search.entries

    def timed_units(*args: Any, **kwargs: Any) -> list[PageUnit]:
        return [
            dataclasses.replace(unit, pages=_timed_pages(clock, unit.pages))
            for unit in page_units(*args, **kwargs)
        ]

    def file_part() -> str:
        return "page files" if clock.inside("page") else "site-wide"

    patches: list[tuple[Any, str, Any]] = [
        (write, "page_units", timed_units),
        (write, "write_page", clock.timed("page", write.write_page)),
        (Renderer, "html", clock.timed("page html", Renderer.html)),
        (Renderer, "_manifest_body", clock.timed("shared html", Renderer._manifest_body)),
        (Renderer, "_image_section", clock.timed("shared html", Renderer._image_section)),
        (PageJson, "__call__", clock.timed("json", PageJson.__call__)),
        (Staging, "write", clock.timed(file_part, Staging.write)),
        # A generator: what it does is done while it is consumed.
        (search, "entries", clock.timed("search", lambda pages: list(entries(pages)))),
    ]
    with ExitStack() as undo:
        for owner, name, replacement in patches:
            undo.callback(setattr, owner, name, getattr(owner, name))
            setattr(owner, name, replacement)
        clock.start()
        pages = write.write_site(config, catalog, site, workers=1)
        clock.stop()
    spent = clock.spent
    # "page" only marks the writes that belong to a page: what is left of it is
    # ``write_page``'s own few lines.
    spent["page files"] += spent.pop("page", 0.0)
    return pages, spent, clock.calls * _timer_cost()


def _timed_pages(clock: Clock, pages: Callable[[], Iterator[Page]]) -> Callable[[], Iterator[Page]]:
    """A unit's ``pages`` whose building (each ``next``) counts as page data."""

    def build() -> Iterator[Page]:
        made = clock.timed("data", lambda: iter(pages()))()
        step = clock.timed("data", next)
        while True:
            try:
                page = step(made)
            except StopIteration:
                return
            yield page

    return build


def _frame_alone(config: Any, catalog: Any) -> tuple[int, float, int, int]:
    """CPU of rendering every page's ``base.html`` (empty content), with the HTML and
    JSON bytes of the pages (for the floor's file sizes)."""
    renderer = Renderer(config.site)
    frame = renderer.env.get_template("base.html")
    count, spent, html_bytes, json_bytes = 0, 0.0, 0, 0
    for unit in page_units(catalog):
        for page in unit.pages():
            started = time.thread_time()
            frame.render(
                page=page,
                data=page.data,
                view=page.view,
                root=relative_root(page.path),
                site=config.site,
                canonical=f"{config.site.url}{page.path}" if config.site.url else "",
            )
            spent += time.thread_time() - started
            count += 1
            html_bytes += len(renderer.html(page).encode())
            json_bytes += len(renderer.json(page).encode())
    return count, spent, html_bytes // count, json_bytes // count


def file_floor(directory: Path, html_size: int, json_size: int, count: int) -> tuple[float, float]:
    """(CPU, wall) seconds per page of a plain loop creating a directory and two files of
    these sizes per page: what writing a page costs at the least on this file system."""
    root = Path(tempfile.mkdtemp(prefix="sitegen-floor-", dir=directory))
    html, data = b"x" * html_size, b"y" * json_size
    try:
        cpu, started = _cpu(), time.perf_counter()
        for number in range(count):
            page = root / f"p{number}"
            page.mkdir()
            (page / "index.html").write_bytes(html)
            (page / "index.json").write_bytes(data)
        return (_cpu() - cpu) / count, (time.perf_counter() - started) / count
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.split")
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=None, help="default: /dev/shm")
    args = parser.parse_args(argv)
    workdir = args.workdir or default_workdir()
    work = Path(tempfile.mkdtemp(prefix="sitegen-split-", dir=workdir))
    try:
        config_path = scale.write_config(work / "registries.yaml", scale.FAKE_URL)
        model = work / "model.pickle"
        scale.model(args.tags, config_path, model)
        config = load_config(config_path, environ={})
        catalog = snapshot.load(model)
        print(f"{args.tags} tags, writing to {workdir}; load average {os.getloadavg()[0]:.2f}")
        cpu = _cpu()
        pages = write.write_site(config, catalog, work / "plain", workers=1)
        plain = (_cpu() - cpu) / pages
        print(f"plain: {pages} pages, {plain * 1e6:.0f} us of CPU a page")
        pages, spent, overhead = _split(config, catalog, work / "split")
        total = sum(spent.values())
        print(
            f"split: {total / pages * 1e6:.0f} us of CPU a page, of which the timers' own "
            f"about {overhead / pages * 1e6:.0f} us (spread over the parts); by part:"
        )
        for part, what in PARTS:
            share = spent[part] / total if total else 0.0
            print(f"  {spent[part] / pages * 1e6:6.0f} us {share:6.1%}  {what}")
        count, frame, html_size, json_size = _frame_alone(config, catalog)
        frame_us = frame / count * 1e6
        print(f"  of the page HTML, the frame alone (base.html, empty content): {frame_us:.0f} us")
        floor_cpu, floor_wall = file_floor(workdir, html_size, json_size, 5_000)
        print(
            f"floor: a directory and two files ({html_size:,} and {json_size:,} bytes, the "
            f"pages' averages) per page: {floor_cpu * 1e6:.0f} us of CPU, "
            f"{floor_wall * 1e6:.0f} us of wall time"
        )
        load = os.getloadavg()[0]
        print(f"3,000 pages/s per core is {1e6 / 3000:.0f} us a page; load average now {load:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
