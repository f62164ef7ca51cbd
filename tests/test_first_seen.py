"""When a tag was first seen, night after night against the real registry: a tag there at
the first build is only known to be old, one pushed later is first seen at the build that
listed it (and new for a week), a moved tag keeps its time, a removed tag pushed again is
first seen again, a state written before the record was kept is read, and a registry
that is down keeps its tags' times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.images import Built, image
from lab.registry import RunningRegistry, running_registry
from tests.helpers import page_data, run_cli, write_config

NIGHT_1 = 1717200000  # 2024-06-01T00:00:00Z
DAY = 86400


def stamp(night: int) -> str:
    return f"2024-06-{night:02d}T00:00:00Z"


def app(version: str) -> Built:
    return image(files=({"/app": version.encode()},))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path / "registry") as running:
        yield running


class Nights:
    """Builds of one site and cache, each at midnight of a day of June 2024."""

    def __init__(self, tmp_path: Path, registry: RunningRegistry) -> None:
        self.dir = tmp_path
        self.site = tmp_path / "site"
        write_config(tmp_path, f"registries:\n  - name: lab\n    url: {registry.url}\n")

    def build(self, night: int) -> None:
        epoch = str(NIGHT_1 + DAY * (night - 1))
        result = run_cli(["build"], self.dir, {"SOURCE_DATE_EPOCH": epoch})
        assert result.exit_code in (0, 1), result.output

    def tag(self, tag: str) -> tuple[str, str, bool]:
        data = page_data(self.site, f"lab/team/web/_tags/{tag}/")
        return data["first_seen"], data["first_seen_source"], data["new"]

    def rows(self) -> dict[str, dict[str, Any]]:
        data = page_data(self.site, "lab/team/web/")
        return {row["name"]: row for row in data["tags"]}

    @property
    def state(self) -> Path:
        return self.dir / ".sitegen-cache" / "state.json"


def test_first_seen_night_after_night(tmp_path: Path, registry: RunningRegistry) -> None:
    pusher = registry.pusher()
    pusher.push("team/web", app("1.0"), ["1.0", "latest"])
    pusher.push("team/web", app("gone"), ["gone"])
    nights = Nights(tmp_path, registry)
    nights.build(1)
    # The first build knows only that the tags are there: it says nothing more.
    assert nights.tag("1.0") == ("", "", False)
    assert "First seen" not in (nights.site / "lab/team/web/_tags/1.0/index.html").read_text()
    assert "badge-new" not in (nights.site / "lab/team/web/index.html").read_text()

    # Night 2: 1.1 is released, latest moves to it, gone is deleted.
    pusher.push("team/web", app("1.1"), ["1.1", "latest"])
    pusher.delete_manifest("team/web", app("gone").digest)
    nights.build(2)
    assert nights.tag("1.1") == (stamp(2), "catalog", True)
    # Already there at the catalog's first build: known to be old, never "new", and no
    # first seen shown (moved or not: the same tag).
    assert nights.tag("latest") == ("", "", False)
    assert nights.tag("1.0") == ("", "", False)
    html = (nights.site / "lab/team/web/_tags/1.0/index.html").read_text()
    assert "First seen" not in html
    assert "gone" not in nights.rows()
    html = (nights.site / "lab/team/web/_tags/1.1/index.html").read_text()
    assert "by this catalog: the first build that listed it" in html and "badge-new" in html
    listing = (nights.site / "lab/team/web/index.html").read_text()
    badge = ' <span class="badge badge-new"'
    # 1.1 on the recommended card, in the tag table and among the tags of its image; no
    # other tag.
    assert listing.count(badge) == listing.count(f">1.1</a>{badge}") == 3
    row = nights.rows()["1.1"]
    assert (row["first_seen"], row["first_seen_source"], row["new"]) == (stamp(2), "catalog", True)
    tags_js = (nights.site / "lab/team/web/_tags.js").read_text()
    assert f'"first_seen":"{stamp(2)}","first_seen_source":"catalog"' in tags_js

    # Night 3: gone is pushed again: first seen again, not at its old time.
    pusher.push("team/web", app("gone"), ["gone"])
    nights.build(3)
    assert nights.tag("gone") == (stamp(3), "catalog", True)
    assert nights.tag("1.1") == (stamp(2), "catalog", True)

    # Ten days later nothing is new any more, and the times stay.
    nights.build(12)
    assert nights.tag("1.1") == (stamp(2), "catalog", False)
    assert nights.tag("gone") == (stamp(3), "catalog", False)
    assert "badge-new" not in (nights.site / "lab/team/web/index.html").read_text()

    # The registry is down: its last good data is shown, with the times it had.
    registry.stop()
    nights.build(13)
    assert page_data(nights.site, "lab/team/web/")["stale_since"]
    assert nights.tag("1.1") == (stamp(2), "catalog", False)
    assert nights.tag("1.0") == ("", "", False)
    kept = json.loads(nights.state.read_text())["repositories"]["lab/team/web"]["first_seen"]
    assert kept["1.1"] == [stamp(2), False] and kept["gone"] == [stamp(3), False]


def card(site: Path) -> str:
    """The recommended card of the repository page."""
    html = (site / "lab/team/web/index.html").read_text()
    start = html.index('<section class="card recommended"')
    return html[start : html.index("</section>", start)]


def test_the_recommended_card_says_when_its_tag_was_first_seen(
    tmp_path: Path, registry: RunningRegistry
) -> None:
    pusher = registry.pusher()
    pusher.push("team/web", app("1.0"), ["1.0", "latest"])
    nights = Nights(tmp_path, registry)
    nights.build(1)
    # There at the first build: the card says nothing of when it was first seen.
    assert '/_tags/1.0/index.html">1.0</a></h2>' in card(nights.site)
    assert "first seen" not in card(nights.site) and "badge-new" not in card(nights.site)

    # Night 2: 1.1 is released and recommended: first seen that night, and new. The card
    # words and draws it as the tag rows do.
    pusher.push("team/web", app("1.1"), ["1.1", "latest"])
    nights.build(2)
    shown = card(nights.site)
    assert page_data(nights.site, "lab/team/web/")["recommended"]["name"] == "1.1"
    assert (
        '/_tags/1.1/index.html">1.1</a> <span class="badge badge-new" title="First seen'
        ' within the week before this catalog was built">new</span></h2>'
    ) in shown
    first_seen = (
        '<br><span class="muted" title="The first build of this catalog that listed the tag">'
        f'first seen <time datetime="{stamp(2)}">2024-06-02 00:00 UTC</time></span></dd>'
    )
    assert first_seen in shown
    row = (nights.site / "lab/team/web/index.html").read_text().split('id="tag-table"')[1]
    assert first_seen.removesuffix("</dd>") + "</td>" in row

    # Ten days later: still first seen then, no longer new.
    nights.build(12)
    shown = card(nights.site)
    assert first_seen in shown and "badge-new" not in shown


def test_a_state_from_before_the_record_has_its_tags_taken_for_old(
    tmp_path: Path, registry: RunningRegistry
) -> None:
    pusher = registry.pusher()
    pusher.push("team/web", app("1.0"), ["1.0"])
    nights = Nights(tmp_path, registry)
    nights.build(1)
    # What an older sitegen wrote: the same state without the first-seen record.
    document = json.loads(nights.state.read_text())
    for repository in document["repositories"].values():
        del repository["first_seen"]
    nights.state.write_text(json.dumps(document))
    pusher.push("team/web", app("1.1"), ["1.1"])
    nights.build(2)
    # 1.0 was there at the crawl the old state names; 1.1 was not among the tags it
    # showed, but a filter may have hidden it: both old, neither new nor shown.
    assert nights.tag("1.0") == ("", "", False)
    assert nights.tag("1.1") == ("", "", False)
    pusher.push("team/web", app("1.2"), ["1.2"])
    nights.build(3)  # the record is kept from now on
    assert nights.tag("1.2") == (stamp(3), "catalog", True)
    assert nights.tag("1.1") == ("", "", False)
    assert nights.tag("1.0") == ("", "", False)
    record = json.loads(nights.state.read_text())["repositories"]["lab/team/web"]["first_seen"]
    assert record["1.0"] == [stamp(1), True] and record["1.1"] == [stamp(2), True]
