"""Pagefind's index in one order: the same documents give the same bytes.

Pagefind writes its filters (registry, kind, platform) from hash maps, so two runs over
the same documents list the filters in the index's metadata, and the values inside each
filter file, in different orders, and name those files by hashes of those bytes. This
module rewrites the three kinds of file it concerns into a fixed order:

- each ``filter/<lang>_<hash>.pf_filter``: its values sorted, renamed by the hash of
  the sorted content;
- ``pagefind.<lang>_<hash>.pf_meta``: its filter list sorted by name and pointing at the
  renamed files, itself renamed by the hash of its new content;
- ``pagefind-entry.json``: pointing at the renamed metadata.

The files are ``pagefind_dcd`` plus one CBOR item, gzip'd. Only the CBOR that Pagefind
writes there is read (integers, text, arrays); anything else, or a file that would not
be written back byte for byte before reordering, leaves the index as Pagefind wrote it
(it still works; it is only not reproducible).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from sitegen.oci import cbor

log = logging.getLogger(__name__)

SIGNATURE = b"pagefind_dcd"
ENTRY_FILE = "pagefind-entry.json"
FILTER_HASH_LENGTH = 7  # Pagefind's own lengths, so the names look like its names
META_HASH_LENGTH = 10


class Unexpected(ValueError):
    """The file is not in the shape this module knows: leave the index alone."""


def canonical(index: Path) -> bool:
    """Rewrite ``index`` (a Pagefind output directory) into its fixed order. Returns
    False, changing nothing, when a file is not in the expected shape."""
    try:
        plan = _plan(index)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.info("search: index left in Pagefind's order: %s", exc)
        return False
    for old, (new, data) in plan.items():
        if old != new:
            old.replace(new)  # renamed, then rewritten: the index never lacks a file
        new.write_bytes(data)
    return True


def _plan(index: Path) -> dict[Path, tuple[Path, bytes]]:
    """Old file -> (new file, its bytes), for every file that changes; reads only."""
    entry_path = index / ENTRY_FILE
    entry_text = entry_path.read_text(encoding="utf-8")
    entry: Any = json.loads(entry_text)
    plan: dict[Path, tuple[Path, bytes]] = {}
    for language, about in sorted(entry["languages"].items()):
        meta_hash: str = about["hash"]
        meta_path = index / f"pagefind.{meta_hash}.pf_meta"
        meta = _read(meta_path)
        if not (isinstance(meta, list) and len(meta) > 3 and isinstance(meta[3], list)):
            raise Unexpected(f"{meta_path.name}: no filter list where expected")
        filters = []
        for name, filter_hash in meta[3]:
            path = index / "filter" / f"{filter_hash}.pf_filter"
            content = _read(path)
            if not (isinstance(content, list) and len(content) == 2 and content[0] == name):
                raise Unexpected(f"{path.name}: not the filter {name!r}")
            values = sorted(content[1], key=lambda value: str(value[0]))
            data = _encode([name, values])
            new_hash = _name(language, data, FILTER_HASH_LENGTH)
            plan[path] = (path.with_name(f"{new_hash}.pf_filter"), _pack(data))
            filters.append([name, new_hash])
        meta[3] = sorted(filters)
        data = _encode(meta)
        new_meta = _name(language, data, META_HASH_LENGTH)
        plan[meta_path] = (meta_path.with_name(f"pagefind.{new_meta}.pf_meta"), _pack(data))
        # A plain replacement keeps the rest of Pagefind's JSON as it wrote it.
        entry_text = entry_text.replace(json.dumps(meta_hash), json.dumps(new_meta))
    plan[entry_path] = (entry_path, entry_text.encode("utf-8"))
    return plan


def _name(language: str, data: bytes, length: int) -> str:
    return f"{language}_{hashlib.sha256(data).hexdigest()[:length]}"


def _pack(data: bytes) -> bytes:
    return gzip.compress(SIGNATURE + data, compresslevel=9, mtime=0)


def _read(path: Path) -> Any:
    """The CBOR item of one of Pagefind's files, checked to be written back unchanged."""
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(SIGNATURE):
        raise Unexpected(f"{path.name}: no Pagefind signature")
    body = raw[len(SIGNATURE) :]
    try:
        value = cbor.loads(body)
        if _encode(value) != body:
            raise Unexpected(f"{path.name}: not in the CBOR shape expected")
    except cbor.CBORError as exc:
        raise Unexpected(f"{path.name}: {exc}") from None
    return value


def _encode(value: Any) -> bytes:
    """``value`` as Pagefind writes it: shortest-form CBOR of integers, text, arrays."""
    try:
        return cbor.dumps(value)
    except cbor.CBORError as exc:
        raise Unexpected(str(exc)) from None
