"""One catalog crawled in shards on several machines, rendered once.

``sitegen crawl --shard I/N --out DIR`` crawls the repositories whose share is I (a
hash of registry and repository name: ``crawl.context.Shard``), with its own cache and
state, and writes what it found to ``DIR/catalog.json`` (``modeljson``). ``sitegen
render DIR...`` merges any number of those into one catalog and writes the site, as
``sitegen build`` would have from the same data: registries in the config's order,
repositories by name, the history newest first. The render has no shard's cache, so each
part also carries the masked SBOM documents its pages offer for download
(``DIR/sboms/sha256-<hex>``), checked against their digests when read.

A shard whose registry fails shows that registry's last good data from its own cache,
like any build; its part then carries the failure and the stale repositories, and the
merged site shows them so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from sitegen import modeljson
from sitegen.build import ProgressCallback, crawl_counted
from sitegen.config import Config
from sitegen.config.schema import CACHED_DOCUMENT_BYTES
from sitegen.crawl.bases import find_bases
from sitegen.crawl.cache import Cache
from sitegen.crawl.cache import lock as lock_cache
from sitegen.crawl.context import Shard
from sitegen.crawl.state import DEFAULT_KEEP_BUILDS, HISTORY_LIMIT
from sitegen.errors import FileRefused, OutputError
from sitegen.files import atomic_write, read_limited, reason
from sitegen.model import Catalog, Registry
from sitegen.registry.transport import Stats
from sitegen.site.output import check_target, recover
from sitegen.site.output import lock as lock_output
from sitegen.site.pages.sbom import downloads as sbom_downloads
from sitegen.site.write import write_site

log = logging.getLogger("sitegen.shards")

CATALOG_FILE = "catalog.json"
MAX_CATALOG_BYTES = 4 << 30
# The masked SBOM documents the site offers for download, by digest (``sha256-<hex>``):
# the render has no shard's cache, so each part carries its own.
DOCUMENTS_DIR = "sboms"


@dataclass(frozen=True, slots=True)
class CrawlResult:
    """What one shard's crawl found, for its summary line and exit code."""

    catalog: Catalog
    stats: Stats
    failures: tuple[str, ...]
    seconds: float


def crawl_shard(
    config: Config,
    out: Path,
    shard: Shard,
    *,
    cache_dir: Path | None,
    keep_builds: int = DEFAULT_KEEP_BUILDS,
    transport: httpx.AsyncBaseTransport | None = None,
    on_progress: ProgressCallback | None = None,
) -> CrawlResult:
    """Crawl ``shard``'s repositories and write ``out/catalog.json``; with a cache
    directory, remember the crawl there as a build does. ``OutputError`` when ``out``
    cannot be written."""
    started = time.monotonic()
    with contextlib.ExitStack() as held:
        if cache_dir is not None:
            held.enter_context(lock_cache(cache_dir))
        crawled = crawl_counted(
            config, cache_dir, transport=transport, on_progress=on_progress, shard=shard
        )
        cache, state, outcome = crawled.cache, crawled.state, crawled.outcome
        try:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write(out / CATALOG_FILE, modeljson.dumps(outcome.catalog), prefix=".catalog-")
        except OSError as exc:
            raise OutputError(f"cannot write {out / CATALOG_FILE}: {reason(exc)}") from None
        _write_documents(out, outcome.catalog, cache)
        if cache_dir is not None:
            expired = outcome.update(state, cache, keep_builds)
            state.save(cache_dir)
            cache.prune(expired)
    log.info("shard %s: %d repositories", shard, outcome.catalog.repository_count)
    return CrawlResult(
        catalog=outcome.catalog,
        stats=crawled.stats,
        failures=tuple(crawled.progress.failures),
        seconds=time.monotonic() - started,
    )


