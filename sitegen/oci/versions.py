"""Ordering tags as people read them: ``1.10`` after ``1.9``, ``1.0.0-rc1`` before ``1.0.0``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

_VERSION_RE = re.compile(r"[vV]?(\d+(?:\.\d+)*)(.*)", re.DOTALL)
_CHUNK_RE = re.compile(r"(\d+)")

VersionKey = tuple[int, tuple[int, ...], int, tuple[tuple[int, int | str], ...]]


def natural_key(value: str) -> tuple[tuple[int, int | str], ...]:
    """Split digits from text so that ``a10`` sorts after ``a9``."""
    parts: list[tuple[int, int | str]] = []
    for chunk in _CHUNK_RE.split(value):
        if not chunk:
            continue
        parts.append((1, int(chunk)) if chunk.isdigit() else (0, chunk.lower()))
    return tuple(parts)


@functools.lru_cache(maxsize=65536)  # tags are sorted again on several pages
def version_key(tag: str) -> VersionKey:
    """A sort key: versions by number, a suffix (``-rc1``, ``-alpine``) before the bare version.

    Tags that are not versions (``latest``, ``main``) get rank 0 and sort before every
    version, in natural order; sort with ``reverse=True`` for newest first.
    """
    match = _VERSION_RE.fullmatch(tag)
    if not match:
        return (0, (), 0, natural_key(tag))
    numbers = tuple(int(n) for n in match.group(1).split("."))
    suffix = match.group(2)
    return (1, numbers, 0 if suffix else 1, natural_key(suffix))


def is_version(tag: str) -> bool:
    """True for tags that start like a version number (``v1``, ``3.20.1``, ``2024.01``)."""
    return _VERSION_RE.fullmatch(tag) is not None


def newest_first(tags: Sequence[str], created: Callable[[str], str]) -> list[str]:
    """Tags newest first: versions by version, then the others by created date.

    This is the order ``latest: N`` takes its N from.
    """
    versions = sorted((t for t in tags if is_version(t)), key=version_key, reverse=True)
    others = sorted(
        (t for t in tags if not is_version(t)), key=lambda t: (created(t), t), reverse=True
    )
    return versions + others
