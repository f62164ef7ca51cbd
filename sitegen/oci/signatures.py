"""What a signature claims: cosign signature manifests and notation envelopes -> ``Signature``.

Nothing here verifies a signature. The fields are what the documents say about who
signed and when, read so that a person can check them with ``cosign verify`` or
``notation verify``:

- cosign keeps everything in the annotations of each signature layer (cosign
  ``pkg/oci/static``): ``dev.cosignproject.cosign/signature``, for keyless signing the
  Fulcio certificate ``dev.sigstore.cosign/certificate`` (PEM; the signer's identity is
  its subject alternative name, the OIDC issuer a Fulcio extension), and the Rekor entry
  ``dev.sigstore.cosign/bundle`` (a JSON string whose ``Payload.body`` is base64 JSON
  holding the public key or certificate, base64 PEM again).
- a sigstore bundle (``application/vnd.dev.sigstore.bundle.v0.3+json``, cosign's
  ``--new-bundle-format``, GitHub artifact attestations) is one layer holding the
  verification material (the Fulcio certificate as base64 DER, or a key hint), the Rekor
  entries (``integratedTime``, a JSON string in v0.3) and either a message signature or a
  DSSE envelope whose statement names what is attested (sigstore protobuf-specs
  ``sigstore_bundle.proto``).
- notation keeps a JWS (``application/jose+json``) or COSE envelope as the one layer of a
  manifest whose config or ``artifactType`` is ``application/vnd.cncf.notary.signature``
  (notaryproject specs ``signature-envelope-jws.md``): the certificate chain is in the
  unprotected header ``x5c`` (base64 DER, leaf first), the signing time in the protected
  header ``io.cncf.notary.signingTime``.

Every string that comes out is registry data: masked and cut to ``MAX_TEXT`` characters.
A document that cannot be read gives a ``Signature`` with a ``note``, never an exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ObjectIdentifier

from sitegen.oci import jsonload, provenance
from sitegen.oci.masking import Masker
from sitegen.supplychain_model import Signature

COSIGN_SIGNATURE = "dev.cosignproject.cosign/signature"
COSIGN_CERTIFICATE = "dev.sigstore.cosign/certificate"
COSIGN_BUNDLE = "dev.sigstore.cosign/bundle"
COSIGN_PREDICATE = "predicateType"  # on a cosign attestation's layer
NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
JWS = "application/jose+json"
COSE = "application/cose"

MAX_TEXT = 512  # characters of one value shown; a certificate SAN is far shorter
MAX_ANNOTATION = 64 << 10  # a certificate or bundle annotation longer than this is not read
# Fulcio's certificate extensions (sigstore/fulcio docs/oid-info.md): the issuer, first
# as raw bytes (deprecated), then as a DER UTF8String.
_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def is_notation(document: Mapping[str, Any]) -> bool:
    """A notation signature manifest: by its ``artifactType`` or config media type."""
    config = document.get("config")
    config_type = config.get("mediaType") if isinstance(config, dict) else None
    return NOTATION_SIGNATURE in (document.get("artifactType"), config_type)


def envelope_layers(document: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(media type, digest, size) of the layers whose blobs hold the claims: a notation
    manifest's envelopes, sigstore bundles. None for a cosign signature, whose claims
    are all in the manifest."""
    notation = is_notation(document)
    found = []
    for layer in _layers(document):
        media_type = str(layer.get("mediaType", ""))
        if not (notation or is_bundle(media_type)):
            continue
        digest, size = layer.get("digest"), layer.get("size")
        if isinstance(digest, str) and isinstance(size, int) and not isinstance(size, bool):
            found.append((media_type, digest, size))
    return found


def is_bundle(media_type: str) -> bool:
    """A sigstore bundle layer (any version)."""
    return media_type.startswith(provenance.SIGSTORE_BUNDLE)


def read(
    document: Mapping[str, Any], envelopes: Mapping[str, bytes | str], masker: Masker
) -> tuple[Signature, ...]:
    """The signatures in a signature or attestation manifest. ``envelopes``: layer
    digest -> the envelope's or bundle's bytes, or why it was not read (a note)."""
    notation = is_notation(document)
    scheme = "notation" if notation else "sigstore"
    found = []
    for media_type, digest, _ in envelope_layers(document):
        envelope = envelopes.get(digest, "not read")
        if isinstance(envelope, str):
            found.append(Signature(scheme, scheme, note=f"envelope not read: {envelope}"))
        else:
            found.append(_notation(media_type, envelope) if notation else _sigstore(envelope))
    if not notation:
        found.extend(
            _cosign(annotations)
            for layer in _layers(document)
            if COSIGN_SIGNATURE in (annotations := _annotations(layer))
        )
    return tuple(_masked(s, masker) for s in found)