def _write_documents(out: Path, catalog: Catalog, cache: Cache) -> None:
    """Each SBOM document the part's pages offer, from the cache the crawl put it in."""
    for digest in sbom_downloads(catalog):
        data = cache.stored(digest)
        if data is None:
            continue  # not offered by the render either (it logs it)
        path = out / DOCUMENTS_DIR / digest.replace(":", "-")
        try:
            path.parent.mkdir(exist_ok=True)
            atomic_write(path, data, prefix=".document-")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {reason(exc)}") from None


def _documents(directories: Sequence[Path]) -> Callable[[str], bytes | None]:
    """The SBOM documents the parts in ``directories`` carry, by digest, each checked
    against its digest (a part is a file anyone could have changed)."""

    def stored(digest: str) -> bytes | None:
        name = digest.replace(":", "-")
        for directory in directories:
            path = directory / DOCUMENTS_DIR / name
            try:
                data = read_limited(path, CACHED_DOCUMENT_BYTES)
            except FileNotFoundError:
                continue
            except (OSError, FileRefused) as exc:
                raise OutputError(f"cannot read {path}: {reason(exc)}") from None
            if "sha256:" + hashlib.sha256(data).hexdigest() == digest:
                return data
            log.warning("%s does not hash to its name: not offered for download", path)
        return None

    return stored


def read_part(directory: Path) -> Catalog:
    """The catalog a shard wrote into ``directory``; ``OutputError`` naming the file
    and what is wrong with it."""
    path = directory / CATALOG_FILE
    try:
        return modeljson.loads(read_limited(path, MAX_CATALOG_BYTES))
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {reason(exc)}") from None
    except modeljson.ModelJSONError as exc:
        raise OutputError(f"{path}: {exc}") from None


def merge(config: Config, parts: Sequence[Catalog]) -> Catalog:
    """One catalog from the shards' parts, as one build of the same data makes it."""
    registries = []
    for rc in config.registries:
        found = [r for part in parts for r in part.registries if r.name == rc.name]
        if found:
            registries.append(_merged_registry(found))
    changes = sorted({c for part in parts for c in part.changes}, reverse=True)
    first = parts[0]
    merged = dataclasses.replace(
        first,
        registries=tuple(registries),
        changes=tuple(changes[:HISTORY_LIMIT]),
        previous={k: v for part in parts for k, v in part.previous.items()},
        rate_limits={k: v for part in parts for k, v in part.rate_limits.items()},
        built=min(part.built for part in parts),
    )
    # Each shard found bases among its own repositories only: found again over the
    # whole catalog, as one build would (a base may be in another shard's share).
    return dataclasses.replace(merged, bases=find_bases(merged, config.site.masker))


def _merged_registry(found: list[Registry]) -> Registry:
    """A registry crawled by several shards: all their repositories; failed when a
    shard could not crawl it; its last full crawl as old as the oldest shard's."""
    repositories = sorted((r for part in found for r in part.repositories), key=lambda r: r.name)
    names = [r.name for r in repositories]
    if len(names) != len(set(names)):
        raise OutputError(f"{found[0].name}: a repository is in two shards' parts")
    successes = [r.last_success for r in found]
    # Each shard lists the registry's repositories, then crawls its share of them.
    lister = next((r for r in found if r.listed_by), found[0])
    return dataclasses.replace(
        found[0],
        repositories=tuple(repositories),
        error=next((r.error for r in found if r.error), ""),
        listed_by=lister.listed_by,
        listed_from=lister.listed_from,
        last_success="" if "" in successes else min(successes),
        last_success_seconds=max(r.last_success_seconds for r in found),
    )


def render(config: Config, output: Path, directories: Sequence[Path]) -> tuple[Catalog, int]:
    """Merge the shards' parts in ``directories`` and write the site to ``output``:
    (the catalog, pages written). ``OutputError`` for a part that cannot be used."""
    if not directories:
        raise OutputError("no crawl directories to render")
    parts = [read_part(directory) for directory in directories]
    catalog = merge(config, parts)
    target = check_target(output, protected=[config.path.resolve().parent])
    with lock_output(target, output):
        recover(target)
        pages = write_site(config, catalog, target, stored_documents=_documents(directories))
    return catalog, pages
