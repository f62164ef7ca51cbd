"""Which image is built on which, over the whole crawled catalog: a pure function of the
model (no request, no file), run once the crawl is complete, because its result goes
into the model (``Catalog.bases``) and into the change history (``base-moved``).

Each platform manifest's base is found by the first of three methods that finds one:

1. ``provenance``: the image materials of its SLSA provenance (``oci.bases``). One
   candidate is the base. Several (a multi-stage build names every stage's image): the
   one in the catalog whose layers are the longest strict prefix of the image's; when
   none is, the page says which candidates there were rather than guess.
2. ``annotation``: ``org.opencontainers.image.base.name`` / ``base.digest``.
3. ``layers``: the longest strict layer prefix among the catalog's images (``LayerIndex``).

Stale: the base's tag now points to another digest than the one built on (compared per
platform). Known only for a base the catalog crawls; any other is ``unchecked``. A layer
match against an image that a tag pointed to in an earlier build (``Catalog.previous``,
which the crawl reads from the cache for every ``tag-moved`` change it remembers) is
stale too: the image was built on what the tag used to be.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from sitegen.model import Catalog, Change, Image, Index, Manifest, Repository, images_of
from sitegen.oci import bases
from sitegen.oci.bases import BaseClaim
from sitegen.oci.masking import Masker
from sitegen.oci.versions import is_prerelease, is_version, version_key
from sitegen.supplychain_model import BaseImage

Key = tuple[str, str, str]  # (registry, repository, platform manifest digest)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An image that may be a base: a platform manifest some tag points to (``moved``:
    pointed to in an earlier build, and points elsewhere now)."""

    registry: str
    repository: str
    tag: str
    digest: str  # of the platform manifest
    tag_digest: str  # what the tag points to (an index, perhaps)
    moved: bool = False

    @property
    def stable(self) -> bool:
        """Its tag is a version that is no pre-release."""
        return is_version(self.tag) and not is_prerelease(self.tag)


def ranked(found: list[Candidate]) -> None:
    """The tie rule among candidates with the same layers, sorted in place: what a tag
    points to now before what it used to; a stable version tag (no pre-release) before
    any other tag; the highest version (``3.20.3`` before ``3.20`` before ``3``); then by
    registry, repository and tag names. (Stable sorts, the last key first.)"""
    found.sort(key=lambda c: (c.registry, c.repository, c.tag))
    found.sort(key=lambda c: version_key(c.tag)[:3], reverse=True)
    found.sort(key=lambda c: (c.moved, not c.stable))


class LayerIndex:
    """Images by their layer chains, as a trie: one step per layer digest, so finding
    the longest strict prefix of an image walks its own layers once, whatever the size
    of the catalog."""

    def __init__(self) -> None:
        self._children: dict[tuple[int, str], int] = {}
        self._ends: dict[int, list[Candidate]] = {}

    def add(self, layers: tuple[str, ...], candidate: Candidate) -> None:
        """``candidate``'s image has ``layers``."""
        node = 0
        for layer in layers:
            node = self._children.setdefault((node, layer), len(self._children) + 1)
        self._ends.setdefault(node, []).append(candidate)

    def seal(self) -> None:
        """Sort the candidates of each chain by the tie rule (``ranked``), once."""
        for found in self._ends.values():
            if len(found) > 1:
                ranked(found)

    def longest_prefix(
        self, layers: tuple[str, ...], registry: str, repository: str
    ) -> Candidate | None:
        """The best candidate whose layers are the longest strict prefix of ``layers``,
        from another repository (an earlier version of the same image is not its base)."""
        node, best = 0, None
        for layer in layers[:-1]:
            child = self._children.get((node, layer))
            if child is None:
                break
            node = child
            for found in self._ends.get(node, ()):
                if (found.registry, found.repository) != (registry, repository):
                    best = found
                    break
        return best


def find_bases(catalog: Catalog, masker: Masker) -> dict[Key, BaseImage]:
    """Every platform manifest's base, by (registry, repository, digest)."""
    catalog_view = _CatalogView(catalog)
    found: dict[Key, BaseImage] = {}
    for registry in catalog.registries:
        for repo in registry.repositories:
            materials = _materials_by_subject(repo)
            for image, index in _images(repo):
                key = (registry.name, repo.name, image.digest)
                if key not in found:
                    base = catalog_view.base_of(
                        registry.name, repo.name, image, index, materials, masker
                    )
                    if base is not None:
                        found[key] = base
    return found


