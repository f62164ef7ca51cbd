"""The first-seen record in ``state.json`` (read back as written; a state an older
sitegen wrote, or an edited one, is read without a record rather than a wrong one) and
how a tag's first seen is decided from the record and the registry's word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitegen.crawl import seen
from sitegen.crawl.state import RepositoryState, Seen, State
from sitegen.model import Tag

DIGEST = "sha256:" + "a" * 64
NOW = "2024-06-10T00:00:00Z"


def test_the_record_survives_a_save_and_a_load(tmp_path: Path) -> None:
    state = State(build=3)
    record = {"1.0": Seen("2024-06-01T00:00:00Z", before=True), "1.1": Seen(NOW)}
    state.record("lab", "team/web", RepositoryState(NOW, {"1.1": DIGEST}, first_seen=record))
    state.record("lab", "team/empty", RepositoryState(NOW, {}, first_seen={}))
    state.save(tmp_path)
    back = State.load(tmp_path)
    assert back.repositories[("lab", "team/web")].first_seen == record
    # An empty record (no tags) is a record, not the absence of one.
    assert back.repositories[("lab", "team/empty")].first_seen == {}


def test_a_state_without_the_record_loads_with_none(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "build": 7,
        "repositories": {"lab/team/web": {"crawled_at": NOW, "tags": {"1.0": DIGEST}}},
    }
    (tmp_path / "state.json").write_text(json.dumps(document))
    repo = State.load(tmp_path).repositories[("lab", "team/web")]
    assert repo.tags == {"1.0": DIGEST} and repo.first_seen is None


@pytest.mark.parametrize(
    "record",
    [
        {"1.0": ["not a time", False]},
        {"1.0": [NOW, "yes"]},
        {"1.0": [NOW]},
        {"1.0": NOW},
        {"not a tag!": [NOW, False]},
        [["1.0", NOW, False]],
    ],
)
def test_an_edited_record_is_not_trusted_at_all(tmp_path: Path, record: object) -> None:
    # One bad entry dropped alone would make its tag look new on the next build.
    document = {
        "version": 1,
        "repositories": {
            "lab/team/web": {
                "crawled_at": NOW,
                "tags": {"1.0": DIGEST},
                "first_seen": {"1.1": [NOW, False]} | record
                if isinstance(record, dict)
                else record,
            }
        },
    }
    (tmp_path / "state.json").write_text(json.dumps(document))
    assert State.load(tmp_path).repositories[("lab", "team/web")].first_seen is None


def test_times_in_another_offset_are_kept_in_utc(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "repositories": {
            "lab/a": {
                "crawled_at": NOW,
                "tags": {},
                "first_seen": {"1": ["2024-06-01T02:00:00+02:00", True]},
            }
        },
    }
    (tmp_path / "state.json").write_text(json.dumps(document))
    record = State.load(tmp_path).repositories[("lab", "a")].first_seen
    assert record == {"1": Seen("2024-06-01T00:00:00Z", before=True)}


def test_the_record_of_a_build() -> None:
    listed = ["1.0", "1.1", "2.0"]
    # A repository this catalog never listed: every tag on or before tonight.
    assert seen.recorded(None, listed, NOW) == {t: Seen(NOW, before=True) for t in listed}
    # A state from before the record: what it showed was there at its crawl.
    old = RepositoryState("2024-06-09T00:00:00Z", {"1.0": DIGEST})
    assert seen.recorded(old, listed, NOW) == {
        "1.0": Seen("2024-06-09T00:00:00Z", before=True),
        "1.1": Seen(NOW, before=True),
        "2.0": Seen(NOW, before=True),
    }
    # With a record: kept while listed, new ones tonight, gone ones dropped.
    previous = RepositoryState(
        "2024-06-09T00:00:00Z",
        {},
        first_seen={
            "1.0": Seen("2024-06-01T00:00:00Z", before=True),
            "1.1": Seen("2024-06-05T00:00:00Z"),
            "gone": Seen("2024-06-02T00:00:00Z"),
            "future": Seen("2030-01-01T00:00:00Z"),  # a clock set wrong: not kept
        },
    )
    assert seen.recorded(previous, [*listed, "future"], NOW) == {
        "1.0": Seen("2024-06-01T00:00:00Z", before=True),
        "1.1": Seen("2024-06-05T00:00:00Z"),
        "2.0": Seen(NOW),
        "future": Seen(NOW, before=True),
    }
    # Without a build time (a crawl run without one) nothing is recorded.
    assert seen.recorded(previous, listed, "") is None


def _first(record: dict[str, Seen] | None, registry: str | None) -> tuple[object, ...]:
    tag = seen.with_first_seen(Tag("1.0", DIGEST), record, registry, NOW)
    return tag.first_seen, tag.first_seen_source, tag.new


def test_the_earlier_of_the_registry_and_the_record_and_which_it_is() -> None:
    before = {"1.0": Seen("2024-06-01T00:00:00Z", before=True)}
    at = {"1.0": Seen("2024-06-05T00:00:00Z")}
    # Already there when the catalog first listed it: known to be old, nothing shown.
    assert _first(before, None) == (None, "", False)
    assert _first(at, None) == ("2024-06-05T00:00:00Z", "catalog", True)
    assert _first(before, "2023-03-02T23:15:59Z") == ("2023-03-02T23:15:59Z", "registry", False)
    assert _first(at, "2024-06-04T12:00:00Z") == ("2024-06-04T12:00:00Z", "registry", True)
    assert _first(at, "2024-06-08T00:00:00Z") == ("2024-06-05T00:00:00Z", "catalog", True)
    assert _first(before, "2024-06-01T00:00:00Z") == ("2024-06-01T00:00:00Z", "registry", False)
    assert _first(None, "2024-06-09T00:00:00Z") == ("2024-06-09T00:00:00Z", "registry", True)
    # On or before this very build: nothing, unless the registry says.
    tonight = {"1.0": Seen(NOW, before=True)}
    assert _first(tonight, None) == (None, "", False)
    assert _first(tonight, "2024-06-09T00:00:00Z") == ("2024-06-09T00:00:00Z", "registry", True)
    assert _first({"1.0": Seen(NOW)}, None) == (NOW, "catalog", True)  # listed tonight: new
    assert _first({"1.0": Seen("2024-06-02T23:59:59Z")}, None)[2] is False  # over a week
    assert _first({"1.0": Seen("2024-06-03T00:00:00Z")}, None)[2] is True  # a week exactly


@pytest.mark.parametrize(
    "registry", ["2030-01-01T00:00:00Z", "2024-06-10T00:00:01Z", "9999-12-31T23:59:59Z", "soon"]
)
def test_a_registry_time_after_the_build_is_not_believed(registry: str) -> None:
    at = {"1.0": Seen("2024-06-05T00:00:00Z")}
    assert _first(at, registry) == ("2024-06-05T00:00:00Z", "catalog", True)
    assert _first(None, registry) == (None, "", False)
