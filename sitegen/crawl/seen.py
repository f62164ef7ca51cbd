"""When each tag was first seen: this catalog's own record, kept in the state from build
to build, and the registry's word where its listing API has one (pure, no I/O).

The record is the time of the build that first listed the tag. It is kept while the tag
is listed, also when the tag moves to another digest (it is the same tag), and dropped
when a successful crawl no longer lists it: a tag removed and pushed again is first
seen again. A repository that cannot be crawled keeps its record.

A tag already there when the catalog first lists its repository (the first build of a
registry, a repository added to the config, a state from before sitegen kept the
record) may have been there for years: the record keeps it as there *on or before* that
build (``Seen.before``), so that it is never taken for new, but the site does not show
it: "on or before the first build" says little, and shown it would make a first build
differ from the next with nothing changed, and builds without history (``--no-cache``)
differ from night to night. The registry's own word (ACR's tag ``createdTime``,
``registry.vendors``) replaces the record when it is earlier; a time after the build's
own is not believed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sitegen.crawl.state import RepositoryState, Seen
from sitegen.dates import parse_rfc3339, utc_seconds
from sitegen.model import Tag

NEW_FOR = timedelta(days=7)  # a tag first seen this long before the build is "new"
REGISTRY = "registry"
CATALOG = "catalog"


def recorded(
    previous: RepositoryState | None, listed: Iterable[str], now: str
) -> dict[str, Seen] | None:
    """This build's record for the ``listed`` tags of a repository the previous build
    knew as ``previous`` (None: not known); None without a valid ``now`` (no record,
    so that the next build does not take every tag for new)."""
    moment = parse_rfc3339(now)
    if moment is None:
        return None
    if previous is None:
        return {tag: Seen(now, before=True) for tag in listed}
    if previous.first_seen is None:
        # A state from before the record was kept: the tags its crawl showed were there
        # at that crawl (or earlier); any other was there now, or earlier.
        then = parse_rfc3339(previous.crawled_at)
        at = utc_seconds(then) if then is not None and then <= moment else now
        return {tag: Seen(at if tag in previous.tags else now, before=True) for tag in listed}
    found = {}
    for tag in listed:
        seen = previous.first_seen.get(tag)
        then = parse_rfc3339(seen.time) if seen is not None else None
        if seen is None or then is None:
            found[tag] = Seen(now)
        else:
            # A record from the future (a clock set wrong, an edited file) is not kept.
            found[tag] = seen if then <= moment else Seen(now, before=True)
    return found


def kept(previous: RepositoryState) -> Mapping[str, Seen] | None:
    """The record of a repository shown from its last good crawl, as it was; from a
    state before the record was kept, its tags on or before that crawl."""
    if previous.first_seen is not None:
        return previous.first_seen
    return recorded(previous, previous.tags, previous.crawled_at)


# The build's time, the same for every tag of a crawl: parsed once, not once per tag.
_parse_now = functools.lru_cache(maxsize=4)(parse_rfc3339)


def with_first_seen(
    tag: Tag, record: Mapping[str, Seen] | None, registry: str | None, now: str
) -> Tag:
    """``tag`` with when it was first seen: the earlier of ``record``'s entry and the
    ``registry``'s word (a time not after ``now``), and whether that makes it new."""
    moment = _parse_now(now)
    if moment is None:
        return tag
    # (moment, the registry's word first on a tie, text, source)
    choices: list[tuple[datetime, int, str, str]] = []
    said = parse_rfc3339(registry)
    if registry is not None and said is not None and said <= moment:
        choices.append((said, 0, registry, REGISTRY))
    seen = record.get(tag.name) if record is not None else None
    then = parse_rfc3339(seen.time) if seen is not None else None
    if seen is not None and then is not None and not seen.before:
        choices.append((then, 1, seen.time, CATALOG))
    if not choices:
        return tag
    when, _, text, source = min(choices)
    return replace(
        tag,
        first_seen=text,
        first_seen_source=source,
        new=moment - when <= NEW_FOR,
    )