# -- cosign ------------------------------------------------------------------------------


def _cosign(annotations: Mapping[str, str]) -> Signature:
    notes: list[str] = []
    identity = issuer = fingerprint = signed_at = source = ""
    certificate = None
    pem = annotations.get(COSIGN_CERTIFICATE, "")
    if pem:
        certificate = _pem_certificate(pem, notes)
    bundle = annotations.get(COSIGN_BUNDLE, "")
    integrated, bundle_key = _bundle(bundle, notes) if bundle else (None, "")
    if certificate is not None:
        identity = _san(certificate)
        issuer = _issuer(certificate)
        if not identity:
            notes.append("the certificate names no identity")
    elif not pem and bundle_key:
        fingerprint = _key_fingerprint(bundle_key, notes)
    if integrated is not None:
        signed_at, source = _rfc3339(integrated), "Rekor integratedTime"
    elif certificate is not None:
        signed_at, source = _rfc3339(certificate.not_valid_before_utc), "certificate notBefore"
    return Signature(
        "cosign",
        "keyless" if pem else "key",
        identity=identity,
        issuer=issuer,
        key_fingerprint=fingerprint,
        rekor_bundle=bool(bundle),
        signed_at=signed_at,
        signed_at_source=source,
        predicate_type=annotations.get(COSIGN_PREDICATE, ""),
        note="; ".join(notes),
    )


def _pem_certificate(pem: str, notes: list[str]) -> x509.Certificate | None:
    if len(pem) > MAX_ANNOTATION:
        notes.append("the certificate annotation is too long to read")
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        notes.append("the certificate could not be read")
        return None


def _bundle(value: str, notes: list[str]) -> tuple[datetime | None, str]:
    """(Rekor integratedTime, the signer's key or certificate PEM) of a cosign bundle."""
    if len(value) > MAX_ANNOTATION:
        notes.append("the Rekor bundle is too long to read")
        return None, ""
    try:
        bundle = jsonload.load_object(value)
    except jsonload.JSONRefused:
        notes.append("the Rekor bundle could not be read")
        return None, ""
    payload = _dict(bundle.get("Payload"))
    when = _unix_time(payload.get("integratedTime"), notes)
    key = ""
    body = _b64_json(payload.get("body"))
    spec = body.get("spec") if isinstance(body, dict) else None
    signature = spec.get("signature") if isinstance(spec, dict) else None
    public_key = signature.get("publicKey") if isinstance(signature, dict) else None
    if isinstance(public_key, dict):
        key = _b64_text(public_key.get("content"))
    return when, key


def _key_fingerprint(pem: str, notes: list[str]) -> str:
    """``sha256:<hex>`` of the DER SubjectPublicKeyInfo of a PEM public key."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, binascii.Error):
        if "BEGIN CERTIFICATE" not in pem:
            notes.append("the public key could not be read")
        return ""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def _san(certificate: x509.Certificate) -> str:
    """The first URI or e-mail address of the subject alternative name (Fulcio puts the
    OIDC subject there: a workflow URI, a service account's or a person's e-mail)."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return ""
    for kind in (x509.UniformResourceIdentifier, x509.RFC822Name, x509.DNSName):
        values = names.get_values_for_type(kind)
        if values:
            return str(values[0])
    return ""


def _issuer(certificate: x509.Certificate) -> str:
    try:
        extensions = {e.oid: e.value for e in certificate.extensions}
    except ValueError:
        return ""
    v2 = extensions.get(_ISSUER_V2)
    if isinstance(v2, x509.UnrecognizedExtension):
        decoded = _der_utf8(v2.value)
        if decoded:
            return decoded
    v1 = extensions.get(_ISSUER_V1)
    if isinstance(v1, x509.UnrecognizedExtension):
        return v1.value.decode("utf-8", "replace")
    return ""


def _der_utf8(data: bytes) -> str:
    """A DER UTF8String (tag 12), short or long length form; '' for anything else."""
    if len(data) < 2 or data[0] != 0x0C:
        return ""
    length, start = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            return ""
        length, start = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    if len(data) != start + length:
        return ""
    return data[start:].decode("utf-8", "replace")


# -- sigstore bundles ---------------------------------------------------------------------


