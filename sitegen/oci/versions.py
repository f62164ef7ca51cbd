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


# Words that mark a build as not yet released, as projects spell them in tags:
# ``1.0.0-rc1``, ``v2.0.0-beta.2``, ``1.0-SNAPSHOT``, ``8.0.0-preview.7``, ``22-ea``,
# ``3.2.0-M1`` (Maven milestones), ``nightly``. ``devel`` (a development *image* with
# headers and compilers, as in CUDA's ``12.4.1-devel``) is a variant, not a pre-release.
_PRERELEASE_WORDS = frozenset(
    {
        "alpha",
        "beta",
        "rc",
        "pre",
        "preview",
        "dev",
        "snapshot",
        "nightly",
        "canary",
        "edge",
        "ea",
        "milestone",
        "unstable",
        "experimental",
        "insiders",
    }
)
_WORD_RE = re.compile(r"[a-z]+|\d+")
# Python and Go attach the pre-release to the number: ``3.13.0b1``, ``3.13.0rc2``,
# ``1.22rc1``; Maven's milestones follow a dash: ``3.2.0-M1``.
_ATTACHED_RE = re.compile(r"(?:a|b|rc|alpha|beta|pre|dev)\d*(?:$|[-._+])", re.IGNORECASE)
_MILESTONE_RE = re.compile(r"m\d+")


def is_prerelease(tag: str) -> bool:
    """True for tags that name a build before a release: ``1.0.0-rc1``, ``2.0.0-beta.2``,
    ``3.13.0b1``, ``1.0-SNAPSHOT``, ``nightly``; false for ``3.20.1-alpine``, ``latest``,
    ``1.0.0-r1`` or ``12.4.1-devel``.

    Decided by whole words (between ``-``, ``.``, ``_``, ``+`` and digits), so a variant
    that merely contains such letters (``develop``... ``arm64``) is not one.
    """
    match = _VERSION_RE.fullmatch(tag)
    rest = tag
    if match:
        rest = match.group(2)
        if _ATTACHED_RE.match(rest):
            return True
    for part in re.split(r"[-._+]", rest.lower()):
        if _MILESTONE_RE.fullmatch(part):
            return True
        words = _WORD_RE.findall(part)
        if words and words[0] in _PRERELEASE_WORDS:
            return True
    return False
