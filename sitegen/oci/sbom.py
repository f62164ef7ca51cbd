"""SBOMs: SPDX 2.x JSON and CycloneDX JSON -> ``Sbom``, with no I/O.

Where they are:

- a BuildKit attestation manifest in an index: an ``application/vnd.in-toto+json``
  layer whose statement has the predicate type ``https://spdx.dev/Document`` (the SPDX
  document is the predicate);
- a cosign attestation (``sha256-<hex>.att``) or a referrer: a DSSE envelope (or a
  sigstore bundle holding one) whose statement's predicate is SPDX
  (``https://spdx.dev/Document``) or CycloneDX (``https://cyclonedx.org/bom`` and
  ``.../bom/v1.4``); older cosign wraps the document as a string in ``{"Data": ...}``;
- a cosign SBOM (``sha256-<hex>.sbom``, ``cosign attach sbom``) or a referrer with an
  SBOM ``artifactType``: the plain document as a layer (``text/spdx+json``,
  ``application/spdx+json``, ``application/vnd.cyclonedx+json``).

What is kept of each package: name, version, ecosystem (the purl type, else CycloneDX's
component ``type``), license (SPDX ``licenseConcluded``, else ``licenseDeclared``;
CycloneDX license ids, names or expressions) and purl. CycloneDX components nest
(``components[].components[]``); every level is read. Every string is masked and cut to
``MAX_TEXT``; at most ``MAX_PACKAGES`` packages are kept (the count says how many the
document lists); a document that cannot be read becomes a ``note``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sitegen.oci import jsonload, provenance
from sitegen.oci.masking import Masker
from sitegen.oci.values import as_dict, as_list, as_text, cut
from sitegen.supplychain_model import Package, Sbom

SPDX_PREDICATE = "https://spdx.dev/Document"
CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom"  # also ".../bom/v1.4" and the like
_PLAIN_TYPES = ("spdx+json", "cyclonedx+json", "spdx.document+json")
# SBOM layer types of formats not read (SPDX tag-value, CycloneDX XML and protobuf).
_OTHER_TYPES = (
    "text/spdx",
    "application/vnd.cyclonedx+xml",
    "application/x.vnd.cyclonedx+protobuf",
)

MAX_TEXT = 256  # characters of one value shown
MAX_PACKAGES = 2000  # packages kept of one document
_MAX_DEPTH = 16  # levels of nested CycloneDX components read
_NO_LICENSE = frozenset({"", "NOASSERTION", "NONE"})


def is_sbom(predicate_type: str) -> bool:
    """An SBOM predicate type: SPDX, or CycloneDX of any version."""
    return predicate_type == SPDX_PREDICATE or predicate_type.startswith(CYCLONEDX_PREDICATE)


def is_plain(media_type: str) -> bool:
    """A layer type of a plain SPDX or CycloneDX JSON document."""
    return any(media_type.endswith(t) for t in _PLAIN_TYPES)


def unread_format(media_type: str) -> str:
    """Why a layer of an SBOM format that is not read is not (``""`` for the others):
    said without fetching it."""
    if media_type in _OTHER_TYPES:
        return f"not read: {media_type} (SPDX 2.x and CycloneDX JSON are)"
    return ""


def sbom_layers(document: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(media type, digest, size) of the layers of a manifest that may hold an SBOM:
    plain SPDX or CycloneDX JSON, and in-toto, DSSE or sigstore bundle layers whose
    annotated predicate type is an SBOM's, or is not given; and the layers of SBOM
    formats that are not read (``unread_format``), so that a page can say so."""
    return [
        (media_type, digest, size)
        for media_type, digest, size, predicate in provenance.layer_descriptors(document)
        if is_plain(media_type)
        or unread_format(media_type)
        or (provenance.is_statement(media_type) and (not predicate or is_sbom(predicate)))
    ]


def read(data: bytes, media_type: str, digest: str, masker: Masker) -> Sbom | None:
    """The SBOM in one layer's bytes; ``None`` when the layer holds a statement of
    another predicate type; an ``Sbom`` with a ``note`` when it cannot be read."""
    try:
        loaded = jsonload.load_object(data)
    except jsonload.JSONRefused as exc:
        return _failed(digest, f"the SBOM could not be read: {exc}", masker)
    if _format(loaded):
        document: Any = loaded
    elif is_plain(media_type):
        return _failed(digest, "neither SPDX 2.x nor CycloneDX JSON", masker)
    else:
        claim = provenance.statement(loaded, media_type)
        if claim is None:
            return _failed(digest, "the layer holds no in-toto statement", masker)
        if not is_sbom(as_text(claim.get("predicateType"))):
            return None
        document = _unwrapped(claim.get("predicate"))
    if not isinstance(document, dict):
        return _failed(digest, "the statement holds no SBOM document", masker)
    kind = _format(document)
    if kind == "spdx":
        version = as_text(document.get("spdxVersion"))
        if not version.startswith("SPDX-2."):
            return _failed(digest, f"{version} is not read (SPDX 2.x JSON is)", masker)
        found = _spdx(document, version)
    elif kind == "cyclonedx":
        found = _cyclonedx(document)
    else:
        return _failed(digest, "neither SPDX 2.x nor CycloneDX JSON", masker)
    return _masked(found, digest, masker)


