"""How images were built, as tag and digest pages show it: the SLSA provenance of a
manifest (its BuildKit attestations and the attestations that refer to it), the source
and commit linked like the repository header's labels, and whether a digest has any.

Provenance is what a build says about itself: read, not verified (a signed attestation
is checked with ``cosign verify-attestation``, which sitegen does not run).
"""

from __future__ import annotations

from sitegen.model import Index, Repository
from sitegen.supplychain_model import Provenance
from sitegen.site.pages.labels import commit_url, repository_url
from sitegen.site.pages.supplychain import unique_documents
from sitegen.site.pages.supplychain_shapes import ProvenanceEntry

_IMAGE_MATERIALS = ("pkg:docker/", "pkg:oci/", "docker-image://", "oci://")


def provenance_by_subject(repo: Repository) -> dict[str, list[ProvenanceEntry]]:
    """Every provenance statement of the repository, by the digest it is about: from the
    BuildKit attestations of its indexes, then from the referrers (cosign ``.att`` tags,
    the referrers API and tag). Built once per repository."""
    found: dict[str, list[ProvenanceEntry]] = {}
    for manifest in repo.manifests.values():
        if not isinstance(manifest, Index):
            continue
        for attestation in manifest.attestations:
            into = found.setdefault(attestation.subject, [])
            through, digest = "BuildKit attestation", attestation.descriptor.digest
            if attestation.note:
                into.append(_entry(Provenance("", note=attestation.note), through, digest))
            into += [_entry(item, through, digest) for item in attestation.provenance]
    for subject, referrers in repo.referrers.items():
        for referrer in referrers:
            through = referrer.source + (f" {referrer.tag}" if referrer.tag else "")
            found.setdefault(subject, []).extend(
                _entry(item, through, referrer.digest) for item in referrer.provenance
            )
    return {subject: unique_documents(entries) for subject, entries in found.items() if entries}


def provenanced(repo: Repository, by_subject: dict[str, list[ProvenanceEntry]]) -> set[str]:
    """The digests with a provenance statement that was read: an image's, and a
    multi-platform image's when the index or any of its platforms has one."""
    found = {d for d, entries in by_subject.items() if any(e["predicate_type"] for e in entries)}
    for digest, manifest in repo.manifests.items():
        if isinstance(manifest, Index) and any(e.descriptor.digest in found for e in manifest.entries):
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