def base_moves(
    found: Mapping[Key, BaseImage], catalog: Catalog, changes: Iterable[Change], now: str
) -> list[Change]:
    """A ``base-moved`` change per tag whose image's base tag moved in this build, away
    from the digest the image was built on."""
    moved = {(c.registry, c.repository, c.tag): c for c in changes if c.kind == "tag-moved"}
    manifests = _all_manifests(catalog)
    tags: dict[tuple[str, str], dict[str, list[str]]] = {}
    for shown in catalog.registries:
        for repo in shown.repositories:
            tags[(shown.name, repo.name)] = _tags_by_image(repo)
    out: set[Change] = set()
    for (registry, repository, digest), base in found.items():
        change = moved.get((base.registry, base.repository, base.tag))
        if base.status != "stale" or change is None:
            continue
        before = {change.old, *(_entries(manifests.get(change.old)))}
        if base.digest not in before and base.platform_digest not in before:
            continue
        ref = f"{base.registry}/{base.repository}:{base.tag}"
        for name in tags.get((registry, repository), {}).get(digest, []):
            out.add(
                Change(now, registry, repository, "base-moved", name, change.old, change.new, ref)
            )
    return sorted(out)


class _CatalogView:
    """What base finding looks up in the catalog: manifests by digest (also those moved
    tags pointed to before), tags, repositories by pull host, and the layer index."""

    def __init__(self, catalog: Catalog) -> None:
        self.manifests = _all_manifests(catalog)
        self.tags: dict[Key, str] = {}
        self.hosts: list[tuple[str, str]] = []  # (pull host + "/", registry), longest first
        self.repositories: set[tuple[str, str]] = set()
        self.stale_since: dict[tuple[str, str], str] = {}  # shown from an earlier build
        self.layers = LayerIndex()
        for registry in catalog.registries:
            self.hosts.append((registry.pull_host.rstrip("/") + "/", registry.name))
            for repo in registry.repositories:
                self.repositories.add((registry.name, repo.name))
                if repo.stale_since:
                    self.stale_since[(registry.name, repo.name)] = repo.stale_since
                for tag in repo.tags:
                    self.tags[(registry.name, repo.name, tag.name)] = tag.digest
        self.hosts.sort(key=lambda h: (-len(h[0]), h))
        for (registry_name, repository, tag_name), digest in sorted(self.tags.items()):
            self._index(Candidate(registry_name, repository, tag_name, "", digest))
        for change in sorted(catalog.changes):
            key = (change.registry, change.repository, change.tag)
            if change.kind == "tag-moved" and self.tags.get(key, change.old) != change.old:
                self._index(Candidate(*key, "", change.old, moved=True))
        self.layers.seal()

    def _index(self, candidate: Candidate) -> None:
        manifest = self.manifests.get(candidate.tag_digest)
        for image in images_of(manifest) if manifest is not None else ():
            if image.is_image and image.layers:
                layers = tuple(layer.digest for layer in image.layers)
                self.layers.add(layers, _with_digest(candidate, image.digest))

    def locate(self, claim: BaseClaim) -> tuple[str, str] | None:
        """The (registry, repository) of the catalog that holds the claimed base."""
        name = f"{claim.host}/{claim.repository}"
        for prefix, registry in self.hosts:
            if name.startswith(prefix) and (registry, name[len(prefix) :]) in self.repositories:
                return registry, name[len(prefix) :]
        return None

    def base_of(
        self,
        registry: str,
        repository: str,
        image: Image,
        index: Index | None,
        materials: Mapping[str, list[tuple[str, str]]],
        masker: Masker,
    ) -> BaseImage | None:
        """One image's base by the first method that finds one (module docstring)."""
        platform = _platform(image, index)
        layers = tuple(layer.digest for layer in image.layers)
        named = materials.get(image.digest) or (materials.get(index.digest, []) if index else [])
        claims = [
            c
            for c in (bases.from_materials(named, masker) if named else ())
            if not c.platform or c.platform == platform
        ]
        ambiguous: BaseImage | None = None
        if len(claims) == 1:
            return self._checked("provenance", claims[0], platform)
        if claims:
            best = self.layers.longest_prefix(layers, registry, repository)
            chosen = [c for c in claims if best and self._names(c, best)]
            if chosen:
                note = (
                    f"chosen among the {len(claims)} images the provenance names: "
                    "its layers begin this image's"
                )
                return self._checked("provenance", chosen[0], platform, note)
            ambiguous = BaseImage(
                "provenance",
                "ambiguous",
                candidates=tuple(c.text for c in claims),
                note=(
                    f"the provenance names {len(claims)} images, and none is in the catalog "
                    "with layers this image begins with"
                ),
            )
        claim = bases.from_annotations(
            image.annotations, index.annotations if index else {}, masker
        )
        if claim is not None:
            return self._checked("annotation", claim, platform)
        if ambiguous is not None:
            return ambiguous
        best = self.layers.longest_prefix(layers, registry, repository)
        if best is None:
            return None
        current = self.tags.get((best.registry, best.repository, best.tag), "")
        shown = next(h for h, r in self.hosts if r == best.registry)
        return BaseImage(
            "layers",
            "stale" if best.moved else "current",
            reference=f"{shown}{best.repository}:{best.tag}",
            digest=best.tag_digest,
            platform_digest=best.digest if best.digest != best.tag_digest else "",
            registry=best.registry,
            repository=best.repository,
            tag=best.tag,
            current=current,
            current_platform=now if (now := self._entry(current, platform)) != current else "",
        )

    def _names(self, claim: BaseClaim, candidate: Candidate) -> bool:
        place = self.locate(claim)
        return place == (candidate.registry, candidate.repository) and (
            claim.tag == candidate.tag or claim.digest in (candidate.digest, candidate.tag_digest)
        )

    def _checked(self, method: str, claim: BaseClaim, platform: str, note: str = "") -> BaseImage:
        """A claimed base, compared with what its tag points to now."""
        if not claim.valid:
            return BaseImage(
                method,
                "unchecked",
                reference=claim.text,
                note="the base is not named as a valid image reference",
            )
        built = self._entry(claim.digest, platform)
        shown = BaseImage(
            method,
            "unchecked",
            reference=claim.text,
            digest=claim.digest,
            platform_digest=built if built != claim.digest else "",
            note=note,
        )
        place = self.locate(claim)
        if place is None:
            return replace(shown, note="not checked: the base is not in the catalog")
        current = self.tags.get((*place, claim.tag), "") if claim.tag else ""
        if not current:
            # Its repository is in the catalog; the tag as named is only in ``reference``
            # (masked), as nothing of the catalog holds it.
            why = "its tag is not in the catalog" if claim.tag else "it is named by digest alone"
            return replace(
                shown, registry=place[0], repository=place[1], note=f"not checked: {why}"
            )
        now = self._entry(current, platform)
        if not claim.digest:
            status, note = "unchecked", "not checked: no digest says what it was built on"
        else:
            status = "current" if claim.digest == current or built == now else "stale"
        if place in self.stale_since:
            # "Now" is the base's last good crawl: its registry or repository failed.
            since = f"compared with the base as crawled at {self.stale_since[place]}"
            note = f"{note}; {since}" if note else since
        return replace(
            shown,
            status=status,
            registry=place[0],
            repository=place[1],
            tag=claim.tag,
            current=current,
            current_platform=now if now != current else "",
            note=note,
        )

    def _entry(self, digest: str, platform: str) -> str:
        """The platform manifest of ``digest`` for ``platform`` when it is a known index,
        else ``digest`` itself."""
        manifest = self.manifests.get(digest)
        if isinstance(manifest, Index):
            for entry in manifest.entries:
                if entry.platform is not None and str(entry.platform) == platform:
                    return entry.descriptor.digest
        return digest