def _format(document: Mapping[str, Any]) -> str:
    if "spdxVersion" in document:
        return "spdx"
    if document.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    return ""


def _unwrapped(predicate: Any) -> Any:
    """The document of a predicate; cosign before 1.0 wrote ``{"Data": "<document>"}``."""
    if isinstance(predicate, dict) and isinstance(predicate.get("Data"), str):
        try:
            return jsonload.load_object(predicate["Data"].encode("utf-8", "surrogatepass"))
        except jsonload.JSONRefused:
            return None
    return predicate


def _spdx(document: dict[str, Any], version: str) -> Sbom:
    packages = document.get("packages")
    entries = [p for p in packages if isinstance(p, dict)] if isinstance(packages, list) else []
    found = []
    for entry in entries[:MAX_PACKAGES]:
        purl = next(
            (
                as_text(ref.get("referenceLocator"))
                for ref in as_list(entry.get("externalRefs"))
                if isinstance(ref, dict) and ref.get("referenceType") == "purl"
            ),
            "",
        )
        concluded = as_text(entry.get("licenseConcluded"))
        license_ = concluded if concluded not in _NO_LICENSE else ""
        if not license_:
            declared = as_text(entry.get("licenseDeclared"))
            license_ = declared if declared not in _NO_LICENSE else ""
        found.append(
            Package(
                as_text(entry.get("name")),
                version=as_text(entry.get("versionInfo")),
                ecosystem=_purl_type(purl),
                license=license_,
                purl=purl,
            )
        )
    info = as_dict(document.get("creationInfo"))
    creators = [as_text(c) for c in as_list(info.get("creators"))]
    tools = [c.removeprefix("Tool:").strip() for c in creators if c.startswith("Tool:")]
    return Sbom(
        version,
        packages=tuple(found),
        package_count=len(entries),
        tool=", ".join(tools),
        created=as_text(info.get("created")),
    )


def _cyclonedx(document: dict[str, Any]) -> Sbom:
    components = list(_components(document.get("components"), 0))
    found = []
    for entry in components[:MAX_PACKAGES]:
        purl = as_text(entry.get("purl"))
        group, name = as_text(entry.get("group")), as_text(entry.get("name"))
        found.append(
            Package(
                f"{group}/{name}" if group and name else name,
                version=as_text(entry.get("version")),
                ecosystem=_purl_type(purl) or as_text(entry.get("type")),
                license=_cyclonedx_license(entry.get("licenses")),
                purl=purl,
            )
        )
    metadata = as_dict(document.get("metadata"))
    tools = metadata.get("tools")
    if isinstance(tools, dict):  # CycloneDX 1.5: {"components": [...], "services": [...]}
        tools = tools.get("components")
    names = [
        " ".join(p for p in (as_text(t.get("name")), as_text(t.get("version"))) if p)
        for t in as_list(tools)
        if isinstance(t, dict)
    ]
    return Sbom(
        f"CycloneDX {as_text(document.get('specVersion'))}".strip(),
        packages=tuple(found),
        package_count=len(components),
        tool=", ".join(n for n in names if n),
        created=as_text(metadata.get("timestamp")),
    )


def _components(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth >= _MAX_DEPTH:
        return
    for entry in as_list(value):
        if isinstance(entry, dict):
            yield entry
            yield from _components(entry.get("components"), depth + 1)


def _cyclonedx_license(value: Any) -> str:
    found = []
    for choice in as_list(value):
        item = as_dict(choice)
        license_ = as_dict(item.get("license"))
        text = (
            as_text(item.get("expression"))
            or as_text(license_.get("id"))
            or as_text(license_.get("name"))
        )
        if text and text not in found:
            found.append(text)
    return ", ".join(found)


def _purl_type(purl: str) -> str:
    """``pkg:apk/alpine/musl@1.2`` -> ``apk``."""
    if not purl.startswith("pkg:"):
        return ""
    kind = purl[4:].lstrip("/").partition("/")[0]
    return kind.lower() if kind.replace("-", "").replace(".", "").isalnum() else ""


def _masked(found: Sbom, digest: str, masker: Masker) -> Sbom:
    def clean(value: str) -> str:
        return cut(masker.text(value), MAX_TEXT)

    packages = tuple(
        Package(
            clean(p.name),
            version=clean(p.version),
            ecosystem=clean(p.ecosystem),
            license=clean(p.license),
            purl=clean(p.purl),
        )
        for p in found.packages
    )
    return Sbom(
        clean(found.format),
        packages=tuple(sorted(packages, key=_order)),
        package_count=found.package_count,
        tool=clean(found.tool),
        created=clean(found.created),
        document=digest,
    )


def _order(package: Package) -> tuple[str, str, str, str, str]:
    return (package.name.casefold(), package.name, package.version, package.ecosystem, package.purl)


def _failed(digest: str, note: str, masker: Masker) -> Sbom:
    return Sbom("", document=digest, note=cut(masker.text(note), MAX_TEXT))
