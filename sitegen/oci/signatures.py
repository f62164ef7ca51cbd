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
- notation keeps a JWS (``application/jose+json``) or COSE (``application/cose``)
  envelope as the one layer of a manifest whose config or ``artifactType`` is
  ``application/vnd.cncf.notary.signature`` (notaryproject specs
  ``signature-envelope-jws.md``, ``signature-envelope-cose.md``): the certificate chain
  is in the unprotected header (JWS ``x5c``: base64 DER; COSE ``x5chain``: DER byte
  strings; leaf first), the signing time in the protected header
  ``io.cncf.notary.signingTime`` (COSE: an epoch time).

Every string that comes out is registry data: masked and cut to ``MAX_TEXT`` characters.
A document that cannot be read gives a ``Signature`` with a ``note``, never an exception.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography import x509

from sitegen.dates import utc_seconds
from sitegen.oci import cbor, certificates, jsonload, provenance
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
_COSE_SIGN1 = 18  # the CBOR tag of a COSE_Sign1 (RFC 9052)
_X5CHAIN = 33  # the COSE header label of the certificate chain (RFC 9360)


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
    identity = issuer = fingerprint = ""
    certificate = None
    pem = annotations.get(COSIGN_CERTIFICATE, "")
    if pem:
        certificate = certificates.pem_certificate(pem, notes)
    bundle = annotations.get(COSIGN_BUNDLE, "")
    integrated, bundle_key = _bundle(bundle, notes) if bundle else (None, "")
    if certificate is not None:
        identity = certificates.identity(certificate)
        issuer = certificates.oidc_issuer(certificate)
        if not identity:
            notes.append("the certificate names no identity")
    elif not pem and bundle_key:
        fingerprint = certificates.key_fingerprint(bundle_key, notes)
    signed_at, source = certificates.signed_at(integrated, certificate)
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
    when = certificates.unix_time(payload.get("integratedTime"), notes)
    key = ""
    body = _b64_json(payload.get("body"))
    spec = body.get("spec") if isinstance(body, dict) else None
    signature = spec.get("signature") if isinstance(spec, dict) else None
    public_key = signature.get("publicKey") if isinstance(signature, dict) else None
    if isinstance(public_key, dict):
        key = _b64_text(public_key.get("content"))
    return when, key


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
    integrated = (
        certificates.unix_time(entries[0].get("integratedTime"), notes) if entries else None
    )
    identity = issuer = ""
    if certificate is not None:
        identity, issuer = certificates.identity(certificate), certificates.oidc_issuer(certificate)
        if not identity:
            notes.append("the certificate names no identity")
    signed_at, source = certificates.signed_at(integrated, certificate)
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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- notation ----------------------------------------------------------------------------


def _notation(media_type: str, envelope: bytes) -> Signature:
    if media_type == COSE:
        return _cose(envelope)
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
    leaf = None
    if isinstance(chain, list) and chain and isinstance(chain[0], str):
        try:
            leaf = base64.b64decode(chain[0], validate=True)
        except (ValueError, binascii.Error):
            notes.append("the signing certificate could not be read")
    return _notation_claims(leaf, signed_at, "notation signingTime", notes)


def _cose(envelope: bytes) -> Signature:
    """A ``COSE_Sign1_Tagged`` envelope (notaryproject specs
    ``signature-envelope-cose.md``): the protected header (a CBOR map in a byte string)
    holds the signing time as an epoch time; the unprotected header's ``x5chain``
    (label 33) the DER certificates, leaf first."""
    try:
        item = cbor.loads(envelope)
        if isinstance(item, cbor.Tagged) and item.tag == _COSE_SIGN1:
            item = item.value
        if not (isinstance(item, list) and len(item) == 4 and isinstance(item[0], bytes)):
            raise cbor.CBORError("not a COSE_Sign1 array")
        protected = cbor.loads(item[0]) if item[0] else {}
    except cbor.CBORError:
        return Signature("notation", "notation", note="the COSE envelope could not be read")
    protected = protected if isinstance(protected, dict) else {}
    unprotected = item[1] if isinstance(item[1], dict) else {}
    notes: list[str] = []
    signed_at, source = "", ""
    for key, label in (
        ("io.cncf.notary.signingTime", "notation signingTime"),
        ("io.cncf.notary.authenticSigningTime", "notation authenticSigningTime"),
    ):
        when = protected.get(key)
        when = when.value if isinstance(when, cbor.Tagged) and when.tag == 1 else when
        if isinstance(when, float) and when.is_integer():
            when = int(when)
        found = certificates.unix_time(when, notes)
        if found is not None:
            signed_at, source = utc_seconds(found), label
            break
    leaf = None  # x5chain: in the unprotected header, or the protected one; one or many
    for header in (unprotected, protected):
        chain = header.get(_X5CHAIN)
        first = chain[0] if isinstance(chain, list) and chain else chain
        if isinstance(first, bytes):
            leaf = first
            break
    return _notation_claims(leaf, signed_at, source, notes)


def _notation_claims(
    leaf: bytes | None, signed_at: str, source: str, notes: list[str]
) -> Signature:
    """A notation signature: its signing certificate's subject (``leaf``, DER) and time."""
    identity = ""
    if leaf is None:
        if not notes:
            notes.append("the envelope has no certificate chain")
    else:
        try:
            identity = x509.load_der_x509_certificate(leaf).subject.rfc4514_string()
        except ValueError:
            notes.append("the signing certificate could not be read")
    return Signature(
        "notation",
        "notation",
        identity=identity,
        signed_at=signed_at,
        signed_at_source=source if signed_at else "",
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
