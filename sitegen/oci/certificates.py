"""X.509 certificates and keys as signatures carry them, and the times they give.

Fulcio (sigstore's certificate authority) writes the signer's identity into a keyless
certificate's subject alternative name and the OIDC issuer into its own extensions
(sigstore/fulcio ``docs/oid-info.md``): first as raw bytes (deprecated), then as a DER
UTF8String. Nothing here verifies a certificate; it reads what one says. A value that
cannot be read adds a note to ``notes`` and gives ``""`` or None, never an exception.
"""

from __future__ import annotations

import binascii
import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ObjectIdentifier

from sitegen.dates import utc_seconds

MAX_PEM = 64 << 10  # a PEM annotation longer than this is not read
_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def pem_certificate(pem: str, notes: list[str]) -> x509.Certificate | None:
    """A PEM certificate (a cosign annotation), or None with a note."""
    if len(pem) > MAX_PEM:
        notes.append("the certificate annotation is too long to read")
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        notes.append("the certificate could not be read")
        return None


def key_fingerprint(pem: str, notes: list[str]) -> str:
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


def identity(certificate: x509.Certificate) -> str:
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


def oidc_issuer(certificate: x509.Certificate) -> str:
    """The OIDC issuer Fulcio wrote into the certificate (its v2 extension, else v1)."""
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


def unix_time(value: Any, notes: list[str]) -> datetime | None:
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


def signed_at(logged: datetime | None, certificate: x509.Certificate | None) -> tuple[str, str]:
    """(when, where that comes from) of a sigstore signature: its Rekor entry's time,
    else its certificate's start (Fulcio certificates live for minutes); ``("", "")``."""
    if logged is not None:
        return utc_seconds(logged), "Rekor integratedTime"
    if certificate is not None:
        return utc_seconds(certificate.not_valid_before_utc), "certificate notBefore"
    return "", ""
