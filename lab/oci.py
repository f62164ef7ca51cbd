"""The content-addressed building blocks: media types, blobs, built manifests, layouts.

Nothing here reads the clock or a random source: the same input always yields the same
bytes, so tests can assert on digests. Layers are gzip'd tars with fixed metadata
(mtime, owner, sorted entries, gzip header mtime 0); a manifest is serialised once and
its digest is the sha256 of exactly those bytes (OCI image-spec ``descriptor.md``).
``lab.images`` builds images, indexes and artifacts from these.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Media types (OCI image-spec media-types.md; Docker image manifest v2 schema 2).
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IN_TOTO = "application/vnd.in-toto+json"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

MANIFEST_MEDIA_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)

SPDX_PREDICATE = "https://spdx.dev/Document"
SLSA_PREDICATE = "https://slsa.dev/provenance/v0.2"

# The OCI empty descriptor's content (image-spec manifest.md "Guidance for an Empty
# Descriptor"): the two bytes ``{}``.
EMPTY_JSON = b"{}"
# Every tar entry gets this mtime (2024-01-01T00:00:00Z) so layers never depend on "now".
TAR_MTIME = 1704067200


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fallback_tag(digest: str) -> str:
    """The referrers tag schema name for ``digest``: ``sha256:abc`` -> ``sha256-abc``.

    OCI distribution-spec 1.1 "Referrers Tag Schema"; cosign uses the same stem with a
    ``.sig`` / ``.att`` / ``.sbom`` suffix.
    """
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}-{hexpart}"


def dump_json(obj: Any) -> bytes:
    """Serialise a manifest or config: 2-space indent, insertion key order, UTF-8.

    Insertion order (not ``sort_keys``) keeps the shapes close to what real tools write;
    determinism comes from every builder filling its dicts in a fixed order.
    """
    return json.dumps(obj, indent=2, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Blob:
    """A content-addressed blob: a layer, a config, an attestation statement."""

    media_type: str
    data: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the data."""
        return sha256_digest(self.data)

    @property
    def size(self) -> int:
        """Length of the data in bytes."""
        return len(self.data)

    def descriptor(self) -> dict[str, Any]:
        """An OCI descriptor for this blob (mediaType, digest, size)."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Platform:
    """The platform an image runs on, as it appears in an index descriptor."""

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    def to_json(self) -> dict[str, str]:
        """The ``platform`` object of an index descriptor (image-spec image-index.md)."""
        out = {"architecture": self.architecture, "os": self.os}
        if self.os_version is not None:
            out["os.version"] = self.os_version
        if self.variant is not None:
            out["variant"] = self.variant
        return out


@dataclass(frozen=True)
class Built:
    """One manifest (image, index or artifact) plus every blob and child manifest it needs.

    ``manifest`` holds the exact bytes to push; ``digest`` is their sha256. ``children``
    are the manifests an index refers to, which must be pushed (by digest) first.
    """

    media_type: str
    manifest: bytes = field(repr=False)
    digest: str
    blobs: tuple[Blob, ...] = field(repr=False)
    children: tuple[Built, ...] = field(repr=False)
    platform: Platform | None = None
    artifact_type: str | None = None

    @property
    def size(self) -> int:
        """Length of the manifest in bytes."""
        return len(self.manifest)

    @property
    def config(self) -> Blob | None:
        """The config blob of an image or artifact manifest; None for an index."""
        if not self.blobs or self.media_type in (OCI_INDEX, DOCKER_LIST):
            return None
        return self.blobs[0]

    def descriptor(self) -> dict[str, Any]:
        """An OCI descriptor for this manifest (mediaType, digest, size)."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}

    def walk(self) -> Iterator[Built]:
        """This manifest and all its descendants, children before parents (push order)."""
        for child in self.children:
            yield from child.walk()
        yield self


def make_built(
    media_type: str,
    manifest: Mapping[str, Any],
    blobs: Sequence[Blob],
    children: Sequence[Built] = (),
    platform: Platform | None = None,
    artifact_type: str | None = None,
) -> Built:
    """Serialise ``manifest`` (``dump_json``) and wrap it with its digest and contents."""
    raw = dump_json(manifest)
    return Built(
        media_type=media_type,
        manifest=raw,
        digest=sha256_digest(raw),
        blobs=tuple(blobs),
        children=tuple(children),
        platform=platform,
        artifact_type=artifact_type,
    )


def _tar_entries(files: Mapping[str, bytes]) -> list[tuple[str, bytes | None]]:
    """Sorted (name, data) pairs with parent directories (data None) made explicit."""
    entries: dict[str, bytes | None] = {}
    for raw_path, data in files.items():
        path = raw_path.strip("/")
        if not path:
            raise ValueError(f"empty file path {raw_path!r}")
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entries.setdefault("/".join(parts[:depth]), None)
        entries[path] = data
    return sorted(entries.items())


def tar_gz(files: Mapping[str, bytes]) -> tuple[bytes, bytes]:
    """A deterministic ``(gzip'd tar, uncompressed tar)`` holding ``files``.

    Owner root, fixed mtime, sorted names, ustar format (no PAX headers carrying
    times), gzip header mtime 0 and no file name: equal input, equal bytes. (The gzip
    stream is as stable as the zlib build: digests are fixed per machine, which is what
    tests need, but are not promised across zlib versions.)
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in _tar_entries(files):
            info = tarfile.TarInfo(name)
            info.mtime = TAR_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o755 if "/bin/" in f"/{name}" else 0o644
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=compressed, mode="wb", mtime=0) as gz:
        gz.write(uncompressed)
    return compressed.getvalue(), uncompressed


def write_oci_layout(directory: Path, built: Built, ref: str) -> None:
    """Write ``built`` into an OCI image layout at ``directory`` under the name ``ref``.

    image-spec image-layout.md: ``oci-layout``, ``blobs/sha256/<hex>`` and an
    ``index.json`` whose descriptor carries ``org.opencontainers.image.ref.name``.
    Calling it again on the same directory adds (or replaces) a ref, so one layout can
    hold several images for ``skopeo copy oci:DIR:REF``.
    """
    blob_dir = directory / "blobs" / "sha256"
    blob_dir.mkdir(parents=True, exist_ok=True)
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    contents: list[tuple[str, bytes]] = []
    for each in built.walk():
        contents.append((each.digest, each.manifest))
        contents.extend((blob.digest, blob.data) for blob in each.blobs)
    for digest, data in contents:
        path = blob_dir / digest.removeprefix("sha256:")
        if not path.exists():
            path.write_bytes(data)
    index_path = directory / "index.json"
    layout: dict[str, Any] = {"schemaVersion": 2, "manifests": []}
    if index_path.exists():
        layout = json.loads(index_path.read_text())
    ref_key = "org.opencontainers.image.ref.name"
    manifests = [
        entry for entry in layout["manifests"] if entry.get("annotations", {}).get(ref_key) != ref
    ]
    entry = built.descriptor()
    entry["annotations"] = {ref_key: ref}
    manifests.append(entry)
    layout["manifests"] = manifests
    index_path.write_bytes(dump_json(layout))
