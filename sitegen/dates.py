"""RFC 3339 timestamps as registries write them (nanoseconds and all)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_rfc3339(value: object) -> datetime | None:
    """A timezone-aware datetime, or None for anything that is not an RFC 3339 time.

    Go writes nanoseconds (``2024-06-01T01:49:08.123456789Z``); Python 3.11's
    ``fromisoformat`` takes at most microseconds, so the fraction is cut to six digits.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def display(value: object) -> str:
    """``2024-06-01 12:34 UTC``; text that is not a timestamp is returned as given."""
    parsed = parse_rfc3339(value)
    if parsed is None:
        return str(value or "")
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
