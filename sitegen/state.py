"""What the previous builds knew, kept in the cache directory as ``state.json``.

- Per repository, the tags and digests of its last successful crawl and when that was:
  when a registry or repository fails, its last good data is shown, marked stale.
- Per digest, the last build that used it: cache entries unseen for ``keep`` builds are
  pruned, so a long-lived CI cache does not grow forever.

The state is written atomically, and only after the site has been swapped into place:
a failed or killed build leaves the previous state (and site) as they were.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.registry.references import is_digest, is_name, is_tag

log = logging.getLogger("sitegen.state")

STATE_FILE = "state.json"
STATE_VERSION = 1
DEFAULT_KEEP_BUILDS = 7


@dataclass(frozen=True, slots=True)
class RepositoryState:
    """A repository as its last successful crawl saw it."""

    crawled_at: str  # RFC 3339
    tags: Mapping[str, str]  # tag -> digest


@dataclass
class State:
    """The whole state file, loaded into memory."""

    build: int = 0
    repositories: dict[tuple[str, str], RepositoryState] = field(default_factory=dict)
    digests: dict[str, int] = field(default_factory=dict)  # digest -> last build that used it

    @classmethod
    def load(cls, cache_dir: Path | None) -> State:
        """Read ``state.json``; a missing or unreadable file is an empty state."""
        if cache_dir is None:
            return cls()
        path = cache_dir / STATE_FILE
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("cache: ignoring unreadable %s: %s", path, exc)
            return cls()
        return cls._from_document(document)

    @classmethod
    def _from_document(cls, document: Any) -> State:
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            return cls()
        state = cls(build=_int(document.get("build")))
        repositories = document.get("repositories")
        for key, value in repositories.items() if isinstance(repositories, dict) else []:
            registry, _, name = str(key).partition("/")
            if not isinstance(value, dict) or not is_name(name):
                continue
            tags = value.get("tags")
            state.repositories[(registry, name)] = RepositoryState(
                crawled_at=str(value.get("crawled_at") or ""),
                tags={
                    t: d
                    for t, d in (tags.items() if isinstance(tags, dict) else [])
                    if isinstance(t, str) and is_tag(t) and isinstance(d, str) and is_digest(d)
                },
            )
        digests = document.get("digests")
        for digest, seen in digests.items() if isinstance(digests, dict) else []:
            if is_digest(digest):
                state.digests[digest] = _int(seen)
        return state

    def record(self, registry: str, repository: str, data: RepositoryState) -> None:
        """Remember a successful crawl of one repository."""
        self.repositories[(registry, repository)] = data

    def forget_missing(self, registry: str, present: Iterable[str]) -> None:
        """Drop repositories a successful catalog listing no longer contains."""
        keep = set(present)
        for key in [k for k in self.repositories if k[0] == registry and k[1] not in keep]:
            del self.repositories[key]

    def touch(self, digests: Iterable[str]) -> None:
        """Mark ``digests`` as used by this build."""
        for digest in digests:
            self.digests[digest] = self.build

    def expired(self, keep: int) -> list[str]:
        """Digests not used in the last ``keep`` builds."""
        return sorted(d for d, seen in self.digests.items() if self.build - seen >= keep)

    def save(self, cache_dir: Path) -> None:
        """Write ``state.json`` atomically."""
        document = {
            "version": STATE_VERSION,
            "build": self.build,
            "repositories": {
                f"{registry}/{name}": {"crawled_at": repo.crawled_at, "tags": dict(repo.tags)}
                for (registry, name), repo in sorted(self.repositories.items())
            },
            "digests": dict(sorted(self.digests.items())),
        }
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".state-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, separators=(",", ":"), sort_keys=True)
            Path(tmp).replace(cache_dir / STATE_FILE)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
