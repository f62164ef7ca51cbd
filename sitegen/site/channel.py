"""The messages between a build and its render process (``sitegen.site.stream``):
pickles, each after its length, over the process's standard input and output.

The build sends its setup, then, each time the process asks (``("ready", wait,
rendered)``, with what it rendered since it last asked), ``(learned, item)``: the
repositories other processes took since (pickled ``(registry, repository)``, to learn
of), and one thing to do: a repository to render (pickled the same way), ``IDLE``
(none yet, and the process need not wait: it has something else to do, or something
to learn), or ``None`` (the end). The process answers ``("done", the rest of what it
rendered)`` or ``("failed", the failure)``.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import types
from typing import IO, Any

IDLE = "idle"


def write(channel: IO[bytes], value: object) -> None:
    """Send ``value``: its pickle's length (8 bytes), then the pickle."""
    data = pickled(value)
    channel.write(len(data).to_bytes(8, "big"))
    channel.write(data)
    channel.flush()


def read(channel: IO[bytes]) -> Any:
    """What ``write`` sent; ``EOFError`` when the other side is gone."""
    header = channel.read(8)
    if len(header) < 8:
        raise EOFError
    size = int.from_bytes(header, "big")
    data = channel.read(size)
    if len(data) < size:
        raise EOFError
    return loads(data)


def loads(data: bytes) -> Any:
    """What ``pickled`` made ``data`` of."""
    return pickle.loads(data)  # noqa: S301 (the build and its own render processes)


def pickled(value: object) -> bytes:
    """``value`` pickled, with the model's read-only mappings (``MappingProxyType``,
    which pickle refuses) sent as what they wrap, and read back read-only."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[types.MappingProxyType] = _proxy
    pickler.dump(value)
    return out.getvalue()


def _proxy(mapping: types.MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _read_only, (dict(mapping),)


def _read_only(mapping: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(mapping)
