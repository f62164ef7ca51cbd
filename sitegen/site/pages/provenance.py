"""How images were built, as tag and digest pages show it: the SLSA provenance of a
manifest (its BuildKit attestations and the attestations that refer to it), the source
and commit linked like the repository header's labels, and whether a digest has any.

Provenance is what a build says about itself: read, not verified (a signed attestation
is checked with ``cosign verify-attestation``, which sitegen does not run).
"""

from __future__ import annotations

from sitegen.model import Attestation, Index, Repository
from sitegen.site.pages.labels import commit_url, repository_url
from sitegen.site.pages.supplychain import documents_by_subject
from sitegen.site.pages.supplychain_shapes import ProvenanceEntry
from sitegen.supplychain_model import Provenance, Referrer

_IMAGE_MATERIALS = ("pkg:docker/", "pkg:oci/", "docker-image://", "oci://")


def provenance_by_subject(repo: Repository) -> dict[str, list[ProvenanceEntry]]:
    """Every provenance statement of the repository, by the digest it is about: from the
    BuildKit attestations of its indexes, then from the referrers (cosign ``.att`` tags,
    the referrers API and tag). Built once per repository."""
    found = documents_by_subject(repo, _statements)
    return {s: [_entry(*entry) for entry in entries] for s, entries in found.items() if entries}


def _statements(item: Attestation | Referrer) -> tuple[Provenance, ...]:
    """An attestation's provenance; a BuildKit one that could not be read, as a note."""
    if isinstance(item, Attestation) and item.note:
        return (Provenance("", note=item.note), *item.provenance)
    return item.provenance


def provenanced(repo: Repository, by_subject: dict[str, list[ProvenanceEntry]]) -> set[str]:
    """The digests with a provenance statement that was read: an image's, and a
    multi-platform image's when the index or any of its platforms has one."""
    found = {d for d, entries in by_subject.items() if any(e["predicate_type"] for e in entries)}
    for digest, manifest in repo.manifests.items():
        if isinstance(manifest, Index) and any(
            e.descriptor.digest in found for e in manifest.entries
        ):
            found.add(digest)
    return found


def _entry(item: Provenance, through: str, attestation: str) -> ProvenanceEntry:
    return {
        "predicate_type": item.predicate_type,
        "builder_id": item.builder_id,
        "build_type": item.build_type,
        "source": item.source,
        "source_url": repository_url(item.source) if item.source else "",
        "commit": item.commit,
        "commit_url": commit_url(item.source, item.commit) if item.source and item.commit else "",
        "trigger": item.trigger,
        "build_args": dict(item.build_args),
        "materials": [
            {"uri": uri, "digest": digest, "image": uri.startswith(_IMAGE_MATERIALS)}
            for uri, digest in item.materials
        ],
        "found_through": through,
        "attestation": attestation,
        "document": item.document,
        "note": item.note,
    }
