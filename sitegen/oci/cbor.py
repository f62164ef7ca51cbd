"""CBOR (RFC 8949), read and written in its definite-length forms.

Two documents in this field are CBOR: notation's COSE signature envelopes (a
``COSE_Sign1_Tagged`` item, RFC 9052, holding maps, byte strings, negative integers and
tagged times) and Pagefind's index files (``sitegen.site.searchorder``). Both arrive
whole and capped in size; reading them is bounded further: nesting at most
``MAX_DEPTH`` deep, no length beyond the bytes left, no indefinite lengths (which
neither writer uses). Anything else is a ``CBORError``, never another exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32

_UINT, _NEGINT, _BYTES, _TEXT, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)
_SIMPLE_VALUES = {20: False, 21: True, 22: None, 23: None}  # 23: undefined


class CBORError(ValueError):
    """Bytes that are not one well-formed CBOR item of the forms read here."""


@dataclass(frozen=True, slots=True)
class Tagged:
    """A tagged item: ``tag`` (1 is an epoch time, 18 a COSE_Sign1) and its value."""

    tag: int
    value: Any


def loads(data: bytes) -> Any:
    """The one CBOR item ``data`` holds (nothing may follow it)."""
    value, end = _decode(data, 0, 0)
    if end != len(data):
        raise CBORError(f"{len(data) - end} bytes after the item")
    return value


def dumps(value: Any) -> bytes:
    """The shortest encoding of ``value``: integers, text, bytes, lists, dicts (in their
    own order), ``Tagged``, booleans and None; floats as 64-bit."""
    if value is None or isinstance(value, bool):
        return bytes([_SIMPLE << 5 | {False: 20, True: 21, None: 22}[value]])
    if isinstance(value, int):
        return _head(_UINT, value) if value >= 0 else _head(_NEGINT, -1 - value)
    if isinstance(value, float):
        return bytes([_SIMPLE << 5 | 27]) + struct.pack(">d", value)
    if isinstance(value, str):
        text = value.encode("utf-8")
        return _head(_TEXT, len(text)) + text
    if isinstance(value, bytes):
        return _head(_BYTES, len(value)) + value
    if isinstance(value, list):
        return _head(_ARRAY, len(value)) + b"".join(dumps(item) for item in value)
    if isinstance(value, dict):
        pairs = (dumps(k) + dumps(v) for k, v in value.items())
        return _head(_MAP, len(value)) + b"".join(pairs)
    if isinstance(value, Tagged):
        return _head(_TAG, value.tag) + dumps(value.value)
    raise CBORError(f"no CBOR form for {type(value).__name__}")


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * width):
            return bytes([major << 5 | info]) + argument.to_bytes(width, "big")
    raise CBORError("integer too large for CBOR")


def _decode(data: bytes, at: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise CBORError(f"nested more than {MAX_DEPTH} levels deep")
    if at >= len(data):
        raise CBORError("the data ends inside an item")
    major, info = data[at] >> 5, data[at] & 31
    at += 1
    if major == _SIMPLE:
        return _simple(data, at, info)
    if info < 24:
        argument = info
    elif info <= 27:
        width = 1 << (info - 24)
        if at + width > len(data):
            raise CBORError("the data ends inside an item")
        argument = int.from_bytes(data[at : at + width], "big")
        at += width
    else:
        raise CBORError(f"additional information {info} (indefinite or reserved)")
    if major == _UINT:
        return argument, at
    if major == _NEGINT:
        return -1 - argument, at
    if major in (_BYTES, _TEXT):
        if argument > len(data) - at:
            raise CBORError("a string longer than the data")
        chunk = data[at : at + argument]
        if major == _BYTES:
            return chunk, at + argument
        try:
            return chunk.decode("utf-8"), at + argument
        except UnicodeDecodeError:
            raise CBORError("text that is not UTF-8") from None
    if major == _TAG:
        value, at = _decode(data, at, depth + 1)
        return Tagged(argument, value), at
    # An array or map: every item takes at least one byte.
    if argument > len(data) - at:
        raise CBORError("more items than the data holds")
    if major == _ARRAY:
        items = []
        for _ in range(argument):
            item, at = _decode(data, at, depth + 1)
            items.append(item)
        return items, at
    found: dict[Any, Any] = {}
    for _ in range(argument):
        key, at = _decode(data, at, depth + 1)
        if not isinstance(key, int | str | bytes) or isinstance(key, bool):
            raise CBORError("a map key that is not an integer or a string")
        found[key], at = _decode(data, at, depth + 1)
    return found, at


def _simple(data: bytes, at: int, info: int) -> tuple[Any, int]:
    if info in _SIMPLE_VALUES:
        return _SIMPLE_VALUES[info], at
    formats = {25: ">e", 26: ">f", 27: ">d"}
    if info not in formats:
        raise CBORError(f"simple value {info}")
    width = struct.calcsize(formats[info])
    if at + width > len(data):
        raise CBORError("the data ends inside an item")
    (number,) = struct.unpack(formats[info], data[at : at + width])
    return number, at + width
