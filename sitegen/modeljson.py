"""The crawled catalog as JSON, and back: what a shard's crawl hands to the render.

``sitegen crawl --shard I/N`` writes its part of the catalog; ``sitegen render`` reads
every part and renders one site. The codec follows the dataclasses of ``model`` and
``supplychain_model`` themselves (their fields and type hints), so a field added there
needs nothing here. Each object names its class (``"@"``); bytes are base64
(``"@bytes"``); mappings are lists of pairs (``"@map"``), in their own order, so keys
need not be strings. Reading checks each value against its field's type: a file that
does not fit is ``ModelJSONError``, never a half-built catalog.

The data is the model: already masked, every string cut. It is not a registry's data
to trust blindly either, but it is what this version of sitegen wrote: ``VERSION``
changes with the model, and a file of another version is refused.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

from sitegen import model, supplychain_model
from sitegen.model import Catalog

FORMAT = "sitegen-catalog"
MAX_DEPTH = 64


class ModelJSONError(ValueError):
    """JSON that is not a catalog this version of sitegen wrote."""


@functools.cache
def _classes() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in (model, supplychain_model):
        for name, value in vars(module).items():
            if isinstance(value, type) and dataclasses.is_dataclass(value):
                found[name] = value
    return found


@functools.cache
def version() -> str:
    """A fingerprint of the model's shape: every class, field and type hint."""
    shape = [
        [name, [[f.name, str(f.type)] for f in dataclasses.fields(cls)]]
        for name, cls in sorted(_classes().items())
    ]
    return json.dumps(shape, separators=(",", ":"))


def dumps(catalog: Catalog) -> bytes:
    """``catalog`` as compact JSON, with the model's fingerprint."""
    document = {"format": FORMAT, "model": version(), "catalog": _encode(catalog)}
    return json.dumps(document, separators=(",", ":"), allow_nan=False).encode()


def loads(data: bytes) -> Catalog:
    """The catalog ``dumps`` wrote; ``ModelJSONError`` for anything else."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ModelJSONError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelJSONError("not a sitegen catalog")
    if document.get("model") != version():
        raise ModelJSONError("written by another version of sitegen: crawl again with this one")
    found = _decode(document.get("catalog"), Catalog, 0)
    if not isinstance(found, Catalog):
        raise ModelJSONError("no catalog in the file")
    return found


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        encoded = {"@": type(value).__name__}
        for f in dataclasses.fields(value):
            encoded[f.name] = _encode(getattr(value, f.name))
        return encoded
    if isinstance(value, bytes):
        return {"@bytes": base64.b64encode(value).decode()}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {"@map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if value is None or isinstance(value, str | int | float):
        return value
    raise ModelJSONError(f"no JSON form for {type(value).__name__}")


def _decode(data: Any, hint: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ModelJSONError("nested too deep")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _union(data, args, depth)
    if hint is Any:
        return data
    if origin in (tuple, list):
        if not isinstance(data, list):
            raise ModelJSONError(f"expected a list, found {type(data).__name__}")
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(data):
                raise ModelJSONError("a tuple of the wrong length")
            return tuple(_decode(d, a, depth + 1) for d, a in zip(data, args, strict=True))
        items = [_decode(d, args[0] if args else Any, depth + 1) for d in data]
        return tuple(items) if origin is tuple else items
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        if not (isinstance(data, dict) and isinstance(data.get("@map"), list)):
            raise ModelJSONError("expected a mapping")
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        pairs = {}
        for pair in data["@map"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ModelJSONError("a mapping entry that is not a pair")
            key = _decode(pair[0], key_hint, depth + 1)
            pairs[key] = _decode(pair[1], value_hint, depth + 1)
        return pairs
    if hint is bytes:
        if not (isinstance(data, dict) and isinstance(data.get("@bytes"), str)):
            raise ModelJSONError("expected bytes")
        try:
            return base64.b64decode(data["@bytes"], validate=True)
        except (ValueError, binascii.Error):
            raise ModelJSONError("bytes that are not base64") from None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _object(data, hint, depth)
    if hint in (str, int, float, bool, type(None)):
        return _scalar(data, hint)
    if typing.get_origin(hint) is typing.Literal:
        if data not in args:
            raise ModelJSONError(f"{data!r} is not one of {args}")
        return data
    raise ModelJSONError(f"no reader for {hint!r}")


def _union(data: Any, options: tuple[Any, ...], depth: int) -> Any:
    if data is None and type(None) in options:
        return None
    if isinstance(data, dict) and "@" in data:
        cls = _classes().get(str(data["@"]))
        if cls is not None and cls in options:
            return _object(data, cls, depth)
    for option in options:
        if option is type(None):
            continue
        try:
            return _decode(data, option, depth)
        except ModelJSONError:
            continue
    raise ModelJSONError(f"a value of none of the types {options}")


def _object(data: Any, cls: type[Any], depth: int) -> Any:
    if not (isinstance(data, dict) and data.get("@") == cls.__name__):
        raise ModelJSONError(f"expected a {cls.__name__}")
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _decode(data[f.name], hints[f.name], depth + 1)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ModelJSONError(f"{cls.__name__} without {f.name}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ModelJSONError(f"{cls.__name__}: {exc}") from None


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    found = _HINTS.get(cls.__name__)
    if found is None:
        found = _HINTS[cls.__name__] = typing.get_type_hints(
            cls, vars(model) | vars(supplychain_model)
        )
    return found


def _scalar(data: Any, hint: type[Any]) -> Any:
    if hint is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if hint is int and isinstance(data, bool):
        raise ModelJSONError("expected an integer, found a boolean")
    if not isinstance(data, hint):
        raise ModelJSONError(f"expected {hint.__name__}, found {type(data).__name__}")
    return data