def _all_manifests(catalog: Catalog) -> dict[str, Manifest]:
    """Every manifest of the catalog by digest, with those moved tags pointed to before."""
    found = dict(catalog.previous)
    for registry in catalog.registries:
        for repo in registry.repositories:
            found.update(repo.manifests)
    return found


def _images(repo: Repository) -> Iterator[tuple[Image, Index | None]]:
    """Every runnable platform manifest of a repository, with its index if it has one."""
    for manifest in repo.manifests.values():
        if isinstance(manifest, Index):
            for entry in manifest.entries:
                if entry.image is not None and entry.image.is_image:
                    yield entry.image, manifest
        elif manifest.is_image:
            yield manifest, None


def _materials_by_subject(repo: Repository) -> dict[str, list[tuple[str, str]]]:
    """The provenance materials of the repository, by the digest they are about."""
    found: dict[str, list[tuple[str, str]]] = {}
    for manifest in repo.manifests.values():
        for attestation in manifest.attestations if isinstance(manifest, Index) else ():
            for item in attestation.provenance:
                found.setdefault(attestation.subject, []).extend(item.materials)
    for subject, referrers in repo.referrers.items():
        for referrer in referrers:
            for item in referrer.provenance:
                found.setdefault(subject, []).extend(item.materials)
    return found


def _tags_by_image(repo: Repository) -> dict[str, list[str]]:
    """Platform manifest digest -> the tags that pull it (its own, its indexes')."""
    found: dict[str, list[str]] = {}
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        for image in images_of(manifest) if manifest is not None else ():
            found.setdefault(image.digest, []).append(tag.name)
    return found


def _platform(image: Image, index: Index | None) -> str:
    if index is not None:
        for entry in index.entries:
            if entry.descriptor.digest == image.digest and entry.platform is not None:
                return str(entry.platform)
    return str(image.platform) if image.platform is not None else ""


def _entries(manifest: Manifest | None) -> list[str]:
    return [e.descriptor.digest for e in manifest.entries] if isinstance(manifest, Index) else []


def _with_digest(candidate: Candidate, digest: str) -> Candidate:
    return Candidate(
        candidate.registry,
        candidate.repository,
        candidate.tag,
        digest,
        candidate.tag_digest,
        candidate.moved,
    )
