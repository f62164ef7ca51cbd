"""What is inside an image, as tag and digest pages show it: the SBOMs about a manifest
(its BuildKit attestations, cosign attestations and ``.sbom`` tags, referrers with an
SBOM artifact type), each with its package table, and which digests have one (the SBOM
badge).

An SBOM is what its generator found in the image: read, not checked against the image.
"""

from __future__ import annotations

from sitegen.model import Catalog, Index, Repository
from sitegen.site import paths
from sitegen.site.pages.supplychain import documents_by_subject
from sitegen.site.pages.supplychain_shapes import SbomEntry
from sitegen.supplychain_model import Sbom


def sboms_by_subject(repo: Repository) -> dict[str, list[SbomEntry]]:
    """Every SBOM of the repository, by the digest it is about: from the BuildKit
    attestations of its indexes, then from the referrers. Built once per repository."""
    found = documents_by_subject(repo, lambda item: item.sboms)
    return {s: [_entry(*entry) for entry in entries] for s, entries in found.items() if entries}


def with_sbom(repo: Repository) -> set[str]:
    """The digests with an SBOM that was read: an image's, and a multi-platform image's
    when the index or any of its platforms has one. From the model alone: tag lists
    need no package table."""
    found = {
        subject
        for subject, referrers in repo.referrers.items()
        if any(item.format for referrer in referrers for item in referrer.sboms)
    }
    for manifest in repo.manifests.values():
        if isinstance(manifest, Index):
            found |= {
                a.subject for a in manifest.attestations if any(item.format for item in a.sboms)
            }
    for digest, manifest in repo.manifests.items():
        if isinstance(manifest, Index) and any(
            e.descriptor.digest in found for e in manifest.entries
        ):
            found.add(digest)
    return found


def downloads(catalog: Catalog) -> dict[str, str]:
    """The SBOM documents the site offers for download: the digest of each (masked)
    document's bytes -> its path in the site. Each once, however many images share it."""
    found: dict[str, str] = {}
    for registry in catalog.registries:
        for repo in registry.repositories:
            for manifest in repo.manifests.values():
                if isinstance(manifest, Index):
                    for attestation in manifest.attestations:
                        found.update(_download(item) for item in attestation.sboms if item.download)
            for referrers in repo.referrers.values():
                for referrer in referrers:
                    found.update(_download(item) for item in referrer.sboms if item.download)
    return dict(sorted(found.items()))


def _download(item: Sbom) -> tuple[str, str]:
    return item.download, paths.sbom_file(item.download, item.format)


def _entry(item: Sbom, through: str, attestation: str) -> SbomEntry:
    return {
        "format": item.format,
        "package_count": item.package_count,
        "packages": [
            {
                "name": p.name,
                "version": p.version,
                "ecosystem": p.ecosystem,
                "license": p.license,
                "purl": p.purl,
            }
            for p in item.packages
        ],
        "tool": item.tool,
        "created": item.created,
        "found_through": through,
        "attestation": attestation,
        "document": item.document,
        "note": item.note,
        "download": _download(item)[1] if item.download else "",
        "download_size": item.download_size,
        "masked": item.masked,
    }


def summarised(entries: list[SbomEntry], *, keep_packages: bool) -> list[SbomEntry]:
    """``entries`` as they are, or without their package lists (counts kept)."""
    return entries if keep_packages else [{**entry, "packages": []} for entry in entries]
