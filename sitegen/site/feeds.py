"""Atom feeds (RFC 4287) of the change history: one for the site, one per repository.

What each feed says is built here; ``feed.xml`` (a template, like the pages) writes it.
Entry ids are ``urn:uuid:`` values derived from the change itself, so an entry keeps
its id across rebuilds and readers never see it twice. Links are absolute when
``site.url`` is set and otherwise relative to the feed's own location (RFC 4287
section 3.2 allows it; readers resolve them against the feed URL).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TypedDict

from sitegen.dates import parse_rfc3339, utc_seconds
from sitegen.model import Catalog, Change
from sitegen.site import paths
from sitegen.site.pages.history import Timeline
from sitegen.site.paths import relative_root
from sitegen.site.render import Renderer

FEED_LIMIT = 100
EPOCH = "1970-01-01T00:00:00Z"
_SEPARATOR = "\x1f"  # cannot occur in names, tags or digests
_NAMESPACE = uuid.UUID("5d1c9a4e-9d3b-4b8e-9a55-0c6f2f0b7a11")


class Entry(TypedDict):
    """One change in a feed."""

    id: str
    title: str
    updated: str
    link: str  # the diff, the tag, the repository, or the changes page
    summary: str


class Feed(TypedDict):
    """What ``feed.xml`` writes: the feed's own facts and its newest entries."""

    id: str
    title: str
    updated: str
    self_link: str  # the feed's own URL, when the site's is known
    link: str  # the page the feed is about
    entries: list[Entry]


def feeds(catalog: Catalog, timeline: Timeline, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """(path, XML) for the site feed and every repository's feed."""
    for path, feed in feed_data(catalog, timeline):
        yield path, renderer.xml("feed.xml", feed=feed)


def feed_data(catalog: Catalog, timeline: Timeline) -> Iterator[tuple[str, Feed]]:
    """(path, feed) for the site feed and every repository's feed."""
    # An empty feed still needs <updated>: the newest image date, found once for all.
    fallback = _newest_image(catalog)
    yield (
        paths.SITE_FEED,
        _feed(
            catalog,
            timeline,
            paths.SITE_FEED,
            f"{catalog.title}: changes",
            paths.CHANGES_PATH,
            catalog.changes,
            fallback,
        ),
    )
    for registry in catalog.registries:
        for repo in registry.repositories:
            feed = paths.repository_feed(registry.name, repo.name)
            yield (
                feed,
                _feed(
                    catalog,
                    timeline,
                    feed,
                    f"{registry.name}/{repo.name}: changes",
                    paths.repository_path(registry.name, repo.name),
                    timeline.by_repo.get((registry.name, repo.name), []),
                    fallback,
                ),
            )


def _feed(
    catalog: Catalog,
    timeline: Timeline,
    feed_path: str,
    title: str,
    page_path: str,
    changes: Iterable[Change],
    fallback_updated: str,
) -> Feed:
    shown = list(changes)[:FEED_LIMIT]
    link = _linker(catalog, feed_path)
    return {
        "id": _id("feed", feed_path, catalog.url or catalog.title),
        "title": title,
        "updated": shown[0].time if shown else fallback_updated,
        "self_link": catalog.url + feed_path if catalog.url else "",
        "link": link(page_path),
        "entries": [_entry(timeline, c, link) for c in shown],
    }


def _entry(timeline: Timeline, change: Change, link: Callable[[str], str]) -> Entry:
    row = timeline.change_row(change)
    target = row["diff_path"] or row["tag_path"] or row["repository_path"] or paths.CHANGES_PATH
    subject = f"{change.repository}:{change.tag}" if change.tag else change.repository
    title = f"{subject}: {row['what']}"
    summary = f"{change.registry}/{title}"
    if change.base:
        summary += f": {change.base}, a rebuild picks up the new base"
    if change.old:
        summary += f" (was {change.old})"
    if change.new:
        summary += f" (now {change.new})"
    return {
        "id": _id(*_key(change)),
        "title": title,
        "updated": change.time,
        "link": link(target),
        "summary": summary,
    }


def _linker(catalog: Catalog, feed_path: str) -> Callable[[str], str]:
    """Absolute links with ``site.url``; else relative to the feed's directory."""
    if catalog.url:
        base = catalog.url
        return lambda page_path: f"{base}{page_path}"
    root = relative_root(feed_path.rpartition("/")[0] + "/")
    return lambda page_path: f"{root}{page_path}{paths.PAGE_HTML}"


def _key(change: Change) -> tuple[str, ...]:
    return (
        change.time,
        change.registry,
        change.repository,
        change.kind,
        change.tag,
        change.old,
        change.new,
    )


def _id(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, _SEPARATOR.join(parts))}"


def _newest_image(catalog: Catalog) -> str:
    """Without changes: the newest created date shown (deterministic for a registry state)."""
    dates = [
        utc_seconds(parsed)
        for registry in catalog.registries
        for repo in registry.repositories
        for m in repo.manifests.values()
        if (parsed := _utc(m.created)) is not None
    ]
    return max(dates, default=EPOCH)


def _utc(value: str) -> datetime | None:
    parsed = parse_rfc3339(value)
    return parsed.astimezone(UTC) if parsed else None
