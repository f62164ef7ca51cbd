"""A content-addressed store of manifests and configs, keyed by digest.

Entries are immutable: a digest names its bytes, so an entry never goes stale and is
safe to keep between CI runs. Writes are atomic (temporary file, then rename); every
read is verified against the digest and a corrupt entry is dropped and fetched again.
One build at a time uses a cache directory (``lock``): two would lose each other's
``state.json``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from sitegen.config.schema import CACHED_DOCUMENT_BYTES
from sitegen.errors import FileRefused, OutputError
from sitegen.files import atomic_write, describe, exclusive, read_limited
from sitegen.oci.references import is_digest, verify_digest

log = logging.getLogger("sitegen.crawl.cache")

LOCK_FILE = "lock"
# Far above any manifest or config a registry may send; the config keeps the document
# limits (limits.sbom_bytes, ...) at or below it, so whatever is cached can be read back.
MAX_ENTRY_BYTES = CACHED_DOCUMENT_BYTES
_TEMPORARY_PREFIX = ".tmp-"  # an entry being written; a killed build's are pruned


@contextlib.contextmanager
def lock(root: Path) -> Iterator[None]:
    """Create the cache directory ``root`` and hold its lock for the ``with`` block.

    ``BusyError`` when another build holds it; ``OutputError`` when the directory
    cannot be created or written (before any request is sent, not after the crawl).
    """
    with contextlib.ExitStack() as held:
        try:
            root.mkdir(parents=True, exist_ok=True)
            held.enter_context(exclusive(root / LOCK_FILE, f"the cache directory {root}"))
        except OSError as exc:
            raise OutputError(f"cannot use the cache directory {root}: {describe(exc)}") from None
        yield


class Cache:
    """Digest -> bytes on disk; only in memory (for this run) when ``root`` is None."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.hits = 0
        self.touched: set[str] = set()  # every digest this build read or wrote
        self._memory: dict[str, bytes] = {}

    def path(self, digest: str) -> Path:
        """Where ``digest`` lives: ``blobs/<algorithm>/<first two hex>/<hex>``."""
        if self.root is None or not is_digest(digest):
            raise ValueError(f"no path for {digest!r}")
        algorithm, _, encoded = digest.partition(":")
        return self.root / "blobs" / algorithm / encoded[:2] / encoded

    def get(self, digest: str) -> bytes | None:
        """The verified bytes for ``digest`` (counted as a hit), or None."""
        data = self.stored(digest)
        if data is not None:
            self.hit(digest)
        return data

    def hit(self, digest: str) -> None:
        """Count a read of ``digest`` that this build made before and kept (``get``
        would have found the same verified bytes)."""
        self.hits += 1
        self.touched.add(digest)

    def stored(self, digest: str) -> bytes | None:
        """The verified bytes for ``digest``, or None; not counted as a hit: the site
        reads what the crawl stored (masked SBOM documents) to offer it for download."""
        data = self._memory.get(digest)
        if data is None and self.root is not None and is_digest(digest):
            data = self._read(digest)
        return data

    def put(self, digest: str, data: bytes, *, verified: bool = False) -> None:
        """Store ``data`` under ``digest`` (which it must hash to). ``verified``: the
        registry client has just checked that it does (it checks every manifest and blob
        it returns against the digest asked for), so it is not hashed again."""
        if not verified and not _matches(data, digest):
            raise ValueError(f"refusing to cache bytes that do not hash to {digest}")
        self.touched.add(digest)
        if self.root is None:
            self._memory[digest] = data
            return
        path = self.path(digest)
        if path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data, prefix=_TEMPORARY_PREFIX)
        except OSError as exc:
            # A cache that cannot be written costs requests next time, not this build.
            log.warning("cache: cannot write %s: %s", path, exc)

    def prune(self, digests: list[str]) -> int:
        """Delete the entries for ``digests`` and stray temporary files; return how many."""
        if self.root is None:
            return 0
        removed = 0
        for digest in digests:
            try:
                self.path(digest).unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cache: cannot remove %s: %s", self.path(digest), exc.strerror)
        blobs = self.root / "blobs"
        # Temporary files of a killed build are never read; remove them.
        for stray in blobs.glob(f"*/*/{_TEMPORARY_PREFIX}*") if blobs.is_dir() else ():
            with contextlib.suppress(OSError):
                stray.unlink()
        return removed

    def _read(self, digest: str) -> bytes | None:
        path = self.path(digest)
        try:
            data = read_limited(path, MAX_ENTRY_BYTES)
        except FileNotFoundError:
            return None
        except (OSError, FileRefused) as exc:
            log.warning("cache: cannot read %s: %s", path, exc)
            return None
        if not _matches(data, digest):
            log.warning("cache: dropping corrupt entry %s", digest)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data


def _matches(data: bytes, digest: str) -> bool:
    # Strictly the hash of the bytes: the client keeps only what a digest covers (a
    # signed schema1 manifest's payload), so an entry holding anything else - such as
    # a signatures block, which the digest does not cover - is refused or dropped.
    return verify_digest(data, digest)
