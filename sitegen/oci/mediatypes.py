"""Manifest media types, content negotiation and sniffing.

docs/protocol.md items 15-16: one comma-joined ``Accept`` with every manifest type and no
q-values (an incomplete list gets schema1 conversions, a wrong digest, or GHCR's
``MANIFEST_UNKNOWN`` for a manifest that exists); ``Content-Type`` parameters are
stripped; the body's own ``mediaType`` must agree with the header; a generic header
(``application/json``, ``text/plain``) is resolved by looking at the body.
"""

from __future__ import annotations

from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1_SIGNED, DOCKER_SCHEMA1})
# Early Docker 1.10-era pushes label the config blob application/octet-stream
# (fixtures: dockerhub/manifest-httpd-2.4.23-2016.json); accept it as an image config.
IMAGE_CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG, "application/octet-stream"})

# Order matters only to humans; registries must not apply q-value semantics.
MANIFEST_ACCEPT = ", ".join(
    (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1_SIGNED, DOCKER_SCHEMA1)
)

_GENERIC = frozenset({"", "application/json", "text/plain", "application/octet-stream"})


def strip_parameters(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json`` (lowercased)."""
    return (content_type or "").partition(";")[0].strip().lower()


def sniff(document: Any) -> str | None:
    """The manifest media type a parsed body describes itself as, or None if unclear."""
    if not isinstance(document, dict):
        return None
    declared = document.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    version = document.get("schemaVersion")
    if version == 1:
        return DOCKER_SCHEMA1_SIGNED if "signatures" in document else DOCKER_SCHEMA1
    if version == 2:
        if isinstance(document.get("manifests"), list):
            return OCI_INDEX
        if isinstance(document.get("config"), dict) and isinstance(document.get("layers"), list):
            return OCI_MANIFEST
    return None


def resolve_media_type(header: str | None, document: Any) -> tuple[str, str | None]:
    """Decide a manifest's media type from the header and the parsed body.

    Returns ``(media_type, problem)``; ``problem`` is a message when header and body
    disagree (the caller treats that as a protocol error).
    """
    from_header = strip_parameters(header)
    from_body = sniff(document)
    if from_header in _GENERIC:
        return (from_body or from_header or "application/octet-stream"), None
    declared = document.get("mediaType") if isinstance(document, dict) else None
    if isinstance(declared, str) and declared and declared != from_header:
        return from_header, (
            f"Content-Type {_shown(from_header)} disagrees with the body's mediaType "
            f"{_shown(declared)}"
        )
    return from_header, None


def _shown(value: str) -> str:
    """``value`` quoted for a one-line message, cut short: the registry chose it."""
    return repr(value if len(value) <= 100 else value[:100] + "...")
