"""RFC 3339 timestamps as registries write them (nanoseconds and all)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339_RE = re.compile(
    r"(?P<head>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})"
)


def parse_rfc3339(value: object) -> datetime | None:
    """The moment in UTC, or None for anything that is not an RFC 3339 time.

    Go writes nanoseconds (``2024-06-01T01:49:08.123456789Z``, and Docker Hub's token
    ``issued_at`` too); Python 3.11's ``fromisoformat`` takes at most microseconds, so
    the fraction is cut to six digits. A time at the edge of the calendar whose UTC
    moment falls outside it (``0001-01-01T00:00:00+01:00``) is not a time either.
    """
    if not isinstance(value, str):
        return None
    match = _RFC3339_RE.fullmatch(value.strip())
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = "+00:00" if match["zone"] in ("Z", "z") else match["zone"]
    try:
        return datetime.fromisoformat(f"{match['head']}.{fraction}{zone}").astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def display(value: object) -> str:
    """``2024-06-01 12:34 UTC``; text that is not a timestamp is returned as given."""
    parsed = parse_rfc3339(value)
    if parsed is None:
        return str(value or "")
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