def _sigstore(data: bytes) -> Signature:
    """The claims of a sigstore bundle (v0.1 to v0.3): who signed (certificate or key),
    when Rekor logged it, and what it signs (a statement's predicate type, if any)."""
    try:
        bundle = jsonload.load_object(data)
    except jsonload.JSONRefused:
        return Signature("sigstore", "sigstore", note="the sigstore bundle could not be read")
    notes: list[str] = []
    material = _dict(bundle.get("verificationMaterial"))
    chain = _dict(material.get("x509CertificateChain")).get("certificates")
    leaf = chain[0] if isinstance(chain, list) and chain else material.get("certificate")
    raw = _dict(leaf).get("rawBytes")
    certificate = None
    if isinstance(raw, str):
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(raw, validate=True))
        except (ValueError, binascii.Error):
            notes.append("the certificate could not be read")
    hint = _dict(material.get("publicKey")).get("hint")
    if certificate is None and isinstance(hint, str) and hint:
        notes.append(f"signed with a key; its hint: {hint}")
    entries = material.get("tlogEntries")
    entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    integrated = _unix_time(entries[0].get("integratedTime"), notes) if entries else None
    identity = issuer = signed_at = source = ""
    if certificate is not None:
        identity, issuer = _san(certificate), _issuer(certificate)
        if not identity:
            notes.append("the certificate names no identity")
    if integrated is not None:
        signed_at, source = _rfc3339(integrated), "Rekor integratedTime"
    elif certificate is not None:
        signed_at, source = _rfc3339(certificate.not_valid_before_utc), "certificate notBefore"
    claim = provenance.statement(bundle, "") if "dsseEnvelope" in bundle else None
    predicate = claim.get("predicateType") if claim is not None else None
    if "dsseEnvelope" in bundle and not isinstance(predicate, str):
        notes.append("the attested statement could not be read")
    return Signature(
        "sigstore",
        "keyless" if raw is not None else "key",
        identity=identity,
        issuer=issuer,
        rekor_bundle=bool(entries),
        signed_at=signed_at,
        signed_at_source=source,
        predicate_type=predicate if isinstance(predicate, str) else "",
        note="; ".join(notes),
    )


def _unix_time(value: Any, notes: list[str]) -> datetime | None:
    """A Unix time as a number or, as protobuf JSON writes int64, a decimal string."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        notes.append("the Rekor integratedTime is out of range")
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- notation ----------------------------------------------------------------------------


def _notation(media_type: str, envelope: bytes) -> Signature:
    if media_type == COSE:
        return Signature("notation", "notation", note="COSE envelope: the certificate is not read")
    if media_type != JWS:
        return Signature("notation", "notation", note=f"unknown envelope type {media_type[:100]}")
    try:
        document = jsonload.load_object(envelope)
    except jsonload.JSONRefused:
        return Signature("notation", "notation", note="the JWS envelope could not be read")
    notes: list[str] = []
    protected = _b64_json(document.get("protected"), urlsafe=True)
    signing_time = protected.get("io.cncf.notary.signingTime") if protected else None
    signed_at = signing_time if isinstance(signing_time, str) else ""
    header = document.get("header")
    chain = header.get("x5c") if isinstance(header, dict) else None
    identity = ""
    if isinstance(chain, list) and chain and isinstance(chain[0], str):
        try:
            leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
            identity = leaf.subject.rfc4514_string()
        except (ValueError, binascii.Error):
            notes.append("the signing certificate could not be read")
    else:
        notes.append("the envelope has no certificate chain")
    return Signature(
        "notation",
        "notation",
        identity=identity,
        signed_at=signed_at,
        signed_at_source="notation signingTime" if signed_at else "",
        note="; ".join(notes),
    )


# -- shared ------------------------------------------------------------------------------


def _layers(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    layers = document.get("layers")
    return (
        [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else []
    )


def _annotations(layer: Mapping[str, Any]) -> dict[str, str]:
    found = layer.get("annotations")
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


def _b64_text(value: Any, *, urlsafe: bool = False) -> str:
    if not isinstance(value, str) or len(value) > MAX_ANNOTATION:
        return ""
    try:
        if urlsafe:
            data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        else:
            data = base64.b64decode(value, validate=True)
        return data.decode("utf-8")
    except (ValueError, binascii.Error):
        return ""


def _b64_json(value: Any, *, urlsafe: bool = False) -> dict[str, Any]:
    decoded = _b64_text(value, urlsafe=urlsafe)
    try:
        return jsonload.load_object(decoded) if decoded else {}
    except jsonload.JSONRefused:
        return {}


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _masked(signature: Signature, masker: Masker) -> Signature:
    def clean(value: str) -> str:
        value = masker.text(value)
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"

    return Signature(
        signature.scheme,
        signature.method,
        identity=clean(signature.identity),
        issuer=clean(signature.issuer),
        key_fingerprint=clean(signature.key_fingerprint),
        rekor_bundle=signature.rekor_bundle,
        signed_at=clean(signature.signed_at),
        signed_at_source=signature.signed_at_source,
        predicate_type=clean(signature.predicate_type),
        note=clean(signature.note),
    )
