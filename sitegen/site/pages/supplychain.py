"""A manifest's supply chain as its pages show it: referrers, what their signatures
claim, the command that checks a claim, and whether a manifest is signed.

sitegen reads signatures but does not verify them: ``verify`` is the command a reader
runs to do that, with the identity the signature claims filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from sitegen.model import Attestation, Index, Repository
from sitegen.oci import kinds
from sitegen.site.pages.shapes import AttestationEntry
from sitegen.site.pages.supplychain_shapes import (
    ReferrerEntry,
    SignatureEntry,
)
from sitegen.supplychain_model import Referrer, Signature

KEYLESS, KEY, NOTATION = "keyless", "key", "notation"  # Signature.method


def is_signed(repo: Repository, digest: str) -> bool:
    """A signature refers to ``digest``: found through a cosign tag, the referrers API or
    the referrers tag. That is all "signed" means here: nothing was verified."""
    return any(r.kind == kinds.SIGNATURE for r in repo.referrers.get(digest, ()))


def attestations_by_subject(repo: Repository) -> dict[str, list[AttestationEntry]]:
    """The BuildKit attestations of the repository's indexes, by the platform manifest
    each describes: what a platform's own digest page shows."""
    found: dict[str, list[AttestationEntry]] = {}
    for manifest in repo.manifests.values():
        if isinstance(manifest, Index):
            for attestation in manifest.attestations:
                found.setdefault(attestation.subject, []).append(attestation_entry(attestation))
    return found


def attestation_entry(attestation: Attestation) -> AttestationEntry:
    """One BuildKit attestation manifest as pages show it."""
    return {
        "digest": attestation.descriptor.digest,
        "subject": attestation.subject,
        "predicate_types": list(attestation.predicate_types),
    }


def referrer_entries(repo: Repository, digest: str, reference: str) -> list[ReferrerEntry]:
    """What refers to ``digest``; ``reference`` (``pull_host/name@digest``) is what a
    verify command checks."""
    return [_referrer(r, reference) for r in repo.referrers.get(digest, ())]


def _referrer(referrer: Referrer, reference: str) -> ReferrerEntry:
    return {
        "kind": referrer.kind,
        "digest": referrer.digest,
        "artifact_type": referrer.artifact_type,
        "media_type": referrer.media_type,
        "size": referrer.size,
        "source": referrer.source,
        "tag": referrer.tag,
        "annotations": dict(referrer.annotations),
        "note": referrer.note,
        "signatures": [_signature(s, reference) for s in referrer.signatures],
    }


def _signature(signature: Signature, reference: str) -> SignatureEntry:
    return {
        "scheme": signature.scheme,
        "method": signature.method,
        "identity": signature.identity,
        "issuer": signature.issuer,
        "key_fingerprint": signature.key_fingerprint,
        "rekor_bundle": signature.rekor_bundle,
        "signed_at": signature.signed_at,
        "signed_at_source": signature.signed_at_source,
        "predicate_type": signature.predicate_type,
        "note": signature.note,
        "verify": verify_command(reference, signature),
    }


def verify_command(reference: str, signature: Signature) -> str:
    """The command that checks ``signature``: ``cosign verify`` (``cosign
    verify-attestation --type`` for an attestation's) with the identity and issuer it
    claims (keyless) or with a key (key-based), ``notation verify`` (whose trust policy
    names the identities); ``""`` when its certificate could not be read."""
    command = "cosign verify"
    if signature.predicate_type:
        command += f"-attestation --type {shell_word(signature.predicate_type)}"
    if signature.method == KEYLESS:
        if not (signature.identity and signature.issuer):
            return ""
        return (
            f"{command} --certificate-identity {shell_word(signature.identity)}"
            f" --certificate-oidc-issuer {shell_word(signature.issuer)} {reference}"
        )
    if signature.method == KEY:
        return f"{command} --key <your key> {reference}"
    if signature.method == NOTATION:
        return f"notation verify {reference}"
    return ""


def shell_word(value: str) -> str:
    """``value`` as one POSIX shell word: as it is when plainly safe, else single-quoted."""
    if value and all(c.isalnum() or c in "@%+=:,./-_" for c in value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


class _Document(Protocol):
    @property
    def document(self) -> str: ...


Document = TypeVar("Document", bound=_Document)
# A document, where it was found ("BuildKit attestation", "referrers API sha256-…") and
# the digest of the manifest it is a layer of.
Found = tuple[Document, str, str]


def documents_by_subject(
    repo: Repository, pick: Callable[[Attestation | Referrer], Iterable[Document]]
) -> dict[str, list[Found[Document]]]:
    """The documents ``pick`` takes from the BuildKit attestations of the repository's
    indexes, then from its referrers, by the digest they are about. Each document once:
    a manifest found through two routes (its cosign tag and the referrers tag) is read
    once and shown once."""
    found: dict[str, list[Found[Document]]] = {}
    seen: set[tuple[str, str, str]] = set()

    def add(subject: str, items: Iterable[Document], through: str, digest: str) -> None:
        for item in items:
            key = (subject, digest, item.document)
            if item.document and key in seen:
                continue
            seen.add(key)
            found.setdefault(subject, []).append((item, through, digest))

    for manifest in repo.manifests.values():
        if isinstance(manifest, Index):
            for attestation in manifest.attestations:
                digest = attestation.descriptor.digest
                add(attestation.subject, pick(attestation), "BuildKit attestation", digest)
    for subject, referrers in repo.referrers.items():
        for referrer in referrers:
            through = referrer.source + (f" {referrer.tag}" if referrer.tag else "")
            add(subject, pick(referrer), through, referrer.digest)
    return found
