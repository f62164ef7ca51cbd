"""The one loader for JSON a registry sends: manifests, configs, listings, tokens, errors.

Python's ``json`` accepts things no page can survive, so every registry document is
read through ``load``, which refuses or repairs them before anything else sees them:

- Nesting deeper than ``MAX_DEPTH``. ``json.loads`` raises ``RecursionError`` (not
  ``ValueError``) near 1,000 levels, and a document that still parses leaves the code
  after it no more room: masking secrets recurses two frames a level, pretty-printing
  one, each from a deeper stack than the parser's. Real documents stay under 10
  levels (an index entry's ``platform.features`` is 5). The depth is measured before
  parsing, by a scan that skips string contents: on a 4 MiB index it takes about 13 ms
  where ``json.loads`` takes 90 ms, and at its worst (a 4 MiB comb of 64-deep arrays)
  0.9 s against 1.4 s.
- ``NaN``, ``Infinity`` and ``-Infinity``: not JSON (RFC 8259 section 6), yet
  accepted by Python, and written back out they make ``index.json`` invalid.
- Numbers no registry can mean: integers outside 64 bits (descriptor sizes are
  int64, image-spec descriptor.md; Go writes nothing wider) and floats that overflow
  to infinity (``1e400``). A 4,000-digit ``size`` otherwise reaches size formatting.
- Lone UTF-16 surrogates (``"\\ud800"``): valid JSON escapes, but a string holding one
  cannot be encoded as UTF-8, so the page that shows it fails to be written. Each is
  replaced with U+FFFD, as a UTF-8 decoder does with a broken byte sequence.

The body must be UTF-8 (RFC 8259 section 8.1). Every refusal is a ``JSONRefused``
(a ``ValueError``) whose message says why in a few words, for the page and the log.
``load_usable`` and ``load_object`` word it to follow the document's name
("the answer is not usable JSON: ...", "... is not a JSON object").
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
INT_MIN = -(2**63)  # int64, Go's int
INT_MAX = 2**64 - 1  # uint64: the widest integer a Go registry writes
_MAX_INT_DIGITS = 21  # len(str(INT_MIN)); a longer literal is out of range anyway

# Byte tables for the depth scan: keep only quotes and brackets; brackets as levels.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_TO_LEVELS = bytes.maketrans(b"[{]}", b"(())")
_TOO_DEEP = b"(" * (MAX_DEPTH + 1)

# An escaped backslash (so that what follows is not an escape), a surrogate pair, or
# a lone half of one.
_SURROGATE_ESCAPE_RE = re.compile(
    r"\\\\"
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)
_LONE_SURROGATE_ESCAPE_LENGTH = 6  # \uXXXX
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


class JSONRefused(ValueError):
    """A registry's JSON that sitegen will not use; the message says why."""


def load(data: bytes | str) -> Any:
    """Parse registry JSON; ``JSONRefused`` for anything listed in the module docstring."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONRefused("not UTF-8") from None
    else:
        text = _SURROGATE_RE.sub("\ufffd", data)
        data = text.encode("utf-8")
    levels = nesting(data)
    if levels is None:
        raise JSONRefused("not JSON (its brackets do not match)")
    if levels > MAX_DEPTH:
        raise JSONRefused(f"nested more than {MAX_DEPTH} levels deep")
    if "\\ud" in text or "\\uD" in text:
        text = _SURROGATE_ESCAPE_RE.sub(_repair, text)
    try:
        # RFC 8259 section 8.1: a parser may ignore a byte order mark.
        return json.loads(
            text.removeprefix("\ufeff"),
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except JSONRefused:
        raise
    except ValueError as exc:
        raise JSONRefused(f"not JSON ({exc})") from None


def load_usable(data: bytes | str) -> Any:
    """``load``, refusing with ``not usable JSON: <why>``."""
    try:
        return load(data)
    except JSONRefused as exc:
        raise JSONRefused(f"not usable JSON: {exc}") from None


def load_object(data: bytes | str) -> dict[str, Any]:
    """``load_usable`` for a document that must be a JSON object (a manifest, an image
    config, a listing, a token answer): any other value is ``not a JSON object``."""
    document = load_usable(data)
    if not isinstance(document, dict):
        raise JSONRefused("not a JSON object")
    return document


def nesting(data: bytes) -> int | None:
    """How deeply ``data`` nests arrays and objects (``MAX_DEPTH + 1``: deeper still).

    None when its brackets do not pair up, which no JSON document does. Brackets
    inside strings do not count: escaped quotes go first, then every byte but quotes
    and brackets, then the strings, which are left as runs between quotes. An empty
    string (or a string closing right before the next opens: no bracket between them)
    is two adjacent quotes, and removing those keeps every other quote in its place.
    What is left is brackets only; each pass removes the innermost pairs, so a
    document is as deep as the passes it takes to remove them all.
    """
    if b'\\"' in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = b"".join(skeleton.split(b'"')[::2])
    skeleton = skeleton.translate(_TO_LEVELS)
    for level in range(MAX_DEPTH + 1):
        if not skeleton:
            return level
        if _TOO_DEEP in skeleton:
            break
        inner = skeleton.replace(b"()", b"")
        if len(inner) == len(skeleton):
            return None
        skeleton = inner
    return MAX_DEPTH + 1


def _repair(match: re.Match[str]) -> str:
    found = match.group()
    return "\\ufffd" if len(found) == _LONE_SURROGATE_ESCAPE_LENGTH else found


def _constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number")


def _integer(literal: str) -> int:
    if len(literal) <= _MAX_INT_DIGITS:
        value = int(literal)
        if INT_MIN <= value <= INT_MAX:
            return value
    shown = literal if len(literal) <= 24 else f"{literal[:20]}... ({len(literal)} digits)"
    raise JSONRefused(f"the number {shown} is out of range")


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise JSONRefused(f"the number {literal[:24]} is out of range")
    return value
