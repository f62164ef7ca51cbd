"""OpenVEX documents -> ``Vex``, and which of their statements apply to an image. No I/O.

Two shapes are read: v0.2.0 (``vulnerability`` an object with ``name`` and ``aliases``,
``products`` objects with ``@id``, ``identifiers``, ``hashes`` and ``subcomponents``) and
the legacy v0.0.1 (``vulnerability`` a string, ``products`` and ``subcomponents`` purl
strings). The ``@context`` is not required to be valid (merged documents leave it empty).

Which statements apply to an image (``applies``): the document is attached to an image
(a referrer of it, its cosign attestation), yet a VEX document can speak of other images
too, so a statement applies

- when a product names a digest (``pkg:oci/name@sha256%3A<hex>``, an image reference
  ``name@sha256:<hex>``, a ``sha-256`` hash): only if it is this image's digest, one of
  its platforms' or the digest of an index it is a platform of;
- when no product names a digest but one names an image (``pkg:oci/<name>``, a plain
  reference without a digest): only if that name is this repository's (its last path
  segment, as ``pkg:oci`` names spell it, or the whole path);
- when the products name neither (package purls such as ``pkg:apk/wolfi/bash@1.0.0``):
  it speaks of those packages in the image it is attached to, and applies.

An applying statement marks a finding (``marks``) when the vulnerability is the
finding's id (or one of the statement's aliases) and, if the statement names packages
(non-image products, subcomponents), the finding's package is one of them by name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import unquote

from sitegen.oci.masking import Masker
from sitegen.oci.values import as_dict, as_list, as_text, cut
from sitegen.supplychain_model import Finding, Vex, VexStatement

MEDIA_TYPE = "application/vnd.openvex+json"
PREDICATE_PREFIX = "https://openvex.dev/ns"  # cosign attest --type openvex; v0.2.0 and such
STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
# The statuses that take a finding out of the counts after VEX.
RESOLVED = ("not_affected", "fixed")

MAX_TEXT = 256  # characters of one value shown
MAX_STATEMENTS = 2000  # statements kept of one document
MAX_PRODUCTS = 20  # products (and subcomponents of each) read of one statement
_DIGEST = re.compile(r"sha256(?::|%3a)([0-9a-f]{64})", re.IGNORECASE)


def is_vex_predicate(predicate_type: str) -> bool:
    """An OpenVEX predicate type (``https://openvex.dev/ns``, ``.../v0.2.0``)."""
    return predicate_type.startswith(PREDICATE_PREFIX)


def is_vex(document: Mapping[str, Any]) -> bool:
    """An OpenVEX document: its ``@context`` says so, or it has ``statements`` and an
    ``@id`` or ``author`` (merged documents leave the context empty)."""
    context = document.get("@context")
    if isinstance(context, str) and context.startswith(PREDICATE_PREFIX):
        return True
    return isinstance(document.get("statements"), list) and (
        "@id" in document or "author" in document
    )


def read(document: Mapping[str, Any], digest: str, masker: Masker) -> Vex:
    """The statements of an OpenVEX document, masked and cut."""

    def clean(value: str) -> str:
        return cut(masker.text(value), MAX_TEXT)

    entries = [s for s in as_list(document.get("statements")) if isinstance(s, dict)]
    statements = [_statement(entry, clean) for entry in entries[:MAX_STATEMENTS]]
    context = as_text(document.get("@context"))
    version = context.removeprefix(PREDICATE_PREFIX).strip("/")
    unknown = sum(not s.status for s in statements)
    note = f"statements with a status OpenVEX does not define: {unknown}" if unknown else ""
    return Vex(
        clean(f"OpenVEX {version}" if version else "OpenVEX"),
        author=clean(as_text(document.get("author"))),
        timestamp=clean(as_text(document.get("timestamp"))),
        statements=tuple(statements),
        statement_count=len(entries),
        document=digest,
        note=note,
    )


def failed(digest: str, note: str, masker: Masker) -> Vex:
    """A VEX document that could not be read."""
    return Vex("", document=digest, note=cut(masker.text(note), MAX_TEXT))


def _statement(entry: dict[str, Any], clean: Any) -> VexStatement:
    vulnerability = entry.get("vulnerability")
    if isinstance(vulnerability, dict):
        name = as_text(vulnerability.get("name")) or as_text(vulnerability.get("@id"))
        aliases = [a for a in as_list(vulnerability.get("aliases")) if isinstance(a, str)]
    else:
        name, aliases = as_text(vulnerability), []
    products: list[str] = []
    digests: list[str] = []
    images: list[str] = []
    packages: list[str] = []
    for product in as_list(entry.get("products"))[:MAX_PRODUCTS]:
        ids = _product_ids(product)
        products.extend(ids[:1])
        for value in ids:
            found = _digests(value)
            digests += found
            if not found and (image := _image_name(value)):
                images.append(image)
            elif package := _package_name(value):
                packages.append(package)
        digests += _hash_digests(product)
        for sub in as_list(as_dict(product).get("subcomponents"))[:MAX_PRODUCTS]:
            packages += [p for p in map(_package_name, _product_ids(sub)) if p]
    for sub in as_list(entry.get("subcomponents"))[:MAX_PRODUCTS]:  # v0.0.1
        packages += [p for p in map(_package_name, _product_ids(sub)) if p]
    status = as_text(entry.get("status"))
    return VexStatement(
        clean(name),
        status=status if status in STATUSES else "",
        aliases=tuple(clean(a) for a in aliases[:MAX_PRODUCTS]),
        justification=clean(as_text(entry.get("justification"))),
        impact=clean(
            as_text(entry.get("impact_statement")) or as_text(entry.get("action_statement"))
        ),
        products=tuple(clean(p) for p in products),
        digests=tuple(sorted(set(digests))),
        images=tuple(sorted({clean(i) for i in images})),
        packages=tuple(sorted({clean(p) for p in packages})),
        timestamp=clean(as_text(entry.get("timestamp"))),
    )


def _product_ids(product: Any) -> list[str]:
    """A product's names: the string itself, or its ``@id`` and identifier values."""
    if isinstance(product, str):
        return [product]
    item = as_dict(product)
    found = [as_text(item.get("@id"))]
    found += [v for v in as_dict(item.get("identifiers")).values() if isinstance(v, str)]
    return [f for f in found if f]


def _digests(value: str) -> list[str]:
    return [f"sha256:{m.lower()}" for m in _DIGEST.findall(value)]


def _hash_digests(product: Any) -> list[str]:
    hashes = as_dict(as_dict(product).get("hashes"))
    value = as_text(hashes.get("sha-256")) or as_text(hashes.get("sha256"))
    return [f"sha256:{value.lower()}"] if re.fullmatch(r"[0-9a-fA-F]{64}", value) else []


def _image_name(value: str) -> str:
    """The image a product names without a digest: ``pkg:oci/<name>`` (its
    ``repository_url`` qualifier when given), or a plain reference's path."""
    if value.startswith("pkg:oci/"):
        name, _, qualifiers = value[8:].partition("?")
        for pair in qualifiers.split("&"):
            key, _, url = pair.partition("=")
            if key == "repository_url" and url:
                return _path(unquote(url))
        return unquote(name.partition("@")[0])
    if value.startswith("pkg:") or "://" in value or not value.strip():
        return ""
    return _path(value)


def _path(reference: str) -> str:
    """``registry.example:5000/team/app:1.0`` -> ``team/app``."""
    head, _, rest = reference.partition("/")
    path = rest if rest and ("." in head or ":" in head or head == "localhost") else reference
    name, _, tag = path.rpartition(":")
    return (name if name and "/" not in tag else path).lower()


def _package_name(value: str) -> str:
    """``pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86`` -> ``libssl3``; image purls none."""
    if not value.startswith("pkg:") or value.startswith("pkg:oci/"):
        return ""
    path = value[4:].partition("?")[0].partition("#")[0].partition("@")[0]
    return unquote(path.rstrip("/").rpartition("/")[2]).lower()


def applies(statement: VexStatement, digests: Collection[str], repository: str) -> bool:
    """Whether ``statement`` speaks of an image of ``repository`` whose own, platform and
    index digests are ``digests`` (the rule in this module's docstring)."""
    if statement.digests:
        return any(d in digests for d in statement.digests)
    if statement.images:
        name = repository.lower()
        return any(i in (name, name.rpartition("/")[2]) for i in statement.images)
    return True


def marks(statement: VexStatement, finding: Finding) -> bool:
    """Whether an applying ``statement`` is about ``finding``."""
    ids = {statement.vulnerability.casefold(), *(a.casefold() for a in statement.aliases)}
    if finding.id.casefold() not in ids:
        return False
    if not statement.packages:
        return True
    return finding.package.lower() in statement.packages or (
        _package_name(finding.purl) in statement.packages
    )
