"""RFC 3339 times as registries write them (nanoseconds and all): read into a UTC
moment (``parse_rfc3339``: a token's ``issued_at``, the feeds' dates) and shown on
pages (``display``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339_RE = re.compile(
    r"(?P<head>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})"
)


def parse_rfc3339(value: object) -> datetime | None:
    """The moment in UTC, or None for anything that is not an RFC 3339 time.

    RFC 3339 (section 5.6) requires the offset and allows a lowercase ``t`` and
    ``z``; ``fromisoformat`` takes times without an offset and other ISO 8601 forms,
    and refuses lowercase. So the text must match the RFC's grammar, and is handed on
    in one form: ``Z`` as ``+00:00`` and the fraction as six digits (Go writes
    nanoseconds, ``2024-06-01T01:49:08.123456789Z``, as does Docker Hub's token
    ``issued_at``; a ``datetime`` holds microseconds). A time at the edge of the
    calendar whose UTC moment falls outside it (``0001-01-01T00:00:00+01:00``) is not
    a time either.
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


def utc_seconds(moment: datetime) -> str:
    """``2024-06-01T12:34:56Z``: a moment as RFC 3339 in UTC, to the second, the one form
    sitegen writes the times it keeps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def display(value: object) -> str:
    """``2024-06-01 12:34 UTC``; text that is not a timestamp is returned as given."""
    parsed = parse_rfc3339(value)
    if parsed is None:
        return str(value or "")
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
