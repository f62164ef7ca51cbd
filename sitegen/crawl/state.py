"""What the previous builds knew, kept in the cache directory as ``state.json``.

- Per repository, the tags and digests of its last successful crawl and when that was:
  when a registry or repository fails, its last good data is shown, marked stale.
- Per repository, when each tag it lists was first seen (``crawl.seen``); a state from
  before sitegen kept that has none, and its tags are "on or before" its crawl.
- Per digest, the last build that used it: cache entries unseen for ``keep`` builds are
  pruned, so a long-lived CI cache does not grow forever.

The state always goes with the site in place, whenever a build is killed. It is
committed in two phases around the site's swap (``sitegen.site.output``):

1. before the swap, ``prepare`` writes ``state.json.next`` (atomically: a temporary
   file, then a rename), naming the staged site by its identity;
2. after the swap, ``promote`` renames it to ``state.json``.

A build killed between the two leaves ``state.json.next`` behind. The next ``load``
promotes it if the site in place is the one it names (the swap happened), and
discards it otherwise (the old site is still there, and so is its ``state.json``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.dates import parse_rfc3339, utc_seconds
from sitegen.errors import FileRefused, OutputError
from sitegen.files import atomic_write, read_limited, reason
from sitegen.model import Change
from sitegen.oci import kinds
from sitegen.oci.references import is_digest, is_name, is_tag
from sitegen.supplychain_model import Referrer

log = logging.getLogger("sitegen.crawl.state")

STATE_FILE = "state.json"
PENDING_FILE = "state.json.next"  # written before the site's swap, promoted after it
MAX_STATE_BYTES = 256 << 20
_TEMPORARY_PREFIX = ".state-"
STATE_VERSION = 1
DEFAULT_KEEP_BUILDS = 7
HISTORY_LIMIT = 2000  # change events kept (newest first)
MAX_REFERRER_TEXT = 200  # a remembered referrer's source or tag
CHANGE_KINDS = frozenset(
    {
        "tag-added",
        "tag-removed",
        "tag-moved",
        "repository-added",
        "repository-removed",
        "base-moved",
    }
)


@dataclass(frozen=True, slots=True)
class Seen:
    """When this catalog first saw a tag: the build that first listed it, or, with
    ``before``, a build it was already there at (so it appeared then or earlier)."""

    time: str  # RFC 3339 UTC, whole seconds
    before: bool = False


@dataclass(frozen=True, slots=True)
class RepositoryState:
    """A repository as its last successful crawl saw it."""

    crawled_at: str  # RFC 3339
    tags: Mapping[str, str]  # tag -> digest
    # subject digest -> what referred to it (digest, kind, source, tag only): read again
    # from the cache when the registry cannot be asked.
    referrers: Mapping[str, tuple[Referrer, ...]] = field(default_factory=dict)
    # Every tag it lists (filtered out or not, supply-chain tags aside) -> when first
    # seen; None: a state written before sitegen kept it, or an entry that is not valid.
    first_seen: Mapping[str, Seen] | None = None


@dataclass(frozen=True, slots=True)
class RegistryRun:
    """A registry's last successful crawl: when it started, and how long it took."""

    crawled_at: str  # RFC 3339
    seconds: float


@dataclass
class State:
    """The whole state file, loaded into memory."""

    build: int = 0
    repositories: dict[tuple[str, str], RepositoryState] = field(default_factory=dict)
    digests: dict[str, int] = field(default_factory=dict)  # digest -> last build that used it
    history: list[Change] = field(default_factory=list)  # newest first
    registries: dict[str, RegistryRun] = field(default_factory=dict)  # last successful crawls

    @classmethod
    def load(cls, cache_dir: Path | None, site: str | None = None) -> State:
        """The state that goes with the site in place, whose identity is ``site``.

        A ``state.json.next`` left by a killed build is promoted first if it names
        ``site``, else discarded. A missing or unreadable file is an empty state.
        """
        if cache_dir is None:
            return cls()
        _settle(cache_dir, site)
        path = cache_dir / STATE_FILE
        try:
            document = json.loads(read_limited(path, MAX_STATE_BYTES))
        except FileNotFoundError:
            return cls()
        except (OSError, FileRefused, ValueError) as exc:
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
                referrers=_referrers(value.get("referrers")),
                first_seen=_first_seen(value.get("first_seen")),
            )
        digests = document.get("digests")
        for digest, seen in digests.items() if isinstance(digests, dict) else []:
            if is_digest(digest):
                state.digests[digest] = _int(seen)
        runs = document.get("registries")
        for name, run in runs.items() if isinstance(runs, dict) else []:
            if isinstance(run, dict) and isinstance(run.get("crawled_at"), str):
                seconds = run.get("seconds")
                if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                    seconds = 0.0
                state.registries[str(name)] = RegistryRun(run["crawled_at"], max(0.0, seconds))
        history = document.get("history")
        for item in history if isinstance(history, list) else []:
            change = _change(item)
            if change is not None:
                state.history.append(change)
        return state

    def remember(self, changes: Iterable[Change]) -> None:
        """Put this build's changes in front of the history, which stays bounded."""
        self.history = [*sorted(changes, reverse=True), *self.history][:HISTORY_LIMIT]

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
        """Write ``state.json`` at once (for a state that no site depends on)."""
        self.prepare(cache_dir, site=None)
        promote(cache_dir)

    def prepare(self, cache_dir: Path, site: str | None) -> None:
        """Write ``state.json.next`` atomically, naming the staged site it goes with.

        ``OutputError`` (naming the file and the reason) when it cannot be written.
        """
        document: dict[str, Any] = {
            "version": STATE_VERSION,
            "build": self.build,
            "repositories": {
                f"{registry}/{name}": _repository_document(repo)
                for (registry, name), repo in sorted(self.repositories.items())
            },
            "digests": dict(sorted(self.digests.items())),
            "registries": {
                name: {"crawled_at": run.crawled_at, "seconds": run.seconds}
                for name, run in sorted(self.registries.items())
            },
            "history": [
                {
                    "time": c.time,
                    "registry": c.registry,
                    "repository": c.repository,
                    "kind": c.kind,
                    "tag": c.tag,
                    "old": c.old,
                    "new": c.new,
                    **({"base": c.base} if c.base else {}),
                }
                for c in self.history
            ],
        }
        if site is not None:
            document["site"] = site
        data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(cache_dir / PENDING_FILE, data, prefix=_TEMPORARY_PREFIX)
        except OSError as exc:
            raise OutputError(
                f"cannot save the crawl state in {cache_dir}: {reason(exc)}"
            ) from None


