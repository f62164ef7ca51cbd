"""Timestamps as registries write them: Go's nanoseconds, offsets, and garbage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sitegen.dates import display, parse_rfc3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-01T01:49:08Z", datetime(2024, 6, 1, 1, 49, 8, tzinfo=UTC)),
        ("2024-06-01T01:49:08.5Z", datetime(2024, 6, 1, 1, 49, 8, 500000, tzinfo=UTC)),
        ("2016-09-23T23:48:55.864185454Z", datetime(2016, 9, 23, 23, 48, 55, 864185, tzinfo=UTC)),
        ("2024-06-01T03:49:08.123+02:00", datetime(2024, 6, 1, 1, 49, 8, 123000, tzinfo=UTC)),
        ("2024-06-01t01:49:08z", datetime(2024, 6, 1, 1, 49, 8, tzinfo=UTC)),
    ],
)
def test_rfc3339_variants(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-06-01T01:49:08", "2024-13-01T00:00:00Z", 5]
)
def test_not_a_time(text: object) -> None:
    assert parse_rfc3339(text) is None


def test_display() -> None:
    assert display("2024-06-01T03:49:08.123456789+02:00") == "2024-06-01 01:49 UTC"
    assert display("not a date <b>") == "not a date <b>"
