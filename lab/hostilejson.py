"""Hostile JSON: the values a broken or malicious registry can put anywhere in a document.

Values are raw JSON text, not Python values: a lone surrogate escape, ``1e400`` and
``NaN`` have no faithful Python value to serialize from. ``variants(document)`` takes a
real document and yields hostile copies of it: at every path, the value replaced by
null, by a number (huge, non-finite, negative, past int64), by deep nesting (within
limits, past Python's and past Go's), by a string with lone surrogates, and by a value of
the wrong type; every object key given a lone surrogate; and the whole document nested
100,000 deep. Arrays are walked into their first and last items (the others have the
same shape). Same document, same variants, in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Go's encoding/json (what distribution validates manifests with) stops at 10,000
# levels, so a real registry stores anything shallower; Python's json stops near 1,000.
GO_DEPTH = 9_999
DEEP = 100_000


def nested_arrays(depth: int) -> str:
    """``[[[...]]]``, ``depth`` levels."""
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    """``{"a":{"a":...{}}}``, ``depth`` levels."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


# A string with every kind of broken UTF-16: high and low halves alone, and a pair the
# wrong way round.
SURROGATES = '"\\ud800 lone \\udfff and reversed \\udc00\\ud83d"'

# Each class of hostile value, in the forms it takes. ``variants`` puts every class at
# every path, taking the forms in turn (path by path), so each form lands on a share of
# the paths: a copy per form and path would be thousands of builds per document.
HOSTILE: dict[str, tuple[str, ...]] = {
    "null": ("null",),
    "number": (
        str(2**64 - 1),  # the largest a Go registry writes (uint64); not an int64 size
        "9" * 4000,
        "-1",
        "1e400",
        "NaN",
        str(2**63),  # one past int64
        "Infinity",
        "-1e400",
        str(2**64),
        "-Infinity",
    ),
    "nesting": (
        nested_arrays(40),  # within any sane limit: every recursive walker gets it
        nested_arrays(GO_DEPTH),
        nested_arrays(900),  # parses, but breaks recursive walkers
        nested_objects(60),
    ),
    "surrogate": (
        '"\\ud800"',
        '"lone \\udfff at the end"',
        '"reversed \\udc00\\ud83d pair"',
    ),
}
# At the root only: the same at every path would be hundreds of megabytes of test data.
HOSTILE_DOCUMENTS: dict[str, str] = {
    "nesting 100000": nested_arrays(DEEP),
    "nesting 100000 objects": nested_objects(DEEP),
}
_PLACEHOLDER = "\x00hostile\x00"
_PLACEHOLDER_JSON = json.dumps(_PLACEHOLDER)
_KEY_SURROGATE = "\\ud800"
# Strings holding JSON that sitegen parses in turn (schema1 keeps each step's config
# as text): their insides are documents too.
EMBEDDED_KEYS = frozenset({"v1Compatibility"})

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Variant:
    """One hostile copy of a document."""

    path: str  # ``history[0].created_by``, ``(root)``, or ``key annotations.x``
    kind: str  # a ``HOSTILE`` key, ``wrong-type`` or ``surrogate-key``
    body: bytes

    @property
    def label(self) -> str:
        """``<kind> at <path>``, for failure messages."""
        return f"{self.kind} at {self.path}"


def wrong_type(value: Any) -> Any:
    """A value of another JSON type than ``value``, shaped so a reader might trip on it."""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, str):
        return {"0": value}
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return {"0": value[0] if value else None}
    if isinstance(value, dict):
        return [None, *value.values()][:3]
    return ["null"]


def show(path: Path) -> str:
    """``history[0].created_by`` (``(root)`` for the empty path)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(root)"


def walk(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path in ``value``, into the first and the last item of arrays."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index in sorted({0, len(value) - 1} if value else ()):
            yield from walk(value[index], (*path, index))


def _replaced(document: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {k: _replaced(v, rest, new) if k == head else v for k, v in document.items()}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(document)]


def _renamed(document: Any, path: Path) -> Any:
    """``document`` with the key at ``path`` renamed to the placeholder."""
    head, rest = path[0], path[1:]
    if not rest:
        return {(_PLACEHOLDER if k == head else k): v for k, v in document.items()}
    if isinstance(document, dict):
        return {k: _renamed(v, rest) if k == head else v for k, v in document.items()}
    return [_renamed(v, rest) if i == head else v for i, v in enumerate(document)]


def _at(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


def _dump(document: Any, raw: str) -> bytes:
    text = json.dumps(document, ensure_ascii=False)
    return text.replace(_PLACEHOLDER_JSON, raw, 1).encode("utf-8")


def variants(document: Any) -> Iterator[Variant]:
    """Every hostile copy of ``document`` (see the module docstring)."""
    for kind, raw in HOSTILE_DOCUMENTS.items():
        yield Variant(show(()), kind, raw.encode())
    for number, path in enumerate(walk(document)):
        where = show(path)
        placed = _replaced(document, path, _PLACEHOLDER)
        for kind, forms in HOSTILE.items():
            raw = forms[number % len(forms)]
            yield Variant(where, f"{kind} {_short(raw)}", _dump(placed, raw))
        original = _at(document, path)
        changed = _replaced(document, path, wrong_type(original))
        yield Variant(where, "wrong type", json.dumps(changed, ensure_ascii=False).encode())
        if path and isinstance(path[-1], str):
            key = json.dumps(path[-1], ensure_ascii=False)[:-1] + _KEY_SURROGATE + '"'
            yield Variant(f"key {where}", "surrogate key", _dump(_renamed(document, path), key))
        # Inside the first of an array's embedded documents (schema1's history steps all
        # have the same shape).
        first = len(path) < 2 or path[-2] == 0
        if path and path[-1] in EMBEDDED_KEYS and isinstance(original, str) and first:
            for inner in variants(json.loads(original)):
                text = json.dumps(inner.body.decode("utf-8"), ensure_ascii=False)
                yield Variant(f"{where}:{inner.path}", inner.kind, _dump(placed, text))


def _short(raw: str) -> str:
    return raw if len(raw) <= 24 else f"{raw[:10]}...({len(raw)} characters)"