def promote(cache_dir: Path) -> None:
    """Make the prepared ``state.json.next`` the state (after the site's swap)."""
    try:
        (cache_dir / PENDING_FILE).replace(cache_dir / STATE_FILE)
    except OSError as exc:
        # The site is in place already; the next build promotes the state (``load``).
        log.warning("cache: cannot update %s (%s); the next build will", STATE_FILE, reason(exc))


def _settle(cache_dir: Path, site: str | None) -> None:
    """Promote or discard the ``state.json.next`` of a killed build; remove the
    temporary files of killed saves."""
    pending = cache_dir / PENDING_FILE
    try:
        document = json.loads(read_limited(pending, MAX_STATE_BYTES))
    except FileNotFoundError:
        document = None
    except (OSError, FileRefused, ValueError):
        document = {}
    if document is not None:
        named = document.get("site") if isinstance(document, dict) else None
        if site is not None and named == site:
            log.info("cache: keeping the state of the interrupted build whose site is in place")
            promote(cache_dir)
        else:
            log.info(
                "cache: discarding the state of an interrupted build (its site is not in place)"
            )
            with contextlib.suppress(OSError):
                pending.unlink()
    for stray in cache_dir.glob(f"{_TEMPORARY_PREFIX}*"):
        with contextlib.suppress(OSError):
            stray.unlink()


def _change(item: Any) -> Change | None:
    if not isinstance(item, dict):
        return None
    fields = {
        k: item.get(k) for k in ("time", "registry", "repository", "kind", "tag", "old", "new")
    }
    if not all(isinstance(v, str) for v in fields.values()):
        return None
    if fields["kind"] not in CHANGE_KINDS or not is_name(str(fields["repository"])):
        return None
    if fields["tag"] and not is_tag(str(fields["tag"])):
        return None
    if any(fields[k] and not is_digest(str(fields[k])) for k in ("old", "new")):
        return None
    base = item.get("base", "")
    if (
        not isinstance(base, str)
        or (base and not is_base(base))
        or ((fields["kind"] == "base-moved") != bool(base))
    ):
        return None
    return Change(**{k: str(v) for k, v in fields.items()}, base=base)


def is_base(value: str) -> bool:
    """A ``base-moved`` change's base: ``registry/repository:tag``."""
    registry, _, rest = value.partition("/")
    name, _, tag = rest.rpartition(":")
    return bool(registry) and is_name(name) and is_tag(tag)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _repository_document(repo: RepositoryState) -> dict[str, Any]:
    document: dict[str, Any] = {"crawled_at": repo.crawled_at, "tags": dict(repo.tags)}
    if repo.first_seen is not None:
        document["first_seen"] = {
            tag: [seen.time, seen.before] for tag, seen in sorted(repo.first_seen.items())
        }
    if repo.referrers:
        document["referrers"] = {
            subject: [[r.digest, r.kind, r.source, r.tag] for r in found]
            for subject, found in sorted(repo.referrers.items())
        }
    return document


def _referrers(value: Any) -> dict[str, tuple[Referrer, ...]]:
    """Remembered referrers, each entry checked (the file may have been edited)."""
    found: dict[str, tuple[Referrer, ...]] = {}
    for subject, entries in value.items() if isinstance(value, dict) else []:
        if not (is_digest(subject) and isinstance(entries, list)):
            continue
        kept = tuple(
            Referrer(digest=e[0], kind=e[1], source=e[2], tag=e[3])
            for e in entries
            if isinstance(e, list)
            and len(e) == 4
            and all(isinstance(part, str) for part in e)
            and is_digest(e[0])
            and e[1] in kinds.REFERRER_KINDS
            and len(e[2]) <= MAX_REFERRER_TEXT
            and (e[3] == "" or is_tag(e[3]))
        )
        if kept:
            found[subject] = kept
    return found


def _first_seen(value: Any) -> dict[str, Seen] | None:
    """When each tag was first seen, all entries valid, or None: one bad entry (an edited
    file) would make its tag look new, so the record is not trusted at all."""
    if not isinstance(value, dict):
        return None
    found: dict[str, Seen] = {}
    for tag, entry in value.items():
        if not (is_tag(tag) and isinstance(entry, list) and len(entry) == 2):
            return None
        time, before = entry
        moment = parse_rfc3339(time)
        if moment is None or not isinstance(before, bool):
            return None
        found[tag] = Seen(utc_seconds(moment), before)
    return found
